"""Fixtures of messaging: a clock the test moves, a worker, helpers to enqueue and read."""

import socket
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from linedesk.db import create_sessionmaker
from linedesk.kit.clock import FrozenClock
from linedesk.messaging.models import Channel, OutboxMessage
from linedesk.messaging.service import enqueue
from linedesk.messaging.worker import OutboxWorker, RetryPolicy
from tests.conftest import NOW


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
def moving_clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def make_worker(
    sessionmaker: async_sessionmaker[AsyncSession], moving_clock: FrozenClock, tmp_path: Path
) -> Callable[..., OutboxWorker]:
    def _make(senders: dict, max_attempts: int = 3, **kwargs: Any) -> OutboxWorker:
        policy = RetryPolicy(max_attempts=max_attempts, base_seconds=10, max_seconds=60)
        return OutboxWorker(
            sessionmaker, senders, moving_clock, data_dir=tmp_path, policy=policy, **kwargs
        )

    return _make


async def put(
    sessionmaker: async_sessionmaker[AsyncSession],
    channel: Channel,
    recipient: str,
    template: str = "test_message",
    language: str = "it",
    **kwargs: Any,
) -> int:
    payload = kwargs.pop("payload", {"name": "Giulia", "note": "Nota di prova."})
    async with sessionmaker() as session, session.begin():
        message = await enqueue(
            session, channel, recipient, template, language, payload, now=NOW, **kwargs
        )
        return message.id


async def outbox(sessionmaker: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sessionmaker() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


def advance(clock: FrozenClock, seconds: float) -> None:
    clock.at = clock.at + timedelta(seconds=seconds)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
