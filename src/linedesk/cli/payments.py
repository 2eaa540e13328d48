"""linedesk payments: record a bank/SEPA file of payments (operator staff)."""

from pathlib import Path

import typer
from rich.table import Table

from linedesk.cli.runtime import console, run, settings, unit_of_work
from linedesk.kit.clock import Clock
from linedesk.payments.service import Recorded, import_payments_csv

app = typer.Typer(help="Payments of invoices (operator staff).", no_args_is_help=True)


@app.command("import")
def import_file(
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        help="CSV: reference;invoice_number;amount;paid_at",
    ),
) -> None:
    """Record the payments of a bank file, every row or none (each bad row is named).
    Safe to run again: references recorded before are skipped."""
    current = settings()
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise typer.BadParameter("the file must be UTF-8 encoded") from exc

    async def _import() -> Recorded:
        async with unit_of_work(current) as session:
            return await import_payments_csv(session, text, Clock().now())

    result = run(_import())
    table = Table("", "", title=f"Payments from {file.name}", show_header=False)
    table.add_row("recorded", f"{len(result.new):,}")
    table.add_row("already recorded (skipped)", f"{len(result.already):,}")
    table.add_row("invoices now paid", f"{result.invoices_paid:,}")
    console.print(table)
