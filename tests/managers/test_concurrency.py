"""Telco managers under parallel requests (R-A5, R-A7): an activation code sets one password,
and one username makes one manager."""

import pytest
from sqlalchemy import func, select

from linedesk.identity.models import Profile, User
from tests.factories import make_user, make_world
from tests.identity.helpers import at_once, bearer, error_codes
from tests.registration.test_api import code_in


@pytest.fixture
async def company(session):
    world = await make_world(session, lines=1)
    await make_user(
        session, world, profile="user_admin", username="laura", email="laura@example.it"
    )
    return world


def _create(client, auth, username="marco"):
    return client.post(
        "/api/v1/company/managers",
        headers=auth,
        json={"username": username, "email": f"{username}@example.it"},
    )


async def test_one_activation_code_sent_20_times_at_once_sets_one_password(
    client, company, mailbox
):
    admin = await bearer(client, "laura")
    created = (await _create(client, admin)).json()
    code = code_in((await mailbox("marco@example.it"))[0])
    path = f"/api/v1/manager-activations/{created['activation']['activation_id']}/complete"

    answers = await at_once(
        20,
        lambda i: client.post(
            path, json={"code": code, "password": f"Marco-sceglie-la-sua-{i}-volta"}
        ),
    )

    statuses = [answer.status_code for answer in answers]
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 422, 429}
    assert error_codes(answers) <= {"invalid_code", "rate_limited"}
    winner = statuses.index(200)
    signed_in = [
        (
            await client.post(
                "/api/v1/auth/login",
                json={"username": "marco", "password": f"Marco-sceglie-la-sua-{i}-volta"},
            )
        ).status_code
        for i in sorted({winner, (winner + 1) % 20})
    ]
    assert sorted(signed_in) == [200, 401]


async def test_20_creations_of_one_username_at_once_make_one_manager(client, company, session):
    admin = await bearer(client, "laura")

    answers = await at_once(20, lambda _: _create(client, admin))

    statuses = [answer.status_code for answer in answers]
    assert sorted(statuses) == [201] + [409] * 19, statuses
    assert error_codes(answers) == {"username_taken"}
    managers = await session.scalar(
        select(func.count()).select_from(User).where(User.profile == Profile.telco_manager)
    )
    assert managers == 1
