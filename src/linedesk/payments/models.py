"""Tables of payments: what the bank says was paid against an invoice."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from linedesk.db import Base, UTCDateTime
from linedesk.kit.clock import utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class Payment(Base):
    """One credit on the operator's account; its bank reference makes recording idempotent."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)  # bank/SEPA end-to-end id
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
