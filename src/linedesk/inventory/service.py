"""Inventory operations: create one, import many (all or nothing), read back, swap a SIM.

Services flush and never commit: the request or the CLI command owns the transaction.
"""

from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.errors import Conflict, ValidationFailed, found
from linedesk.inventory.models import BillingAccount, Company, Line, Offer, Sim
from linedesk.inventory.repository import (
    BillingAccountRepository,
    CompanyRepository,
    LineRepository,
    OfferRepository,
)
from linedesk.inventory.schemas import (
    BillingAccountCreate,
    CompanyCreate,
    LineCreate,
    LineRead,
    OfferCreate,
    SimRead,
    SimSwap,
    line_fields,
)
from linedesk.kit.bulk import chunks
from linedesk.kit.csvfile import RowError, validate_file
from linedesk.kit.hashing import keyed_hash
from linedesk.kit.phone import InvalidNumber, LineKind, parse_italian_number
from linedesk.kit.repository import Scope

PUK_PURPOSE = "sim-puk"
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class ImportContext:
    secret_key: str
    now: datetime


Prepared = tuple[list[dict[str, Any]], list[RowError]]
Insert = Callable[[AsyncSession, list[dict[str, Any]]], Awaitable[list[int]]]


@dataclass(frozen=True)
class Resource:
    name: str
    schema: type[BaseModel]
    prepare: Callable[[AsyncSession, list[tuple[int, Any]], ImportContext], Awaitable[Prepared]]
    insert: Insert


class ImportRejected(ValidationFailed):
    code = "import_rejected"

    def __init__(self, errors: Sequence[RowError]) -> None:
        rows = len({error.row for error in errors})
        super().__init__(
            f"{rows} row(s) have errors; nothing was imported",
            details=[error.as_dict() for error in sorted(errors, key=lambda e: e.row)],
        )


async def _look_up(
    lookup: Callable[[Sequence[K]], Awaitable[Mapping[K, V]]], keys: Collection[K]
) -> dict[K, V]:
    """A lookup by many keys, a chunk of them per query: a file of 40,000 rows stays under
    the drivers' limit of bind parameters (32,767 on PostgreSQL, 32,766 on SQLite)."""
    found: dict[K, V] = {}
    for part in chunks(list(set(keys))):
        found.update(await lookup(part))
    return found


def _duplicates(
    items: list[tuple[int, Any]], key: Callable[[Any], Any], field: str, label: str
) -> list[RowError]:
    counts = Counter(key(item) for _, item in items if key(item) is not None)
    return [
        RowError(line, f"{label} appears more than once in the file", field)
        for line, item in items
        if counts.get(key(item), 0) > 1
    ]


def _inserting(model: type[Any], key: str) -> Insert:
    """Insert in chunks, then read the new ids back by each row's unique `key`: a multi-row
    INSERT … RETURNING in the rows' order runs one row at a time on SQLite."""
    column = getattr(model, key)

    async def insert_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> list[int]:
        ids: list[int] = []
        for part in chunks(rows, 2000):
            await session.execute(insert(model), list(part))
            found = await session.execute(
                select(column, model.id).where(column.in_([row[key] for row in part]))
            )
            by_key: dict[Any, int] = {row[0]: row[1] for row in found}
            ids.extend(by_key[row[key]] for row in part)
        return ids

    return insert_rows


# --- companies -----------------------------------------------------------------------------


async def _prepare_companies(
    session: AsyncSession, items: list[tuple[int, CompanyCreate]], ctx: ImportContext
) -> Prepared:
    errors = _duplicates(items, lambda c: c.vat_number, "vat_number", "this VAT number")
    existing = await _look_up(
        CompanyRepository(session, Scope.operator()).ids_by_vat, [c.vat_number for _, c in items]
    )
    rows = []
    for line, company in items:
        if company.vat_number in existing:
            errors.append(RowError(line, "a company with this VAT number exists", "vat_number"))
        row = company.model_dump()
        row["fiscal_code"] = company.fiscal_code or company.vat_number
        rows.append(row)
    return rows, errors


# --- billing accounts ----------------------------------------------------------------------


