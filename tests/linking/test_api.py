"""Link SIM (R-A10): same VAT number only, consent by code, at most two, unlink, switcher."""

import pytest

from tests.factories import make_user, make_world
from tests.identity.helpers import bearer
from tests.registration.test_api import code_in


@pytest.fixture
async def world(session):
    world = await make_world(session, lines=4)
    await make_user(session, world)
    return world


async def _link(client, auth, msisdn, mailbox):
    started = await client.post("/api/v1/me/linked-lines", headers=auth, json={"msisdn": msisdn})
    assert started.status_code == 202, started.text
    (sms,) = (await mailbox(msisdn))[:1]
    return await client.post(
        f"/api/v1/me/linked-lines/{started.json()['link_id']}/complete",
        headers=auth,
        json={"code": code_in(sms)},
    )


async def test_a_line_is_linked_with_the_code_its_holder_receives(client, world, mailbox):
    me, colleague = world["numbers"][0], world["numbers"][1]
    auth = await bearer(client, me)
    done = await _link(client, auth, colleague, mailbox)
    assert done.status_code == 200, done.text
    assert [(line["msisdn"], line["main"]) for line in done.json()["lines"]] == [
        (me, True),
        (colleague, False),
    ]
    notice = (await mailbox(me))[0]
    assert colleague in notice["text"]
    switched = await client.put("/api/v1/me/active-line", headers=auth, json={"msisdn": colleague})
    assert switched.json()["active_line"] == colleague


async def test_at_most_two_lines_can_be_linked(client, world, mailbox):
    auth = await bearer(client, world["numbers"][0])
    for number in world["numbers"][1:3]:
        assert (await _link(client, auth, number, mailbox)).status_code == 200
    third = await client.post(
        "/api/v1/me/linked-lines", headers=auth, json={"msisdn": world["numbers"][3]}
    )
    assert third.status_code == 422
    assert third.json()["error"]["code"] == "too_many_linked_lines"


async def test_only_lines_of_the_same_vat_number(client, world, session):
    other = await make_world(session, "Altra S.r.l.", lines=1)
    auth = await bearer(client, world["numbers"][0])
    response = await client.post(
        "/api/v1/me/linked-lines", headers=auth, json={"msisdn": other["numbers"][0]}
    )
    assert response.status_code == 404


async def test_a_wrong_code_links_nothing(client, world):
    auth = await bearer(client, world["numbers"][0])
    started = (
        await client.post(
            "/api/v1/me/linked-lines", headers=auth, json={"msisdn": world["numbers"][1]}
        )
    ).json()
    wrong = await client.post(
        f"/api/v1/me/linked-lines/{started['link_id']}/complete",
        headers=auth,
        json={"code": "000000"},
    )
    assert wrong.status_code == 422
    me = await client.get("/api/v1/me", headers=auth)
    assert len(me.json()["lines"]) == 1


async def test_unlink_is_one_action(client, world, mailbox):
    auth = await bearer(client, world["numbers"][0])
    await _link(client, auth, world["numbers"][1], mailbox)
    assert (
        await client.delete(f"/api/v1/me/linked-lines/{world['numbers'][1]}", headers=auth)
    ).status_code == 204
    assert len((await client.get("/api/v1/me", headers=auth)).json()["lines"]) == 1
    assert (
        await client.delete(f"/api/v1/me/linked-lines/{world['numbers'][1]}", headers=auth)
    ).status_code == 404
    switch = await client.put(
        "/api/v1/me/active-line", headers=auth, json={"msisdn": world["numbers"][1]}
    )
    assert switch.status_code == 404
