"""Tables of the inventory. Every customer table carries company_id (sharding key)."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linedesk.db import Base, UTCDateTime, str_enum
from linedesk.kit.clock import utcnow
from linedesk.kit.phone import LineKind


class Segment(StrEnum):
    sme = "sme"
    large = "large"


class PaymentMethod(StrEnum):
    sepa_direct_debit = "sepa_direct_debit"
    bank_transfer = "bank_transfer"


class LineStatus(StrEnum):
    active = "active"
    suspended = "suspended"
    ceased = "ceased"


class PaymentMode(StrEnum):
    postpaid = "postpaid"
    prepaid = "prepaid"


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    vat_number: Mapped[str] = mapped_column(String(11), unique=True)
    fiscal_code: Mapped[str] = mapped_column(String(16))
    segment: Mapped[Segment] = mapped_column(str_enum(Segment, "segment"))
    address_street: Mapped[str] = mapped_column(String(200))
    address_postal_code: Mapped[str] = mapped_column(String(5))
    address_city: Mapped[str] = mapped_column(String(100))
    address_province: Mapped[str] = mapped_column(String(2))
    contact_email: Mapped[str] = mapped_column(String(254))
    sdi_code: Mapped[str | None] = mapped_column(String(7))
    pec: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        CheckConstraint("sdi_code IS NOT NULL OR pec IS NOT NULL", name="sdi_or_pec"),
    )


class BillingAccount(Base):
    __tablename__ = "billing_accounts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    payment_method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, "payment_method"))
    iban: Mapped[str | None] = mapped_column(String(34))
    address_street: Mapped[str] = mapped_column(String(200))
    address_postal_code: Mapped[str] = mapped_column(String(5))
    address_city: Mapped[str] = mapped_column(String(100))
    address_province: Mapped[str] = mapped_column(String(2))
    invoice_email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    company: Mapped[Company] = relationship(lazy="raise")


class Offer(Base):
    """An operator's catalogue entry; shared by all companies (a reference table)."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[LineKind] = mapped_column(str_enum(LineKind, "line_kind"))
    monthly_fee: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    # The segment whose catalogue holds the offer; NULL: every segment's.
    segment: Mapped[Segment | None] = mapped_column(str_enum(Segment, "segment"))
    # Allowances per period; NULL means unlimited.
    data_mb: Mapped[int | None] = mapped_column(Integer)
    voice_minutes: Mapped[int | None] = mapped_column(Integer)
    sms: Mapped[int | None] = mapped_column(Integer)
    eu_roaming_data_mb: Mapped[int | None] = mapped_column(Integer)
    # Out-of-bundle rates.
    rate_data_per_mb: Mapped[Decimal] = mapped_column(Numeric(10, 4))
    rate_voice_per_minute: Mapped[Decimal] = mapped_column(Numeric(10, 4))
    rate_sms: Mapped[Decimal] = mapped_column(Numeric(10, 4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (CheckConstraint("monthly_fee >= 0", name="fee_not_negative"),)


class Line(Base):
    __tablename__ = "lines"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    billing_account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    msisdn: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[LineKind] = mapped_column(str_enum(LineKind, "line_kind"))
    status: Mapped[LineStatus] = mapped_column(str_enum(LineStatus, "line_status"))
    payment_mode: Mapped[PaymentMode] = mapped_column(str_enum(PaymentMode, "payment_mode"))
    activation_date: Mapped[date] = mapped_column(Date)
    holder_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    billing_account: Mapped[BillingAccount] = relationship(lazy="raise")
    offer: Mapped[Offer] = relationship(lazy="raise")

    __table_args__ = (Index("ix_lines_company_id_kind_status", "company_id", "kind", "status"),)


class Sim(Base):
    """A SIM of a mobile line. A swap ends the current one and installs a new one."""

    __tablename__ = "sims"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"))
    iccid: Mapped[str] = mapped_column(String(20), unique=True)
    puk_hash: Mapped[str] = mapped_column(String(64))
    data_only: Mapped[bool] = mapped_column(Boolean, default=False)
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        # At most one current SIM per line; the replaced ones are its history.
        Index(
            "uq_sims_line_id_current",
            "line_id",
            unique=True,
            sqlite_where=text("replaced_at IS NULL"),
            postgresql_where=text("replaced_at IS NULL"),
        ),
    )


class LineOfferChange(Base):
    """A line's offer from `effective_from` (the first day of a month) on: its offer history.
    A change waits until its month starts; the daily job then moves `lines.offer_id`. The
    billing run bills each month by this history, so a month billed late keeps its offer."""

    __tablename__ = "line_offer_changes"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    previous_offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    effective_from: Mapped[date] = mapped_column(Date)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index(
            "uq_line_offer_changes_line_id_effective_from", "line_id", "effective_from", unique=True
        ),
        Index("ix_line_offer_changes_pending", "effective_from", "applied_at"),
    )
