"""The dashboard's operations: counters from one counter row, usage detail, widgets,
widget settings and the feature visits the quick links learn from."""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.dashboard.repository import (
    STATE_BESIDE_SESSION,
    DashboardRepository,
    LineState,
    PreferencesRepository,
)
from linedesk.dashboard.schemas import (
    Allowance,
    Credit,
    CreditKind,
    DayUsage,
    QuickLink,
    RecordRead,
    Summary,
    Unit,
    Usage,
    UsageDetail,
    WidgetExtended,
    WidgetLight,
    WidgetSettings,
)
from linedesk.errors import ValidationFailed, found
from linedesk.identity.principal import Principal, line_scope
from linedesk.identity.service import Along
from linedesk.inventory.models import PaymentMode
from linedesk.kit.clock import ROME
from linedesk.kit.money import Money
from linedesk.kit.phone import LineKind, number_in_path
from linedesk.kit.schemas import FIRST_DAY, LAST_DAY
from linedesk.usage.models import UsagePreferences, UsageType
from linedesk.usage.rating import OfferTerms

MAX_RANGE_DAYS = 400
MAX_QUICK_LINKS = 4
SETTINGS_URL = "/widget/settings"


@dataclass(frozen=True)
class Feature:
    url: str
    managers: bool | None  # True: managers only, False: employees only, None: everyone

    def open_to(self, principal: Principal) -> bool:
        return self.managers is None or self.managers == principal.profile.is_manager


# The features a quick link may open (the extended widget, the pinned links).
FEATURES = {
    "home": Feature("/home", None),
    "usage": Feature("/usage", None),
    "link_sim": Feature("/link-sim", False),
    "password": Feature("/account/password", None),
    "invoices": Feature("/invoices", True),
    "managers": Feature("/managers", True),
}


def current_period(now: datetime) -> date:
    return now.astimezone(ROME).date().replace(day=1)


def _allowance(used: int, included: int | None, unit: Unit, applies: bool = True) -> Allowance:
    """`applies`: whether the line can have this service at all (a fixed line sends no SMS).
    An allowance of zero with nothing used is a service the offer does not include."""
    return Allowance(
        used=used,
        included=included,
        unit=unit,
        unlimited=included is None,
        remaining=None if included is None else max(0, included - used),
        offered=used > 0 or (applies and included != 0),
    )


def summarize(state: LineState, period: date) -> Summary:
    terms, counter = OfferTerms.of(state.offer), state.counter
    mobile = state.line.kind is LineKind.mobile
    used = (
        (counter.data_bytes, counter.voice_seconds, counter.sms_count, counter.roaming_data_bytes)
        if counter
        else (0, 0, 0, 0)
    )
    if state.line.payment_mode is PaymentMode.prepaid:
        balance = state.balance.balance if state.balance else Decimal(0)
        credit = Credit(kind=CreditKind.prepaid_balance, amount=Money.eur(balance))
    else:
        charges = counter.charges if counter else Decimal(0)
        credit = Credit(kind=CreditKind.out_of_bundle_charges, amount=Money.eur(charges))
    return Summary(
        msisdn=state.line.msisdn,
        period=period,
        offer_name=state.offer.name,
        payment_mode=state.line.payment_mode.value,
        usage=Usage(
            data=_allowance(used[0], terms.data_bytes, Unit.bytes),
            voice=_allowance(used[1], terms.voice_seconds, Unit.seconds),
            sms=_allowance(used[2], terms.sms, Unit.messages, applies=mobile),
        ),
        roaming_data=_allowance(used[3], terms.roaming_data_bytes, Unit.bytes, applies=mobile),
        credit=credit,
        updated_at=counter.updated_at if counter else None,
    )


async def readable(session: AsyncSession, principal: Principal) -> DashboardRepository:
    return DashboardRepository(session, await line_scope(session, principal))


async def line_state(
    session: AsyncSession,
    principal: Principal,
    msisdn: str,
    now: datetime,
    repo: DashboardRepository | None = None,
) -> LineState:
    """The caller's readable line with its counters; any other number is 404."""
    repo = repo or await readable(session, principal)
    state = found(await repo.state(number_in_path(msisdn), current_period(now)), "No such line")
    return state


def state_along(number: str, now: datetime) -> Along:
    """The line `number` (as parsed) with its counters of the period, to read beside the
    caller's authentication: one round trip for a summary or a widget (issue 15)."""
    return Along(STATE_BESIDE_SESSION, {"msisdn": number, "period": current_period(now)})


async def summary(
    session: AsyncSession, principal: Principal, msisdn: str, now: datetime
) -> Summary:
    state = await line_state(session, principal, msisdn, now)
    return summarize(state, current_period(now))


