"""The FatturaPA XML (format FPR12, invoices to private parties) of an invoice, and its
validation against the official schema 1.2.3 shipped in `xsd/`, offline."""

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from lxml import etree
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.models import Invoice, InvoiceLine
from linedesk.config import Settings, get_settings
from linedesk.inventory.models import BillingAccount, Company, PaymentMethod

XSD_DIR = Path(__file__).resolve().parent / "xsd"
NS = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
XS = "{http://www.w3.org/2001/XMLSchema}"
NO_SDI_CODE = "0000000"  # CodiceDestinatario when the invoice goes to a PEC address
N1_REFERENCE = "Escluso art. 15 DPR 633/72"
# Every DettaglioLinee has a Quantita (1 fee, 1 charge): accounting software (a38) wants its
# unit beside it. NR, a count, is the unit Italian invoices use for such items.
UNIT_OF_MEASURE = "NR"
BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
PAYMENT_MODES = {PaymentMethod.sepa_direct_debit: "MP19", PaymentMethod.bank_transfer: "MP05"}


class InvalidInvoiceXml(ValueError):
    """The XML breaks the FatturaPA schema; `reasons` are the schema's messages."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    """The official schema; its XML-DSig import gets the local file as location (in memory)."""
    document = etree.parse(str(XSD_DIR / "Schema_VFPA12_V1.2.3.xsd"))
    imported = document.find(f"{XS}import[@namespace='{DSIG_NS}']")
    assert imported is not None
    imported.set("schemaLocation", "xmldsig-core-schema.xsd")
    return etree.XMLSchema(document)


def validate(xml: bytes) -> None:
    """Raise `InvalidInvoiceXml` with the schema's reasons unless the XML is valid."""
    checker = schema()
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    if not checker.validate(etree.fromstring(xml, parser)):
        raise InvalidInvoiceXml([f"line {e.line}: {e.message}" for e in checker.error_log])


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _add(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _fill(parent: etree._Element, *pairs: tuple[str, str | None]) -> None:
    for tag, text in pairs:
        if text:
            _add(parent, tag, text)


def _address(
    parent: etree._Element, street: str, postal_code: str, city: str, province: str
) -> None:
    sede = _add(parent, "Sede")
    _fill(
        sede,
        ("Indirizzo", street[:60]),
        ("CAP", postal_code),
        ("Comune", city[:60]),
        ("Provincia", province.upper()),
        ("Nazione", "IT"),
    )


def _vat_id(parent: etree._Element, tag: str, vat_number: str) -> None:
    vat_id = _add(parent, tag)
    _fill(vat_id, ("IdPaese", "IT"), ("IdCodice", vat_number))


def _transmission(
    header: etree._Element, invoice: Invoice, company: Company, settings: Settings
) -> None:
    data = _add(header, "DatiTrasmissione")
    _vat_id(data, "IdTrasmittente", settings.operator_vat_number)
    _add(data, "ProgressivoInvio", f"{invoice.year % 100:02d}{invoice.sequence:08d}")
    _add(data, "FormatoTrasmissione", "FPR12")
    _add(data, "CodiceDestinatario", company.sdi_code or NO_SDI_CODE)
    if not company.sdi_code and company.pec:
        _add(data, "PECDestinatario", company.pec)


def _supplier(header: etree._Element, settings: Settings) -> None:
    supplier = _add(header, "CedentePrestatore")
    personal = _add(supplier, "DatiAnagrafici")
    _vat_id(personal, "IdFiscaleIVA", settings.operator_vat_number)
    _add(_add(personal, "Anagrafica"), "Denominazione", settings.operator_name[:80])
    _add(personal, "RegimeFiscale", settings.operator_regime_fiscale)
    _address(
        supplier,
        settings.operator_address_street,
        settings.operator_address_postal_code,
        settings.operator_address_city,
        settings.operator_address_province,
    )
    rea = _add(supplier, "IscrizioneREA")
    _fill(
        rea,
        ("Ufficio", settings.operator_rea_office),
        ("NumeroREA", settings.operator_rea_number),
        ("StatoLiquidazione", "LN"),
    )


def _customer(header: etree._Element, company: Company) -> None:
    customer = _add(header, "CessionarioCommittente")
    personal = _add(customer, "DatiAnagrafici")
    _vat_id(personal, "IdFiscaleIVA", company.vat_number)
    _add(personal, "CodiceFiscale", company.fiscal_code)
    _add(_add(personal, "Anagrafica"), "Denominazione", company.name[:80])
    _address(
        customer,
        company.address_street,
        company.address_postal_code,
        company.address_city,
        company.address_province,
    )


def _document(body: etree._Element, invoice: Invoice) -> None:
    data = _add(_add(body, "DatiGenerali"), "DatiGeneraliDocumento")
    _fill(
        data,
        ("TipoDocumento", "TD01"),
        ("Divisa", invoice.currency),
        ("Data", invoice.issue_date.isoformat()),
        ("Numero", invoice.number),
        ("ImportoTotaleDocumento", _amount(invoice.total_amount)),
        ("Causale", f"Servizi di telecomunicazione {invoice.period:%m/%Y}"),
    )


def _detail_line(parent: etree._Element, line: InvoiceLine) -> None:
    detail = _add(parent, "DettaglioLinee")
    _fill(
        detail,
        ("NumeroLinea", str(line.position)),
        ("Descrizione", line.description),
        ("Quantita", f"{line.quantity:.2f}"),
        ("UnitaMisura", UNIT_OF_MEASURE),
        ("DataInizioPeriodo", line.start_date.isoformat()),
        ("DataFinePeriodo", line.end_date.isoformat()),
        ("PrezzoUnitario", _amount(line.unit_price)),
        ("PrezzoTotale", _amount(line.amount)),
        ("AliquotaIVA", _amount(line.vat_rate)),
        ("Natura", line.vat_nature),
    )


def _summaries(parent: etree._Element, invoice: Invoice, lines: Sequence[InvoiceLine]) -> None:
    """One DatiRiepilogo per rate and natura; VAT as stored (computed on the same base)."""
    bases: dict[tuple[Decimal, str | None], Decimal] = defaultdict(Decimal)
    for line in lines:
        bases[(line.vat_rate, line.vat_nature)] += line.amount
    for (rate, nature), base in sorted(bases.items(), key=lambda item: -item[0][0]):
        summary = _add(parent, "DatiRiepilogo")
        _fill(
            summary,
            ("AliquotaIVA", _amount(rate)),
            ("Natura", nature),
            ("ImponibileImporto", _amount(base)),
            ("Imposta", _amount(invoice.vat_amount if nature is None else Decimal(0))),
        )
        if nature is None:
            _add(summary, "EsigibilitaIVA", "I")
        else:
            _add(summary, "RiferimentoNormativo", N1_REFERENCE)


def _payment(
    body: etree._Element, invoice: Invoice, account: BillingAccount, settings: Settings
) -> None:
    payment = _add(body, "DatiPagamento")
    _add(payment, "CondizioniPagamento", "TP02")  # paid in full
    detail = _add(payment, "DettaglioPagamento")
    iban = (
        account.iban
        if account.payment_method is PaymentMethod.sepa_direct_debit
        else settings.operator_iban
    )
    _fill(
        detail,
        ("ModalitaPagamento", PAYMENT_MODES[account.payment_method]),
        ("DataScadenzaPagamento", invoice.due_date.isoformat()),
        ("ImportoPagamento", _amount(invoice.total_amount)),
        ("IBAN", iban),
    )


def build(
    invoice: Invoice,
    lines: Sequence[InvoiceLine],
    company: Company,
    account: BillingAccount,
    settings: Settings,
) -> bytes:
    root = etree.Element(
        f"{{{NS}}}FatturaElettronica", nsmap={"p": NS, "ds": DSIG_NS}, versione="FPR12"
    )
    header = _add(root, "FatturaElettronicaHeader")
    _transmission(header, invoice, company, settings)
    _supplier(header, settings)
    _customer(header, company)
    body = _add(root, "FatturaElettronicaBody")
    _document(body, invoice)
    goods = _add(body, "DatiBeniServizi")
    for line in lines:
        _detail_line(goods, line)
    _summaries(goods, invoice, lines)
    _payment(body, invoice, account, settings)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


async def invoice_xml(
    session: AsyncSession, invoice: Invoice, settings: Settings | None = None
) -> bytes:
    """The invoice's FatturaPA XML, as the SdI would receive it."""
    lines = list(
        await session.scalars(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id == invoice.id)
            .order_by(InvoiceLine.position)
        )
    )
    company = await session.get_one(Company, invoice.company_id)
    account = await session.get_one(BillingAccount, invoice.billing_account_id)
    return build(invoice, lines, company, account, settings or get_settings())


def file_progressive(invoice_id: int) -> str:
    """The file's progressive part: the SdI allows 1-5 letters and digits and refuses a name
    it has received before. The invoice's id in base 36 is unique for 36**5 - 1 (60 million)
    invoices, 500 years of the SPEC's 10,000 billing accounts billed monthly."""
    if not 0 < invoice_id < 36**5:
        raise ValueError(f"invoice id {invoice_id} has no 5-character progressive")
    digits = ""
    while invoice_id:
        invoice_id, rest = divmod(invoice_id, 36)
        digits = BASE36[rest] + digits
    return digits.rjust(5, "0")


def xml_file_name(invoice: Invoice, settings: Settings) -> str:
    """The name the SdI requires: IT, the sender's VAT number, _, a unique progressive."""
    return f"IT{settings.operator_vat_number}_{file_progressive(invoice.id)}.xml"
