"""Every query of the usage alerts: who a line's alert goes to, the users' switches, and the
`sent_alerts` rows that make each alert once per line, period and kind."""

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from linedesk.identity.models import User
from linedesk.kit.bulk import among, chunks, dialect_insert, insert_new_columns, is_postgres
from linedesk.kit.repository import SessionRepository
from linedesk.usage.models import AlertKind, SentAlert, UsagePreferences


class AlertRepository(SessionRepository):
    async def users_of(self, line_ids: Collection[int]) -> dict[int, tuple[int, str]]:
        """The registered employee of each line: their id and language."""
        out: dict[int, tuple[int, str]] = {}
        for part in chunks(list(line_ids), 10_000):
            rows = await self.session.execute(
                select(User.main_line_id, User.id, User.language)
                .where(among(self.session, User.main_line_id, part), User.disabled_at.is_(None))
                .order_by(User.id.desc())
            )
            for line_id, user_id, language in rows:
                if line_id is not None:
                    out[line_id] = (user_id, language)
        return out

    async def switches_of(self, user_ids: Collection[int]) -> dict[int, set[str]]:
        """The alert kinds each user switched off."""
        if not user_ids:
            return {}
        out: dict[int, set[str]] = {}
        for part in chunks(list(user_ids), 10_000):
            rows = await self.session.execute(
                select(UsagePreferences.user_id, UsagePreferences.alerts_off).where(
                    among(self.session, UsagePreferences.user_id, part)
                )
            )
            out.update((user_id, set(off or ())) for user_id, off in rows)
        return out

    async def claim(self, rows: Sequence[dict[str, Any]]) -> set[tuple[int, date, AlertKind]]:
        """Insert the `sent_alerts` rows, ignoring those there already; the ones inserted
        come back (the table's key: once per line, period and kind, even under concurrency)."""
        if rows and is_postgres(self.session):  # one statement, arrays in: no SQL per row
            found = await insert_new_columns(
                self.session,
                SentAlert,
                ("line_id", "period", "kind"),
                {
                    key: [str(row[key]) if key == "kind" else row[key] for row in rows]
                    for key in rows[0]
                },
            )
            return {(line_id, period, AlertKind(kind)) for line_id, period, kind in found}
        claimed: set[tuple[int, date, AlertKind]] = set()
        for part in chunks(rows, 500):
            statement = (
                dialect_insert(self.session, SentAlert)
                .on_conflict_do_nothing(index_elements=["line_id", "period", "kind"])
                .values(list(part))
                .returning(SentAlert.line_id, SentAlert.period, SentAlert.kind)
            )
            claimed.update(
                (line_id, period, AlertKind(kind))
                for line_id, period, kind in await self.session.execute(statement)
            )
        return claimed

    async def save_switches(self, user: User, alerts_off: list[str], now: datetime) -> None:
        """Insert the user's preferences or update only their `alerts_off`, so the widget
        settings kept in the same row are left alone."""
        statement = dialect_insert(self.session, UsagePreferences).values(
            user_id=user.id,
            company_id=user.company_id,
            alerts_off=alerts_off,
            pinned_links=[],
            updated_at=now,
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id"],
                set_={"alerts_off": statement.excluded.alerts_off, "updated_at": now},
            )
        )

    async def recent(self, line_id: int, limit: int) -> list[SentAlert]:
        """The alerts sent for a line, newest first."""
        rows = await self.session.scalars(
            select(SentAlert)
            .where(SentAlert.line_id == line_id)
            .order_by(SentAlert.sent_at.desc(), SentAlert.kind)
            .limit(limit)
        )
        return list(rows)
