"""One-time codes (SPEC R-A7): 6 digits from a CSPRNG, stored as a keyed hash bound to their
purpose and subject, valid 10 minutes, single use, 5 wrong tries, growing waits to resend."""

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.errors import RateLimited, ValidationFailed
from linedesk.identity.models import CodePurpose, OneTimeCode, User
from linedesk.identity.passwords import PasswordHasher, check_password_policy
from linedesk.kit.hashing import keyed_hash
from linedesk.kit.ratelimit import (
    CODE_SEND_PER_ADDRESS,
    CODE_SEND_PER_NUMBER,
    CODE_VERIFY_PER_ADDRESS,
    CODE_VERIFY_PER_NUMBER,
    RateLimiter,
)
from linedesk.messaging.models import Channel
from linedesk.messaging.service import enqueue

if TYPE_CHECKING:
    from linedesk.identity.service import AuthContext

CODE_TTL = timedelta(minutes=10)
MINUTES = int(CODE_TTL.total_seconds() // 60)
MAX_WRONG_TRIES = 5
FIRST_RESEND_WAIT = timedelta(seconds=30)
MAX_SENDS = 5


@dataclass(frozen=True)
class IssuedCode:
    record: OneTimeCode
    code: str  # to put in the message only; never logged, never stored in clear

    @property
    def resend_after(self) -> datetime:
        return resend_after(self.record)

    def payload(self, **more: Any) -> dict[str, Any]:
        """What a message carrying the code says: the code, how long it lasts, and `more`."""
        return {"code": self.code, "minutes": MINUTES, **more}


def _digest(secret_key: str, purpose: CodePurpose, subject: str, code: str) -> str:
    # Keyed by purpose and subject: a registration code is worthless for a recovery, or for
    # another number.
    return keyed_hash(secret_key, f"otp:{purpose.value}:{subject}", code)


def _new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def resend_after(record: OneTimeCode) -> datetime:
    """30 s after the first send, then 60 s, 120 s, …"""
    return record.last_sent_at + FIRST_RESEND_WAIT * 2 ** (record.sends - 1)


def invalid_code(*, keep_changes: bool = True) -> ValidationFailed:
    """A wrong, spent or expired code; the try it cost is kept unless `keep_changes` is off."""
    return ValidationFailed(
        "The code is wrong or has expired",
        code="invalid_code",
        details=[{"field": "code", "reason": "wrong or expired"}],
        keep_changes=keep_changes,
    )


async def find_code(
    session: AsyncSession, public_id: str, purpose: CodePurpose
) -> OneTimeCode | None:
    return await session.scalar(
        select(OneTimeCode).where(
            OneTimeCode.public_id == public_id, OneTimeCode.purpose == purpose
        )
    )


async def _find_own_code(
    session: AsyncSession, public_id: str, purpose: CodePurpose, owner_id: int | None
) -> OneTimeCode | None:
    """The code of `purpose`; None when it belongs to a user other than `owner_id`."""
    code_record = await find_code(session, public_id, purpose)
    if code_record is not None and owner_id is not None and code_record.user_id != owner_id:
        return None
    return code_record


async def resend_code(
    session: AsyncSession, secret_key: str, now: datetime, record: OneTimeCode
) -> IssuedCode:
    """A fresh code (the old one stops working) after a growing wait; the count of wrong
    tries carries over. Of resends at the same moment one goes out, the others wait."""
    if record.used_at is not None or record.attempts >= MAX_WRONG_TRIES:
        raise invalid_code()
    wait_until = resend_after(record)
    if now < wait_until or record.sends >= MAX_SENDS:
        raise _resend_refused(record, now)
    code = _new_code()
    # Only over the send this request saw: a concurrent resend got there first otherwise.
    resent = await session.scalar(
        update(OneTimeCode)
        .where(
            OneTimeCode.id == record.id,
            OneTimeCode.sends == record.sends,
            OneTimeCode.used_at.is_(None),
            OneTimeCode.attempts < MAX_WRONG_TRIES,
        )
        .values(
            code_digest=_digest(secret_key, record.purpose, record.subject, code),
            sends=OneTimeCode.sends + 1,
            last_sent_at=now,
            expires_at=now + CODE_TTL,
        )
        .returning(OneTimeCode)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    if resent is None:
        await session.refresh(record)
        raise _resend_refused(record, now)
    return IssuedCode(resent, code)


def _resend_refused(record: OneTimeCode, now: datetime) -> RateLimited:
    seconds = max(int((resend_after(record) - now).total_seconds()) + 1, 1)
    if record.sends >= MAX_SENDS:
        seconds = int(CODE_TTL.total_seconds())
    return RateLimited(
        "Wait a little before asking for the code again", headers={"Retry-After": str(seconds)}
    )


async def consume_code(
    session: AsyncSession, secret_key: str, now: datetime, record: OneTimeCode | None, code: str
) -> OneTimeCode:
    """Accept the right code once; count every wrong one (the 6th try finds the code dead).

    Spending the code and counting a wrong try are each one conditional UPDATE: requests
    that arrive together queue on the code's row, so one of them spends it, and a right
    code after 5 counted wrong ones is refused, whatever the order."""
    if record is None:
        raise invalid_code()
    live = (
        OneTimeCode.id == record.id,
        OneTimeCode.used_at.is_(None),
        OneTimeCode.expires_at > now,
        OneTimeCode.attempts < MAX_WRONG_TRIES,
    )
    expected = _digest(secret_key, record.purpose, record.subject, code)
    spent = await session.scalar(
        update(OneTimeCode)
        .where(*live, OneTimeCode.code_digest == expected)
        .values(used_at=now)
        .returning(OneTimeCode)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    if spent is not None:
        return spent
    await session.execute(
        update(OneTimeCode)
        .where(*live)
        .values(attempts=OneTimeCode.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    raise invalid_code()


async def holder(session: AsyncSession, code_record: OneTimeCode) -> User:
    """The user a spent code was for, while they may still sign in; else the code is void."""
    user = await session.get(User, code_record.user_id) if code_record.user_id else None
    if user is None or user.disabled_at is not None:
        raise invalid_code()
    return user


def ticket_fields(issued: IssuedCode) -> dict[str, Any]:
    """The fields of a CodeTicket; each flow names the id (registration_id, recovery_id…)."""
    return {
        "channel": issued.record.channel,
        "expires_at": issued.record.expires_at,
        "resend_after": issued.resend_after,
    }


@dataclass(frozen=True)
class Limits:
    limiter: RateLimiter
    client_ip: str

    @classmethod
    def of(cls, limiter: RateLimiter, ctx: "AuthContext") -> "Limits":
        """The limits a request counts against: per number and per client address."""
        return cls(limiter, ctx.client_ip or "unknown")

    async def sending(self, subject: str) -> None:
        await self.limiter.hit(CODE_SEND_PER_NUMBER, subject)
        await self.limiter.hit(CODE_SEND_PER_ADDRESS, self.client_ip)

    async def verifying(self, subject: str) -> None:
        await self.limiter.hit(CODE_VERIFY_PER_NUMBER, subject)
        await self.limiter.hit(CODE_VERIFY_PER_ADDRESS, self.client_ip)


@dataclass(frozen=True)
class CodeCall:
    """What a request of the code flows (registration, recovery, activation, linking) brings
    to their operations: its database session and context, the limits of sending and entering
    codes it counts against, and the password hasher."""

    session: AsyncSession
    ctx: "AuthContext"
    limits: Limits
    hasher: PasswordHasher


async def resend_by_id(
    call: CodeCall, public_id: str, purpose: CodePurpose, owner_id: int | None = None
) -> IssuedCode:
    """'Send again' for a code of `purpose` (of `owner_id`, when it belongs to a user)."""
    code_record = await _find_own_code(call.session, public_id, purpose, owner_id)
    if code_record is None:
        raise invalid_code()
    await call.limits.sending(code_record.subject)
    ctx = call.ctx
    return await resend_code(call.session, ctx.settings.secret_key, ctx.now, code_record)


async def redeem(
    call: CodeCall,
    public_id: str,
    purpose: CodePurpose,
    code: str,
    *,
    owner_id: int | None = None,
    password: str | None = None,
) -> OneTimeCode:
    """Use a code. The `password` its user chooses with it, if any, is checked first (for
    the username the code is for): a password the policy refuses must not use up a try.
    Then the tries are limited and counted, and the right code is spent."""
    code_record = await _find_own_code(call.session, public_id, purpose, owner_id)
    if code_record is not None:
        if password is not None:
            check_password_policy(password, code_record.subject)
        await call.limits.verifying(code_record.subject)
    ctx = call.ctx
    return await consume_code(call.session, ctx.settings.secret_key, ctx.now, code_record, code)


async def send_message(
    session: AsyncSession,
    ctx: "AuthContext",
    code_record: OneTimeCode,
    template: str,
    payload: dict[str, Any],
    channel: Channel | None = None,
) -> None:
    """A message about a code (the code itself, or why none comes) to where the code goes,
    in the language it was asked in; by the code's channel unless `channel` says otherwise."""
    await enqueue(
        session,
        channel or Channel(code_record.channel),
        code_record.destination,
        template,
        code_record.context.get("language", "it"),
        payload,
        now=ctx.now,
        company_id=code_record.company_id,
    )


Sender = Callable[[AsyncSession, "AuthContext", IssuedCode], Awaitable[None]]


@dataclass(frozen=True)
class CodeFlow:
    """A flow's codes: their purpose, and how one is sent (first, and again at "send again")."""

    purpose: CodePurpose
    send: Sender

    async def issue(
        self,
        session: AsyncSession,
        ctx: "AuthContext",
        *,
        subject: str,
        channel: Channel,
        destination: str,
        company_id: int | None = None,
        user_id: int | None = None,
        context: dict[str, Any] | None = None,
    ) -> IssuedCode:
        """A new code for `subject`, stored and sent as "send again" would send it."""
        code = _new_code()
        record = OneTimeCode(
            public_id=secrets.token_urlsafe(16),
            purpose=self.purpose,
            subject=subject,
            channel=channel.value,
            destination=destination,
            code_digest=_digest(ctx.settings.secret_key, self.purpose, subject, code),
            company_id=company_id,
            user_id=user_id,
            context=context or {},
            attempts=0,
            sends=1,
            last_sent_at=ctx.now,
            expires_at=ctx.now + CODE_TTL,
            created_at=ctx.now,
        )
        session.add(record)
        await session.flush()
        issued = IssuedCode(record, code)
        await self.send(session, ctx, issued)
        return issued

    async def resend(self, call: CodeCall, public_id: str) -> IssuedCode:
        issued = await resend_by_id(call, public_id, self.purpose)
        await self.send(call.session, call.ctx, issued)
        return issued
