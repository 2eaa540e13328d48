"""Tables of line actions."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from linedesk.db import Base, UTCDateTime, str_enum

BigId = BigInteger().with_variant(Integer, "sqlite")


class CapStep(StrEnum):
    warned = "warned"  # 80 % of the cap: holder and managers told
    barred = "barred"  # 100 %: chargeable traffic barred by a network request
    lifted = "lifted"  # the new period: the bar lifted by a network request


class SpendingCapStep(Base):
    """What the spending cap did to a line in a period (R-L4): each step at most once per
    line and period, claimed by its key before anything is sent, so concurrent imports
    (the HTTP import, the stream) cannot both act."""

    __tablename__ = "spending_cap_steps"

    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    step: Mapped[CapStep] = mapped_column(str_enum(CapStep, "cap_step"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(BigId)  # the bar or unbar request
    at: Mapped[datetime] = mapped_column(UTCDateTime())