async def _prepare_billing_accounts(
    session: AsyncSession, items: list[tuple[int, BillingAccountCreate]], ctx: ImportContext
) -> Prepared:
    errors = _duplicates(items, lambda a: a.code, "code", "this billing account code")
    company_ids = await _look_up(
        CompanyRepository(session, Scope.operator()).ids_by_vat,
        {a.company_vat_number for _, a in items},
    )
    existing = await _look_up(
        BillingAccountRepository(session, Scope.operator()).by_codes, [a.code for _, a in items]
    )
    rows = []
    for line, account in items:
        if account.code in existing:
            errors.append(RowError(line, "a billing account with this code exists", "code"))
        company_id = company_ids.get(account.company_vat_number)
        if company_id is None:
            errors.append(RowError(line, "no company has this VAT number", "company_vat_number"))
        row = account.model_dump(exclude={"company_vat_number"})
        row["company_id"] = company_id
        rows.append(row)
    return rows, errors


# --- offers --------------------------------------------------------------------------------


async def _prepare_offers(
    session: AsyncSession, items: list[tuple[int, OfferCreate]], ctx: ImportContext
) -> Prepared:
    errors = _duplicates(items, lambda o: o.code, "code", "this offer code")
    existing = await _look_up(
        OfferRepository(session, Scope.operator()).by_codes, [o.code for _, o in items]
    )
    errors += [
        RowError(line, "an offer with this code exists", "code")
        for line, offer in items
        if offer.code in existing
    ]
    return [offer.model_dump() for _, offer in items], errors


# --- lines with their SIMs -----------------------------------------------------------------


async def _prepare_lines(
    session: AsyncSession, items: list[tuple[int, LineCreate]], ctx: ImportContext
) -> Prepared:
    errors: list[RowError] = []
    numbers: dict[int, str] = {}
    for line, item in items:
        try:
            numbers[line] = parse_italian_number(item.msisdn, item.kind)
        except InvalidNumber as exc:
            errors.append(RowError(line, str(exc), "msisdn"))
    errors += _duplicates(items, lambda i: i.iccid, "iccid", "this ICCID")
    by_number = [(line, numbers.get(line)) for line, _ in items]
    errors += _duplicates(by_number, lambda n: n, "msisdn", "this number")

    lines_repo = LineRepository(session, Scope.operator())
    taken_numbers: set[str] = set()
    taken_iccids: set[str] = set()
    for part in chunks(list(numbers.values())):
        taken_numbers |= await lines_repo.existing_msisdns(part)
    iccids = [item.iccid for _, item in items if item.iccid]
    for part in chunks(iccids):
        taken_iccids |= await lines_repo.existing_iccids(part)
    accounts = await _look_up(
        BillingAccountRepository(session, Scope.operator()).by_codes,
        {item.billing_account_code for _, item in items},
    )
    offers = await _look_up(
        OfferRepository(session, Scope.operator()).by_codes, {item.offer_code for _, item in items}
    )

    rows = []
    for line, item in items:
        account = accounts.get(item.billing_account_code)
        offer = offers.get(item.offer_code)
        if numbers.get(line) in taken_numbers:
            errors.append(RowError(line, "this number is already a line", "msisdn"))
        if item.iccid in taken_iccids:
            errors.append(RowError(line, "this ICCID belongs to another SIM", "iccid"))
        if account is None:
            errors.append(
                RowError(line, "no billing account has this code", "billing_account_code")
            )
        if offer is None:
            errors.append(RowError(line, "no offer has this code", "offer_code"))
        elif offer.kind is not item.kind:
            errors.append(
                RowError(line, f"offer {offer.code} is for {offer.kind.value} lines", "offer_code")
            )
        row = item.model_dump(
            exclude={"billing_account_code", "offer_code", "iccid", "puk", "data_only"}
        )
        row.update(
            msisdn=numbers.get(line),
            company_id=account.company_id if account else None,
            billing_account_id=account.id if account else None,
            offer_id=offer.id if offer else None,
            created_at=ctx.now,
        )
        if item.kind is LineKind.mobile:
            row["_sim"] = {
                "iccid": item.iccid,
                "puk_hash": keyed_hash(ctx.secret_key, PUK_PURPOSE, item.puk or ""),
                "data_only": item.data_only,
                "installed_at": ctx.now,
            }
        rows.append(row)
    return rows, errors


