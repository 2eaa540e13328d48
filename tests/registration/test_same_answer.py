"""Registration reveals nothing (issue 12 §3): an employee's and a user admin's registration
answer the same, byte for byte and after the same reads, whether or not the number or the
company is known, already registered, or a large enterprise. Only the message that reaches
the line or the company's address on file differs."""

import pytest
from sqlalchemy import update

from linedesk.inventory.models import Company
from linedesk.inventory.schemas import LineCreate
from linedesk.inventory.service import RESOURCES, create_one
from tests.factories import CTX, line_data, make_user, make_world, vat
from tests.identity.answers import password_hash, seen_by_client, statements, without_outbox
from tests.identity.test_web_sessions import HTML, csrf_of
from tests.registration.test_pages import code_path_of, submit

UNKNOWN = "+393479876543"  # beyond what the factories number
PUK = "55667788"


def _seen(response):
    assert response.status_code == 202, response.text
    return seen_by_client(response, response.json()["registration_id"])


async def test_a_registered_number_a_new_one_and_an_unknown_one_get_the_same_answer(
    app, client, session, mailbox
):
    world = await make_world(session, lines=2)
    registered, new = world["numbers"]
    await make_user(session, world, username=registered, password_hash=await password_hash())
    answers, work = {}, {}
    for number in (UNKNOWN, registered, new):
        with statements(app.state.engine) as work[number]:
            answers[number] = await client.post("/api/v1/registrations", json={"msisdn": number})
    assert _seen(answers[registered]) == _seen(answers[new]) == _seen(answers[UNKNOWN])
    # The same statements for both lines of ours; an unknown number gets no message.
    assert work[registered] == work[new]
    assert without_outbox(work[registered]) == work[UNKNOWN]
    (already,) = await mailbox(registered)
    assert "già registrato" in already["text"]
    (code,) = await mailbox(new)
    assert "codice" in code["text"]
    assert await mailbox(UNKNOWN) == []


async def test_a_wrong_puk_answers_alike_for_a_line_of_ours_and_an_unknown_number(
    app, client, session, mailbox
):
    world = await make_world(session, lines=0)
    data = line_data(world["account"], world["offer"], puk=PUK, data_only=True)
    await create_one(session, RESOURCES["lines"], LineCreate(**data), CTX)
    await session.commit()
    answers, work = {}, {}
    for number in (UNKNOWN, data["msisdn"]):
        with statements(app.state.engine) as work[number]:
            answers[number] = await client.post(
                "/api/v1/registrations",
                json={
                    "msisdn": number,
                    "data_only": True,
                    "puk": "00000000",
                    "email": "giulia@example.it",
                },
            )
    assert seen_by_client(answers[UNKNOWN]) == seen_by_client(answers[data["msisdn"]])
    assert answers[UNKNOWN].json()["error"]["code"] == "wrong_puk"
    assert work[UNKNOWN] == work[data["msisdn"]]
    assert await mailbox("giulia@example.it") == []


@pytest.fixture
async def companies(session):
    """An SME, a large enterprise (each with its billing account), a VAT number nobody has."""
    sme = await make_world(session, lines=0)
    large = await make_world(session, "Grande Impresa S.p.A.", lines=0)
    await session.execute(
        update(Company)
        .where(Company.id == large["company_id"])
        .values(segment="large", contact_email="ufficio@grande.it")
    )
    await session.commit()
    return {"sme": sme, "large": large, "unknown_vat": vat(), "unknown_account": "BA-NOBODY"}


async def test_manager_registration_answers_alike_for_an_sme_a_large_enterprise_and_no_one(
    app, client, companies, mailbox
):
    sme, large = companies["sme"], companies["large"]
    cases = {
        "unknown": (companies["unknown_vat"], companies["unknown_account"]),
        "sme": (sme["vat"], sme["account"]),
        "large": (large["vat"], large["account"]),
        "another company's account": (sme["vat"], large["account"]),
        "unknown account": (large["vat"], companies["unknown_account"]),
    }
    answers, work = {}, {}
    for case, (vat_number, account) in cases.items():
        with statements(app.state.engine) as work[case]:
            answers[case] = await client.post(
                "/api/v1/manager-registrations",
                json={"vat_number": vat_number, "billing_account_code": account},
            )
    for case in cases:
        assert _seen(answers[case]) == _seen(answers["unknown"]), case
        assert without_outbox(work[case]) == work["unknown"], case
    # The SME gets the code, the large enterprise why there is none; nobody else anything.
    assert work["sme"] != without_outbox(work["sme"])
    assert work["large"] != without_outbox(work["large"])
    (code,) = await mailbox("amministrazione@rossi-impianti.it")
    assert code["subject"].startswith("Codice per registrare il Responsabile Aziendale")
    (refusal,) = await mailbox("ufficio@grande.it")
    assert refusal["subject"] == "Registrazione del Responsabile Aziendale di Grande Impresa S.p.A."
    assert "Le grandi aziende non hanno il profilo Responsabile Aziendale" in refusal["text"]


async def test_the_portal_pages_are_the_same_for_a_large_enterprise_and_no_one(
    app, client, companies
):
    client.headers.update(HTML)
    large = companies["large"]

    async def journey(vat_number, account):
        with statements(app.state.engine) as work:
            started = await submit(
                client, "/portal/register", vat_number=vat_number, billing_account_code=account
            )
        path = code_path_of(started)
        page = await client.get(path)
        public_id = path.rsplit("/", 1)[1]
        return (
            seen_by_client(started, public_id),
            seen_by_client(page, public_id, csrf_of(page.text)),
            without_outbox(work),
        )

    assert await journey(large["vat"], large["account"]) == await journey(
        companies["unknown_vat"], companies["unknown_account"]
    )
