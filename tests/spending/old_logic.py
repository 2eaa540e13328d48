"""The spending trend's figures as they were computed before the roll-ups (issue 6), straight
from the invoice lines, the invoices and the inventory: what the roll-ups must equal to the
cent."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.charges import CONCESSION_TAX, month_end, prorated_fee
from linedesk.billing.models import Invoice, InvoiceLine
from linedesk.inventory.models import BillingAccount, Line, LineStatus, Offer, PaymentMode
from linedesk.kit.money import round_cents
from linedesk.kit.phone import LineKind
from linedesk.usage.models import LineCounter

ZERO = Decimal("0.00")


async def by_month_and_kind(
    session: AsyncSession, company_id: int, first: date, last: date
) -> dict[tuple[date, LineKind], Decimal]:
    statement = (
        select(InvoiceLine.end_date, Line.kind, func.sum(InvoiceLine.amount))
        .join(Line, Line.id == InvoiceLine.line_id)
        .where(
            InvoiceLine.company_id == company_id,
            InvoiceLine.end_date >= first,
            InvoiceLine.end_date <= month_end(last),
        )
        .group_by(InvoiceLine.end_date, Line.kind)
    )
    out: dict[tuple[date, LineKind], Decimal] = defaultdict(lambda: ZERO)
    for end, kind, amount in await session.execute(statement):
        out[end.replace(day=1), kind] += amount
    return dict(out)


async def by_billing_account(
    session: AsyncSession, company_id: int, first: date, last: date
) -> dict[tuple[date, str], Decimal]:
    statement = (
        select(
            Invoice.period,
            BillingAccount.code,
            func.sum(Invoice.taxable_amount + Invoice.exempt_amount),
        )
        .join(BillingAccount, BillingAccount.id == Invoice.billing_account_id)
        .where(Invoice.company_id == company_id, Invoice.period >= first, Invoice.period <= last)
        .group_by(Invoice.period, BillingAccount.code)
    )
    return {(period, code): amount for period, code, amount in await session.execute(statement)}


async def by_line(
    session: AsyncSession, company_id: int, first: date, last: date
) -> dict[str, Decimal]:
    statement = (
        select(Line.msisdn, func.sum(InvoiceLine.amount))
        .join(Line, Line.id == InvoiceLine.line_id)
        .where(
            InvoiceLine.company_id == company_id,
            InvoiceLine.end_date >= first,
            InvoiceLine.end_date <= month_end(last),
        )
        .group_by(Line.msisdn)
    )
    return {msisdn: amount for msisdn, amount in await session.execute(statement)}


async def estimate(
    session: AsyncSession, company_id: int, period: date
) -> dict[tuple[str, LineKind], Decimal]:
    """The current month per billing account (code) and kind, from the inventory."""
    end = month_end(period)
    billable = and_(
        Line.company_id == company_id,
        Line.status != LineStatus.ceased,
        Line.payment_mode == PaymentMode.postpaid,
        Line.activation_date <= end,
    )
    statement = (
        select(
            BillingAccount.code,
            Line.kind,
            func.coalesce(func.sum(Offer.monthly_fee).filter(Line.activation_date <= period), 0),
            func.count().filter(Line.kind == LineKind.mobile),
            func.coalesce(func.sum(LineCounter.charges), 0),
        )
        .join(Offer, Offer.id == Line.offer_id)
        .join(BillingAccount, BillingAccount.id == Line.billing_account_id)
        .outerjoin(LineCounter, and_(LineCounter.line_id == Line.id, LineCounter.period == period))
        .where(billable)
        .group_by(BillingAccount.code, Line.kind)
    )
    out: dict[tuple[str, LineKind], Decimal] = defaultdict(lambda: ZERO)
    for code, kind, full, mobile, charges in await session.execute(statement):
        out[code, kind] += full + CONCESSION_TAX * mobile + round_cents(charges)
    started = (
        select(BillingAccount.code, Line.kind, Offer.monthly_fee, Line.activation_date)
        .join(Offer, Offer.id == Line.offer_id)
        .join(BillingAccount, BillingAccount.id == Line.billing_account_id)
        .where(billable, Line.activation_date > period)
    )
    for code, kind, fee, activation in await session.execute(started):
        out[code, kind] += prorated_fee(fee, activation, period)
    return dict(out)
