"""Every benchmark of SPEC §10 on the local PostgreSQL, one after the other, each on its own
database and in its own process, and one table of the figures beside their baselines.

    python bench/all.py [--scale small|full] [--only NAME ...] [--markdown PATH] [--strict]

`--scale full` (the default) is the SPEC's sizes (100,000 lines, 10,000 lines × 24 months
for the spending trend, …); `--scale small` is a laptop's (10,000 lines, seconds each).
Exit status 1 when a benchmark did not finish (with --strict, also when a figure is short).
"""

import argparse
import importlib
import multiprocessing
import queue
import signal
import sys
import time
import traceback
from datetime import UTC, datetime
from multiprocessing import Queue
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Params, machine, say
from report import Failure, Figure, Row, markdown, print_table

# name (for --only) → module, in the order they run: the quick ones first.
BENCHMARKS = {
    "invoice-pdf": "invoice_pdf",
    "spending": "spending",
    "signin-flood": "signin_flood",
    "summary": "summary",
    "line-actions": "line_actions",
    "memory": "memory",
    "usage": "usage_import",
    "stream": "stream",
    "billing": "billing_run",
}
TIMEOUT_MINUTES = {"small": 15, "full": 60}


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # so the servers and databases are closed on the way out


def _run_one(module_name: str, params: Params, out: "Queue[list[Figure] | str]") -> None:
    """In the benchmark's own process: its `run` with the scale's sizes."""
    signal.signal(signal.SIGTERM, _stop)
    try:
        out.put(importlib.import_module(module_name).run(**params))
    except BaseException as exc:
        traceback.print_exc()
        out.put(f"{type(exc).__name__}: {exc}"[:500])


def run_isolated(name: str, scale: str) -> list[Row]:
    """One benchmark in a fresh process (its own settings, environment and memory); a crash
    or a timeout becomes an ERROR row and the next benchmark runs."""
    try:  # the sizes; an app module that does not even import is that benchmark's failure
        params: Params = importlib.import_module(BENCHMARKS[name]).SCALES[scale]
    except Exception as exc:
        traceback.print_exc()
        return [Failure(name, f"{type(exc).__name__}: {exc}"[:500])]
    context = multiprocessing.get_context("spawn")
    out: Queue[list[Figure] | str] = context.Queue()
    process = context.Process(
        target=_run_one, args=(BENCHMARKS[name], params, out), name=f"bench-{name}"
    )
    started = time.monotonic()
    deadline = started + TIMEOUT_MINUTES[scale] * 60
    say(f"{name}: " + ", ".join(f"{k}={v}" for k, v in params.items()))
    process.start()
    result: list[Figure] | str | None = None
    while result is None:
        try:
            result = out.get(timeout=1)
        except queue.Empty:
            if not process.is_alive():
                result = f"the process ended ({process.exitcode}) without figures"
            elif time.monotonic() > deadline:
                process.terminate()
                result = f"timed out after {TIMEOUT_MINUTES[scale]} minutes"
    process.join(30)
    say(f"{name}: done in {time.monotonic() - started:.0f} s")
    if isinstance(result, str):
        return [Failure(name, result)]
    return list(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--scale",
        choices=("small", "full"),
        default="full",
        help="the SPEC's sizes (full, the default) or a laptop's (small)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(BENCHMARKS),
        metavar="NAME",
        help=f"run only this one (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--markdown", type=Path, metavar="PATH", help="also write the table as Markdown to PATH"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a figure is short of its target, too"
    )
    args = parser.parse_args()
    names = [name for name in BENCHMARKS if not args.only or name in args.only]
    started_at = datetime.now(UTC)
    started = time.monotonic()
    rows: list[Row] = []
    title = ""
    for n, name in enumerate(names, 1):
        rows += run_isolated(name, args.scale)
        minutes = (time.monotonic() - started) / 60
        title = (
            f"linedesk benchmarks (SPEC §10), scale {args.scale}, "
            f"{started_at:%Y-%m-%d %H:%M} UTC, {minutes:.0f} min"
            + ("" if n == len(names) else f" (so far: {n} of {len(names)})")
        )
        if args.markdown:  # after each benchmark, so a long run leaves what it measured
            args.markdown.write_text(
                markdown(rows, f"## {title}\n\nmachine: {machine()}"), encoding="utf-8"
            )
    print(f"machine: {machine()}")
    print_table(rows, title)
    if args.markdown:
        print(f"written to {args.markdown}")
    failed = any(isinstance(row, Failure) for row in rows)
    short = any(isinstance(row, Figure) and not row.passed for row in rows)
    sys.exit(1 if failed or (args.strict and short) else 0)


if __name__ == "__main__":
    main()
