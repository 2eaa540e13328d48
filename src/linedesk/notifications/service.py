"""Producing notifications (SPEC R-M3): each event is claimed once by its unique key, then
told to every active manager of the company, in-app, by e-mail and by Web Push as each of
them chose. E-mail and push go through the outbox in the caller's transaction.
Flushes only: the request, the billing run or the daily job commits."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.models import Invoice
from linedesk.errors import found
from linedesk.identity.models import Profile, User
from linedesk.inventory.models import BillingAccount
from linedesk.inventory.service import chunks
from linedesk.kit.clock import ROME
from linedesk.messaging.models import Channel, PushSubscription
from linedesk.messaging.service import enqueue, push_recipients, save_push_subscription
from linedesk.notifications.models import (
    Notification,
    NotificationKind,
)
from linedesk.notifications.preferences import Switches, switches_of
from linedesk.notifications.repository import EventRepository, NotificationRepository
from linedesk.notifications.schemas import PushSubscriptionIn
from linedesk.notifications.texts import describe, formatted

MANAGERS = (Profile.user_admin, Profile.telco_manager)
TEMPLATE_PREFIX = "notification_"


@dataclass(frozen=True)
class Event:
    """A notification to announce, before it is claimed."""

    company_id: int
    kind: NotificationKind
    key: str
    params: dict[str, Any]
    invoice_id: int | None = None
    billing_account_id: int | None = None


@dataclass(frozen=True)
class Manager:
    id: int
    company_id: int
    language: str
    email: str | None


async def _claim(
    session: AsyncSession, now: datetime, events: Sequence[Event]
) -> list[tuple[int, Event]]:
    """Insert the events; only those nobody announced before come back (with their id)."""
    by_key = {event.key: event for event in events}
    claimed: list[tuple[int, Event]] = []
    for part in chunks(list(by_key.values()), 500):
        rows = [
            {
                "company_id": e.company_id,
                "kind": e.kind,
                "key": e.key,
                "invoice_id": e.invoice_id,
                "billing_account_id": e.billing_account_id,
                "params": e.params,
                "created_at": now,
            }
            for e in part
        ]
        claimed += [
            (event_id, by_key[key]) for event_id, key in await EventRepository(session).claim(rows)
        ]
    return claimed


async def _managers(session: AsyncSession, company_ids: set[int]) -> dict[int, list[Manager]]:
    out: dict[int, list[Manager]] = {}
    for row in await EventRepository(session).managers(company_ids, MANAGERS):
        manager = Manager(*row)
        out.setdefault(manager.company_id, []).append(manager)
    return out


def _payload(event: Event, language: str) -> dict[str, Any]:
    """What the templates show, and the page a push opens when tapped: the invoice, or the
    notification centre."""
    title, body = describe(event.kind, event.params, language)
    url = f"/invoices/{event.invoice_id}" if event.invoice_id else "/notifications"
    return formatted(event.params, language) | {"title": title, "body": body, "url": url}


async def _tell(
    session: AsyncSession,
    now: datetime,
    event_id: int,
    event: Event,
    manager: Manager,
    switches: Switches,
    subscriptions: list[str],
    in_app: list[dict[str, Any]],
) -> None:
    if switches.in_app:
        in_app.append(
            {
                "company_id": event.company_id,
                "user_id": manager.id,
                "event_id": event_id,
                "kind": event.kind,
                "params": event.params,
                "created_at": now,
            }
        )
    template = TEMPLATE_PREFIX + event.kind.value
    wanted = [(Channel.email, manager.email)] if switches.email and manager.email else []
    wanted += [(Channel.push, sub) for sub in subscriptions] if switches.push else []
    for channel, recipient in wanted:
        await enqueue(
            session,
            channel,
            recipient,
            template,
            manager.language,
            _payload(event, manager.language),
            now=now,
            company_id=event.company_id,
            flush=False,
        )


async def announce(
    session: AsyncSession,
    now: datetime,
    events: Sequence[Event],
    also: Sequence[Manager] = (),
) -> int:
    """Announce the events not announced before to the managers of their companies (and to
    the users `also`, such as a line's holder); returns how many were new."""
    claimed = await _claim(session, now, events)
    if not claimed:
        return 0
    managers = await _managers(session, {event.company_id for _, event in claimed})
    for user in also:
        group = managers.setdefault(user.company_id, [])
        if all(m.id != user.id for m in group):
            group.append(user)
    user_ids = {m.id for group in managers.values() for m in group}
    switches = await switches_of(session, user_ids)
    subscriptions = await push_recipients(session, user_ids)
    in_app: list[dict[str, Any]] = []
    for event_id, event in claimed:
        for manager in managers.get(event.company_id, []):
            await _tell(
                session,
                now,
                event_id,
                event,
                manager,
                switches[manager.id][event.kind],
                subscriptions.get(manager.id, []),
                in_app,
            )
    await EventRepository(session).add_notifications(in_app)
    await session.flush()
    return len(claimed)


# --- producers -----------------------------------------------------------------------------


def _invoice_params(invoice: Invoice, account_code: str) -> dict[str, Any]:
    return {
        "number": invoice.number,
        "total": f"{invoice.total_amount:.2f}",
        "currency": invoice.currency,
        "due_date": invoice.due_date.isoformat(),
        "period": invoice.period.isoformat(),
        "account": account_code,
    }


def _invoice_event(kind: NotificationKind, invoice: Invoice, account_code: str) -> Event:
    return Event(
        invoice.company_id,
        kind,
        f"{kind.value}:{invoice.id}",
        _invoice_params(invoice, account_code),
        invoice_id=invoice.id,
        billing_account_id=invoice.billing_account_id,
    )


async def notify_invoices_issued(
    session: AsyncSession, now: datetime, invoice_ids: Sequence[int]
) -> int:
    """A new invoice on a billing account (called by the billing run for each chunk)."""
    events = []
    for part in chunks(list(invoice_ids), 2000):
        events += [
            _invoice_event(NotificationKind.invoice_issued, invoice, code)
            for invoice, code in await EventRepository(session).invoices(part)
        ]
    return await announce(session, now, events)


async def _unannounced(
    session: AsyncSession, kind: NotificationKind, *conditions: Any
) -> list[Event]:
    """Unpaid invoices matching `conditions` with no `kind` event yet."""
    rows = await EventRepository(session).unannounced(kind, *conditions)
    return [_invoice_event(kind, invoice, code) for invoice, code in rows]


async def notify_due_dates(session: AsyncSession, now: datetime) -> dict[str, int]:
    """The daily job's notices: due within 7 days (not tomorrow), due tomorrow, overdue.
    Each once per invoice, so running it twice (or late) tells nobody twice."""
    today = now.astimezone(ROME).date()
    tomorrow, week = today + timedelta(days=1), today + timedelta(days=7)
    due = Invoice.due_date
    plan = {
        NotificationKind.due_in_7_days: (due > tomorrow, due <= week),
        NotificationKind.due_tomorrow: (due == tomorrow,),
        NotificationKind.overdue: (due < today,),
    }
    counts = {}
    for kind, conditions in plan.items():
        counts[kind.value] = await announce(
            session, now, await _unannounced(session, kind, *conditions)
        )
    return counts


async def notify_billing_account_changed(
    session: AsyncSession, now: datetime, account: BillingAccount, changes: Sequence[str]
) -> int:
    """A change on a billing account: `changes` among payment_method, address,
    invoice_email. Each change is its own event (keyed by the account, time and values)."""
    params = {"account": account.code, "changes": list(changes)}
    digest = hashlib.sha256(
        json.dumps([account.id, now.isoformat(), params], sort_keys=True).encode()
    ).hexdigest()[:40]
    event = Event(
        account.company_id,
        NotificationKind.billing_account_changed,
        f"billing_account_changed:{account.id}:{digest}",
        params,
        billing_account_id=account.id,
    )
    return await announce(session, now, [event])


async def mark_one_read(
    session: AsyncSession, user_id: int, notification_id: int, now: datetime
) -> Notification:
    """Mark one of the user's notifications read (again: no change); anyone else's is a 404."""
    repo = NotificationRepository(session, user_id)
    notification = found(await repo.get(notification_id), "No such notification")
    await repo.mark_read(notification, now)
    return notification


async def notify_line_blocked(
    session: AsyncSession,
    now: datetime,
    *,
    company_id: int,
    request_id: int,
    msisdn: str,
    reason: str,
    holders: Sequence[Manager] = (),
) -> int:
    """A line blocked as lost or stolen: its holders and the company's managers are told in
    the app and by e-mail (never by SMS: the phone is gone)."""
    event = Event(
        company_id,
        NotificationKind.line_blocked,
        f"line_blocked:{request_id}",
        {"msisdn": msisdn, "reason": reason},
    )
    return await announce(session, now, [event], also=holders)


async def subscribe_push(
    session: AsyncSession, user: User, subscription: PushSubscriptionIn, now: datetime
) -> PushSubscription:
    """This browser's Web Push subscription for the user (from the API or the page)."""
    return await save_push_subscription(
        session,
        user.company_id,
        user.id,
        str(subscription.endpoint),
        subscription.keys.p256dh,
        subscription.keys.auth,
        now,
    )
