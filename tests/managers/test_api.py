"""Managers (R-A5, R-A11, R-P2): user admins create and remove telco managers, who activate
themselves; telco managers cannot manage managers; other companies' ids are 404."""

import pytest
from sqlalchemy import select

from linedesk.identity.models import User
from tests.factories import make_user, make_world
from tests.identity.helpers import PASSWORD, bearer
from tests.registration.test_api import code_in


@pytest.fixture
async def company(session):
    world = await make_world(session, lines=1)
    await make_user(
        session, world, profile="user_admin", username="laura", email="laura@example.it"
    )
    return world


async def _create(client, auth, username="marco", email="marco@example.it"):
    return await client.post(
        "/api/v1/company/managers", headers=auth, json={"username": username, "email": email}
    )


async def test_a_telco_manager_is_created_and_activates_with_their_own_password(
    client, company, mailbox, session
):
    admin = await bearer(client, "laura")
    created = await _create(client, admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["profile"] == "telco_manager" and body["active"] is False
    assert "password" not in created.text.lower()
    (email,) = await mailbox("marco@example.it")
    assert "/managers/activate/" in email["text"]
    (notice,) = await mailbox("laura@example.it")
    assert notice["subject"] == "Nuovo Responsabile Aziendale creato"
    stored = (await session.scalars(select(User).where(User.username == "marco"))).one()
    assert stored.password_hash is None  # the creator never sets it

    activation = body["activation"]["activation_id"]
    done = await client.post(
        f"/api/v1/manager-activations/{activation}/complete",
        json={"code": code_in(email), "password": "Marco-sceglie-la-sua-1"},
    )
    assert done.status_code == 200, done.text
    assert done.json()["profile"] == "telco_manager"
    listed = await client.get("/api/v1/company/managers", headers=admin)
    assert {(m["username"], m["active"]) for m in listed.json()} == {
        ("laura", True),
        ("marco", True),
    }


async def test_a_telco_manager_cannot_create_or_remove_managers(client, company, session):
    await make_user(session, company, profile="telco_manager", username="tm", email="tm@example.it")
    telco = await bearer(client, "tm")
    assert (await _create(client, telco)).status_code == 403
    admin_id = (await session.scalars(select(User.id).where(User.username == "laura"))).one()
    response = await client.delete(f"/api/v1/company/managers/{admin_id}", headers=telco)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "user_admins_only"
    assert (await client.get("/api/v1/company/managers", headers=telco)).status_code == 200


async def test_an_employee_cannot_see_managers(client, company, session):
    await make_user(session, company)
    employee = await bearer(client, company["numbers"][0])
    assert (await client.get("/api/v1/company/managers", headers=employee)).status_code == 403


async def test_a_removed_manager_cannot_sign_in_and_loses_their_sessions(client, company, session):
    telco_id = await make_user(
        session, company, profile="telco_manager", username="tm", email="tm@example.it"
    )
    telco = await bearer(client, "tm")
    admin = await bearer(client, "laura")
    removed = await client.delete(f"/api/v1/company/managers/{telco_id}", headers=admin)
    assert removed.status_code == 204
    assert (await client.get("/api/v1/me", headers=telco)).status_code == 401
    again = await client.post("/api/v1/auth/login", json={"username": "tm", "password": PASSWORD})
    assert again.status_code == 401


async def test_another_companys_manager_is_404(client, company, session):
    other = await make_world(session, "Altra S.r.l.", lines=0)
    other_id = await make_user(
        session, other, profile="telco_manager", username="altro", email="altro@example.it"
    )
    admin = await bearer(client, "laura")
    response = await client.delete(f"/api/v1/company/managers/{other_id}", headers=admin)
    assert response.status_code == 404
    assert "altro" not in response.text


async def test_the_audit_log_shows_the_companys_events_to_user_admins_only(
    client, company, session
):
    await client.post("/api/v1/auth/login", json={"username": "laura", "password": "nope-nope-1"})
    admin = await bearer(client, "laura")
    await _create(client, admin)
    other = await make_world(session, "Altra S.r.l.", lines=0)
    await make_user(session, other, profile="user_admin", username="altra", email="a@example.it")
    await bearer(client, "altra")
    log = await client.get("/api/v1/company/audit-log", headers=admin)
    assert log.status_code == 200
    actions = [event["action"] for event in log.json()]
    assert actions == ["manager_created", "sign_in", "sign_in_failed"]
    assert all(e["subject"] != "altra" for e in log.json())
    assert log.headers["X-Total-Count"] == "3"


async def test_a_company_name_ending_in_a_full_stop_takes_no_second_one(client, company, mailbox):
    admin = await bearer(client, "laura")
    assert (await _create(client, admin)).status_code == 201
    (notice,) = await mailbox("laura@example.it")
    assert "per Rossi Impianti S.r.l.\n" in notice["text"] + "\n"
    assert "S.r.l.." not in notice["text"]
    (activation,) = await mailbox("marco@example.it")
    assert "S.r.l.." not in activation["text"]
