"""Text leaves compressed, Server-Sent Events are neither compressed nor held back, and
static files may be kept by the browser."""

import asyncio

import httpx
from starlette.applications import Starlette
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from linedesk.web.delivery import STATIC_CACHE, compressed

GZIP = {"Accept-Encoding": "gzip"}


async def test_pages_and_static_text_are_gzipped_and_static_files_cached(client):
    page = await client.get("/login", headers=GZIP)
    assert page.headers["Content-Encoding"] == "gzip" and "Accedi" in page.text
    css = await client.get("/static/app.css", headers=GZIP)
    assert css.headers["Content-Encoding"] == "gzip"
    assert css.headers["Cache-Control"] == STATIC_CACHE and css.headers["ETag"]
    icon = await client.get("/static/icons/icon-192.png", headers=GZIP)
    assert "Content-Encoding" not in icon.headers
    assert icon.headers["Cache-Control"] == STATIC_CACHE
    page_again = await client.get("/login")
    assert (
        "Cache-Control" not in page_again.headers
        or "max-age" not in page_again.headers["Cache-Control"]
    )


async def test_an_answer_that_fits_one_packet_is_not_compressed():
    """The counters' JSON (about 700 bytes) leaves as it is; a longer one is compressed."""

    def sized(size: int):  # type: ignore[no-untyped-def]
        async def answer(request):  # type: ignore[no-untyped-def]
            return Response('{"x": "' + "a" * (size - 9) + '"}', media_type="application/json")

        return answer

    app = compressed(Starlette(routes=[Route("/small", sized(700)), Route("/large", sized(3000))]))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        small = await http.get("/small", headers=GZIP)
        large = await http.get("/large", headers=GZIP)
    assert "content-encoding" not in small.headers and len(small.content) == 700
    assert large.headers["content-encoding"] == "gzip" and len(large.json()["x"]) == 2991


async def test_an_event_stream_passes_through_uncompressed_and_unbuffered():
    release = asyncio.Event()

    async def events():  # type: ignore[no-untyped-def]
        yield "data: " + "x" * 2000 + "\n\n"  # over the compression threshold
        await release.wait()
        yield "data: last\n\n"

    async def stream(request):  # type: ignore[no-untyped-def]
        return StreamingResponse(events(), media_type="text/event-stream")

    app = compressed(Starlette(routes=[Route("/events", stream)]))
    sent: list[dict] = []
    first = asyncio.Event()

    async def receive():  # type: ignore[no-untyped-def]
        await asyncio.Event().wait()  # the client never disconnects in this test

    async def send(message):  # type: ignore[no-untyped-def]
        sent.append(message)
        if message["type"] == "http.response.body" and message.get("body"):
            first.set()

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/events",
        "headers": [(b"accept-encoding", b"gzip")],
        "query_string": b"",
        "http_version": "1.1",
        "scheme": "http",
        "server": ("test", 80),
        "root_path": "",
    }
    task = asyncio.create_task(app(scope, receive, send))
    await asyncio.wait_for(first.wait(), 5)  # the first event, before the stream ends
    headers = dict(sent[0]["headers"])
    assert b"content-encoding" not in headers
    assert sent[1]["body"].startswith(b"data: xxx")
    release.set()
    await asyncio.wait_for(task, 5)
