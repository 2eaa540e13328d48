"""How pages and files travel: compressed text, and static files a browser may keep.

Text (HTML, CSS, JS, JSON, SVG, XML, CSV) is gzipped when the browser accepts it and it is
worth it: 1,400 bytes or more. A smaller answer (a JSON read, the counters) travels in one TCP
segment either way, and compressing it would only cost the server time. Server-Sent Events
are never compressed nor buffered (the middleware leaves `text/event-stream` alone), nor are
PDFs and images (already compressed).
Static files are kept an hour by the browser and then revalidated with their ETag; the
service worker keeps its own copy per version of the files.
"""

from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Scope

SMALLEST_COMPRESSED = 1400  # bytes: about one TCP segment's payload (MSS 1,460)
STATIC_CACHE = "public, max-age=3600, stale-while-revalidate=86400"
NOT_COMPRESSED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/pdf")


def compressed(app: ASGIApp) -> GZipMiddleware:
    return GZipMiddleware(
        app, minimum_size=SMALLEST_COMPRESSED, compresslevel=6, exclude_content_types=NOT_COMPRESSED
    )


class CachedStaticFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = STATIC_CACHE
        return response
