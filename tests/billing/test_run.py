"""The monthly billing run: arithmetic, idempotency, resumption and gap-free numbering."""

import asyncio
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from linedesk.billing.models import InvoiceLineKind, InvoiceStatus
from linedesk.billing.service import issue_invoices
from linedesk.db import create_sessionmaker
from linedesk.errors import ValidationFailed
from linedesk.inventory.models import BillingAccount
from tests.billing.conftest import OCTOBER, BillingWorld, add_account, add_line, invoice_lines
from tests.billing.conftest import invoices as all_invoices
from tests.conftest import NOW
from tests.factories import make_world


async def test_invoice_bills_fees_pro_rata_extra_traffic_concession_tax_and_vat(
    session: AsyncSession, billing_world: BillingWorld
) -> None:
    summary = await issue_invoices(session, NOW, OCTOBER)
    await session.commit()

    assert (summary.issued, summary.invoice_lines) == (1, 6)
    [invoice] = await all_invoices(session)
    lines = await invoice_lines(session, invoice)
    by_kind = sorted((line.msisdn, line.kind, line.amount) for line in lines)
    numbers = billing_world.numbers
    assert by_kind == sorted(
        [
            (numbers["mobile"], InvoiceLineKind.fee, Decimal("19.99")),
            (numbers["mobile"], InvoiceLineKind.out_of_bundle, Decimal("3.46")),  # 3.456789
            (numbers["mobile"], InvoiceLineKind.concession_tax, Decimal("12.91")),
            (numbers["mobile_2"], InvoiceLineKind.fee, Decimal("19.99")),
            (numbers["mobile_2"], InvoiceLineKind.concession_tax, Decimal("12.91")),
            (numbers["fixed"], InvoiceLineKind.fee, Decimal("16.45")),  # 30.00 × 17/31 days
        ]
    )
    # VAT 22% on the taxable total only (59.89 × 0.22 = 13.1758); the tax is outside it.
    assert invoice.taxable_amount == Decimal("59.89")
    assert invoice.vat_amount == Decimal("13.18")
    assert invoice.exempt_amount == Decimal("25.82")
    assert (
        invoice.total_amount
        == Decimal("98.89")
        == sum((line.amount for line in lines), Decimal(0)) + invoice.vat_amount
    )
    tax_lines = [line for line in lines if line.kind is InvoiceLineKind.concession_tax]
    assert {(line.vat_rate, line.vat_nature) for line in tax_lines} == {(Decimal(0), "N1")}
    assert (invoice.number, invoice.status) == ("2026/000001", InvoiceStatus.issued)
    assert (invoice.period, invoice.issue_date, invoice.due_date) == (
        OCTOBER,
        date(2026, 11, 20),
        date(2026, 12, 20),
    )
    assert invoice.company_id == billing_world.company_id


async def test_running_a_month_twice_issues_nothing_new(
    session: AsyncSession, billing_world: BillingWorld
) -> None:
    first = await issue_invoices(session, NOW, OCTOBER)
    await session.commit()
    again = await issue_invoices(session, NOW, OCTOBER)
    await session.commit()

    assert (first.issued, again.issued, again.already_invoiced) == (1, 0, 1)
    assert len(await all_invoices(session)) == 1


async def _accounts(session: AsyncSession, count: int) -> None:
    world = await make_world(session, name="Verdi Logistica S.r.l.", lines=1)
    for _ in range(count - 1):
        code = await add_account(session, world["vat"])
        await add_line(session, code, world["offer"])
    await session.commit()


async def test_a_run_killed_halfway_completes_on_the_next_without_duplicates_or_gaps(
    session: AsyncSession,
) -> None:
    await _accounts(session, 5)
    commits = 0

    async def commit_then_die() -> None:
        nonlocal commits
        if commits == 2:  # the process dies before the third chunk is committed
            raise KeyboardInterrupt
        commits += 1
        await session.commit()

    with pytest.raises(KeyboardInterrupt):
        await issue_invoices(session, NOW, OCTOBER, chunk_size=1, commit=commit_then_die)
    await session.rollback()
    assert len(await all_invoices(session)) == 2

    resumed = await issue_invoices(session, NOW, OCTOBER, chunk_size=2, commit=session.commit)
    assert (resumed.issued, resumed.already_invoiced) == (3, 2)
    issued = await all_invoices(session)
    assert [invoice.sequence for invoice in issued] == [1, 2, 3, 4, 5]
    assert len({invoice.billing_account_id for invoice in issued}) == 5


async def test_numbers_continue_through_the_year_across_months(session: AsyncSession) -> None:
    await _accounts(session, 2)
    await issue_invoices(session, NOW, date(2026, 9, 1))
    await issue_invoices(session, NOW, OCTOBER)
    await session.commit()
    assert [i.number for i in await all_invoices(session)] == [
        "2026/000001",
        "2026/000002",
        "2026/000003",
        "2026/000004",
    ]


async def test_only_an_ended_month_can_be_billed(session: AsyncSession) -> None:
    with pytest.raises(ValidationFailed):
        await issue_invoices(session, NOW, date(2026, 11, 1))


async def test_concurrent_runs_number_without_gaps(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    """Two runs at once on different accounts (PostgreSQL: a row lock on the sequence;
    SQLite: its single writer)."""
    await _accounts(session, 12)
    ids = sorted(await session.scalars(select(BillingAccount.id)))
    maker = create_sessionmaker(engine)

    async def run(part: list[int]) -> int:
        async with maker() as own:
            summary = await issue_invoices(
                own, NOW, OCTOBER, billing_account_ids=part, chunk_size=2, commit=own.commit
            )
            return summary.issued

    done = await asyncio.gather(run(ids[0::2]), run(ids[1::2]))
    assert sum(done) == 12
    assert sorted(i.sequence for i in await all_invoices(session)) == list(range(1, 13))


async def test_the_scheduled_run_bills_the_month_just_ended_once(session: AsyncSession) -> None:
    from linedesk.billing.tasks import bill_previous_month, previous_month

    assert previous_month(date(2026, 1, 15)) == date(2025, 12, 1)
    await _accounts(session, 3)
    first = await bill_previous_month(session, NOW, due_days=30, commit=session.commit)
    again = await bill_previous_month(session, NOW, due_days=30, commit=session.commit)
    assert (first.period, first.issued) == (OCTOBER, 3)
    assert (again.issued, again.already_invoiced) == (0, 3)
