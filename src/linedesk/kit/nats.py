"""The broker on NATS JetStream (nats-py): a file-backed stream, durable pull consumers with
explicit acks, publishes that wait for the stream's acknowledgement."""

from collections.abc import Mapping, Sequence

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError

from linedesk.kit.broker import Broker, Consumer, Delivery

CONNECT_TIMEOUT = 3.0


class NatsDelivery(Delivery):
    __slots__ = ("_msg",)

    def __init__(self, msg: Msg) -> None:
        self._msg = msg

    @property
    def data(self) -> bytes:
        return self._msg.data

    @property
    def headers(self) -> Mapping[str, str]:
        return self._msg.headers or {}

    @property
    def sequence(self) -> int:
        return int(self._msg.metadata.sequence.stream)

    @property
    def deliveries(self) -> int:
        return int(self._msg.metadata.num_delivered or 1)

    async def ack(self) -> None:
        await self._msg.ack()

    async def nak(self, delay: float = 0) -> None:
        await self._msg.nak(delay=delay or None)


class NatsConsumer(Consumer):
    def __init__(self, subscription: JetStreamContext.PullSubscription) -> None:
        self._subscription = subscription

    async def fetch(self, max_messages: int, wait: float) -> list[Delivery]:
        try:
            messages = await self._subscription.fetch(max_messages, timeout=max(wait, 0.01))
        except (NatsTimeout, TimeoutError):
            return []
        return [NatsDelivery(msg) for msg in messages]


class NatsBroker(Broker):
    """Connects on first use; reconnects by itself while the server is away."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client: Client | None = None
        self._js: JetStreamContext | None = None

    async def connection(self) -> tuple[Client, JetStreamContext]:
        if self._client is None or self._js is None:
            self._client = await nats.connect(
                self.url,
                name="linedesk",
                connect_timeout=CONNECT_TIMEOUT,
                max_reconnect_attempts=-1,
                allow_reconnect=True,
            )
            self._js = self._client.jetstream()
        return self._client, self._js

    async def ensure_stream(self, name: str, subjects: Sequence[str]) -> None:
        _, js = await self.connection()
        try:
            info = await js.stream_info(name)
        except NotFoundError:
            await js.add_stream(name=name, subjects=list(subjects), storage=api.StorageType.FILE)
            return
        kept = list(info.config.subjects or [])
        missing = [subject for subject in subjects if subject not in kept]
        if missing:
            info.config.subjects = kept + missing
            await js.update_stream(info.config)

    async def _publish(
        self, subject: str, data: bytes, headers: dict[str, str], msg_id: str | None
    ) -> None:
        _, js = await self.connection()
        if msg_id is not None:
            headers["Nats-Msg-Id"] = msg_id
        await js.publish(subject, data, headers=headers or None)

    async def _consumer(
        self, stream: str, subject: str, durable: str, ack_wait: float, max_pending: int
    ) -> Consumer:
        _, js = await self.connection()
        config = api.ConsumerConfig(
            ack_wait=ack_wait,
            max_ack_pending=max_pending,
            filter_subject=subject,
            max_deliver=-1,
            ack_policy=api.AckPolicy.EXPLICIT,
        )
        subscription = await js.pull_subscribe(
            subject, durable=durable, stream=stream, config=config
        )
        return NatsConsumer(subscription)

    async def flush(self) -> None:
        """Wait until what was sent (acknowledgements included) reached the server."""
        if self._client is not None:
            await self._client.flush()

    async def close(self) -> None:
        if self._client is not None:  # what was sent reaches the server, then goodbye
            client, self._client, self._js = self._client, None, None
            if client.is_connected:
                await client.flush(timeout=5)
            await client.close()
