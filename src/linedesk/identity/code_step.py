"""The code step that registration, recovery and manager activation share on their pages:
enter the code, "send again", and what the posts of these pages bring."""

from dataclasses import dataclass, field
from typing import Annotated, Any

from babel.dates import format_time
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from linedesk.errors import LinedeskError, NotFound, ValidationFailed
from linedesk.identity.auth import CodeCallDep
from linedesk.identity.codes import CodeFlow, find_code, resend_after
from linedesk.identity.models import CodePurpose, OneTimeCode
from linedesk.identity.principal import Principal
from linedesk.identity.service import AuthContext
from linedesk.kit.clock import ROME
from linedesk.kit.i18n import LOCALES, pick_language
from linedesk.web.csrf import CsrfChecked
from linedesk.web.forms import refused, settle
from linedesk.web.templating import redirect, render


def language(request: Request, ctx: AuthContext) -> str:
    return pick_language(request, ctx.settings.default_language)


def first_step(
    request: Request, visitor: Principal | None, template: str, signed_in_to: str = "/home"
) -> Response:
    """A flow's first page, empty; whoever is signed in already goes to `signed_in_to`."""
    if visitor is not None:
        return redirect(signed_in_to)
    return render(request, template, form={})


def chosen_password(password: str, confirm_password: str) -> str:
    """The password a form chose, typed the same twice."""
    if password != confirm_password:
        raise ValidationFailed("The two passwords differ", code="password_mismatch")
    return password


async def ticket(session: AsyncSession, public_id: str, purpose: CodePurpose) -> OneTimeCode:
    record = await find_code(session, public_id, purpose)
    if record is None:
        raise NotFound("This page has expired: start again", code="unknown_request")
    return record


def code_step(request: Request, ctx: AuthContext, record: OneTimeCode) -> dict[str, Any]:
    """What the code step shows: the channel, and when "send again" becomes possible."""
    after = resend_after(record)
    at = format_time(after, "medium", tzinfo=ROME, locale=LOCALES[language(request, ctx)])
    return {
        "channel": record.channel,
        "resend_at": at if after > ctx.now else None,
        "resent": request.query_params.get("resent") == "1",
    }


@dataclass(frozen=True)
class CodePost:
    """A post of these flows' pages: the request, its CSRF token checked, and what it brings
    to the flow's operations."""

    request: Request
    csrf: CsrfChecked
    call: CodeCallDep

    @property
    def session(self) -> AsyncSession:
        return self.call.session

    @property
    def ctx(self) -> AuthContext:
        return self.call.ctx

    @property
    def language(self) -> str:
        return language(self.request, self.ctx)


CodePostDep = Annotated[CodePost, Depends()]


@dataclass(frozen=True)
class CodeStep:
    """One flow's code step: its template, its codes and what its page always gets (the
    portal's empty form), shown fresh, again with an error, or after "send again"."""

    template: str
    codes: CodeFlow
    context: dict[str, Any] = field(default_factory=dict)

    async def page(
        self,
        request: Request,
        session: AsyncSession,
        ctx: AuthContext,
        public_id: str,
        exc: LinedeskError | None = None,
        **context: Any,
    ) -> Response:
        """The code step, shown fresh or again with an error."""
        if exc is not None:
            await settle(session, exc)
        record = await ticket(session, public_id, self.codes.purpose)
        shown = {"public_id": public_id, **code_step(request, ctx, record), **self.context}
        if exc is None:
            return render(request, self.template, **(shown | context))
        return await refused(request, session, exc, self.template, **(shown | context))

    async def refused(
        self, post: CodePost, public_id: str, exc: LinedeskError, **context: Any
    ) -> Response:
        """The step again, with what was wrong with the post."""
        return await self.page(post.request, post.session, post.ctx, public_id, exc, **context)

    async def resent(self, post: CodePost, public_id: str, url: str) -> Response:
        """The code sent again, then back to the step at `url`; or the step with the error."""
        try:
            await self.codes.resend(post.call, public_id)
        except LinedeskError as exc:
            return await self.refused(post, public_id, exc)
        return redirect(f"{url}?resent=1")
