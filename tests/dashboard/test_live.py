"""Counters that update by themselves: a page's event stream says when its line's counters
changed (after a file import through the API, or a batch of the usage stream), and the widget
JSON's ETag changes with them."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from linedesk.alerts.service import Thresholds, alerts_hook
from linedesk.db import create_sessionmaker
from linedesk.kit.broker import MemoryBroker
from linedesk.usage.stream import StreamConfig, UsageConsumer
from tests.conftest import NOW
from tests.identity.helpers import bearer
from tests.identity.test_web_sessions import sign_in_web

IMPORT = "/api/v1/backoffice/usage/import"
AT = datetime(2026, 11, 18, 8, tzinfo=UTC)


def ndjson(line: str, record_id: str, quantity: int = 1) -> bytes:
    return (
        json.dumps(
            {
                "record_id": record_id,
                "line": line,
                "started_at": AT.isoformat(),
                "type": "sms",
                "quantity": quantity,
            }
        )
        + "\n"
    ).encode()


class EventStream:
    """An endless response read as it is sent (httpx's ASGI transport waits for the end)."""

    def __init__(self) -> None:
        self.status = 0
        self.chunks: asyncio.Queue[str] = asyncio.Queue()
        self.gone = asyncio.Event()

    async def subscribed(self, within: float = 10) -> None:
        """The response began: the page now hears every change (its first line is `retry:`)."""
        async with asyncio.timeout(within):
            assert (await self.chunks.get()).startswith("retry:")

    async def next_event(self, within: float = 5) -> str:
        """The next event's name (comments and `retry:` skipped)."""
        async with asyncio.timeout(within):
            while True:
                chunk = await self.chunks.get()
                for line in chunk.splitlines():
                    if line.startswith("event: "):
                        return line.removeprefix("event: ")


@asynccontextmanager
async def events(app: Any, client: Any, query: str) -> AsyncIterator[EventStream]:
    stream = EventStream()
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": "/events/counters",
        "raw_path": b"/events/counters",
        "query_string": query.encode(),
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"cookie", cookie.encode()),
            (b"accept", b"text/event-stream"),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 443),
    }
    sent_body = False

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await stream.gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            stream.status = message["status"]
        elif message["type"] == "http.response.body" and message.get("body"):
            await stream.chunks.put(message["body"].decode())

    task = asyncio.create_task(app(scope, receive, send))
    try:
        yield stream
    finally:
        stream.gone.set()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_file_import_through_the_api_tells_the_open_pages_of_its_line(
    app, client, world, api_key
):
    mine = world["numbers"][0]
    await sign_in_web(client, mine)
    async with events(app, client, f"line={mine}&since=") as stream:
        await stream.subscribed()
        assert stream.status == 200
        imported = await client.post(
            IMPORT,
            content=ndjson(mine, "api-1"),
            headers={"Content-Type": "application/x-ndjson", "Authorization": f"Bearer {api_key}"},
        )
        assert imported.status_code == 200, imported.text
        assert await stream.next_event() == "counters"


async def test_a_stream_batch_tells_the_open_pages_of_its_line(app, client, world, engine):
    mine = world["numbers"][0]
    await sign_in_web(client, mine)
    broker, config = MemoryBroker(), StreamConfig(batch_ms=20)
    consumer = UsageConsumer(
        broker,
        create_sessionmaker(engine),
        lambda: NOW,
        config,
        app.state.live.publish,
        on_counters=alerts_hook(Thresholds()),
    )
    await consumer.start()
    async with events(app, client, f"line={mine}&since=") as stream:
        await stream.subscribed()
        await broker.publish(config.subject, ndjson(mine, "stream-1"))
        assert (await consumer.step(idle=2)).imported == 1
        assert await stream.next_event() == "counters"


async def test_a_change_made_while_the_page_connected_is_told_at_once(app, client, world, api_key):
    mine = world["numbers"][0]
    await sign_in_web(client, mine)
    await client.post(
        IMPORT,
        content=ndjson(mine, "api-2"),
        headers={"Content-Type": "application/x-ndjson", "Authorization": f"Bearer {api_key}"},
    )
    async with events(app, client, f"line={mine}&since=") as stream:  # page shown before
        assert await stream.next_event() == "counters"


async def test_no_events_for_a_line_of_another_company(app, client, world):
    await sign_in_web(client, world["numbers"][0])
    async with events(app, client, f"line={world['other_number']}") as stream:
        async with asyncio.timeout(10):
            await stream.chunks.get()  # the error page
        assert stream.status == 404


async def test_the_widget_etag_changes_with_the_counters(client, world, api_key):
    mine = world["numbers"][0]
    auth = await bearer(client, mine)
    first = await client.get(f"/api/v1/widget?line={mine}", headers=auth)
    tag = first.headers["ETag"]
    assert (
        await client.get(f"/api/v1/widget?line={mine}", headers=auth | {"If-None-Match": tag})
    ).status_code == 304
    await client.post(
        IMPORT,
        content=ndjson(mine, "api-3", 2),
        headers={"Content-Type": "application/x-ndjson", "Authorization": f"Bearer {api_key}"},
    )
    after = await client.get(f"/api/v1/widget?line={mine}", headers=auth | {"If-None-Match": tag})
    assert after.status_code == 200 and after.headers["ETag"] != tag
    assert after.json()["usage"]["sms"]["used"] == 2
