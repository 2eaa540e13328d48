"""User admins register on the portal with VAT number and billing account (R-A4, R-P1)."""

import re

from tests.factories import make_world
from tests.registration.test_api import PASSWORD, code_in


async def test_a_user_admin_registers_with_the_code_sent_to_the_company_email(
    client, session, mailbox
):
    world = await make_world(session, lines=1)
    started = await client.post(
        "/api/v1/manager-registrations",
        json={"vat_number": world["vat"], "billing_account_code": world["account"]},
    )
    assert started.status_code == 202, started.text
    assert started.json()["channel"] == "email"
    (email,) = await mailbox("amministrazione@rossi-impianti.it")
    done = await client.post(
        f"/api/v1/manager-registrations/{started.json()['registration_id']}/complete",
        json={"code": code_in(email), "username": "Laura.Bianchi", "password": PASSWORD},
    )
    assert done.status_code == 201, done.text
    assert done.json()["profile"] == "user_admin"
    login = await client.post(
        "/api/v1/auth/login", json={"username": "laura.bianchi", "password": PASSWORD}
    )
    assert login.status_code == 200
    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
    )
    assert me.json()["company"]["vat_number"] == world["vat"]
    assert me.json()["lines"] == []


async def test_a_large_enterprise_is_told_clearly_by_its_contact_email(client, session, mailbox):
    from sqlalchemy import update

    from linedesk.inventory.models import Company

    world = await make_world(session, lines=0)
    await session.execute(update(Company).values(segment="large"))
    await session.commit()
    response = await client.post(
        "/api/v1/manager-registrations",
        json={"vat_number": world["vat"], "billing_account_code": world["account"]},
    )
    # The answer of every registration; the clear message goes to the address on file.
    assert response.status_code == 202 and response.json()["channel"] == "email"
    (email,) = await mailbox("amministrazione@rossi-impianti.it")
    assert "Le grandi aziende non hanno il profilo Responsabile Aziendale" in email["text"]
    assert "piccole e medie imprese" in email["text"]
    assert not re.search(r"\d{6}", email["text"])
    done = await client.post(
        f"/api/v1/manager-registrations/{response.json()['registration_id']}/complete",
        json={"code": "123456", "username": "laura", "password": PASSWORD},
    )
    assert done.status_code == 422


async def test_a_wrong_billing_account_gets_the_same_answer_and_no_email(client, session, mailbox):
    world = await make_world(session, lines=0)
    other = await make_world(session, "Altra S.r.l.", lines=0)
    response = await client.post(
        "/api/v1/manager-registrations",
        json={"vat_number": world["vat"], "billing_account_code": other["account"]},
    )
    assert response.status_code == 202
    assert await mailbox("amministrazione@rossi-impianti.it") == []


async def test_a_taken_username_is_refused_and_the_code_still_works(client, session, mailbox):
    world = await make_world(session, lines=1)
    from tests.factories import make_user

    await make_user(
        session, world, profile="user_admin", username="laura", email="laura@example.it"
    )
    started = (
        await client.post(
            "/api/v1/manager-registrations",
            json={"vat_number": world["vat"], "billing_account_code": world["account"]},
        )
    ).json()
    (email,) = await mailbox("amministrazione@rossi-impianti.it")
    path = f"/api/v1/manager-registrations/{started['registration_id']}/complete"
    taken = await client.post(
        path, json={"code": code_in(email), "username": "laura", "password": PASSWORD}
    )
    assert taken.status_code == 409
    ok = await client.post(
        path, json={"code": code_in(email), "username": "laura2", "password": PASSWORD}
    )
    assert ok.status_code == 201
