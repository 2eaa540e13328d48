"""linedesk inventory: provision companies, billing accounts, offers and lines."""

import json
from pathlib import Path
from typing import Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.table import Table

from linedesk.cli.runtime import console, err_console, import_context, run, settings, unit_of_work
from linedesk.inventory.repository import (
    BillingAccountRepository,
    CompanyRepository,
    LineRepository,
    OfferRepository,
)
from linedesk.inventory.schemas import (
    BillingAccountRead,
    CompanyRead,
    InventoryResource,
    OfferRead,
    SimSwap,
)
from linedesk.inventory.service import RESOURCES, create_one, import_csv, read_lines, swap_sim
from linedesk.kit.csvfile import row_errors
from linedesk.kit.pagination import Page
from linedesk.kit.phone import parse_italian_number
from linedesk.kit.repository import Scope

M = TypeVar("M", bound=BaseModel)

app = typer.Typer(help="Provision the inventory (operator staff).", no_args_is_help=True)


COLUMNS = {
    InventoryResource.companies: ("id", "name", "vat_number", "segment", "address_city"),
    InventoryResource.billing_accounts: (
        "id",
        "code",
        "company_id",
        "payment_method",
        "invoice_email",
    ),
    InventoryResource.offers: ("code", "name", "kind", "monthly_fee", "data_mb"),
    InventoryResource.lines: (
        "msisdn",
        "kind",
        "status",
        "payment_mode",
        "billing_account_code",
        "offer_code",
    ),
}


@app.command("create")
def create(
    resource: InventoryResource, fields: list[str] = typer.Argument(..., help="field=value pairs")
) -> None:
    """Create one record, e.g. `create offers code=X name="..." kind=mobile monthly_fee=9.99`."""
    current = settings()
    spec = RESOURCES[resource.value]
    data = dict(_pair(field) for field in fields)
    item = _valid(spec.schema, data)

    async def _create() -> int:
        async with unit_of_work(current) as session:
            return await create_one(session, spec, item, import_context(current))

    console.print(f"Created {resource.value} record {run(_create())}.")


def _valid(schema: type[M], data: dict[str, Any]) -> M:
    """`data` read as `schema`; else each field's error in red, and exit 1."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        for error in row_errors(1, exc):
            err_console.print(f"[red]{error.field or 'record'}[/red]: {error.reason}")
        raise typer.Exit(1) from exc


def _pair(field: str) -> tuple[str, str]:
    key, sep, value = field.partition("=")
    if not sep:
        raise typer.BadParameter(f"'{field}' is not field=value")
    return key.strip(), value


@app.command("import")
def import_file(
    resource: InventoryResource, path: Path = typer.Argument(..., exists=True, dir_okay=False)
) -> None:
    """Import a CSV file: every row or none; bad rows are listed with their line numbers."""
    current = settings()
    text = path.read_text(encoding="utf-8-sig")

    async def _import() -> int:
        async with unit_of_work(current) as session:
            return await import_csv(
                session, RESOURCES[resource.value], text, import_context(current)
            )

    console.print(f"Imported {run(_import())} {resource.value}.")


@app.command("list")
def list_records(
    resource: InventoryResource,
    company_id: int | None = typer.Option(None, help="Only this company's records."),
    limit: int = typer.Option(50, min=1, max=500),
    offset: int = typer.Option(0, min=0),
) -> None:
    """List records as a table."""
    current = settings()
    page = Page(offset=offset, limit=limit)

    async def _list() -> tuple[list[BaseModel], int]:
        async with unit_of_work(current) as session:
            scope = Scope.operator() if company_id is None else Scope.company(company_id)
            if resource is InventoryResource.companies:
                companies = CompanyRepository(session, scope)
                rows, total = await companies.page(companies.listing(), page)
                return [CompanyRead.model_validate(r) for r in rows], total
            if resource is InventoryResource.billing_accounts:
                accounts = BillingAccountRepository(session, scope)
                rows_, total = await accounts.page(accounts.listing(), page)
                return [BillingAccountRead.model_validate(r) for r in rows_], total
            if resource is InventoryResource.offers:
                offers = OfferRepository(session, scope)
                offer_rows, total = await offers.page(offers.listing(), page)
                return [OfferRead.model_validate(r) for r in offer_rows], total
            lines = LineRepository(session, scope)
            line_rows, total = await lines.page(lines.listing(), page)
            return list(await read_lines(lines, line_rows)), total

    records, total = run(_list())
    table = Table(*COLUMNS[resource], caption=f"{len(records)} of {total}")
    for record in records:
        dumped = record.model_dump(mode="json")
        table.add_row(
            *(
                str(dumped.get(column) if dumped.get(column) is not None else "")
                for column in COLUMNS[resource]
            )
        )
    console.print(table)


@app.command("show-line")
def show_line(msisdn: str) -> None:
    """Show one line with its SIM history, as JSON."""
    current = settings()

    async def _show() -> str:
        async with unit_of_work(current) as session:
            repo = LineRepository(session, Scope.operator())
            line = await repo.get_by_msisdn(parse_italian_number(msisdn))
            if line is None:
                return ""
            (read,) = await read_lines(repo, [line], with_history=True)
            return read.model_dump_json(indent=2)

    shown = run(_show())
    if not shown:
        err_console.print("No such line.")
        raise typer.Exit(1)
    console.print_json(shown)


@app.command("sim-swap")
def sim_swap(msisdn: str, iccid: str = typer.Option(...), puk: str = typer.Option(...)) -> None:
    """Give a mobile line a new SIM (ICCID and PUK); the old one stays in its history."""
    current = settings()
    swap = _valid(SimSwap, {"iccid": iccid, "puk": puk})

    async def _swap() -> None:
        async with unit_of_work(current) as session:
            await swap_sim(
                session,
                Scope.operator(),
                parse_italian_number(msisdn),
                swap,
                import_context(current),
            )

    run(_swap())
    console.print(json.dumps({"msisdn": msisdn, "iccid": swap.iccid, "swapped": True}))
