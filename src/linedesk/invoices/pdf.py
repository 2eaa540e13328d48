"""The PDF courtesy copy of an invoice, laid out like a telecom bill (fpdf2, core fonts).

The legally valid invoice is the FatturaPA XML sent through the SdI; this copy is for
people. Labels are Italian for now (the customer's language later). Core fonts speak
windows-1252, which has the euro sign; any other character becomes "?". The document's
dates come from the invoice, so the same invoice always renders to the same bytes."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import groupby

from fpdf import FPDF

from linedesk.billing.models import Invoice, InvoiceLine, InvoiceLineKind
from linedesk.config import Settings
from linedesk.inventory.models import BillingAccount, Company, PaymentMethod
from linedesk.kit.i18n import Localizer

ITALIAN = Localizer("it")  # the courtesy copy is in Italian, like the FatturaPA
KIND_LABELS = {
    InvoiceLineKind.fee: "Canone mensile",
    InvoiceLineKind.out_of_bundle: "Traffico oltre soglia",
    InvoiceLineKind.concession_tax: "Tassa di concessione governativa",
}
N1_LABEL = "Tassa di concessione governativa (esclusa art. 15 DPR 633/72)"
WIDTH = 180.0  # A4 less 15 mm margins
GREY = (235, 237, 240)
ACCENT = (0, 82, 147)


@dataclass(frozen=True)
class InvoiceDocument:
    """An invoice with everything its documents show."""

    invoice: Invoice
    lines: Sequence[InvoiceLine]
    company: Company
    account: BillingAccount


def money(value: Decimal) -> str:
    """Italian notation: 1.234,56 €."""
    return ITALIAN.money_text(value, "€")


def day(value: date) -> str:
    return ITALIAN.date(value, "dd/MM/yyyy")


def month(period: date) -> str:
    return ITALIAN.date(period, "LLLL yyyy")


def pdf_file_name(invoice: Invoice) -> str:
    return f"fattura-{invoice.number.replace('/', '-')}.pdf"


def _text(value: str) -> str:
    return value.encode("cp1252", "replace").decode("cp1252")


class _Bill(FPDF):
    def __init__(self, footer_note: str) -> None:
        super().__init__(format="A4")
        self.core_fonts_encoding = "windows-1252"
        self.footer_note = footer_note
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=20)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("helvetica", size=7)
        self.set_text_color(110)
        self.cell(WIDTH - 30, 4, _text(self.footer_note))
        self.cell(30, 4, f"Pagina {self.page_no()} di {{nb}}", align="R")
        self.set_text_color(0)

    def row(
        self,
        cells: Sequence[tuple[str, float, str]],
        *,
        bold: bool = False,
        fill: bool = False,
        height: float = 5.5,
        size: float = 8.5,
    ) -> None:
        self.set_font("helvetica", "B" if bold else "", size)
        for text, width, align in cells:
            self.cell(width, height, _text(text), align=align, fill=fill)
        self.ln(height)

    def heading(self, title: str) -> None:
        self.ln(4)
        self.set_font("helvetica", "B", 10.5)
        self.set_text_color(*ACCENT)
        self.cell(WIDTH, 6, _text(title))
        self.ln(6)
        self.set_draw_color(*ACCENT)
        self.line(15, self.get_y(), 15 + WIDTH, self.get_y())
        self.set_text_color(0)
        self.ln(1.5)

    def block(self, x: float, y: float, width: float, title: str, lines: Sequence[str]) -> float:
        """A titled box of text lines at (x, y); returns its bottom."""
        self.set_xy(x, y)
        self.set_fill_color(*GREY)
        self.set_font("helvetica", "B", 8)
        self.cell(width, 5.5, _text(f" {title}"), fill=True)
        self.set_font("helvetica", size=8.5)
        for number, text in enumerate(lines):
            self.set_xy(x + 1, y + 6.5 + number * 4.5)
            self.cell(width - 2, 4.5, _text(text))
        bottom = y + 7.5 + len(lines) * 4.5
        self.set_draw_color(200)
        self.rect(x, y, width, bottom - y)
        return bottom


def _operator(pdf: _Bill, settings: Settings) -> None:
    pdf.set_font("helvetica", "B", 13)
    pdf.set_text_color(*ACCENT)
    pdf.cell(110, 7, _text(settings.operator_name))
    pdf.set_text_color(0)
    pdf.set_font("helvetica", size=8.5)
    for text in (
        settings.operator_address_street,
        f"{settings.operator_address_postal_code} {settings.operator_address_city} "
        f"({settings.operator_address_province})",
        f"P.IVA {settings.operator_vat_number} - REA {settings.operator_rea_office} "
        f"{settings.operator_rea_number}",
    ):
        pdf.set_xy(15, pdf.get_y() + (7 if text == settings.operator_address_street else 4.2))
        pdf.cell(110, 4.2, _text(text))


def _title(pdf: _Bill, invoice: Invoice) -> None:
    pdf.block(
        130,
        15,
        65,
        "FATTURA",
        [
            f"Numero: {invoice.number}",
            f"Data di emissione: {day(invoice.issue_date)}",
            f"Periodo: {month(invoice.period)}",
        ],
    )


def _parties(pdf: _Bill, document: InvoiceDocument) -> float:
    company, account = document.company, document.account
    top = 45.0
    left = pdf.block(
        15,
        top,
        88,
        "INTESTATARIO",
        [
            company.name,
            company.address_street,
            f"{company.address_postal_code} {company.address_city} ({company.address_province})",
            f"P.IVA {company.vat_number} - C.F. {company.fiscal_code}",
        ],
    )
    right = pdf.block(
        107,
        top,
        88,
        "CONTO DI FATTURAZIONE",
        [
            f"Codice conto: {account.code}",
            account.address_street,
            f"{account.address_postal_code} {account.address_city} ({account.address_province})",
            f"Invio fatture: {account.invoice_email}",
        ],
    )
    return max(left, right)


def _amount_due(pdf: _Bill, invoice: Invoice, top: float) -> None:
    pdf.set_xy(15, top + 5)
    pdf.set_fill_color(*ACCENT)
    pdf.set_text_color(255)
    pdf.set_font("helvetica", "B", 12)
    pdf.cell(WIDTH / 2, 11, _text(f"  Totale da pagare: {money(invoice.total_amount)}"), fill=True)
    pdf.cell(WIDTH / 2, 11, _text(f"Scadenza: {day(invoice.due_date)}  "), fill=True, align="R")
    pdf.set_text_color(0)
    pdf.ln(12)


def _vat_summary(pdf: _Bill, document: InvoiceDocument) -> None:
    invoice = document.invoice
    columns = (86.0, 34.0, 26.0, 34.0)
    pdf.heading("Riepilogo IVA e importi")
    pdf.set_fill_color(*GREY)
    pdf.row(
        list(
            zip(
                ("Descrizione", "Imponibile", "Aliquota", "Imposta"),
                columns,
                ("L", "R", "R", "R"),
                strict=True,
            )
        ),
        bold=True,
        fill=True,
    )
    pdf.row(
        list(
            zip(
                (
                    "Servizi di telecomunicazione",
                    money(invoice.taxable_amount),
                    "22%",
                    money(invoice.vat_amount),
                ),
                columns,
                ("L", "R", "R", "R"),
                strict=True,
            )
        )
    )
    pdf.row(
        list(
            zip(
                (N1_LABEL, money(invoice.exempt_amount), "N1", money(Decimal(0))),
                columns,
                ("L", "R", "R", "R"),
                strict=True,
            )
        )
    )
    pdf.row(
        [
            ("Totale fattura", columns[0] + columns[1] + columns[2], "L"),
            (money(invoice.total_amount), columns[3], "R"),
        ],
        bold=True,
        fill=True,
    )


def _line_rows(pdf: _Bill, lines: Sequence[InvoiceLine], columns: Sequence[float]) -> None:
    for line in lines:
        label = KIND_LABELS.get(line.kind, line.description)
        if line.kind is InvoiceLineKind.fee:
            label = (
                line.description.replace(f" {line.msisdn}", "") if line.msisdn else line.description
            )
        vat = f"{line.vat_rate:.0f}%" if line.vat_nature is None else line.vat_nature
        pdf.row(
            [
                (f"   {label}", columns[0], "L"),
                (f"{line.start_date:%d/%m} - {line.end_date:%d/%m/%Y}", columns[1], "L"),
                (vat, columns[2], "R"),
                (money(line.amount), columns[3], "R"),
            ]
        )


def _breakdown(pdf: _Bill, lines: Sequence[InvoiceLine]) -> None:
    columns = (96.0, 40.0, 14.0, 30.0)
    pdf.heading("Dettaglio per linea")
    pdf.set_fill_color(*GREY)
    pdf.row(
        list(
            zip(("Voce", "Periodo", "IVA", "Importo"), columns, ("L", "L", "R", "R"), strict=True)
        ),
        bold=True,
        fill=True,
    )
    for msisdn, group in groupby(lines, key=lambda line: line.msisdn):
        items = list(group)
        if pdf.will_page_break(5.5 * (len(items) + 2)):
            pdf.add_page()
        pdf.row([(f"Linea {msisdn}" if msisdn else "Altri addebiti", WIDTH, "L")], bold=True)
        _line_rows(pdf, items, columns)
        subtotal = sum((line.amount for line in items), Decimal(0))
        pdf.row(
            [("Totale linea", sum(columns[:3]), "R"), (money(subtotal), columns[3], "R")], bold=True
        )
        pdf.set_draw_color(220)
        pdf.line(15, pdf.get_y(), 15 + WIDTH, pdf.get_y())


def _masked(iban: str | None) -> str:
    return f"{iban[:4]} **** **** {iban[-4:]}" if iban else "-"


def _payment(pdf: _Bill, document: InvoiceDocument, settings: Settings) -> None:
    invoice, account = document.invoice, document.account
    pdf.heading("Pagamento")
    if account.payment_method is PaymentMethod.sepa_direct_debit:
        how = [
            f"Modalità: addebito diretto SEPA sul conto IBAN {_masked(account.iban)}",
            f"L'importo di {money(invoice.total_amount)} sarà addebitato alla scadenza "
            f"del {day(invoice.due_date)}.",
        ]
    else:
        how = [
            "Modalità: bonifico bancario",
            f"Beneficiario: {settings.operator_name} - IBAN {settings.operator_iban}",
            f"Causale: fattura {invoice.number} - conto {account.code}",
            f"Importo: {money(invoice.total_amount)} entro il {day(invoice.due_date)}",
        ]
    for text in how:
        pdf.row([(text, WIDTH, "L")])


def render_pdf(document: InvoiceDocument, settings: Settings) -> bytes:
    """The courtesy copy as PDF bytes (pure: the same invoice gives the same bytes)."""
    invoice = document.invoice
    pdf = _Bill(
        f"Copia di cortesia della fattura {invoice.number}: l'originale elettronico "
        "è trasmesso tramite SdI."
    )
    pdf.set_creation_date(invoice.created_at)
    pdf.set_title(_text(f"Fattura {invoice.number}"))
    pdf.set_author(_text(settings.operator_name))
    pdf.set_subject(_text(f"{document.company.name} - {month(invoice.period)}"))
    pdf.add_page()
    _operator(pdf, settings)
    _title(pdf, invoice)
    bottom = _parties(pdf, document)
    _amount_due(pdf, invoice, bottom)
    _vat_summary(pdf, document)
    _payment(pdf, document, settings)
    _breakdown(pdf, document.lines)
    return bytes(pdf.output())
