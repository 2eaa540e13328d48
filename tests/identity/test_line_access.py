"""Who reads which line (R-P2): an employee their own and linked lines, a manager every line
of the company; anything else is 404, never its data."""

from tests.factories import make_user, make_world
from tests.identity.helpers import bearer
from tests.registration.test_api import code_in


async def reads(client, auth, number) -> list[int]:  # type: ignore[no-untyped-def]
    """The answers to the line's view, its counters and its widget: the same rule for all."""
    paths = [f"/api/v1/lines/{number}", f"/api/v1/lines/{number}/summary"]
    paths.append(f"/api/v1/widget?line={number.replace('+', '%2B')}")
    return [(await client.get(path, headers=auth)).status_code for path in paths]


async def test_an_employee_reads_own_and_linked_lines_only(client, session, mailbox):
    world = await make_world(session, lines=3)
    await make_user(session, world)
    mine, linked, colleague = world["numbers"]
    auth = await bearer(client, mine)
    assert await reads(client, auth, mine) == [200, 200, 200]
    refused = await client.get(f"/api/v1/lines/{colleague}", headers=auth)
    assert refused.status_code == 404
    assert colleague not in refused.text
    assert await reads(client, auth, colleague) == [404, 404, 404]
    assert await reads(client, auth, linked) == [404, 404, 404]

    started = (
        await client.post("/api/v1/me/linked-lines", headers=auth, json={"msisdn": linked})
    ).json()
    (sms,) = await mailbox(linked)
    await client.post(
        f"/api/v1/me/linked-lines/{started['link_id']}/complete",
        headers=auth,
        json={"code": code_in(sms)},
    )
    view = await client.get(f"/api/v1/lines/{linked}", headers=auth)
    assert view.status_code == 200
    assert view.json()["msisdn"] == linked and view.json()["offer_code"] == world["offer"]
    assert await reads(client, auth, linked) == [200, 200, 200]
    await client.delete(f"/api/v1/me/linked-lines/{linked}", headers=auth)
    assert await reads(client, auth, linked) == [404, 404, 404]


async def test_a_manager_reads_every_line_of_the_company_and_none_of_another(client, session):
    world = await make_world(session, lines=2)
    other = await make_world(session, "Altra S.r.l.", lines=1)
    await make_user(session, world, profile="telco_manager", username="tm", email="tm@example.it")
    auth = await bearer(client, "tm")
    for number in world["numbers"]:
        assert await reads(client, auth, number) == [200, 200, 200]
    assert await reads(client, auth, other["numbers"][0]) == [404, 404, 404]
