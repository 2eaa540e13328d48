"""Delivering requests to the operator's provisioning system: the worker claims due requests
(the `line_requests` rows are the outbox), POSTs each signed with an Idempotency-Key, and
records the outcome. 2xx: `sent` (the result comes by callback); 5xx, 408, 429, a timeout or
a connection error: retried with exponential back-off; any other answer: the network
refused it, `failed`, and the line stays as it was."""

import asyncio
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linedesk.config import Settings
from linedesk.kit.clock import Clock
from linedesk.kit.repository import Scope
from linedesk.kit.worker import BatchWorker
from linedesk.lineactions.audit import audit_outcome
from linedesk.lineactions.models import LineRequest, RequestState
from linedesk.lineactions.repository import LineRequestRepository
from linedesk.lineactions.signing import IDEMPOTENCY_HEADER, signed_headers
from linedesk.messaging.worker import RetryPolicy, describe

log = structlog.get_logger()
CALLBACK_PATH = "/api/v1/backoffice/provisioning/callback"
RETRYABLE = {408, 425, 429}


class Refused(Exception):
    """The provisioning system refused the request: retrying will not help."""


class Transport(Protocol):
    async def send(self, body: bytes, headers: Mapping[str, str]) -> None: ...

    async def close(self) -> None: ...


class HttpTransport:
    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.client = httpx.AsyncClient(timeout=timeout)

    async def send(self, body: bytes, headers: Mapping[str, str]) -> None:
        response = await self.client.post(self.url, content=body, headers=dict(headers))
        if response.is_success:
            return
        if response.status_code >= 500 or response.status_code in RETRYABLE:
            raise httpx.HTTPStatusError(
                f"HTTP {response.status_code}", request=response.request, response=response
            )
        raise Refused(f"HTTP {response.status_code}: {response.text[:300]}")

    async def close(self) -> None:
        await self.client.aclose()


def request_body(request: LineRequest, callback_url: str) -> dict[str, Any]:
    """What the provisioning system receives (no secret of ours in it)."""
    return {
        "request_id": request.id,
        "idempotency_key": request.idempotency_key,
        "kind": request.kind.value,
        "msisdn": request.line.msisdn,
        "payload": request.payload,
        "callback_url": callback_url,
        "requested_at": request.created_at.isoformat(),
    }


class ProvisioningWorker(BatchWorker):
    failed_event = "provisioning_batch_failed"

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        transport: Transport,
        clock: Clock,
        *,
        key: bytes,
        callback_url: str,
        policy: RetryPolicy | None = None,
        batch_size: int = 50,
        lease: timedelta = timedelta(minutes=2),
    ) -> None:
        self.sessionmaker = sessionmaker
        self.transport = transport
        self.clock = clock
        self.key = key
        self.callback_url = callback_url
        self.policy = policy or RetryPolicy(10, 2.0, 300.0)
        self.batch_size = batch_size
        self.lease = lease

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        transport: Transport,
    ) -> "ProvisioningWorker":
        return cls(
            sessionmaker,
            transport,
            clock,
            key=settings.provisioning_key,
            callback_url=settings.public_url.rstrip("/") + CALLBACK_PATH,
            policy=RetryPolicy(
                settings.provisioning_max_attempts,
                settings.provisioning_backoff_seconds,
                settings.provisioning_backoff_max_seconds,
            ),
            batch_size=max(settings.outbox_batch_size, 50),
            lease=timedelta(seconds=max(30.0, settings.provisioning_timeout_seconds * 4)),
        )

    async def run_once(self) -> int:
        async with self.sessionmaker() as session, session.begin():
            repo = LineRequestRepository(session, Scope.operator())
            claimed = list(await repo.claim(self.clock.now(), self.batch_size, self.lease))
        if claimed:
            outcomes = await asyncio.gather(*(self._deliver(request) for request in claimed))
            await self._record(list(zip(claimed, outcomes, strict=True)))
        return len(claimed)

    async def close(self) -> None:
        await self.transport.close()

    async def _deliver(self, request: LineRequest) -> Exception | None:
        """Send one request; its failure, if any (a refusal, or an error worth a retry)."""
        body = json.dumps(request_body(request, self.callback_url)).encode()
        timestamp = int(self.clock.now().timestamp())
        headers = signed_headers(self.key, timestamp, body)
        headers[IDEMPOTENCY_HEADER] = request.idempotency_key
        try:
            await self.transport.send(body, headers)
        except Exception as exc:  # a refusal, a timeout, a 5xx, a reset
            return exc
        return None

    async def _record(self, outcomes: list[tuple[LineRequest, Exception | None]]) -> None:
        """The batch's outcomes in one transaction: sent, failed (refused, or out of
        attempts), or due again after a back-off."""
        now = self.clock.now()
        async with self.sessionmaker() as session, session.begin():
            repo = LineRequestRepository(session, Scope.operator())
            for request, error in outcomes:
                values: dict[str, Any] = {"claimed_at": None, "updated_at": now}
                reason = None if error is None else describe(error)
                if error is None:
                    values |= {"state": RequestState.sent, "sent_at": now, "last_error": None}
                elif isinstance(error, Refused) or request.attempts >= self.policy.max_attempts:
                    reason = (
                        str(error) if isinstance(error, Refused) else f"not delivered: {reason}"
                    )
                    values |= {"state": RequestState.failed, "completed_at": now}
                    values |= {"reason": reason[:500], "last_error": reason[:500]}
                else:
                    at: datetime = now + self.policy.delay(request.attempts)
                    values |= {"next_attempt_at": at, "last_error": reason}
                recorded = await repo.finish_delivery(request, **values)
                if recorded and values.get("state") is RequestState.failed:
                    await audit_outcome(
                        session,
                        now,
                        request,
                        RequestState.failed,
                        msisdn=request.line.msisdn,
                        reason=reason,
                    )
                log.info(
                    "provisioning_delivery",
                    request_id=request.id,
                    kind=request.kind.value,
                    attempt=request.attempts,
                    outcome=str(values.get("state", "retry")),
                    error_type=type(error).__name__ if error else None,
                )