def checked_range(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    """The chosen days, by default the current month so far; at most 400 days."""
    first = first or today.replace(day=1)
    last = last or (today if first <= today else first)
    if last < first:
        raise ValidationFailed("'from' must not be after 'to'", code="bad_range")
    if first < FIRST_DAY or last > LAST_DAY:
        raise ValidationFailed(
            f"Choose days within {FIRST_DAY.year}-{LAST_DAY.year}", code="bad_range"
        )
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailed(f"Choose at most {MAX_RANGE_DAYS} days", code="bad_range")
    return first, last


async def usage_detail(
    session: AsyncSession,
    principal: Principal,
    msisdn: str,
    now: datetime,
    first: date,
    last: date,
    usage_type: UsageType | None,
) -> UsageDetail:
    repo = await readable(session, principal)
    line = (await line_state(session, principal, msisdn, now, repo)).line
    days = await repo.daily(line.id, first, last, usage_type)
    records = await repo.latest_records(line.id, first, last, usage_type)
    return UsageDetail(
        msisdn=line.msisdn,
        from_=first,
        to=last,
        type=usage_type,
        days=[
            DayUsage(day=d.day, type=d.usage_type, quantity=d.quantity, charge=Money.eur(d.charge))
            for d in days
        ],
        latest_records=[
            RecordRead(
                started_at=r.started_at,
                type=r.usage_type,
                destination=r.destination,
                quantity=r.quantity,
                in_bundle=r.in_bundle,
                charge=Money.eur(r.charge),
            )
            for r in records
        ],
    )


def days_of(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# --- widgets ---------------------------------------------------------------------------------


async def widget_line(session: AsyncSession, principal: Principal, line: str | None) -> str:
    """The line asked for, else the one chosen in the settings, else the user's main line."""
    if line:
        return line
    repo = await readable(session, principal)
    prefs = await PreferencesRepository(session).preferences(principal.user.id)
    for line_id in (prefs.widget_line_id if prefs else None, principal.user.main_line_id):
        found = await repo.by_id(line_id) if line_id is not None else None
        if found is not None:
            return found.msisdn
    raise ValidationFailed(
        "Choose the widget's line (?line= or the widget settings)", code="line_required"
    )


def light(summary_: Summary) -> WidgetLight:
    return WidgetLight(
        usage=summary_.usage,
        credit=summary_.credit,
        offer_name=summary_.offer_name,
        updated_at=summary_.updated_at,
    )


async def quick_links(session: AsyncSession, principal: Principal) -> list[QuickLink]:
    """The pinned links when there are any, else the features the user opens most."""
    repo = PreferencesRepository(session)
    prefs = await repo.preferences(principal.user.id)
    chosen = (
        list(prefs.pinned_links)
        if prefs and prefs.pinned_links
        else await repo.most_visited(principal.user.id, len(FEATURES))
    )
    allowed = [f for f in chosen if f in FEATURES and FEATURES[f].open_to(principal)]
    return [QuickLink(feature=f, url=FEATURES[f].url) for f in allowed[:MAX_QUICK_LINKS]]


async def extended(
    session: AsyncSession, principal: Principal, summary_: Summary
) -> WidgetExtended:
    return WidgetExtended(
        **light(summary_).model_dump(),
        settings_url=SETTINGS_URL,
        quick_links=await quick_links(session, principal),
    )


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    return if_none_match.strip() == "*" or tag in (t.strip() for t in if_none_match.split(","))


async def widget_settings(session: AsyncSession, principal: Principal) -> WidgetSettings:
    prefs = await PreferencesRepository(session).preferences(principal.user.id)
    line = None
    if prefs and prefs.widget_line_id is not None:
        found = await (await readable(session, principal)).by_id(prefs.widget_line_id)
        line = found.msisdn if found else None
    return WidgetSettings(line=line, pinned_links=list(prefs.pinned_links) if prefs else [])


async def save_widget_settings(
    session: AsyncSession, principal: Principal, body: WidgetSettings, now: datetime
) -> WidgetSettings:
    """Keep the widget's line (one the caller may read) and the pinned links (from the
    catalogue of features, each once)."""
    unknown = [
        f for f in body.pinned_links if f not in FEATURES or not FEATURES[f].open_to(principal)
    ]
    if unknown or len(set(body.pinned_links)) != len(body.pinned_links):
        raise ValidationFailed(
            "Pin features from the list, each once",
            code="bad_pinned_links",
            details=[{"field": "pinned_links", "reason": f"unknown: {f}"} for f in unknown],
        )
    line_id = None
    if body.line:
        line_id = (await line_state(session, principal, body.line, now)).line.id
    prefs = await PreferencesRepository(session).preferences(principal.user.id)
    if prefs is None:
        prefs = UsagePreferences(
            user_id=principal.user.id, company_id=principal.user.company_id, alerts_off=[]
        )
        session.add(prefs)
    prefs.widget_line_id, prefs.pinned_links, prefs.updated_at = (
        line_id,
        list(body.pinned_links),
        now,
    )
    await session.flush()
    return await widget_settings(session, principal)


async def record_visit(
    session: AsyncSession, principal: Principal, feature: str, now: datetime
) -> None:
    """Count that the user opened a feature's page: the extended widget's quick links."""
    if feature not in FEATURES:
        raise ValueError(f"unknown feature {feature!r}")
    await PreferencesRepository(session).count_visit(
        principal.user.id, principal.user.company_id, feature, now
    )
