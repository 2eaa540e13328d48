"""How pages and files travel: compressed text, and static files a browser may keep.

Text (HTML, CSS, JS, JSON, SVG, XML, CSV) is gzipped when the browser accepts it and it is
worth it (500 bytes or more). Server-Sent Events are never compressed nor buffered (the
middleware leaves `text/event-stream` alone), nor are PDFs and images (already compressed).
Static files are kept an hour by the browser and then revalidated with their ETag; the
service worker keeps its own copy per version of the files.
"""

from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Scope

STATIC_CACHE = "public, max-age=3600, stale-while-revalidate=86400"
NOT_COMPRESSED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/pdf")


def compressed(app: ASGIApp) -> GZipMiddleware:
    return GZipMiddleware(
        app, minimum_size=500, compresslevel=6, exclude_content_types=NOT_COMPRESSED
    )


class CachedStaticFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = STATIC_CACHE
        return response
