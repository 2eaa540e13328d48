"""The code step that registration, recovery and manager activation share on their pages:
enter the code, "send again", and the rate limits they count against."""

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from babel.dates import format_time
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from linedesk.errors import LinedeskError, NotFound
from linedesk.identity.codes import Limits, find_code, resend_after
from linedesk.identity.models import CodePurpose, OneTimeCode
from linedesk.identity.service import AuthContext
from linedesk.kit.clock import ROME
from linedesk.kit.i18n import LOCALES, pick_language
from linedesk.kit.ratelimit import RateLimiter
from linedesk.web.forms import refused, settle
from linedesk.web.templating import redirect, render


def language(request: Request, ctx: AuthContext) -> str:
    return pick_language(request, ctx.settings.default_language)


def limits(limiter: RateLimiter, ctx: AuthContext) -> Limits:
    return Limits.of(limiter, ctx)


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


async def code_page(
    request: Request,
    session: AsyncSession,
    ctx: AuthContext,
    template: str,
    public_id: str,
    purpose: CodePurpose,
    exc: LinedeskError | None = None,
    **context: Any,
) -> Response:
    """The code step, shown fresh or again with an error."""
    if exc is not None:
        await settle(session, exc)
    step = code_step(request, ctx, await ticket(session, public_id, purpose))
    if exc is None:
        return render(request, template, public_id=public_id, **step, **context)
    return await refused(request, session, exc, template, public_id=public_id, **step, **context)


@dataclass(frozen=True)
class CodeStep:
    """One flow's code step: its template, its codes' purpose and what its page always gets
    (the portal's empty form), shown fresh, again with an error, or after "send again"."""

    template: str
    purpose: CodePurpose
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
        return await code_page(
            request,
            session,
            ctx,
            self.template,
            public_id,
            self.purpose,
            exc,
            **(self.context | context),
        )

    async def resent(
        self,
        request: Request,
        session: AsyncSession,
        ctx: AuthContext,
        public_id: str,
        resend: Awaitable[object],
        url: str,
    ) -> Response:
        """`resend` (the code sent again), then back to the step at `url`; or the step with
        the error."""
        try:
            await resend
        except LinedeskError as exc:
            return await self.page(request, session, ctx, public_id, exc)
        return redirect(f"{url}?resent=1")
