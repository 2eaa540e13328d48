"""Every generated FatturaPA XML validates against the official schema; broken ones do not."""

import re
from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.fatturapa import (
    InvalidInvoiceXml,
    file_progressive,
    invoice_xml,
    validate,
    xml_file_name,
)
from linedesk.billing.service import issue_invoices
from linedesk.config import Settings
from linedesk.inventory.models import Company, Offer
from tests.billing.conftest import OCTOBER, BillingWorld, add_account, add_line, invoices
from tests.conftest import NOW
from tests.factories import iccid


def _text(root: etree._Element, path: str) -> list[str]:
    return [element.text for element in root.iterfind(path)]


async def _xml(session: AsyncSession, settings: Settings) -> list[bytes]:
    return [await invoice_xml(session, invoice, settings) for invoice in await invoices(session)]


async def test_every_invoice_xml_is_valid_and_its_figures_are_the_invoice(
    session: AsyncSession, billing_world: BillingWorld, settings: Settings
) -> None:
    sepa = await add_account(
        session,
        billing_world.vat,
        payment_method="sepa_direct_debit",
        iban="IT60X0542811101000000123456",
    )
    await add_line(session, sepa, await _offer_of(session), iccid=iccid())
    await session.commit()
    await issue_invoices(session, NOW, OCTOBER)
    await session.commit()
    documents = await _xml(session, settings)
    assert len(documents) == 2
    for document in documents:
        validate(document)

    root = etree.fromstring(documents[0])
    assert _text(root, ".//FormatoTrasmissione") == ["FPR12"]
    assert _text(root, ".//DatiGeneraliDocumento/Numero") == ["2026/000001"]
    assert _text(root, ".//ImportoTotaleDocumento") == ["98.89"]
    assert _text(root, ".//CessionarioCommittente//IdCodice") == [billing_world.vat]
    assert len(root.findall(".//DettaglioLinee")) == 6
    summaries = [
        (
            _text(s, "AliquotaIVA"),
            _text(s, "Natura"),
            _text(s, "ImponibileImporto"),
            _text(s, "Imposta"),
        )
        for s in root.iterfind(".//DatiRiepilogo")
    ]
    assert summaries == [
        (["22.00"], [], ["59.89"], ["13.18"]),
        (["0.00"], ["N1"], ["25.82"], ["0.00"]),
    ]
    lines_total = sum(Decimal(t) for t in _text(root, ".//DettaglioLinee/PrezzoTotale"))
    assert lines_total + Decimal("13.18") == Decimal("98.89")
    assert _text(root, ".//ModalitaPagamento") == ["MP05"]
    assert _text(root, ".//IBAN") == [settings.operator_iban]
    direct_debit = etree.fromstring(documents[1])
    assert _text(direct_debit, ".//ModalitaPagamento") == ["MP19"]
    assert _text(direct_debit, ".//IBAN") == ["IT60X0542811101000000123456"]


async def _offer_of(session: AsyncSession) -> str:
    code = await session.scalar(select(Offer.code).where(Offer.kind == "mobile"))
    assert code is not None
    return code


async def test_a_customer_without_sdi_code_gets_it_by_pec(
    session: AsyncSession, billing_world: BillingWorld, settings: Settings
) -> None:
    await session.execute(update(Company).values(sdi_code=None, pec="rossi@pec.example.it"))
    await session.commit()
    await issue_invoices(session, NOW, OCTOBER)
    [document] = await _xml(session, settings)
    validate(document)
    root = etree.fromstring(document)
    assert _text(root, ".//CodiceDestinatario") == ["0000000"]
    assert _text(root, ".//PECDestinatario") == ["rossi@pec.example.it"]


@pytest.mark.parametrize("break_it", ["drop_number", "bad_vat_country", "bad_recipient_code"])
async def test_a_broken_xml_is_refused_with_the_schemas_reasons(
    session: AsyncSession, billing_world: BillingWorld, settings: Settings, break_it: str
) -> None:
    await issue_invoices(session, NOW, OCTOBER)
    [document] = await _xml(session, settings)
    root = etree.fromstring(document)
    if break_it == "drop_number":
        number = root.find(".//DatiGeneraliDocumento/Numero")
        assert number is not None
        number.getparent().remove(number)
    elif break_it == "bad_vat_country":
        root.find(".//CedentePrestatore//IdPaese").text = "ITA"
    else:
        root.find(".//CodiceDestinatario").text = "12"
    with pytest.raises(InvalidInvoiceXml) as refused:
        validate(etree.tostring(root))
    assert refused.value.reasons


def test_the_file_progressive_is_at_most_five_letters_and_digits() -> None:
    assert file_progressive(1) == "00001"
    assert file_progressive(31) == "0000V"
    assert file_progressive(36**5 - 1) == "ZZZZZ"
    for beyond in (0, 36**5):
        with pytest.raises(ValueError):
            file_progressive(beyond)


async def test_every_demo_invoice_is_valid_for_the_sdi_and_for_a38(
    session: AsyncSession, settings: Settings
) -> None:
    """The demo's invoices, as an accounting program reads them: schema-valid, no a38 errors
    (it wants a UnitaMisura beside every Quantita), each file named as the SdI requires."""
    from a38.fattura import auto_from_etree
    from a38.validation import Validation

    from linedesk.demo.service import load_demo
    from tests.factories import CTX

    summary = await load_demo(session, CTX)
    await session.commit()
    issued = await invoices(session)
    assert summary.invoices == len(issued) > 0
    names = set()
    for invoice in issued:
        document = await invoice_xml(session, invoice, settings)
        validate(document)
        parsed = auto_from_etree(etree.fromstring(document))
        checked = Validation()
        parsed.validate(checked)
        assert [str(error) for error in checked.errors] == [], invoice.number
        name = xml_file_name(invoice, settings)
        assert re.fullmatch(rf"IT{settings.operator_vat_number}_[0-9A-Z]{{1,5}}\.xml", name)
        names.add(name)
    assert len(names) == len(issued)  # the SdI refuses a name it has seen
