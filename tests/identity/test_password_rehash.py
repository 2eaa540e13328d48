"""A password hashed with older argon2 parameters is hashed again with today's at the next
good sign-in (R-A8)."""

import argon2
from sqlalchemy import select

from linedesk.identity.models import User
from tests.factories import make_user, make_world
from tests.identity.helpers import PASSWORD

TODAY = "$argon2id$v=19$m=19456,t=2,p=1$"


async def _stored_hash(session) -> str:
    session.expire_all()
    return (await session.scalars(select(User.password_hash))).one()


def _login(client, username: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


async def test_an_old_hash_is_replaced_at_the_next_good_sign_in(client, session):
    world = await make_world(session, lines=1)
    old = argon2.PasswordHasher(
        time_cost=1, memory_cost=8192, parallelism=1, type=argon2.Type.ID
    ).hash(PASSWORD)
    await make_user(session, world, password_hash=old)
    number = world["numbers"][0]

    assert (await _login(client, number, "Not-The-Password-1")).status_code == 401
    assert await _stored_hash(session) == old  # a wrong password changes nothing
    assert (await _login(client, number)).status_code == 200
    renewed = await _stored_hash(session)
    assert renewed.startswith(TODAY)
    assert (await _login(client, number)).status_code == 200
    assert await _stored_hash(session) == renewed  # a current hash is left alone
