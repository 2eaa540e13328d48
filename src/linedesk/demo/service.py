"""Build the demo companies through the same import path as the back office."""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum import iban as stdnum_iban

from linedesk.alerts.service import Thresholds
from linedesk.billing.service import refresh_estimate
from linedesk.demo.invoices import load_demo_invoices
from linedesk.demo.names import (
    ADDRESSES,
    FIRST_NAMES,
    FIXED_AREAS,
    LARGE_COMPANY_NAMES,
    LAST_NAMES,
    MOBILE_PREFIXES,
)
from linedesk.demo.offers import OFFERS
from linedesk.demo.usage import load_demo_usage
from linedesk.demo.users import SME_DATA_ONLY_PUK, create_demo_users
from linedesk.inventory.models import PaymentMethod, PaymentMode, Segment
from linedesk.inventory.repository import CompanyRepository, OfferRepository
from linedesk.inventory.schemas import BillingAccountCreate, CompanyCreate, LineCreate
from linedesk.inventory.service import RESOURCES, ImportContext, import_items
from linedesk.kit.clock import ROME
from linedesk.kit.phone import LineKind
from linedesk.kit.repository import Scope
from linedesk.kit.tax_ids import iccid_with_check_digit, vat_with_check_digit

SME_VAT = "01234560017"  # fixed, so the demo's SME is easy to find and the load is re-runnable
SME_MOBILE_LINES = 30
SME_FIXED_LINES = 5
LINES_PER_LARGE_COMPANY = 10_000
LINES_PER_LARGE_ACCOUNT = 10
DEFAULT_LINES = 235


@dataclass
class DemoPlan:
    companies: list[CompanyCreate] = field(default_factory=list)
    accounts: list[BillingAccountCreate] = field(default_factory=list)
    lines: list[LineCreate] = field(default_factory=list)


@dataclass(frozen=True)
class DemoSummary:
    loaded: bool
    companies: int
    billing_accounts: int
    lines: int
    usage_records: int = 0
    invoices: int = 0


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.numbers: set[str] = set()
        self.iccid_serial = self.rng.randrange(10**9, 10**10)
        self.plan = DemoPlan()

    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def vat(self) -> str:
        office = f"{self.rng.randint(1, 100):03d}"
        return vat_with_check_digit(f"{self.rng.randrange(1, 10**7):07d}{office}")

    def mobile_number(self) -> str:
        while True:
            number = f"+39{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**7):07d}"
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    def fixed_number(self, province: str) -> str:
        area, digits = FIXED_AREAS[province]
        while True:
            number = f"+39{area}{self.rng.randrange(2 * 10 ** (digits - 1), 10**digits)}"
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    def iccid(self) -> str:
        self.iccid_serial += 1
        return iccid_with_check_digit(f"893901{self.iccid_serial:012d}")

    def puk(self) -> str:
        return f"{self.rng.randrange(10**8):08d}"

    def activation(self) -> date:
        return date(2019, 1, 1) + timedelta(days=self.rng.randrange(0, 2700))

    def company(
        self, name: str, vat: str, segment: Segment, address: tuple[str, ...], email_domain: str
    ) -> CompanyCreate:
        street, postal_code, city, province = address
        company = CompanyCreate(
            name=name,
            vat_number=vat,
            segment=segment,
            address_street=street,
            address_postal_code=postal_code,
            address_city=city,
            address_province=province,
            contact_email=f"amministrazione@{email_domain}",
            sdi_code="M5UXCR1",
        )
        self.plan.companies.append(company)
        return company

    def account(self, company: CompanyCreate, code: str, email_domain: str) -> str:
        method = self.rng.choice((PaymentMethod.sepa_direct_debit, PaymentMethod.bank_transfer))
        iban = f"IT00X0542811101{self.rng.randrange(10**12):012d}"
        self.plan.accounts.append(
            BillingAccountCreate(
                company_vat_number=company.vat_number,
                code=code,
                payment_method=method,
                iban=_iban_with_check(iban) if method is PaymentMethod.sepa_direct_debit else None,
                address_street=company.address_street,
                address_postal_code=company.address_postal_code,
                address_city=company.address_city,
                address_province=company.address_province,
                invoice_email=f"fatture@{email_domain}",
            )
        )
        return code

    def mobile_line(
        self,
        account: str,
        offer: str,
        *,
        prepaid: bool = False,
        data_only: bool = False,
        puk: str | None = None,
    ) -> None:
        self.plan.lines.append(
            LineCreate(
                msisdn=self.mobile_number(),
                kind=LineKind.mobile,
                billing_account_code=account,
                offer_code=offer,
                activation_date=self.activation(),
                holder_name=self.person(),
                payment_mode=PaymentMode.prepaid if prepaid else PaymentMode.postpaid,
                iccid=self.iccid(),
                puk=puk or self.puk(),
                data_only=data_only,
            )
        )

    def fixed_line(self, account: str, offer: str, province: str) -> None:
        self.plan.lines.append(
            LineCreate(
                msisdn=self.fixed_number(province),
                kind=LineKind.fixed,
                billing_account_code=account,
                offer_code=offer,
                activation_date=self.activation(),
            )
        )


