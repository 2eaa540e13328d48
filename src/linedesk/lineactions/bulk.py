"""Bulk line actions (SPEC R-L6): a manager's CSV of actions, one row per line,
`msisdn,action,value`:

| action | value |
|---|---|
| `block` | `lost` or `stolen` |
| `roaming`, `international_calls`, `premium_services`, `mobile_data` | `on` or `off` |
| `spending_cap` | an amount in EUR (`50` or `50.00`), or empty to remove it |
| `offer` | an offer code of `GET /offers` |

The whole file is checked first by the very operations of the single actions (who may act
on which line, data-only SIMs, open requests): any bad row rejects the file, every bad row
named with its line number (`ImportRejected`); the edge then rolls the transaction back, so
nothing is applied. Otherwise each row is one request. Flushes only."""

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.errors import LinedeskError, ValidationFailed
from linedesk.identity.principal import Principal
from linedesk.identity.service import AuthContext
from linedesk.inventory.service import ImportRejected
from linedesk.kit.csvfile import RowError, validate_file
from linedesk.kit.schemas import CreateSchema, one_line
from linedesk.lineactions import service
from linedesk.lineactions.models import BlockReason, LineRequest
from linedesk.lineactions.requests import manager_only
from linedesk.lineactions.schemas import ServicesUpdate

SWITCHES = {"on": True, "off": False, "si": True, "sì": True, "no": False}


class BulkAction(StrEnum):
    block = "block"
    roaming = "roaming"
    international_calls = "international_calls"
    premium_services = "premium_services"
    mobile_data = "mobile_data"
    spending_cap = "spending_cap"
    offer = "offer"


class BulkRow(CreateSchema):
    msisdn: Annotated[str, one_line(min_length=3, max_length=20)]
    action: BulkAction
    value: Annotated[str, one_line(max_length=40)] | None = None


def _switch(value: str | None) -> bool:
    if value is None or value.lower() not in SWITCHES:
        raise ValidationFailed("give on or off", details=[{"field": "value"}])
    return SWITCHES[value.lower()]


def _amount(value: str | None) -> Decimal | None:
    if value is None or value.lower() in ("none", "nessuno"):
        return None
    try:
        amount = Decimal(value.replace(",", "."))
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or amount <= 0 or amount >= 10**8:
        raise ValidationFailed("give an amount in EUR, or leave it empty to remove the cap")
    return amount.quantize(Decimal("0.01"))


async def _act(
    session: AsyncSession,
    ctx: AuthContext,
    principal: Principal,
    row: BulkRow,
    offers: dict[str, int],
) -> LineRequest:
    action, msisdn = row.action, row.msisdn
    if action is BulkAction.block:
        if row.value not in {reason.value for reason in BlockReason}:
            raise ValidationFailed("give lost or stolen")
        return await service.block(session, ctx, principal, msisdn, BlockReason(row.value))
    if action is BulkAction.spending_cap:
        amount = _amount(row.value)
        return await service.set_spending_cap(session, ctx, principal, msisdn, amount)
    if action is BulkAction.offer:
        if row.value not in offers:
            raise ValidationFailed("no such offer in the catalogue")
        return await service.change_offer(session, ctx, principal, msisdn, offers[row.value])
    update = ServicesUpdate.model_validate({action.value: _switch(row.value)})
    return await service.set_services(session, ctx, principal, msisdn, update)


async def apply_file(
    session: AsyncSession, ctx: AuthContext, principal: Principal, text: str
) -> Sequence[LineRequest]:
    """Check every row of the file, then one request per row; any bad row: nothing."""
    manager_only(principal)
    items, errors = validate_file(BulkRow, text)
    offers = {offer.code: offer.id for offer in await service.offers_for(session, principal)}
    seen: dict[str, int] = {}
    done: list[LineRequest] = []
    for row, item in items:
        if (first := seen.setdefault(item.msisdn, row)) != row:
            errors.append(RowError(row, f"this line is already in row {first}", "msisdn"))
            continue
        try:
            done.append(await _act(session, ctx, principal, item, offers))
        except LinedeskError as exc:
            field = (exc.details or [{}])[0].get("field") or "value"
            errors.append(RowError(row, exc.message, field))
    if errors:
        raise ImportRejected(errors)
    return done
