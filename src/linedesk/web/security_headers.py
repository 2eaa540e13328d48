"""Security headers on every response, as one pure ASGI middleware.

Pages load scripts, styles, images and the manifest from this site only (no inline code, no
other origins), post forms only here, and may not be framed; the two widget pages replace the
policy with WIDGET_POLICY, which lets any site frame them. FastAPI's API description pages
(/docs, /redoc: no user data, off in production unless a setting serves them) load Swagger UI
and ReDoc from their CDN with inline code: they get DOCS_POLICY.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_PAGE_DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
)
PAGE_POLICY = "; ".join((*_PAGE_DIRECTIVES, "frame-ancestors 'none'"))
WIDGET_POLICY = "; ".join((*_PAGE_DIRECTIVES, "frame-ancestors *"))
# JSON, files and scripts: nothing but this site, never framed. (Not `object-src 'none'`:
# the browser's PDF viewer shows an invoice's PDF as an object of its response.)
OTHER_POLICY = "default-src 'self'; frame-ancestors 'none'"
DOCS_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
        "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com",
        "font-src 'self' https://fonts.gstatic.com",
        "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        docs = scope["path"] in DOCS_PATHS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._secured(list(message.get("headers", [])), docs)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _secured(self, headers: list[tuple[bytes, bytes]], docs: bool) -> list[tuple[bytes, bytes]]:
        names = {name.lower() for name, _ in headers}
        if b"content-security-policy" not in names:  # a widget page brings its own
            content_type = dict(headers).get(b"content-type", b"")
            policy = OTHER_POLICY
            if content_type.startswith(b"text/html"):
                policy = DOCS_POLICY if docs else PAGE_POLICY
            headers += [
                (b"content-security-policy", policy.encode()),
                (b"x-frame-options", b"DENY"),
            ]  # for browsers without frame-ancestors
        headers += [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
        if self.hsts:
            headers.append((b"strict-transport-security", HSTS.encode()))
        return headers