def _iban_with_check(iban: str) -> str:
    return f"{iban[:2]}{stdnum_iban.calc_check_digits(iban)}{iban[4:]}"


def build_plan(total_lines: int = DEFAULT_LINES, seed: int = 1) -> DemoPlan:
    """The SME (35 lines) and large enterprises holding the rest, 10 lines per account."""
    gen = _Generator(seed)
    sme = gen.company(
        "Bellini Arredamenti S.r.l.", SME_VAT, Segment.sme, ADDRESSES[0], "bellini-arredamenti.it"
    )
    accounts = [gen.account(sme, f"BA-SME-{i:02d}", "bellini-arredamenti.it") for i in (1, 2, 3)]
    mobile_offers = ("BIZ-START", "BIZ-PRO", "BIZ-UNLIMITED")
    for i in range(SME_MOBILE_LINES):
        account = accounts[i % 3]
        if i < 5:
            gen.mobile_line(account, "BIZ-PREPAID", prepaid=True)
        elif i < 8:
            gen.mobile_line(account, "BIZ-DATA", data_only=True, puk=SME_DATA_ONLY_PUK)
        else:
            gen.mobile_line(account, gen.rng.choice(mobile_offers))
    for i in range(SME_FIXED_LINES):
        gen.fixed_line(accounts[i % 3], "FIX-FIBRA" if i == 0 else "FIX-VOICE", "BO")

    remaining = max(total_lines - SME_MOBILE_LINES - SME_FIXED_LINES, 0)
    index = 0
    while remaining > 0:
        size = min(remaining, LINES_PER_LARGE_COMPANY)
        name = LARGE_COMPANY_NAMES[index % len(LARGE_COMPANY_NAMES)]
        if index >= len(LARGE_COMPANY_NAMES):
            name = name.replace(" S.p.A.", f" {index // len(LARGE_COMPANY_NAMES) + 1} S.p.A.")
        domain = f"azienda{index + 1}.example.it"
        address = ADDRESSES[(index + 1) % len(ADDRESSES)]
        company = gen.company(name, _unique_vat(gen), Segment.large, address, domain)
        for start in range(0, size, LINES_PER_LARGE_ACCOUNT):
            account = gen.account(company, f"BA-L{index + 1:03d}-{start // 10 + 1:04d}", domain)
            for position in range(start, min(start + LINES_PER_LARGE_ACCOUNT, size)):
                if position % 20 == 19:
                    gen.fixed_line(account, "FIX-VOICE", address[3])
                else:
                    gen.mobile_line(account, gen.rng.choice(mobile_offers))
        remaining -= size
        index += 1
    return gen.plan


def _unique_vat(gen: _Generator) -> str:
    taken = {company.vat_number for company in gen.plan.companies}
    while (vat := gen.vat()) in taken:
        pass
    return vat


async def load_demo(
    session: AsyncSession,
    ctx: ImportContext,
    total_lines: int = DEFAULT_LINES,
    seed: int = 1,
    *,
    with_usage: bool = True,
    thresholds: Thresholds = Thresholds(),
) -> DemoSummary:
    """Load the demo data set unless it is there already (safe to run twice); with usage,
    also 13 months of usage records for its lines."""
    if await CompanyRepository(session, Scope.operator()).ids_by_vat([SME_VAT]):
        return DemoSummary(loaded=False, companies=0, billing_accounts=0, lines=0)
    plan = build_plan(total_lines, seed)
    offers = OfferRepository(session, Scope.operator())
    existing_offers = set(await offers.by_codes([offer.code for offer in OFFERS]))
    missing_offers = [offer for offer in OFFERS if offer.code not in existing_offers]
    await _import(session, "offers", missing_offers, ctx)
    await _import(session, "companies", plan.companies, ctx)
    await _import(session, "billing-accounts", plan.accounts, ctx)
    await _import(session, "lines", plan.lines, ctx)
    await create_demo_users(session, ctx.now)
    records = await load_demo_usage(session, ctx, seed, thresholds) if with_usage else 0
    invoices = await load_demo_invoices(session, ctx.now, SME_VAT) if with_usage else 0
    await refresh_estimate(session, ctx.now.astimezone(ROME).date().replace(day=1), None)
    return DemoSummary(
        loaded=True,
        companies=len(plan.companies),
        billing_accounts=len(plan.accounts),
        lines=len(plan.lines),
        usage_records=records,
        invoices=invoices,
    )


async def _import(
    session: AsyncSession, resource: str, items: list[Any], ctx: ImportContext
) -> None:
    if items:
        numbered: list[tuple[int, BaseModel]] = list(enumerate(items, start=1))
        await import_items(session, RESOURCES[resource], numbered, ctx)
