"""linedesk usage: import usage records (CDRs) and top up prepaid lines."""

import time
from collections.abc import AsyncIterator, Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from linedesk.alerts.service import Thresholds
from linedesk.cli.runtime import console, progress_bar, run, settings, unit_of_work
from linedesk.cli.usage_stream import consume
from linedesk.db import create_engine, create_sessionmaker
from linedesk.kit.clock import Clock
from linedesk.kit.live import RedisBus
from linedesk.lineactions.caps import usage_hook
from linedesk.usage.files import DEFAULT_BATCH_SIZE, Batch, read_file
from linedesk.usage.live import Announced
from linedesk.usage.schemas import ImportSummary
from linedesk.usage.service import BatchRejected, import_batches, top_up

app = typer.Typer(help="Usage records and prepaid credit (operator staff).", no_args_is_help=True)
app.command("consume")(consume)


async def _batches(batches: Iterable[Batch]) -> AsyncIterator[Batch]:
    for batch in batches:
        yield batch


def _rows_in(path: Path) -> int:
    """Roughly the file's rows (its line count), for the progress bar's length."""
    count = 0
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            count += chunk.count(b"\n")
    return max(count, 1)


def _summary_table(summary: ImportSummary, seconds: float, title: str) -> Table:
    table = Table("", "", title=title, show_header=False)
    table.add_row("records read", f"{summary.records:,}")
    table.add_row("imported", f"{summary.imported:,}")
    table.add_row("duplicates (already imported)", f"{summary.duplicates:,}")
    table.add_row("batches", f"{summary.batches:,}")
    table.add_row(
        "time",
        f"{seconds:.1f} s" + (f" ({summary.records / seconds:,.0f} records/s)" if seconds else ""),
    )
    return table


async def import_path(
    path: Path,
    batch_size: int,
    database_url: str,
    bar: Progress | None = None,
    redis_url: str = "",
    thresholds: Thresholds = Thresholds(),
) -> ImportSummary:
    """Import a usage file, each batch in its own transaction (what the command runs)."""
    engine = create_engine(database_url)
    task = bar.add_task("Importing", total=_rows_in(path)) if bar else None
    rows = 0

    def progress(batch: Batch, _: ImportSummary) -> None:
        nonlocal rows
        rows += batch.rows
        if bar is not None and task is not None:
            bar.update(task, completed=rows)

    bus = RedisBus(redis_url) if redis_url else None  # the API processes' pages update
    try:
        sessions = create_sessionmaker(engine)
        async with sessions() as session:
            announced = Announced(bus, _batches(read_file(path, batch_size)), session.commit)
            return await import_batches(
                session,
                Clock().now,
                announced.batches(),
                announced.commit,
                progress=progress,
                on_counters=usage_hook(thresholds),
                side_by_side=sessions,  # PostgreSQL: a transaction per share of the lines
            )
    finally:
        if bus is not None:
            await bus.close()
        await engine.dispose()


@app.command("import")
def import_usage(
    path: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        help="A CSV (record_id,line,started_at,type,quantity,destination) or NDJSON file.",
    ),
    batch_size: int = typer.Option(DEFAULT_BATCH_SIZE, min=1, help="Records per transaction."),
) -> None:
    """Import usage records, rated against each line's offer; safe to run again (records
    already imported are skipped). A batch with bad rows is not imported and stops the
    import; the batches before it stay imported."""
    current = settings()
    started = time.perf_counter()

    async def _import() -> ImportSummary:
        with progress_bar() as bar:
            try:
                return await import_path(
                    path,
                    batch_size,
                    current.effective_database_url,
                    bar,
                    current.redis_url,
                    Thresholds.from_settings(current),
                )
            except BatchRejected as exc:
                bar.stop()
                console.print(
                    _summary_table(
                        exc.summary, time.perf_counter() - started, "Imported before the bad batch"
                    )
                )
                raise

    summary = run(_import(), bulk=True)
    console.print(_summary_table(summary, time.perf_counter() - started, "Usage import"))


@app.command("topup")
def topup(
    msisdn: str,
    amount: str,
    reference: str = typer.Option(..., help="Unique per top-up: a retry is ignored."),
) -> None:
    """Add credit (in euro) to a prepaid line."""
    current = settings()
    try:
        value = Decimal(amount.replace(",", "."))
    except InvalidOperation as exc:
        raise typer.BadParameter(f"'{amount}' is not an amount") from exc

    async def _top_up() -> Decimal:
        async with unit_of_work(current) as session:
            balance = await top_up(session, Clock().now(), msisdn, value, reference)
            return balance.balance

    balance = run(_top_up())
    console.print(f"Credit of {msisdn}: {balance:.2f} EUR")
