"""Shared steps of the identity tests."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

PASSWORD = "Correct-Horse-Battery-9"


async def bearer(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD, **extra: Any
) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password, **extra}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def at_once(
    count: int, send: Callable[[int], Awaitable[httpx.Response]]
) -> list[httpx.Response]:
    """`count` requests in flight together (each with its own database session, as served):
    `send(i)` makes the i-th."""
    return list(await asyncio.gather(*(send(i) for i in range(count))))


def statuses(responses: list[httpx.Response]) -> list[int]:
    return sorted(response.status_code for response in responses)


def error_codes(responses: list[httpx.Response]) -> set[str]:
    """The `error.code` of every refusal: each is in the one error shape."""
    return {
        response.json()["error"]["code"] for response in responses if response.status_code >= 400
    }
