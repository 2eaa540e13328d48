"""Tables of usage: rated records, counters per line and period (kept incrementally at
import), daily totals, prepaid balances and top-ups, alerts sent, the user's preferences, and
the spending roll-ups (here, in the lowest domain both their writers reach: the usage path
keeps the current month's estimate, the billing run writes the billed month)."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from linedesk.db import Base, UTCDateTime, str_enum
from linedesk.kit.phone import LineKind

BigId = BigInteger().with_variant(Integer, "sqlite")
Charge = Numeric(16, 6)


class UsageType(StrEnum):
    data = "data"  # quantity in bytes
    voice = "voice"  # quantity in seconds
    sms = "sms"  # quantity in messages


class Destination(StrEnum):
    national = "national"
    eu_roaming = "eu_roaming"
    international = "international"
    premium = "premium"


class UsageRecord(Base):
    """One CDR, rated at import. `record_id` makes the import idempotent."""

    __tablename__ = "usage_records"

    # Keyed by the record id, with no surrogate id: one sequence value and index entry less
    # per record. No foreign keys: PostgreSQL would check (and key-share lock) the line and
    # the company of every record, half the cost of the import's insert; the import writes
    # only the ids of lines it read in the same transaction, and lines and companies are
    # never deleted.
    company_id: Mapped[int] = mapped_column(BigId)
    line_id: Mapped[int] = mapped_column(BigId)
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    period: Mapped[date] = mapped_column(Date)  # first day of the month, Europe/Rome
    day: Mapped[date] = mapped_column(Date)  # Europe/Rome
    usage_type: Mapped[UsageType] = mapped_column(str_enum(UsageType, "usage_type"))
    destination: Mapped[Destination] = mapped_column(str_enum(Destination, "destination"))
    quantity: Mapped[int] = mapped_column(BigInteger)
    in_bundle: Mapped[int] = mapped_column(BigInteger)  # the part inside the allowance
    charge: Mapped[Decimal] = mapped_column(Charge)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_usage_records_line_id_started_at", "line_id", "started_at"),)


# Tables updated in place by every import: pages kept part empty, so that an update finds
# room beside the row it replaces and touches no index (PostgreSQL's heap-only tuples).
UPDATED_IN_PLACE = {"postgresql_with": {"fillfactor": 70}}


class LineCounter(Base):
    """What a line used in a billing period, updated by every import (R-U2)."""

    __tablename__ = "line_counters"
    __table_args__ = UPDATED_IN_PLACE

    # No foreign keys, like `UsageRecord` (and for the same reason): every import writes here.
    line_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    company_id: Mapped[int] = mapped_column(BigId, index=True)
    data_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    voice_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    sms_count: Mapped[int] = mapped_column(BigInteger, default=0)
    roaming_data_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    charges: Mapped[Decimal] = mapped_column(Charge, default=Decimal(0))
    roaming_charges: Mapped[Decimal] = mapped_column(Charge, default=Decimal(0))
    roaming_events: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DailyUsage(Base):
    """Per line, day and type: the usage detail's chart (R-U3) without scanning records."""

    __tablename__ = "daily_usage"
    __table_args__ = UPDATED_IN_PLACE

    # No foreign keys, like `UsageRecord` (and for the same reason): every import writes here.
    line_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    usage_type: Mapped[UsageType] = mapped_column(
        str_enum(UsageType, "usage_type"), primary_key=True
    )
    company_id: Mapped[int] = mapped_column(BigId, index=True)
    quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    charge: Mapped[Decimal] = mapped_column(Charge, default=Decimal(0))


class PrepaidBalance(Base):
    __tablename__ = "prepaid_balances"

    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    balance: Mapped[Decimal] = mapped_column(Charge)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PrepaidTopUp(Base):
    __tablename__ = "prepaid_topups"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"))
    reference: Mapped[str] = mapped_column(String(64), unique=True)  # idempotency
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AlertKind(StrEnum):
    data_80 = "data_80"
    data_100 = "data_100"
    voice_80 = "voice_80"
    voice_100 = "voice_100"
    sms_80 = "sms_80"
    sms_100 = "sms_100"
    roaming_data_80 = "roaming_data_80"
    roaming_data_100 = "roaming_data_100"
    low_credit = "low_credit"
    roaming_first_use = "roaming_first_use"
    roaming_bill_shock = "roaming_bill_shock"


