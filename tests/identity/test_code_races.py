"""One-time codes under parallel requests (R-A7): every wrong try counts, so the 5-try limit
holds however the tries arrive; of resends at the same moment one goes out."""

from datetime import timedelta

from sqlalchemy import select

from linedesk.identity.models import OneTimeCode
from linedesk.kit.ratelimit import CODE_VERIFY_PER_NUMBER
from tests.conftest import NOW
from tests.factories import make_world
from tests.identity.helpers import at_once, error_codes
from tests.registration.test_api import PASSWORD, code_in


async def _registration(client, mailbox, number):
    ticket = (await client.post("/api/v1/registrations", json={"msisdn": number})).json()
    (sms,) = await mailbox(number)
    return f"/api/v1/registrations/{ticket['registration_id']}", code_in(sms)


def _wrong(code: str, i: int) -> str:
    return f"{(int(code) + 1 + i) % 1_000_000:06d}"


async def test_20_wrong_guesses_at_once_each_count_and_the_code_dies(app, client, session, mailbox):
    world = await make_world(session, lines=1)
    number = world["numbers"][0]
    path, code = await _registration(client, mailbox, number)

    answers = await at_once(
        20,
        lambda i: client.post(
            f"{path}/complete", json={"code": _wrong(code, i), "password": PASSWORD}
        ),
    )

    assert {answer.status_code for answer in answers} <= {422, 429}
    assert error_codes(answers) <= {"invalid_code", "rate_limited"}
    stored = await session.scalar(select(OneTimeCode))
    assert stored is not None and stored.attempts == 5
    # Even past the hourly limit on tries, the right code no longer works.
    await app.state.limiter.clear(CODE_VERIFY_PER_NUMBER, number)
    late = await client.post(f"{path}/complete", json={"code": code, "password": PASSWORD})
    assert late.status_code == 422 and late.json()["error"]["code"] == "invalid_code"


async def test_wrong_guesses_in_parallel_are_all_counted(client, session, mailbox):
    world = await make_world(session, lines=1)
    number = world["numbers"][0]
    path, code = await _registration(client, mailbox, number)

    answers = await at_once(
        4,
        lambda i: client.post(
            f"{path}/complete", json={"code": _wrong(code, i), "password": PASSWORD}
        ),
    )

    assert [answer.status_code for answer in answers] == [422] * 4
    assert (await session.scalar(select(OneTimeCode.attempts))) == 4
    # The fifth try is still a try: the right code is accepted.
    done = await client.post(f"{path}/complete", json={"code": code, "password": PASSWORD})
    assert done.status_code == 201, done.text


async def test_20_resends_at_once_send_one_code(client, session, mailbox, clock):
    world = await make_world(session, lines=1)
    number = world["numbers"][0]
    path, _ = await _registration(client, mailbox, number)
    clock.at = NOW + timedelta(seconds=31)

    answers = await at_once(20, lambda _: client.post(f"{path}/resend"))

    assert sorted(answer.status_code for answer in answers) == [202] + [429] * 19
    assert all(
        answer.headers["Retry-After"].isdigit() for answer in answers if answer.status_code == 429
    )
    assert len(await mailbox(number)) == 2
    stored = await session.scalar(select(OneTimeCode))
    assert stored is not None and stored.sends == 2
