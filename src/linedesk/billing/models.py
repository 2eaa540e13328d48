"""Tables of billing: invoices, their lines, the yearly numbering. Every customer table
carries company_id (sharding key); amounts are Numeric, Decimal in Python."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from linedesk.db import Base, UTCDateTime, str_enum
from linedesk.kit.clock import utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")
Amount = Numeric(12, 2)


class InvoiceStatus(StrEnum):
    issued = "issued"
    paid = "paid"
    overdue = "overdue"


class InvoiceLineKind(StrEnum):
    fee = "fee"
    out_of_bundle = "out_of_bundle"
    concession_tax = "concession_tax"  # tassa di concessione governativa


class Invoice(Base):
    """One per billing account and billed month (the unique key makes a run idempotent)."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    billing_account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"))
    number: Mapped[str] = mapped_column(String(20), unique=True)  # "2026/000123"
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    period: Mapped[date] = mapped_column(Date)  # first day of the billed month
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[InvoiceStatus] = mapped_column(
        str_enum(InvoiceStatus, "invoice_status"), default=InvoiceStatus.issued
    )
    taxable_amount: Mapped[Decimal] = mapped_column(Amount)
    vat_amount: Mapped[Decimal] = mapped_column(Amount)
    # Outside the VAT base (the concession tax: Natura N1, art. 15 DPR 633/72).
    exempt_amount: Mapped[Decimal] = mapped_column(Amount)
    total_amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("billing_account_id", "period"),
        UniqueConstraint("year", "sequence"),
    )


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # NumeroLinea in the XML, from 1
    line_id: Mapped[int | None] = mapped_column(ForeignKey("lines.id"), index=True)
    msisdn: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(200))
    kind: Mapped[InvoiceLineKind] = mapped_column(str_enum(InvoiceLineKind, "invoice_line_kind"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    unit_price: Mapped[Decimal] = mapped_column(Amount)
    amount: Mapped[Decimal] = mapped_column(Amount)
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))  # 22.00, or 0.00 with a natura
    vat_nature: Mapped[str | None] = mapped_column(String(4))  # "N1" when outside the base


class InvoiceSequence(Base):
    """The last invoice number given in a year; locked while numbers are taken (no gaps)."""

    __tablename__ = "invoice_sequences"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)
