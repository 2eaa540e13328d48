"""Test data through the real service layer (no hand-written rows)."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.inventory.schemas import BillingAccountCreate, CompanyCreate, LineCreate, OfferCreate
from linedesk.inventory.service import RESOURCES, ImportContext, create_one
from linedesk.kit.tax_ids import iccid_with_check_digit, vat_with_check_digit
from tests.conftest import NOW, TEST_SECRET

CTX = ImportContext(secret_key=TEST_SECRET, now=NOW)
_counter = iter(range(1, 10**6))


def vat(n: int | None = None) -> str:
    return vat_with_check_digit(f"{n or next(_counter):07d}001")


def iccid(n: int | None = None) -> str:
    return iccid_with_check_digit(f"893901{n or next(_counter):012d}")


def company_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Rossi Impianti S.r.l.",
        "vat_number": vat(),
        "segment": "sme",
        "address_street": "Via Roma 1",
        "address_postal_code": "40121",
        "address_city": "Bologna",
        "address_province": "BO",
        "contact_email": "amministrazione@rossi-impianti.it",
        "sdi_code": "M5UXCR1",
    }
    return data | overrides


def offer_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "code": f"OFF-{next(_counter)}",
        "name": "Business Test",
        "kind": "mobile",
        "monthly_fee": "19.99",
        "data_mb": 50000,
        "voice_minutes": None,
        "sms": 100,
        "rate_data_per_mb": "0.01",
        "rate_voice_per_minute": "0.19",
        "rate_sms": "0.19",
    }
    return data | overrides


def account_data(company_vat: str, **overrides: Any) -> dict[str, Any]:
    data = {
        "company_vat_number": company_vat,
        "code": f"BA-{next(_counter)}",
        "payment_method": "bank_transfer",
        "address_street": "Via Roma 1",
        "address_postal_code": "40121",
        "address_city": "Bologna",
        "address_province": "BO",
        "invoice_email": "fatture@example.it",
    }
    return data | overrides


def mobile_number(n: int | None = None) -> str:
    return f"+39347{(n or next(_counter)):07d}"


def line_data(account_code: str, offer_code: str, **overrides: Any) -> dict[str, Any]:
    data = {
        "msisdn": mobile_number(),
        "kind": "mobile",
        "billing_account_code": account_code,
        "offer_code": offer_code,
        "activation_date": "2024-03-01",
        "iccid": iccid(),
        "puk": "87654321",
        "holder_name": "Giulia Rossi",
    }
    return data | overrides


async def make_company(session: AsyncSession, **overrides: Any) -> int:
    return await create_one(
        session, RESOURCES["companies"], CompanyCreate(**company_data(**overrides)), CTX
    )


async def make_world(
    session: AsyncSession, name: str = "Rossi Impianti S.r.l.", lines: int = 2
) -> dict[str, Any]:
    """A company with one billing account, one mobile offer and `lines` mobile lines."""
    company = CompanyCreate(**company_data(name=name))
    company_id = await create_one(session, RESOURCES["companies"], company, CTX)
    offer = OfferCreate(**offer_data())
    await create_one(session, RESOURCES["offers"], offer, CTX)
    account = BillingAccountCreate(**account_data(company.vat_number))
    await create_one(session, RESOURCES["billing-accounts"], account, CTX)
    numbers = []
    for _ in range(lines):
        line = LineCreate(**line_data(account.code, offer.code))
        await create_one(session, RESOURCES["lines"], line, CTX)
        numbers.append(line.msisdn)
    await session.commit()
    return {
        "company_id": company_id,
        "vat": company.vat_number,
        "account": account.code,
        "offer": offer.code,
        "numbers": numbers,
    }


async def make_user(
    session: AsyncSession,
    world: dict[str, Any],
    *,
    profile: str = "employee",
    username: str | None = None,
    password: str = "Correct-Horse-Battery-9",
    email: str | None = None,
    password_hash: str | None = None,
) -> int:
    """A user of the world's company; an employee's username is their line's number.
    `password_hash` (of `password`, made once) spares the argon2 work in bulk."""
    from sqlalchemy import select

    from linedesk.identity.models import Profile, User
    from linedesk.identity.passwords import PasswordHasher
    from linedesk.inventory.models import Line

    main_line_id = None
    if profile == "employee":
        username = username or world["numbers"][0]
        main_line_id = await session.scalar(select(Line.id).where(Line.msisdn == username))
    if password_hash is None:
        hasher = PasswordHasher(1)
        try:
            password_hash = await hasher.hash(password, username=username)
        finally:
            hasher.close()
    user = User(
        company_id=world["company_id"],
        profile=Profile(profile),
        username=username,
        email=email,
        main_line_id=main_line_id,
        password_hash=password_hash,
        language="it",
        created_at=NOW,
    )
    session.add(user)
    await session.commit()
    return user.id
