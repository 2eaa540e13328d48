"""Steps shared by the browser journeys."""

import asyncio
import re

import httpx

PASSWORD = "Correct-Horse-Battery-9"


async def latest_code(base_url: str, recipient: str, after: int = 0,
                      wait_seconds: float = 10.0) -> str:
    """The newest 6-digit code sent to `recipient`, as the development mailbox shows it
    (the live server's in-process worker delivers within a second or so)."""
    deadline = asyncio.get_running_loop().time() + wait_seconds
    async with httpx.AsyncClient(base_url=base_url) as client:
        while True:
            messages = (await client.get("/api/v1/dev/outbox", params={"limit": 200})).json()
            mine = [m for m in messages if m["recipient"] == recipient]
            if len(mine) > after:
                match = re.search(r"\b(\d{6})\b", mine[0]["text"])
                if match:
                    return match.group(1)
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no code reached {recipient}: {mine}")
            await asyncio.sleep(0.2)


async def sign_in(page, base_url: str, username: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    await page.goto(base_url + "/login")
    await page.get_by_label("Nome utente", exact=False).fill(username)
    await page.get_by_label("Password", exact=True).fill(password)
    await page.get_by_role("button", name="Accedi", exact=True).click()
    await page.wait_for_url("**/home")