async def _insert_lines(session: AsyncSession, rows: list[dict[str, Any]]) -> list[int]:
    sims = [row.pop("_sim", None) for row in rows]
    ids = await _inserting(Line, "msisdn")(session, rows)
    sim_rows = [
        {**sim, "line_id": line_id, "company_id": row["company_id"]}
        for sim, line_id, row in zip(sims, ids, rows, strict=True)
        if sim is not None
    ]
    for part in chunks(sim_rows, 2000):
        await session.execute(insert(Sim), list(part))
    return ids


RESOURCES: dict[str, Resource] = {
    "companies": Resource(
        "companies", CompanyCreate, _prepare_companies, _inserting(Company, "vat_number")
    ),
    "billing-accounts": Resource(
        "billing-accounts",
        BillingAccountCreate,
        _prepare_billing_accounts,
        _inserting(BillingAccount, "code"),
    ),
    "offers": Resource("offers", OfferCreate, _prepare_offers, _inserting(Offer, "code")),
    "lines": Resource("lines", LineCreate, _prepare_lines, _insert_lines),
}


async def import_items(
    session: AsyncSession, resource: Resource, items: list[tuple[int, Any]], ctx: ImportContext
) -> list[int]:
    """Insert every item or none: any bad row rejects the whole set, naming each bad row."""
    rows, errors = await resource.prepare(session, items, ctx)
    if errors:
        raise ImportRejected(errors)
    try:
        return await resource.insert(session, rows)
    except IntegrityError as exc:
        # Lost a race with a concurrent writer: the pre-checks passed, the constraint did not.
        raise Conflict(f"{resource.name}: a record changed meanwhile; try again") from exc


async def import_csv(
    session: AsyncSession, resource: Resource, text: str, ctx: ImportContext
) -> int:
    items, errors = validate_file(resource.schema, text)
    if errors:
        prepared_errors = (await resource.prepare(session, items, ctx))[1] if items else []
        raise ImportRejected(errors + prepared_errors)
    return len(await import_items(session, resource, items, ctx))


async def create_one(
    session: AsyncSession, resource: Resource, item: BaseModel, ctx: ImportContext
) -> int:
    try:
        (new_id,) = await import_items(session, resource, [(1, item)], ctx)
    except ImportRejected as exc:
        details = [{k: v for k, v in d.items() if k != "row"} for d in exc.details or []]
        message = "; ".join(f"{d.get('field', '')}: {d['reason']}" for d in details)
        raise ValidationFailed(message, details=details) from exc
    return new_id


async def read_lines(
    repo: LineRepository, lines: Sequence[Line], with_history: bool = False
) -> list[LineRead]:
    sims = await repo.sims_of([line.id for line in lines])
    out = []
    for line in lines:
        history = sims.get(line.id, [])
        current = next((sim for sim in history if sim.replaced_at is None), None)
        out.append(
            LineRead(
                id=line.id,
                company_id=line.company_id,
                **line_fields(line),
                sim=SimRead.model_validate(current) if current else None,
                sim_history=[SimRead.model_validate(s) for s in history] if with_history else [],
            )
        )
    return out


async def swap_sim(
    session: AsyncSession, scope: Scope, msisdn: str, swap: SimSwap, ctx: ImportContext
) -> Line:
    """Replace a mobile line's SIM (new ICCID and PUK); the old one stays as history."""
    repo = LineRepository(session, scope)
    line = found(await repo.get_by_msisdn(msisdn), "No such line")
    current = await repo.current_sim(line)
    if line.kind is not LineKind.mobile or current is None:
        raise ValidationFailed("Only a mobile line with a SIM can have its SIM swapped")
    if await repo.existing_iccids([swap.iccid]):
        raise ValidationFailed(
            "This ICCID belongs to another SIM",
            details=[{"field": "iccid", "reason": "already in use"}],
        )
    current.replaced_at = ctx.now
    await session.flush()
    session.add(
        Sim(
            company_id=line.company_id,
            line_id=line.id,
            iccid=swap.iccid,
            puk_hash=keyed_hash(ctx.secret_key, PUK_PURPOSE, swap.puk),
            data_only=current.data_only,
            installed_at=ctx.now,
        )
    )
    await session.flush()
    return line
