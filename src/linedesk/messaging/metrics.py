"""Prometheus metrics of the outbox: queued, sent and failed per channel, oldest pending."""

from datetime import datetime

from prometheus_client import Counter, Gauge

from linedesk.messaging.models import Channel
from linedesk.messaging.repository import OutboxRepository

SENT = Counter("linedesk_outbox_sent", "Messages delivered by the outbox", ["channel"])
FAILED = Counter(
    "linedesk_outbox_failed", "Messages given up after their last attempt", ["channel"]
)
RETRIED = Counter("linedesk_outbox_retried", "Failed attempts that will be retried", ["channel"])
QUEUED = Gauge("linedesk_outbox_queued", "Messages waiting or being sent", ["channel"])
OLDEST_PENDING_AGE = Gauge(
    "linedesk_outbox_oldest_pending_age_seconds", "Age of the oldest message not yet delivered"
)


async def refresh_gauges(repository: OutboxRepository, now: datetime) -> None:
    queued = await repository.pending_by_channel()
    for channel in Channel:
        QUEUED.labels(channel=channel.value).set(queued.get(channel, 0))
    oldest = await repository.oldest_pending_created_at()
    OLDEST_PENDING_AGE.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
