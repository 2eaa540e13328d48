"""Usage rows written as the importer leaves them (test data setup, not a mock)."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.inventory.models import Line
from linedesk.usage.models import (
    DailyUsage,
    Destination,
    LineCounter,
    PrepaidBalance,
    UsageRecord,
    UsageType,
)
from tests.conftest import NOW

PERIOD = date(2026, 11, 1)  # NOW's month in Europe/Rome
_ids = iter(range(1, 10**6))


async def line_of(session: AsyncSession, msisdn: str) -> Line:
    return (await session.scalars(select(Line).where(Line.msisdn == msisdn))).one()


async def counter(
    session: AsyncSession,
    msisdn: str,
    *,
    data: int = 0,
    voice: int = 0,
    sms: int = 0,
    roaming: int = 0,
    charges: str = "0",
    period: date = PERIOD,
    updated_at: datetime = NOW,
) -> None:
    line = await line_of(session, msisdn)
    session.add(
        LineCounter(
            line_id=line.id,
            period=period,
            company_id=line.company_id,
            data_bytes=data,
            voice_seconds=voice,
            sms_count=sms,
            roaming_data_bytes=roaming,
            charges=Decimal(charges),
            roaming_charges=Decimal(0),
            updated_at=updated_at,
        )
    )
    await session.commit()


async def balance(session: AsyncSession, msisdn: str, amount: str) -> None:
    line = await line_of(session, msisdn)
    session.add(
        PrepaidBalance(
            line_id=line.id, company_id=line.company_id, balance=Decimal(amount), updated_at=NOW
        )
    )
    await session.commit()


async def day(
    session: AsyncSession,
    msisdn: str,
    on: date,
    usage_type: UsageType,
    quantity: int,
    charge: str = "0",
) -> None:
    line = await line_of(session, msisdn)
    session.add(
        DailyUsage(
            line_id=line.id,
            day=on,
            usage_type=usage_type,
            company_id=line.company_id,
            quantity=quantity,
            charge=Decimal(charge),
        )
    )
    await session.commit()


async def record(
    session: AsyncSession,
    msisdn: str,
    started_at: datetime,
    usage_type: UsageType,
    quantity: int,
    charge: str = "0",
    destination: Destination = Destination.national,
) -> None:
    line = await line_of(session, msisdn)
    session.add(
        UsageRecord(
            company_id=line.company_id,
            line_id=line.id,
            record_id=f"r-{next(_ids)}",
            started_at=started_at,
            period=started_at.date().replace(day=1),
            day=started_at.date(),
            usage_type=usage_type,
            destination=destination,
            quantity=quantity,
            in_bundle=quantity if charge == "0" else 0,
            charge=Decimal(charge),
            imported_at=NOW,
        )
    )
    await session.commit()
