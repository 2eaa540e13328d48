"""Data-only SIMs register with their PUK and an e-mail address (SPEC R-A3)."""

import pytest

from linedesk.inventory.schemas import LineCreate
from linedesk.inventory.service import RESOURCES, create_one
from tests.factories import CTX, line_data, make_world
from tests.registration.test_api import PASSWORD, code_in

PUK = "55667788"


@pytest.fixture
async def data_sim(session):
    world = await make_world(session, lines=1)
    data = line_data(world["account"], world["offer"], puk=PUK, data_only=True)
    await create_one(session, RESOURCES["lines"], LineCreate(**data), CTX)
    await session.commit()
    return {"voice": world["numbers"][0], "data": data["msisdn"]}


async def _start(client, msisdn, puk=PUK, email="giulia@example.it"):
    return await client.post(
        "/api/v1/registrations",
        json={"msisdn": msisdn, "data_only": True, "puk": puk, "email": email},
    )


async def test_the_right_puk_sends_the_code_to_the_given_email(client, data_sim, mailbox):
    started = await _start(client, data_sim["data"])
    assert started.status_code == 202, started.text
    assert started.json()["channel"] == "email"
    (email,) = await mailbox("giulia@example.it")
    assert email["subject"] == "Il tuo codice di registrazione linedesk"
    assert await mailbox(data_sim["data"]) == []  # a data-only SIM gets no SMS
    done = await client.post(
        f"/api/v1/registrations/{started.json()['registration_id']}/complete",
        json={"code": code_in(email), "password": PASSWORD},
    )
    assert done.status_code == 201


async def test_a_wrong_puk_is_refused_and_throttled_at_three_per_hour(client, data_sim, mailbox):
    answers = [await _start(client, data_sim["data"], puk="00000000") for _ in range(3)]
    assert {a.status_code for a in answers} == {422}
    assert answers[0].json()["error"]["code"] == "wrong_puk"
    fourth = await _start(client, data_sim["data"])  # even the right PUK waits now
    assert fourth.status_code == 429
    assert int(fourth.headers["Retry-After"]) > 0
    assert await mailbox("giulia@example.it") == []


async def test_a_voice_sim_cannot_take_the_data_only_path(client, session, data_sim):
    from sqlalchemy import select

    from linedesk.inventory.models import Line, Sim
    from linedesk.inventory.service import PUK_PURPOSE
    from linedesk.kit.hashing import keyed_hash
    from tests.conftest import TEST_SECRET

    voice_sim = (
        await session.scalars(
            select(Sim).join(Line, Line.id == Sim.line_id).where(Line.msisdn == data_sim["voice"])
        )
    ).one()
    assert voice_sim.puk_hash == keyed_hash(TEST_SECRET, PUK_PURPOSE, "87654321")
    response = await _start(client, data_sim["voice"], puk="87654321")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "not_data_only"


async def test_the_data_only_path_needs_puk_and_email(client, data_sim):
    response = await client.post(
        "/api/v1/registrations", json={"msisdn": data_sim["data"], "data_only": True}
    )
    assert response.status_code == 422
    assert "PUK and an e-mail" in response.json()["error"]["message"]
