"""How pages show errors: our errors as a page in the user's language, and the two
redirects of signed-in pages (to sign in, to choose a new password)."""

from fastapi import FastAPI, Request
from starlette.responses import Response

from linedesk.errors import LinedeskError
from linedesk.web.templating import redirect, render

PASSWORD_PAGE = "/account/password"


class LoginRequired(Exception):
    """A page for signed-in users was asked for without a session: go to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PasswordChangeRequired(Exception):
    """Signed in with a generated password: nothing but choosing a new one is allowed."""


async def render_error_page(request: Request, exc: LinedeskError) -> Response:
    response = render(request, "error.html", status_code=exc.status_code, error=exc)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def install_page_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(_request: Request, exc: LoginRequired) -> Response:
        return redirect(f"/login?next={exc.next_path}")

    @app.exception_handler(PasswordChangeRequired)
    async def _password(_request: Request, _exc: PasswordChangeRequired) -> Response:
        return redirect(PASSWORD_PAGE)
