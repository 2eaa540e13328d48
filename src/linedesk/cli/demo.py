"""linedesk demo load: the demo companies, any size, deterministic for a seed."""

import time

import typer

from linedesk.alerts.service import Thresholds
from linedesk.cli.runtime import (
    console,
    import_context,
    migrate_database,
    run,
    settings,
    unit_of_work,
)
from linedesk.demo.service import DEFAULT_LINES, load_demo

app = typer.Typer(help="Demo data.", no_args_is_help=True)


@app.command("load")
def load(
    lines: int = typer.Option(DEFAULT_LINES, min=35, help="Total lines across the companies."),
    seed: int = typer.Option(1, help="Random seed: the same seed gives the same data."),
    usage: bool = typer.Option(
        True, "--usage/--no-usage", help="Also 13 months of usage records for the demo's lines."
    ),
) -> None:
    """Load the demo companies, billing accounts, offers, lines and usage (skipped if
    present)."""
    current = settings()

    async def _load() -> None:
        started = time.perf_counter()
        await migrate_database(current)  # a fresh database gets its schema first
        async with unit_of_work(current) as session:
            summary = await load_demo(
                session,
                import_context(current),
                lines,
                seed,
                with_usage=usage,
                thresholds=Thresholds.from_settings(current),
            )
        elapsed = time.perf_counter() - started
        if summary.loaded:
            console.print(
                f"Loaded {summary.companies} companies, {summary.billing_accounts} "
                f"billing accounts, {summary.lines} lines, {summary.usage_records} "
                f"usage records in {elapsed:.1f} s."
            )
        else:
            console.print("The demo data is already loaded; nothing to do.")

    run(_load(), bulk=True)
