"""Back-office API keys: required, checked, revocable; stored only as digests."""

from sqlalchemy import select

from linedesk.backoffice.models import ApiKey
from linedesk.backoffice.service import create_api_key, revoke_api_key
from tests.conftest import NOW


async def test_without_a_key_the_back_office_answers_401(client):
    response = await client.get("/api/v1/backoffice/companies")
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "unauthorized", "message": "A valid back-office API key is required"}
    }
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_a_wrong_key_is_401(client):
    response = await client.get(
        "/api/v1/backoffice/companies", headers={"Authorization": "Bearer ldk_not-a-real-key"}
    )
    assert response.status_code == 401


async def test_a_valid_key_works_in_either_header(client, api_key):
    assert (
        await client.get(
            "/api/v1/backoffice/companies", headers={"Authorization": f"Bearer {api_key}"}
        )
    ).status_code == 200
    assert (
        await client.get("/api/v1/backoffice/companies", headers={"X-API-Key": api_key})
    ).status_code == 200


async def test_a_revoked_key_stops_working(client, session):
    key = await create_api_key(session, "to-revoke", NOW)
    await session.commit()
    headers = {"X-API-Key": key}
    assert (await client.get("/api/v1/backoffice/offers", headers=headers)).status_code == 200
    await revoke_api_key(session, "to-revoke", NOW)
    await session.commit()
    assert (await client.get("/api/v1/backoffice/offers", headers=headers)).status_code == 401


async def test_the_key_itself_is_not_stored(session):
    key = await create_api_key(session, "digest-only", NOW)
    await session.commit()
    stored = (await session.execute(select(ApiKey))).scalar_one()
    assert key.startswith("ldk_") and len(key) > 40
    assert key not in (stored.key_digest, stored.name)
