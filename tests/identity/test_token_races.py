"""Refresh tokens under parallel requests (R-A9): a refresh token rotates once; presenting it
again at the same moment is reuse, and reuse ends the whole session."""

from sqlalchemy import select

from linedesk.audit.models import AuditEvent
from linedesk.identity.models import AuthSession
from tests.factories import make_user, make_world
from tests.identity.helpers import PASSWORD, at_once, error_codes


async def test_one_refresh_token_used_20_times_at_once_rotates_once_and_ends_the_session(
    client, session
):
    world = await make_world(session, lines=1)
    await make_user(session, world)
    tokens = (
        await client.post(
            "/api/v1/auth/login", json={"username": world["numbers"][0], "password": PASSWORD}
        )
    ).json()

    answers = await at_once(
        20,
        lambda _: client.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        ),
    )

    statuses = [answer.status_code for answer in answers]
    assert sorted(statuses) == [200] + [401] * 19, statuses
    assert error_codes(answers) == {"invalid_refresh_token"}
    # The reuse was seen: the session ends, and the tokens of the one rotation with it.
    rotated = answers[statuses.index(200)].json()
    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {rotated['access_token']}"}
    )
    assert me.status_code == 401
    again = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    assert again.status_code == 401
    (stored,) = (await session.scalars(select(AuthSession))).all()
    assert stored.revoked_reason == "refresh_reuse"
    actions = (await session.scalars(select(AuditEvent.action))).all()
    assert "refresh_token_reused" in actions
