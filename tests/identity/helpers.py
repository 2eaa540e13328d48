"""Shared steps of the identity tests."""

from typing import Any

import httpx

PASSWORD = "Correct-Horse-Battery-9"


async def bearer(client: httpx.AsyncClient, username: str,
                 password: str = PASSWORD, **extra: Any) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login",
                                 json={"username": username, "password": password, **extra})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
