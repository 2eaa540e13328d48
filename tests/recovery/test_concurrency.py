"""A recovery code is spent once, however many requests bring it at the same moment (R-A6,
R-A7): one generated password, one reset."""

from sqlalchemy import func, select

from linedesk.audit.models import AuditEvent
from linedesk.identity.models import AuthSession
from tests.factories import make_user, make_world
from tests.identity.helpers import at_once, error_codes
from tests.registration.test_api import code_in


async def test_one_recovery_code_sent_20_times_at_once_resets_the_password_once(
    client, session, mailbox
):
    world = await make_world(session, lines=1)
    await make_user(session, world)
    number = world["numbers"][0]
    started = (await client.post("/api/v1/password-recoveries", json={"username": number})).json()
    code = code_in((await mailbox(number))[0])

    answers = await at_once(
        20,
        lambda _: client.post(
            f"/api/v1/password-recoveries/{started['recovery_id']}/complete", json={"code": code}
        ),
    )

    done = [answer for answer in answers if answer.status_code == 200]
    assert len(done) == 1, [answer.status_code for answer in answers]
    assert {answer.status_code for answer in answers} <= {200, 422, 429}
    assert error_codes(answers) <= {"invalid_code", "rate_limited"}
    resets = await session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "password_reset")
    )
    assert resets == 1
    generated = done[0].json()["new_password"]
    login = await client.post(
        "/api/v1/auth/login", json={"username": number, "password": generated}
    )
    assert login.status_code == 200, login.text


async def test_the_generated_password_signs_in_once_under_20_sign_ins_at_once(
    client, session, mailbox
):
    world = await make_world(session, lines=1)
    await make_user(session, world)
    number = world["numbers"][0]
    started = (await client.post("/api/v1/password-recoveries", json={"username": number})).json()
    code = code_in((await mailbox(number))[0])
    generated = (
        await client.post(
            f"/api/v1/password-recoveries/{started['recovery_id']}/complete", json={"code": code}
        )
    ).json()["new_password"]

    answers = await at_once(
        20,
        lambda _: client.post(
            "/api/v1/auth/login", json={"username": number, "password": generated}
        ),
    )

    statuses = [answer.status_code for answer in answers]
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 401, 429, 503}
    assert error_codes(answers) <= {"invalid_credentials", "rate_limited", "busy"}
    sessions = await session.scalar(
        select(func.count()).select_from(AuthSession).where(AuthSession.revoked_at.is_(None))
    )
    assert sessions == 1
