"""Changing a billing account (payment method, address, invoice e-mail): the change and its
notification to the company's managers in one transaction (SPEC R-M3)."""

from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.errors import ValidationFailed, found
from linedesk.inventory.models import BillingAccount, PaymentMethod
from linedesk.inventory.repository import BillingAccountRepository
from linedesk.inventory.schemas import Iban, Name
from linedesk.kit.repository import Scope
from linedesk.kit.schemas import CreateSchema, Email, PostalCode, Province, one_line
from linedesk.notifications.service import notify_billing_account_changed

# What the managers are told changed, for each field of the account.
GROUPS = {
    "payment_method": "payment_method",
    "iban": "payment_method",
    "address_street": "address",
    "address_postal_code": "address",
    "address_city": "address",
    "address_province": "address",
    "invoice_email": "invoice_email",
}
City = Annotated[str, one_line(max_length=100)]


class BillingAccountChange(CreateSchema):
    """The fields to change, validated as on creation; `iban: null` removes the IBAN."""

    payment_method: PaymentMethod | None = None
    iban: Iban | None = None
    address_street: Name | None = None
    address_postal_code: PostalCode | None = None
    address_city: City | None = None
    address_province: Province | None = None
    invoice_email: Email | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        required = self.model_fields_set - {"iban"}
        if any(getattr(self, name) is None for name in required):
            raise ValueError("only iban can be removed (null)")
        return self


async def change_billing_account(
    session: AsyncSession, code: str, change: BillingAccountChange, now: datetime
) -> BillingAccount:
    """Apply the change; tell the managers what changed, if anything did."""
    account = found(
        await BillingAccountRepository(session, Scope.operator()).get_by_code(code),
        "No such billing account",
    )
    values: dict[str, Any] = {
        name: getattr(change, name) for name in GROUPS if name in change.model_fields_set
    }  # in the form's order
    changed = [name for name, value in values.items() if getattr(account, name) != value]
    method = values.get("payment_method", account.payment_method)
    iban = values.get("iban", account.iban)
    if method is PaymentMethod.sepa_direct_debit and not iban:
        raise ValidationFailed(
            "SEPA direct debit needs an IBAN", details=[{"field": "iban", "reason": "required"}]
        )
    for name in changed:
        setattr(account, name, values[name])
    await session.flush()
    groups = list(dict.fromkeys(GROUPS[name] for name in changed))
    if groups:
        await notify_billing_account_changed(session, now, account, groups)
    return account
