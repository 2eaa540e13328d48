"""The pages that registration and recovery share: the first page, the code step ("send
again" included), and what the posts of these pages (and manager activation's) bring."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from babel.dates import format_time
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from linedesk.deps import SessionDep
from linedesk.errors import LinedeskError, NotFound, ValidationFailed
from linedesk.identity.auth import AuthContextDep, CodeCallDep
from linedesk.identity.codes import CodeCall, CodeFlow, IssuedCode, find_code, resend_after
from linedesk.identity.models import CodePurpose, OneTimeCode
from linedesk.identity.service import AuthContext
from linedesk.identity.web_auth import Visitor
from linedesk.kit.clock import ROME
from linedesk.kit.i18n import LOCALES, pick_language
from linedesk.web.csrf import CsrfChecked
from linedesk.web.forms import form_model, refused, settle
from linedesk.web.templating import redirect, render


def language(request: Request, ctx: AuthContext) -> str:
    return pick_language(request, ctx.settings.default_language)


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
StartT = TypeVar("StartT", bound=BaseModel)


@dataclass(frozen=True)
class CodePages:
    """One flow's pages: the first at `path` (`start`; whoever is signed in already goes to
    `signed_in_to`), then the code step at `path`/{public_id} (`template`, its `codes`, and what
    it always gets: the portal's empty form), shown fresh, again with an error, or after
    "send again". The flow's own posts use `begin` and `refused`."""

    path: str
    ticket: str  # the name of the code step's path parameter: the code's public id
    start: str
    template: str
    codes: CodeFlow
    context: dict[str, Any] = field(default_factory=dict)
    signed_in_to: str = "/home"

    def add_routes(self, router: APIRouter) -> None:
        """The first page, the code step's page, and its "send again" post."""

        async def first_page(request: Request, visitor: Visitor) -> Response:
            if visitor is not None:
                return redirect(self.signed_in_to)
            return render(request, self.start, form={})

        async def code_page(request: Request, session: SessionDep, ctx: AuthContextDep) -> Response:
            return await self.page(request, session, ctx, request.path_params[self.ticket])

        async def resend(post: CodePostDep) -> Response:
            return await self.resent(post, post.request.path_params[self.ticket])

        step = f"{self.path}/{{{self.ticket}}}"
        router.add_api_route(self.path, first_page, methods=["GET"])
        router.add_api_route(step, code_page, methods=["GET"])
        router.add_api_route(f"{step}/resend", resend, methods=["POST"])

    async def begin(
        self,
        post: CodePost,
        form: dict[str, Any],
        schema: type[StartT],
        start: Callable[[CodeCall, StartT], Awaitable[IssuedCode]],
        **fields: Any,
    ) -> Response:
        """The first page posted: `fields` (and the language) checked as `schema`, the code
        sent by `start`, on to the step; or the first page again with the error and `form`."""
        try:
            issued = await start(post.call, form_model(schema, **fields, language=post.language))
        except LinedeskError as exc:
            return await refused(post.request, post.session, exc, self.start, form=form)
        return redirect(f"{self.path}/{issued.record.public_id}")

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

    async def resent(self, post: CodePost, public_id: str) -> Response:
        """The code sent again, then back to the step; or the step with the error."""
        try:
            await self.codes.resend(post.call, public_id)
        except LinedeskError as exc:
            return await self.refused(post, public_id, exc)
        return redirect(f"{self.path}/{public_id}?resent=1")