class SentAlert(Base):
    """An alert sent for a line in a period: each kind at most once per period (R-U4)."""

    __tablename__ = "sent_alerts"

    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[AlertKind] = mapped_column(str_enum(AlertKind, "alert_kind"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UsagePreferences(Base):
    """A user's switches for usage alerts and their widget settings (R-U4, R-U5)."""

    __tablename__ = "usage_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    alerts_off: Mapped[list[str]] = mapped_column(JSON(), default=list)  # AlertKind values
    widget_line_id: Mapped[int | None] = mapped_column(ForeignKey("lines.id"))
    pinned_links: Mapped[list[str]] = mapped_column(JSON(), default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FeatureVisit(Base):
    """How often a user opened each feature: the extended widget's quick links learn it."""

    __tablename__ = "feature_visits"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    feature: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    visits: Mapped[int] = mapped_column(Integer, default=0)
    last_visit_at: Mapped[datetime] = mapped_column(UTCDateTime())


# --- spending roll-ups (SPEC R-M4): the spending trend reads these, never the invoice lines --
Billed = Numeric(14, 2)


class SpendingLine(Base):
    """A line's billed month, written by the billing run: what its invoice lines sum to, and
    the running totals of everything it was billed up to and including this month. Every
    line billed before keeps a row in each later billed month of its billing account (the
    billing run carries it forward with amount 0), so what a line cost over a range is the
    difference of two rows: the range's last billed month minus the month before the range."""

    __tablename__ = "spending_lines"

    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    billing_account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"))
    kind: Mapped[LineKind] = mapped_column(str_enum(LineKind, "line_kind"))
    amount: Mapped[Decimal] = mapped_column(Billed)  # this month (0 on a carried row)
    running_total: Mapped[Decimal] = mapped_column(Billed)  # every billed month so far
    running_months: Mapped[int] = mapped_column(Integer)  # how many months were billed

    __table_args__ = (
        Index("ix_spending_lines_company_id_period", "company_id", "period", "running_total"),
        Index("ix_spending_lines_billing_account_id_period", "billing_account_id", "period"),
        # A range's totals per line (two months' rows joined by line) from the index alone.
        Index(
            "ix_spending_lines_company_id_period_line_id",
            "company_id",
            "period",
            "line_id",
            "running_total",
            "running_months",
        ),
    )


class SpendingAccount(Base):
    """One billing account's month per line kind (a cost centre would join this key):
    `billed`, what the billing run invoiced (null until then); and the month's estimate
    before it is billed, `fees` (offer fees, pro rata, and concession tax, in cents) plus
    `charges` (the out-of-bundle charges counted so far, not rounded: the estimate rounds
    their sum per account and kind, as the billing run's invoice does per line)."""

    __tablename__ = "spending_accounts"

    billing_account_id: Mapped[int] = mapped_column(
        ForeignKey("billing_accounts.id"), primary_key=True
    )
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[LineKind] = mapped_column(str_enum(LineKind, "line_kind"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    billed: Mapped[Decimal | None] = mapped_column(Billed)
    fees: Mapped[Decimal] = mapped_column(Billed, default=Decimal(0), server_default="0")
    charges: Mapped[Decimal] = mapped_column(Charge, default=Decimal(0), server_default="0")

    __table_args__ = (Index("ix_spending_accounts_company_id_period", "company_id", "period"),)


class SpendingMonth(Base):
    """A company's billed month per line kind: the sum of its accounts' `billed`."""

    __tablename__ = "spending_months"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[LineKind] = mapped_column(str_enum(LineKind, "line_kind"), primary_key=True)
    billed: Mapped[Decimal] = mapped_column(Billed)


class SpendingEstimate(Base):
    """A company's month not billed yet per line kind: its accounts' estimate summed, each
    account's charges rounded to the cent first (`SpendingAccount`), so the trend reads a row
    per kind whatever the number of accounts. Written beside the accounts' rows: the usage
    path adds what each batch moves the rounded charges by, the refresh writes it again."""

    __tablename__ = "spending_estimates"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[LineKind] = mapped_column(str_enum(LineKind, "line_kind"), primary_key=True)
    fees: Mapped[Decimal] = mapped_column(Billed, default=Decimal(0), server_default="0")
    charges: Mapped[Decimal] = mapped_column(Billed, default=Decimal(0), server_default="0")
