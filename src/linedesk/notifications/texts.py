"""What a notification says, in the reader's language: the centre's title and body, and
the formatted values the e-mail and push templates show."""

from datetime import date
from decimal import Decimal
from typing import Any

from linedesk.kit.i18n import Localizer
from linedesk.notifications.models import NotificationKind

TITLES = {
    NotificationKind.invoice_issued: "New invoice %(number)s",
    NotificationKind.due_in_7_days: "Invoice %(number)s is due in 7 days",
    NotificationKind.due_tomorrow: "Invoice %(number)s is due tomorrow",
    NotificationKind.overdue: "Invoice %(number)s is overdue",
    NotificationKind.billing_account_changed: "Billing account %(account)s changed",
    NotificationKind.spending_cap_warning: "Line %(msisdn)s at 80%% of its spending cap",
    NotificationKind.spending_cap_reached: "Line %(msisdn)s reached its spending cap",
    NotificationKind.line_blocked: "Line %(msisdn)s blocked",
}
BODIES = {
    NotificationKind.invoice_issued: (
        "Invoice %(number)s for %(period)s, billing account %(account)s: %(total)s, "
        "due on %(due_date)s."
    ),
    NotificationKind.due_in_7_days: (
        "Invoice %(number)s (%(total)s, billing account %(account)s) is due on %(due_date)s."
    ),
    NotificationKind.due_tomorrow: (
        "Invoice %(number)s (%(total)s, billing account %(account)s) is due on %(due_date)s."
    ),
    NotificationKind.overdue: (
        "Invoice %(number)s (%(total)s, billing account %(account)s) was due on "
        "%(due_date)s and has not been paid yet."
    ),
    NotificationKind.billing_account_changed: "Changed: %(changes)s.",
    NotificationKind.spending_cap_warning: (
        "Line %(msisdn)s has used %(charges)s of chargeable traffic this month, 80%% of its "
        "%(cap)s cap. At 100%% chargeable traffic is barred until the end of the month."
    ),
    NotificationKind.spending_cap_reached: (
        "Line %(msisdn)s has used %(charges)s of chargeable traffic this month and reached its "
        "%(cap)s cap: chargeable traffic is barred until the end of the month."
    ),
    NotificationKind.line_blocked: (
        "The SIM of line %(msisdn)s was reported %(reason)s and is blocked: no calls, "
        "messages or data until it is unblocked or replaced."
    ),
}
CHANGE_LABELS = {
    "payment_method": "payment method",
    "address": "address",
    "invoice_email": "invoice e-mail",
}
KIND_LABELS = {
    NotificationKind.invoice_issued: "New invoice",
    NotificationKind.due_in_7_days: "Due date in 7 days",
    NotificationKind.due_tomorrow: "Due date tomorrow",
    NotificationKind.overdue: "Overdue invoice",
    NotificationKind.billing_account_changed: "Billing account changed",
    NotificationKind.spending_cap_warning: "Spending cap at 80%",
    NotificationKind.spending_cap_reached: "Spending cap reached",
    NotificationKind.line_blocked: "Line blocked",
}
BLOCK_REASONS = {"lost": "lost", "stolen": "stolen"}
CHANNEL_LABELS = {"in_app": "In the app", "email": "E-mail", "push": "Push"}


def formatted(params: dict[str, Any], lang: str) -> dict[str, Any]:
    """The stored parameters (ISO dates, decimal strings) as the reader writes them."""
    l10n = Localizer(lang)
    out: dict[str, Any] = {"account": params.get("account", "")}
    if "number" in params:
        out |= {
            "number": params["number"],
            "total": l10n.money(Decimal(params["total"]), params.get("currency", "EUR")),
            "due_date": l10n.date(date.fromisoformat(params["due_date"]), "long"),
            "period": l10n.date(date.fromisoformat(params["period"]), "LLLL yyyy"),
        }
    if "msisdn" in params:
        out["msisdn"] = params["msisdn"]
        out["reason"] = l10n.gettext(BLOCK_REASONS.get(params.get("reason", ""), "lost"))
    if "changes" in params:
        out["changes"] = ", ".join(l10n.gettext(CHANGE_LABELS[c]) for c in params["changes"])
    if "cap" in params:
        currency = params.get("currency", "EUR")
        out |= {
            "msisdn": params["msisdn"],
            "cap": l10n.money(Decimal(params["cap"]), currency),
            "charges": l10n.money(Decimal(params["charges"]), currency),
        }
    return out


def describe(kind: NotificationKind, params: dict[str, Any], lang: str) -> tuple[str, str]:
    """(title, body) of a notification in the reader's language."""
    l10n = Localizer(lang)
    values = formatted(params, lang)
    return l10n.gettext(TITLES[kind], **values), l10n.gettext(BODIES[kind], **values)
