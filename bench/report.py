"""The figures the benchmarks return, and the one table they are shown in (Rich on the
terminal, Markdown for notes): each figure beside its baseline, the ratio, the target."""

from collections.abc import Iterable
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

UNITS = {
    "req/s": "{:,.0f} req/s",
    "records/s": "{:,.0f} records/s",
    "ms": "{:.1f} ms",
    "s": "{:.1f} s",
    "MB": "{:.0f} MB",
    "records": "{:,.0f} records",
    "invoices": "{:,.0f} invoices",
    "sign-ins/s": "{:,.0f} sign-ins/s",
}
HEADERS = ("benchmark", "what", "measured", "baseline", "ratio", "target", "verdict")


@dataclass(frozen=True)
class Figure:
    """One figure of SPEC §10. `baseline` is measured in the same run where the target is
    relative (a bare endpoint, a raw COPY), else it is the absolute target itself."""

    benchmark: str
    what: str
    measured: float
    unit: str
    baseline: float | None
    baseline_what: str  # "bare PK read", "raw COPY", "target", …
    target: str
    passed: bool

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        return self.measured / self.baseline

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "SHORT"

    def cells(self) -> tuple[str, ...]:
        baseline = (
            "—"
            if self.baseline is None
            else f"{amount(self.baseline, self.unit)} ({self.baseline_what})"
        )
        ratio = (
            "—"
            if self.ratio is None
            else f"{self.ratio:.0%}"
            if self.baseline_what != "target"
            else f"{self.ratio:.2f}×"
        )
        return (
            self.benchmark,
            self.what,
            amount(self.measured, self.unit),
            baseline,
            ratio,
            self.target,
            self.verdict,
        )


@dataclass(frozen=True)
class Failure:
    """A benchmark that did not finish: it shows as one ERROR row."""

    benchmark: str
    error: str

    def cells(self) -> tuple[str, ...]:
        return (self.benchmark, self.error, "—", "—", "—", "—", "ERROR")


Row = Figure | Failure


def amount(value: float, unit: str) -> str:
    return UNITS.get(unit, "{:,.2f} " + unit).format(value)


def print_table(rows: Iterable[Row], title: str, console: Console | None = None) -> None:
    table = Table(title=title, title_justify="left", show_lines=False)
    for header in HEADERS:
        table.add_column(
            header, justify="right" if header in ("measured", "ratio") else "left", overflow="fold"
        )
    for row in rows:
        style = {"PASS": "green", "SHORT": "yellow", "ERROR": "red"}[row.cells()[-1]]
        cells = row.cells()
        table.add_row(*cells[:-1], f"[{style}]{cells[-1]}[/{style}]")
    if console is None:
        console = Console()
        if not console.is_terminal:  # a log or a pipe: no need to fold at 80 columns
            console = Console(width=200)
    console.print(table)


def markdown(rows: Iterable[Row], heading: str) -> str:
    lines = [
        heading,
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "|".join("---:" if h in ("measured", "ratio") else "---" for h in HEADERS) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row.cells()) + " |")
    return "\n".join(lines) + "\n"
