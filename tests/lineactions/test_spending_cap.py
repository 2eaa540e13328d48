"""The spending cap (R-L4): usage that crosses 80 % and then 100 % of the cap tells the
holder and the managers once and asks the network to bar once; the new month lifts it."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polars as pl
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.alerts.service import Thresholds
from linedesk.audit.models import AuditEvent
from linedesk.inventory.models import Line
from linedesk.lineactions.caps import cap_steps, may_reach_cap, usage_hook
from linedesk.lineactions.models import CapStep, LineControl, LineRequest, RequestKind
from linedesk.lineactions.periods import start_line_periods
from linedesk.messaging.models import Channel, OutboxMessage
from linedesk.notifications.models import Notification, NotificationKind
from linedesk.usage.schemas import UsageRecordIn
from linedesk.usage.service import import_records
from tests.conftest import NOW
from tests.factories import make_user, make_world

MINUTE = 60  # international calls cost 0.19 a minute, all chargeable


def test_steps_at_80_and_100_percent() -> None:
    cap = Decimal("10.00")
    assert cap_steps(cap, Decimal("7.99"), Decimal("8.00")) == [CapStep.warned]
    assert cap_steps(cap, Decimal("8.00"), Decimal("9.99")) == []
    assert cap_steps(cap, Decimal("9.99"), Decimal("10.00")) == [CapStep.barred]
    assert cap_steps(cap, Decimal("1.00"), Decimal("12.00")) == [CapStep.barred]


async def _call(session: AsyncSession, msisdn: str, n: int, minutes: int) -> None:
    at = NOW + timedelta(minutes=n)
    record = UsageRecordIn(
        record_id=f"cap-{n}",
        line=msisdn,
        started_at=at - timedelta(minutes=1),
        type="voice",
        quantity=minutes * MINUTE,
        destination="international",
    )
    await import_records(session, at, [(1, record)], on_counters=usage_hook(Thresholds()))
    await session.commit()


async def _requests(session: AsyncSession, line_id: int) -> list[RequestKind]:
    rows = await session.scalars(
        select(LineRequest.kind).where(LineRequest.line_id == line_id).order_by(LineRequest.id)
    )
    return list(rows)


async def test_the_cap_alerts_once_bars_once_and_the_new_month_lifts_the_bar(
    session: AsyncSession,
) -> None:
    world = await make_world(session, lines=1)
    [msisdn] = world["numbers"]
    await make_user(session, world, profile="user_admin", username="admin", email="a@example.it")
    line = await session.scalar(select(Line).where(Line.msisdn == msisdn))
    assert line is not None
    session.add(
        LineControl(line_id=line.id, company_id=line.company_id, spending_cap=Decimal("10.00"))
    )
    await session.commit()

    await _call(session, msisdn, 1, 42)  # 7.98: below 80 %
    await _call(session, msisdn, 2, 1)  # 8.17: 80 %
    await _call(session, msisdn, 3, 1)  # 8.36
    assert await _requests(session, line.id) == []
    await _call(session, msisdn, 4, 10)  # 10.26: 100 %
    await _call(session, msisdn, 5, 5)  # 11.21
    assert await _requests(session, line.id) == [RequestKind.bar]

    sms = await session.scalars(
        select(OutboxMessage.template)
        .where(OutboxMessage.channel == Channel.sms, OutboxMessage.recipient == msisdn)
        .order_by(OutboxMessage.id)
    )
    assert [t for t in sms if t.startswith("spending_cap")] == [
        "spending_cap_80",
        "spending_cap_100",
    ]
    notified = await session.scalars(select(Notification.kind).order_by(Notification.id))
    assert list(notified) == [
        NotificationKind.spending_cap_warning,
        NotificationKind.spending_cap_reached,
    ]
    emails = await session.scalars(
        select(OutboxMessage.template).where(OutboxMessage.recipient == "a@example.it")
    )
    assert sorted(emails) == [
        "notification_spending_cap_reached",
        "notification_spending_cap_warning",
    ]

    # The network barred it; in November nothing is lifted, on 1 December once.
    control = await session.get_one(LineControl, line.id)
    control.cap_barred = True
    await session.commit()
    assert (await start_line_periods(session, NOW)).bars_lifted == 0
    december = datetime(2026, 12, 1, 0, 5, tzinfo=UTC)
    assert (await start_line_periods(session, december)).bars_lifted == 1
    assert (await start_line_periods(session, december + timedelta(hours=1))).bars_lifted == 0
    await session.commit()
    assert await _requests(session, line.id) == [RequestKind.bar, RequestKind.unbar]
    audit = await session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))
    assert [a for a in audit if a.startswith("spending_cap")] == [
        "spending_cap_warned",
        "spending_cap_barred",
        "spending_cap_lifted",
    ]


async def test_the_caps_pick_in_columns_only_the_line_periods_that_cross_a_step(
    session: AsyncSession,
) -> None:
    """`may_reach_cap` picks, from a batch's counters as columns, the line periods where
    `cap_steps` finds a step: not a charged line with no cap, nor one that stays between
    steps. Charges in micro-euros, as in `usage.batch.Totals.counters`."""
    world = await make_world(session, lines=3)
    lines = list(await session.scalars(select(Line).order_by(Line.id)))
    capped, between, uncapped = lines
    for line in (capped, between):
        session.add(
            LineControl(line_id=line.id, company_id=line.company_id, spending_cap=Decimal("10"))
        )
    await session.commit()
    assert len(world["numbers"]) == 3
    euro = 1_000_000
    sums = pl.DataFrame(
        {
            "line_id": [capped.id, capped.id, between.id, uncapped.id],
            "period": [NOW.date().replace(day=1)] * 2 + [NOW.date()] * 2,
            "c_charges": [7 * euro, None, 8 * euro, 9 * euro],
            "charges": [1 * euro, 10 * euro, euro // 2, 5 * euro],
        }
    )
    picked = await may_reach_cap(session, sums)
    assert picked.to_list() == [True, True, False, False]
    assert cap_steps(Decimal(10), Decimal(7), Decimal(8)) == [CapStep.warned]
    assert cap_steps(Decimal(10), Decimal(8), Decimal("8.5")) == []
