"""The report: requests by fault window and kind, recovery, checks, log events."""

import contextlib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

from faults.checks import Check
from faults.load import Outcome
from faults.rig import console
from faults.scenario import FaultLog, Window


@dataclass
class Section:
    title: str
    headers: list[str]
    rows: list[list[str]]


def tally(outcomes: list[Outcome]) -> list[str]:
    results = Counter(o.result for o in outcomes)
    errors = Counter(o.detail for o in outcomes if o.result == "error")
    rate = results["error"] / len(outcomes) if outcomes else 0.0
    kinds = ", ".join(f"{detail}×{n}" for detail, n in errors.most_common(4))
    return [
        f"{len(outcomes):,}",
        f"{results['ok']:,}",
        f"{results['refused']:,}",
        f"{results['shed']:,}",
        f"{results['error']:,}",
        f"{rate:.1%}",
        kinds,
    ]


def requests_by_window(outcomes: list[Outcome], windows: list[Window], end: float) -> Section:
    rows = []
    for window in windows:
        inside = [o for o in outcomes if o.at < window.end and o.end >= window.start]
        rows.append([window.name, f"{window.start:.0f}–{window.end:.0f}", *tally(inside)])
    calm = [o for o in outcomes if not any(o.at < w.end and o.end >= w.start for w in windows)]
    rows.append(["no fault", f"0–{end:.0f} (rest)", *tally(calm)])
    rows.append(["whole run", f"0–{end:.0f}", *tally(outcomes)])
    return Section(
        "Requests by fault window (a request counts in every window it overlaps; "
        "seconds since the load began)",
        [
            "window",
            "seconds",
            "requests",
            "ok",
            "refused",
            "shed",
            "errors",
            "error rate",
            "errors by kind",
        ],
        rows,
    )


def requests_by_kind(outcomes: list[Outcome]) -> Section:
    kinds = sorted({o.kind for o in outcomes})
    rows = [[kind, *tally([o for o in outcomes if o.kind == kind])] for kind in kinds]
    return Section(
        "Requests by kind (refused: expected 401/409/429; shed: 503 busy)",
        ["kind", "requests", "ok", "refused", "shed", "errors", "error rate", "errors by kind"],
        rows,
    )


def recovery(outcomes: list[Outcome], log: FaultLog) -> Section:
    after = [o for o in outcomes if o.at >= log.pg_up_at and o.kind != "sign-in (wrong)"]
    first = min((o.at for o in after if o.result == "ok"), default=None)
    late = sum(1 for o in after if o.result == "error")
    rows = [
        [
            "PostgreSQL restart",
            f"down {log.pg_up_at - log.pg_down_at:.1f} s (pg_ctl restart -m fast); first "
            "success "
            + (
                f"{first - log.pg_down_at:.1f} s after the restart began, "
                f"{max(0.0, first - log.pg_up_at):.1f} s after it was back"
                if first is not None
                else "NEVER"
            )
            + f"; {late} error(s) after it was back",
        ]
    ]
    rows += [[name, text] for name, text in log.recovery]
    return Section("Recovery", ["fault", "what happened"], rows)


def log_events(logs: Path) -> Section:
    counts: Counter[str] = Counter()
    for path in sorted(logs.glob("*.log")):
        source = "worker" if path.name.startswith("worker") else path.stem
        for line in path.read_text(errors="replace").splitlines():
            if not line.startswith("{"):
                continue
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                event = entry.get("event", "")
                if entry.get("level") in ("warning", "error") or event.startswith("outbox_"):
                    counts[f"{source}: {event} {entry.get('error_type', '')}".strip()] += 1
    return Section(
        "Log events (warnings, errors, outbox)",
        ["event", "count"],
        [[event, f"{n:,}"] for event, n in sorted(counts.items())],
    )


def checks_section(checks: list[Check]) -> Section:
    return Section(
        "Checks",
        ["check", "result", "detail"],
        [[c.name, "ok" if c.passed else "FAILED", c.detail] for c in checks],
    )


def show(sections: list[Section], header: str, markdown: Path | None) -> None:
    console.print(header)
    for section in sections:
        table = Table(*section.headers, title=section.title, title_justify="left")
        for row in section.rows:
            table.add_row(*row)
        console.print(table)
    if markdown is None:
        return
    out = [f"# Faults under load\n\n{header}\n"]
    for section in sections:
        out.append(
            f"\n## {section.title}\n\n| "
            + " | ".join(section.headers)
            + " |\n|"
            + "---|" * len(section.headers)
            + "\n"
        )
        out += [
            "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |\n"
            for row in section.rows
        ]
    markdown.write_text("".join(out))
