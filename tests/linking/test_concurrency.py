"""Link SIM under parallel requests (R-A10): however many completions arrive at once, a user
has at most 2 linked lines."""

from sqlalchemy import func, select

from linedesk.identity.models import LinkedLine
from tests.factories import make_user, make_world
from tests.identity.helpers import at_once, bearer, error_codes
from tests.registration.test_api import code_in


async def test_completions_of_three_links_at_once_link_at_most_two_lines(client, session, mailbox):
    world = await make_world(session, lines=4)
    await make_user(session, world)
    auth = await bearer(client, world["numbers"][0])
    links = []
    for number in world["numbers"][1:4]:
        started = await client.post(
            "/api/v1/me/linked-lines", headers=auth, json={"msisdn": number}
        )
        assert started.status_code == 202, started.text
        links.append((started.json()["link_id"], code_in((await mailbox(number))[0])))

    def complete(i: int):
        link_id, code = links[i % 3]
        return client.post(
            f"/api/v1/me/linked-lines/{link_id}/complete", headers=auth, json={"code": code}
        )

    answers = await at_once(20, complete)

    statuses = [answer.status_code for answer in answers]
    assert statuses.count(200) == 2, statuses
    assert set(statuses) <= {200, 422, 429}
    assert error_codes(answers) <= {
        "invalid_code",
        "too_many_linked_lines",
        "already_linked",
        "rate_limited",
    }
    assert await session.scalar(select(func.count()).select_from(LinkedLine)) == 2
    me = await client.get("/api/v1/me", headers=auth)
    assert len(me.json()["lines"]) == 3
