"""What every command needs: settings, the database, one transaction, a console."""

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.config import Settings, get_settings
from linedesk.db import create_engine, create_sessionmaker
from linedesk.errors import LinedeskError
from linedesk.inventory.service import ImportContext
from linedesk.kit.clock import Clock
from linedesk.kit.heap import frozen_startup_heap
from linedesk.kit.worker import BatchWorker
from linedesk.migrations import upgrade

T = TypeVar("T")
console = Console()
err_console = Console(stderr=True)


def progress_bar() -> Progress:
    """The bar a long command shows while it runs (and takes away when done)."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    return Progress(*columns, console=console, transient=True)


def settings() -> Settings:
    try:
        current = get_settings()
    except ValueError as exc:
        err_console.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if current.effective_database_url.startswith("sqlite"):
        current.data_dir.mkdir(parents=True, exist_ok=True)
    return current


def run(coroutine: Coroutine[Any, Any, T], *, bulk: bool = False) -> T:
    """Run a command's coroutine; our own errors become a clear message and exit code 1.
    A `bulk` command (an import, a consumer) first freezes what start-up built: otherwise
    each full collection of its work scans the ~300,000 objects of the loaded modules
    (~150 ms a time)."""
    try:
        with frozen_startup_heap() if bulk else contextlib.nullcontext():
            return asyncio.run(coroutine)
    except LinedeskError as exc:
        err_console.print(f"[red]Error:[/red] {exc.message}")
        for detail in exc.details or []:
            where = f"row {detail['row']}" if "row" in detail else ""
            field = detail.get("field") or ""
            err_console.print(f"  {where} {field}: {detail['reason']}".replace("  :", " "))
        raise typer.Exit(1) from exc


def stop_on_signals() -> asyncio.Event:
    """An event set at SIGINT or SIGTERM, for a long-running command to end its loop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(RuntimeError):  # not the main thread (tests)
            loop.add_signal_handler(signum, stop.set)
    return stop


async def work_then_close(worker: BatchWorker, once: bool, idle_seconds: float) -> int:
    """`--once`: do what is due and return how much; else work until SIGINT/SIGTERM (0).
    The worker is closed either way."""
    try:
        if once:
            return await worker.run_until_idle()
        await worker.run(stop_on_signals(), idle_seconds=idle_seconds)
        return 0
    finally:
        await worker.close()


@asynccontextmanager
async def unit_of_work(current: Settings) -> AsyncIterator[AsyncSession]:
    """One transaction for the command: committed at the end, rolled back on error."""
    engine = create_engine(current.effective_database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            yield session
    finally:
        await engine.dispose()


async def migrate_database(current: Settings) -> None:
    """Bring the schema up to date (safe to run twice)."""
    engine = create_engine(current.effective_database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def import_context(current: Settings) -> ImportContext:
    return ImportContext(secret_key=current.secret_key, now=Clock().now())
