"""Every identity query. Sign-in lookups are global by username; the rest are scoped."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from linedesk.identity.models import AuthSession, LinkedLine, Profile, RefreshToken, User
from linedesk.inventory.models import Line
from linedesk.kit.repository import ScopedRepository


class UserRepository(ScopedRepository[User]):
    model = User

    async def by_username(self, username: str) -> User | None:
        """Disabled users are found too: a removed manager's username stays taken."""
        return await self.session.scalar(self.readable().where(User.username == username))

    async def add_new(self, user: User) -> bool:
        """Insert a new user; False if their username was taken meanwhile by a request running
        at the same moment. The transaction is then spoiled: the caller's error rolls it back."""
        self.session.add(user)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            if "username" not in str(exc.orig):
                raise
            return False
        return True

    async def lock(self, user_id: int) -> None:
        """Hold the user's row until the transaction ends, so that a check of what the user
        holds (their linked lines) and the write it allows run one request at a time.
        PostgreSQL locks the row; SQLite has no row locks but one writer at a time, taken by
        a transaction's first write, so there a write that changes nothing takes it."""
        if self.session.get_bind().dialect.name == "sqlite":
            await self.session.execute(
                update(User)
                .where(User.id == user_id)
                .values(language=User.language)
                .execution_options(synchronize_session=False)
            )
        else:
            await self.session.execute(select(User.id).where(User.id == user_id).with_for_update())

    async def spend_password(self, user: User, verified_hash: str) -> bool:
        """Forget a password good for one sign-in (a generated one), unless a sign-in a moment
        ago already did: of two sign-ins with it at once, one goes through."""
        await self.session.flush()  # a hash just set in this transaction is compared too
        return await self._set_if(user, User.password_hash == verified_hash, "password_hash", None)

    async def claim_totp_step(self, user: User, step: int) -> bool:
        """Record `step` as the user's last accepted TOTP step, unless that step or a later
        one was accepted already (by a request a moment ago too)."""
        return await self._set_if(
            user,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
            "totp_last_step",
            step,
        )

    async def _set_if(
        self, user: User, condition: ColumnElement[bool], attribute: str, value: object
    ) -> bool:
        """Set `attribute` of `user` to `value` in one conditional UPDATE, only while
        `condition` still holds in the database; tell whether it did."""
        updated = await self.session.scalar(
            update(User)
            .where(User.id == user.id, condition)
            .values({attribute: value})
            .returning(User.id)
            .execution_options(synchronize_session=False)
        )
        if updated is None:
            return False
        set_committed_value(user, attribute, value)
        return True

    async def managers(self) -> Sequence[User]:
        statement = (
            self.readable()
            .where(User.profile != Profile.employee, User.disabled_at.is_(None))
            .order_by(User.id)
        )
        return (await self.session.scalars(statement)).all()

    async def lines_of(self, user: User) -> list[Line]:
        """The user's main line first, then their linked lines, oldest link first."""
        lines: list[Line] = []
        if user.main_line_id is not None:
            main = await self.session.get(Line, user.main_line_id)
            if main is not None:
                lines.append(main)
        linked = await self.session.scalars(
            select(Line)
            .join(LinkedLine, LinkedLine.line_id == Line.id)
            .where(LinkedLine.user_id == user.id, LinkedLine.company_id == user.company_id)
            .order_by(LinkedLine.linked_at, LinkedLine.id)
        )
        lines.extend(linked)
        return lines


def readable_by_user() -> ColumnElement[bool]:
    """Whether the user may read the line, as SQL over the `users` and `lines` rows of a
    statement: the rule of `principal.line_scope` (a manager every line of the company, an
    employee their main line and the lines linked to it), for a query that reads the user
    and a line in one round trip."""
    linked = select(LinkedLine.line_id).where(
        LinkedLine.user_id == User.id, LinkedLine.company_id == User.company_id
    )
    return and_(
        Line.company_id == User.company_id,
        or_(User.profile != Profile.employee, Line.id == User.main_line_id, Line.id.in_(linked)),
    )


def sessions_with_users() -> Select[AuthSession, User]:
    """The session whose token digest is the parameter `digest`, and its user: every
    request's authentication. A route may add to it what it reads in the same round trip."""
    return (
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_digest == bindparam("digest"))
    )


# Built once: SQLAlchemy then keys it for its compiled cache once, not at every request.
SESSION_WITH_USER = sessions_with_users()


class SessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def with_user(
        self,
        digest: str,
        statement: Select[*tuple[Any, ...]] = SESSION_WITH_USER,
        params: Mapping[str, object] | None = None,
    ) -> Row[*tuple[Any, ...]] | None:
        """The session behind a token and its user, in one query (every request asks), then
        whatever else `statement` (made from `sessions_with_users`) reads."""
        result = await self.session.execute(statement, {"digest": digest, **(params or {})})
        return result.first()

    async def refresh_token(self, digest: str) -> RefreshToken | None:
        return await self.session.scalar(
            select(RefreshToken).where(RefreshToken.token_digest == digest)
        )

    async def spend_refresh_token(self, token_id: int, now: datetime) -> bool:
        """Mark a refresh token used, unless it already was: of two requests presenting it
        at the same moment one rotates, the other finds it used (reuse)."""
        spent = await self.session.scalar(
            update(RefreshToken)
            .where(RefreshToken.id == token_id, RefreshToken.used_at.is_(None))
            .values(used_at=now)
            .returning(RefreshToken.id)
            .execution_options(synchronize_session=False)
        )
        return spent is not None

    async def revoke_all(
        self, user_id: int, reason: str, now_value: object, keep_session_id: int | None = None
    ) -> None:
        statement = (
            update(AuthSession)
            .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now_value, revoked_reason=reason)
        )
        if keep_session_id is not None:
            statement = statement.where(AuthSession.id != keep_session_id)
        await self.session.execute(statement)
