"""Tables of line actions: the requests (also the provisioning outbox), each line's network
controls, the company's policy, eSIM activation codes and scheduled offer changes."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linedesk.db import Base, UTCDateTime, str_enum
from linedesk.inventory.models import Line
from linedesk.kit.clock import utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class RequestKind(StrEnum):
    block = "block"
    unblock = "unblock"
    services = "services"
    spending_cap = "spending_cap"
    sim_replacement = "sim_replacement"
    esim_reissue = "esim_reissue"
    offer_change = "offer_change"
    bar = "bar"  # chargeable traffic barred (the spending cap reached)
    unbar = "unbar"  # … and lifted at the new period


class RequestState(StrEnum):
    requested = "requested"  # stored, waiting for the provisioning system to take it
    sent = "sent"  # the provisioning system accepted it; the result comes by callback
    done = "done"
    failed = "failed"


class BlockReason(StrEnum):
    lost = "lost"
    stolen = "stolen"


class SimKind(StrEnum):
    physical = "physical"
    esim = "esim"


class LineRequest(Base):
    """One action on one line. The row is also its own outbox entry: written in the
    transaction of the action, delivered by the provisioning worker, finished by callback.
    The line changes only when the request is `done`: a refused one leaves it as it was."""

    __tablename__ = "line_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), index=True)
    kind: Mapped[RequestKind] = mapped_column(str_enum(RequestKind, "line_request_kind"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON(), default=dict)
    state: Mapped[RequestState] = mapped_column(
        str_enum(RequestState, "line_request_state"), default=RequestState.requested
    )
    # Why it failed (the network's words), or why the system asked (spending cap).
    reason: Mapped[str | None] = mapped_column(String(500))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    # Who asked; NULL for linedesk itself (the spending cap's bar, the new period's lift).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The line's values before (for the audit trail) and what the network answered.
    previous: Mapped[dict[str, Any]] = mapped_column(JSON(), default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON(), default=dict)
    # Delivery, as in the messaging outbox: attempts, the next one, the claim's lease.
    attempts: Mapped[int] = mapped_column(Integer(), default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    line: Mapped[Line] = relationship(lazy="raise")

    __table_args__ = (
        Index("ix_line_requests_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_line_requests_company_id_id", "company_id", "id"),
    )


class LineControl(Base):
    """A line's network settings as the network applied them (no row: the defaults)."""

    __tablename__ = "line_controls"

    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    roaming: Mapped[bool] = mapped_column(Boolean, default=True)
    international_calls: Mapped[bool] = mapped_column(Boolean, default=True)
    premium_services: Mapped[bool] = mapped_column(Boolean, default=False)
    mobile_data: Mapped[bool] = mapped_column(Boolean, default=True)
    # A monthly cap on chargeable traffic (EUR); NULL: none.
    spending_cap: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    # Chargeable traffic barred by the cap until the period's end.
    cap_barred: Mapped[bool] = mapped_column(Boolean, default=False)
    block_reason: Mapped[BlockReason | None] = mapped_column(str_enum(BlockReason, "block_reason"))
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LinePolicy(Base):
    """What a company lets its employees do on their own lines."""

    __tablename__ = "line_policies"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    employees_switch_roaming: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EsimActivation(Base):
    """An eSIM activation code (GSMA SGP.22). Kept sealed until shown once, then only its
    digest; a re-issue invalidates the previous one."""

    __tablename__ = "esim_activations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("line_requests.id"), unique=True)
    smdp_address: Mapped[str] = mapped_column(String(255))
    code_digest: Mapped[str] = mapped_column(String(64))
    # The code encrypted with the server key, erased once shown.
    sealed_code: Mapped[str | None] = mapped_column(Text())
    shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invalidated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OfferChange(Base):
    """A line's move to another offer from the first day of a month; `applied_at` once the
    line follows it (the counters and the billing run read the line's offer)."""

    __tablename__ = "offer_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("line_requests.id"), unique=True)
    from_offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    to_offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    effective_from: Mapped[date] = mapped_column(Date)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_offer_changes_effective_from", "effective_from", "applied_at"),)


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
