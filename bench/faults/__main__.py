"""Faults under load: linedesk in production mode (PostgreSQL, Redis, 2 API processes, 2 outbox
workers) under a mixed load while PostgreSQL restarts, the SMTP server goes away for 30 s, a
worker is killed with SIGKILL mid-send and the billing run is launched three times (twice at
once); then it checks that nothing was lost or doubled and prints a report.

Everything runs on loopback in processes this script starts and owns: a private PostgreSQL
cluster (initdb into a temporary directory, run as the `postgres` OS user), a private
redis-server, an SMTP server (aiosmtpd, in this process, recording every message it accepts)
and linedesk. Exit status 1 if anything was lost or doubled (an e-mail in flight at the SIGKILL
may arrive twice with one Message-ID: the outbox's documented at-least-once case, reported).

    .venv/bin/python bench/faults [--duration 150] [--lines 500] [--markdown PATH]
"""

import argparse
import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from faults.checks import check_invoices, check_mail, check_usage, other_channels
from faults.report import (
    checks_section,
    log_events,
    recovery,
    requests_by_kind,
    requests_by_window,
    show,
)
from faults.rig import Owned, Rig, console
from faults.scenario import drain, previous_month, run_load, start_infrastructure, start_linedesk


async def bench(rig: Rig, args: argparse.Namespace) -> int:
    run, period, began = f"f{secrets.token_hex(3)}", previous_month(), time.monotonic()
    console.print(f"Starting PostgreSQL, Redis, SMTP and linedesk in {rig.root} …")
    redis_port, smtp_port = await start_infrastructure(rig, args)
    base = await start_linedesk(rig, args, redis_port, smtp_port)
    setup = time.monotonic() - began
    console.print(f"Ready in {setup:.0f} s. Load for {args.duration:.0f} s with faults …")
    load, log = await run_load(rig, base, args, run, period)
    drained = await drain(rig, load, args.drain)
    assert rig.smtp is not None
    db = await asyncpg.connect(rig.db_url)
    try:
        checks = [
            *await check_usage(db, run, load.ledger),
            *await check_invoices(db, date.fromisoformat(period + "-01"), log.billing),
            *await check_mail(db, rig.smtp.relay, load.ledger, log.killed_mid_send, log.killed_at),
        ]
        others = await other_channels(db)
    finally:
        await db.close()
    header = (
        f"linedesk production mode: PostgreSQL 15 (private), Redis, 2 API processes, "
        f"2 outbox workers; {args.lines:,} demo lines; {args.duration:.0f} s of load; "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, load average "
        f"{os.getloadavg()[0]:.1f}. Set-up {setup:.0f} s; {drained}. "
        f"Other channels (no gateway in this bench): {others}."
    )
    sections = [
        requests_by_window(load.outcomes, log.windows, args.duration),
        requests_by_kind(load.outcomes),
        recovery(load.outcomes, log),
        checks_section(checks),
        log_events(rig.owned.logs),
    ]
    show(sections, header, args.markdown)
    return 0 if all(check.passed for check in checks) else 1


def cleanup(rig: Rig, keep: bool) -> None:
    rig.owned.stop_all()
    if rig.smtp is not None:
        rig.smtp.stop()
    if rig.pg is not None:
        rig.pg.stop()
    if keep:
        console.print(f"Kept {rig.root}")
    else:
        shutil.rmtree(rig.root, ignore_errors=True)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=150, help="seconds of load")
    parser.add_argument("--lines", type=int, default=500, help="demo lines to load")
    parser.add_argument("--records", type=int, default=200, help="usage records per upload")
    parser.add_argument("--smtp-outage", type=float, default=30, help="seconds SMTP is away")
    parser.add_argument(
        "--smtp-latency",
        type=float,
        default=0.2,
        help="seconds the SMTP server takes to answer 250 to a message",
    )
    parser.add_argument(
        "--drain",
        type=float,
        default=120,
        help="longest wait for the outbox to drain after the load",
    )
    parser.add_argument("--pg-port", type=int, default=0, help="port of the private PostgreSQL")
    parser.add_argument("--markdown", type=Path, help="also write the report here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args()


def interrupt(*_: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def owned_rig(keep: bool) -> Iterator[Rig]:
    root = Path(tempfile.mkdtemp(prefix="linedesk-faults-"))
    root.chmod(0o755)  # the postgres user works in a subdirectory
    (root / "logs").mkdir()
    rig = Rig(root, Owned(root / "logs"))
    try:
        yield rig
    finally:
        cleanup(rig, keep)


def main() -> int:
    args = arguments()
    if os.geteuid() != 0:
        console.print("Run as root: the private PostgreSQL runs as the postgres user.")
        return 2
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it
    with owned_rig(args.keep) as rig:
        try:
            return asyncio.run(bench(rig, args))
        except KeyboardInterrupt:
            console.print("Interrupted: stopping everything.")
            return 130


if __name__ == "__main__":
    sys.exit(main())
