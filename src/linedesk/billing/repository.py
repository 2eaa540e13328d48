"""Every query of the billing run, and the invoice by its number (the back office reads every
company's invoices: no scope)."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.charges import BillableLine, OfferFee, month_end
from linedesk.billing.models import Invoice, InvoiceSequence
from linedesk.inventory.models import (
    BillingAccount,
    Line,
    LineOfferChange,
    LineStatus,
    Offer,
    PaymentMode,
)
from linedesk.kit.bulk import dialect_insert
from linedesk.usage.models import LineCounter


class BillingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def account_ids(self, only: Sequence[int] | None) -> list[int]:
        query = select(BillingAccount.id).order_by(BillingAccount.id)
        if only is not None:
            query = query.where(BillingAccount.id.in_(list(only)))
        return list(await self.session.scalars(query))

    async def offers(self) -> dict[int, OfferFee]:
        rows = await self.session.execute(select(Offer.id, Offer.name, Offer.monthly_fee))
        return {offer_id: OfferFee(name, fee) for offer_id, name, fee in rows}

    async def invoiced(self, accounts: Sequence[int], period: date) -> set[int]:
        rows = await self.session.scalars(
            select(Invoice.billing_account_id).where(
                Invoice.period == period, Invoice.billing_account_id.in_(list(accounts))
            )
        )
        return set(rows)

    async def billable_lines(self, accounts: Sequence[int], period: date) -> list[BillableLine]:
        """Postpaid lines not ceased and activated by the month's end. Prepaid lines pay as
        they go from their credit, and a prepaid SIM owes no concession tax: nothing to
        invoice."""
        rows = await self.session.execute(
            select(
                Line.id,
                Line.company_id,
                Line.billing_account_id,
                Line.msisdn,
                Line.kind,
                Line.activation_date,
                Line.offer_id,
            )
            .where(
                Line.billing_account_id.in_(list(accounts)),
                Line.status != LineStatus.ceased,
                Line.payment_mode == PaymentMode.postpaid,
                Line.activation_date <= month_end(period),
            )
            .order_by(Line.billing_account_id, Line.msisdn)
        )
        lines = [BillableLine(*row) for row in rows]
        offers = await self.offers_in(period, accounts)
        return [
            replace(line, offer_id=offers[line.id]) if line.id in offers else line for line in lines
        ]

    async def offers_in(self, period: date, accounts: Sequence[int]) -> dict[int, int]:
        """The offer of each line of `accounts` in the month `period` starts, where its
        offer history (R-L5) says other than `lines.offer_id`: the latest change that started
        by then or, before its first change, the offer it had before it."""
        rows = await self.session.execute(
            select(
                LineOfferChange.line_id,
                LineOfferChange.effective_from,
                LineOfferChange.offer_id,
                LineOfferChange.previous_offer_id,
            )
            .join(Line, Line.id == LineOfferChange.line_id)
            .where(Line.billing_account_id.in_(list(accounts)))
            .order_by(LineOfferChange.line_id, LineOfferChange.effective_from)
        )
        out: dict[int, int] = {}
        for line_id, effective_from, offer_id, previous_offer_id in rows:
            if effective_from <= period:
                out[line_id] = offer_id
            else:
                out.setdefault(line_id, previous_offer_id)
        return out

    async def usage_charges(self, accounts: Sequence[int], period: date) -> dict[int, Decimal]:
        rows = await self.session.execute(
            select(LineCounter.line_id, LineCounter.charges)
            .join(Line, Line.id == LineCounter.line_id)
            .where(Line.billing_account_id.in_(list(accounts)), LineCounter.period == period)
        )
        return {line_id: charges for line_id, charges in rows}

    async def lock_sequence(self, year: int) -> int:
        """The year's last number, its row locked until the transaction ends (PostgreSQL:
        SELECT … FOR UPDATE; SQLite has a single writer, taken by the INSERT)."""
        await self.session.execute(
            dialect_insert(self.session, InvoiceSequence)
            .values(year=year, last_number=0)
            .on_conflict_do_nothing(index_elements=["year"])
        )
        last = await self.session.scalar(
            select(InvoiceSequence.last_number)
            .where(InvoiceSequence.year == year)
            .with_for_update()
        )
        assert last is not None
        return last

    async def set_last_number(self, year: int, last: int) -> None:
        await self.session.execute(
            update(InvoiceSequence).where(InvoiceSequence.year == year).values(last_number=last)
        )

    async def insert_invoices(self, rows: list[dict[str, Any]]) -> dict[int, int]:
        """The new invoices' ids by billing account."""
        inserted = await self.session.execute(
            insert(Invoice).returning(Invoice.id, Invoice.billing_account_id), rows
        )
        return {account_id: invoice_id for invoice_id, account_id in inserted}

    async def by_number(self, year: int, sequence: int) -> Invoice | None:
        return await self.session.scalar(
            select(Invoice).where(Invoice.year == year, Invoice.sequence == sequence)
        )
