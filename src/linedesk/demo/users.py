"""The demo's people, with known credentials printed at start and in the README."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.identity.models import Profile, User
from linedesk.identity.passwords import PasswordHasher
from linedesk.inventory.models import Company, Line, Offer, PaymentMode, Segment, Sim

DEMO_PASSWORD = "Prova-Linedesk-42!"
SME_DATA_ONLY_PUK = "12345678"  # the PUK of the SME's data-only SIMs (demo.service plants it)


@dataclass(frozen=True)
class DemoCredential:
    label: str
    username: str
    password: str = DEMO_PASSWORD


async def _first_voice_line(session: AsyncSession, segment: Segment) -> Line | None:
    """The first postpaid mobile line with a voice SIM and a data allowance (so its gauges
    show something) of the first company of a segment."""
    return await session.scalar(
        select(Line)
        .join(Company, Company.id == Line.company_id)
        .join(Sim, (Sim.line_id == Line.id) & Sim.replaced_at.is_(None))
        .join(Offer, Offer.id == Line.offer_id)
        .where(
            Company.segment == segment,
            Line.payment_mode == PaymentMode.postpaid,
            Sim.data_only.is_(False),
            Offer.data_mb.is_not(None),
        )
        .order_by(Company.id, Line.id)
        .limit(1)
    )


async def create_demo_users(session: AsyncSession, now: datetime) -> None:
    sme_line = await _first_voice_line(session, Segment.sme)
    large_line = await _first_voice_line(session, Segment.large)
    assert sme_line is not None
    sme = await session.get(Company, sme_line.company_id)
    assert sme is not None
    hasher = PasswordHasher(1)
    try:
        password_hash = await hasher.hash(DEMO_PASSWORD)
    finally:
        hasher.close()
    people = [
        User(
            company_id=sme.id,
            profile=Profile.employee,
            username=sme_line.msisdn,
            main_line_id=sme_line.id,
            email=None,
        ),
        User(
            company_id=sme.id,
            profile=Profile.user_admin,
            username="admin.bellini",
            email=sme.contact_email,
        ),
        User(
            company_id=sme.id,
            profile=Profile.telco_manager,
            username="telco.bellini",
            email="telco@bellini-arredamenti.it",
        ),
    ]
    if large_line is not None:
        people.append(
            User(
                company_id=large_line.company_id,
                profile=Profile.employee,
                username=large_line.msisdn,
                main_line_id=large_line.id,
            )
        )
    for person in people:
        person.password_hash, person.language = password_hash, "it"
        person.created_at = person.password_changed_at = now
        session.add(person)
    await session.flush()


@dataclass(frozen=True)
class DemoDataOnlySim:
    """A data-only SIM of the SME, to try registration by PUK and e-mail (no SMS reaches it)."""

    msisdn: str
    puk: str


async def demo_data_only_sim(session: AsyncSession) -> DemoDataOnlySim | None:
    msisdn = await session.scalar(
        select(Line.msisdn)
        .join(Company, Company.id == Line.company_id)
        .join(Sim, (Sim.line_id == Line.id) & Sim.replaced_at.is_(None))
        .where(Company.segment == Segment.sme, Sim.data_only.is_(True))
        .order_by(Line.id)
        .limit(1)
    )
    return DemoDataOnlySim(msisdn, SME_DATA_ONLY_PUK) if msisdn else None


async def demo_credentials(session: AsyncSession) -> list[DemoCredential]:
    """Who can sign in to the demo (empty when the demo data is not loaded)."""
    labels = {"admin.bellini": "SME user admin", "telco.bellini": "SME telco manager"}
    rows = (
        await session.execute(
            select(User.username, User.profile, Company.segment)
            .join(Company, Company.id == User.company_id)
            .where(User.created_by_id.is_(None))
            .order_by(User.id)
            .limit(4)
        )
    ).all()
    out = []
    for username, profile, segment in rows:
        if profile is Profile.employee:
            label = f"{'SME' if segment is Segment.sme else 'large enterprise'} employee"
        else:
            label = labels.get(username, profile.value)
        out.append(DemoCredential(label, username))
    return out
