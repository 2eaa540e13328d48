"""Milliseconds per invoice PDF (SPEC §10): a 10-line mobile invoice (fee, out-of-bundle
charges and concession tax for each of 10 lines: 30 invoice lines), rendered in memory.
Target: ≤ 50 ms (the figure is the 95th percentile).

    .venv/bin/python bench/invoice_pdf.py [--scale small|full] [--runs N] [--lines N]
"""

import statistics
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from linedesk.billing.models import Invoice, InvoiceLine, InvoiceLineKind, InvoiceStatus
from linedesk.config import Settings
from linedesk.inventory.models import BillingAccount, Company, PaymentMethod
from linedesk.invoices.pdf import InvoiceDocument, render_pdf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Params, cli
from report import Figure

NAME = "invoice-pdf"
SCALES: dict[str, Params] = {"small": {"runs": 50, "lines": 10}, "full": {"runs": 200, "lines": 10}}
TARGET_MS = 50.0
PERIOD, END = date(2026, 10, 1), date(2026, 10, 31)


def _line(position: int, msisdn: str, kind: InvoiceLineKind, amount: str) -> InvoiceLine:
    nature = "N1" if kind is InvoiceLineKind.concession_tax else None
    return InvoiceLine(
        position=position,
        msisdn=msisdn,
        kind=kind,
        start_date=PERIOD,
        end_date=END,
        quantity=Decimal(1),
        unit_price=Decimal(amount),
        amount=Decimal(amount),
        vat_rate=Decimal(0 if nature else 22),
        vat_nature=nature,
        description=f"Canone Business 50 {msisdn}",
    )


def sample(lines: int = 10) -> InvoiceDocument:
    rows: list[InvoiceLine] = []
    for n in range(lines):
        msisdn = f"+39347{n:07d}"
        for kind, amount in (
            (InvoiceLineKind.fee, "19.99"),
            (InvoiceLineKind.out_of_bundle, "3.46"),
            (InvoiceLineKind.concession_tax, "12.91"),
        ):
            rows.append(_line(len(rows) + 1, msisdn, kind, amount))
    taxable = Decimal("23.45") * lines
    vat = (taxable * Decimal("0.22")).quantize(Decimal("0.01"))
    exempt = Decimal("12.91") * lines
    invoice = Invoice(
        id=1,
        company_id=1,
        billing_account_id=1,
        number="2026/000123",
        year=2026,
        sequence=123,
        period=PERIOD,
        issue_date=date(2026, 11, 3),
        due_date=date(2026, 12, 3),
        status=InvoiceStatus.issued,
        taxable_amount=taxable,
        vat_amount=vat,
        exempt_amount=exempt,
        total_amount=taxable + vat + exempt,
        currency="EUR",
        created_at=datetime(2026, 11, 3, 6, 0, tzinfo=UTC),
    )
    company = Company(
        name="Rossi Impianti S.r.l.",
        vat_number="01234567897",
        fiscal_code="01234567897",
        address_street="Via Roma 1",
        address_postal_code="40121",
        address_city="Bologna",
        address_province="BO",
    )
    account = BillingAccount(
        code="BA-1",
        payment_method=PaymentMethod.bank_transfer,
        address_street="Via Roma 1",
        address_postal_code="40121",
        address_city="Bologna",
        address_province="BO",
        invoice_email="fatture@rossi-impianti.it",
    )
    return InvoiceDocument(invoice, rows, company, account)


def run(runs: int, lines: int) -> list[Figure]:
    document, settings = sample(lines), Settings(secret_key="x" * 40)
    size = len(render_pdf(document, settings))  # warm-up: imports, font metrics
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render_pdf(document, settings)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    return [
        Figure(
            NAME,
            f"one invoice PDF, {lines} lines ({len(document.lines)} invoice "
            f"lines, {size:,} bytes), p95 of {runs} (median "
            f"{statistics.median(times):.1f} ms, max {times[-1]:.1f} ms)",
            p95,
            "ms",
            TARGET_MS,
            "target",
            f"≤ {TARGET_MS:.0f} ms",
            p95 <= TARGET_MS,
        )
    ]


if __name__ == "__main__":
    cli(__doc__, run, SCALES)
