"""What a line costs in a billed month, and an invoice's totals: pure arithmetic, no database.

Amounts are rounded to the cent line by line; VAT is computed once on the invoice's taxable
total, as FatturaPA's DatiRiepilogo does, so the XML's summary equals the stored figures."""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from linedesk.billing.models import InvoiceLineKind
from linedesk.kit.money import round_cents
from linedesk.kit.phone import LineKind

VAT_RATE = Decimal("22.00")
NO_VAT = Decimal("0.00")
# Tassa di concessione governativa on business mobile subscriptions, per line and month.
CONCESSION_TAX = Decimal("12.91")
CONCESSION_TAX_NATURE = "N1"  # excluded from the VAT base, art. 15 DPR 633/72
ONE = Decimal("1.00")


@dataclass(frozen=True)
class BillableLine:
    id: int
    company_id: int
    billing_account_id: int
    msisdn: str
    kind: LineKind
    activation_date: date
    offer_id: int


@dataclass(frozen=True)
class OfferFee:
    name: str
    monthly_fee: Decimal


@dataclass(frozen=True)
class DraftLine:
    line_id: int | None
    msisdn: str | None
    description: str
    kind: InvoiceLineKind
    start_date: date
    end_date: date
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    vat_rate: Decimal
    vat_nature: str | None


@dataclass(frozen=True)
class Totals:
    taxable: Decimal
    vat: Decimal
    exempt: Decimal

    @property
    def total(self) -> Decimal:
        return self.taxable + self.vat + self.exempt


def month_end(period: date) -> date:
    return period.replace(day=calendar.monthrange(period.year, period.month)[1])


def prorated_fee(fee: Decimal, activation: date, period: date) -> Decimal:
    """The month's fee, for the days from activation when the line started in the month."""
    end = month_end(period)
    if activation <= period:
        return round_cents(fee)
    days = (end - activation).days + 1
    return round_cents(fee * days / end.day)


def _taxable(
    line: BillableLine,
    description: str,
    kind: InvoiceLineKind,
    start: date,
    end: date,
    amount: Decimal,
) -> DraftLine:
    return DraftLine(
        line.id, line.msisdn, description, kind, start, end, ONE, amount, amount, VAT_RATE, None
    )


def line_charges(
    line: BillableLine, offer: OfferFee, usage: Decimal, period: date
) -> list[DraftLine]:
    """The invoice lines of one postpaid line for the month `period` starts."""
    end = month_end(period)
    start = max(period, line.activation_date)
    if start > end:
        return []
    fee = prorated_fee(offer.monthly_fee, line.activation_date, period)
    label = f"Canone {offer.name} {line.msisdn}"
    if start > period:
        label += f" dal {start:%d/%m/%Y} ({(end - start).days + 1}/{end.day} giorni)"
    out = [_taxable(line, label, InvoiceLineKind.fee, start, end, fee)]
    extra = round_cents(usage)
    if extra > 0:
        out.append(
            _taxable(
                line,
                f"Traffico oltre soglia {line.msisdn}",
                InvoiceLineKind.out_of_bundle,
                start,
                end,
                extra,
            )
        )
    if line.kind is LineKind.mobile:
        out.append(
            DraftLine(
                line.id,
                line.msisdn,
                f"Tassa di concessione governativa {line.msisdn}",
                InvoiceLineKind.concession_tax,
                start,
                end,
                ONE,
                CONCESSION_TAX,
                CONCESSION_TAX,
                NO_VAT,
                CONCESSION_TAX_NATURE,
            )
        )
    return out


def totals(lines: Iterable[DraftLine]) -> Totals:
    taxable = exempt = Decimal("0.00")
    for line in lines:
        if line.vat_nature is None:
            taxable += line.amount
        else:
            exempt += line.amount
    return Totals(taxable, round_cents(taxable * VAT_RATE / 100), exempt)
