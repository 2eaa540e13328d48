"""The usage stream (issue 14) on NATS JetStream and PostgreSQL, with `linedesk usage consume`
processes as production runs them:

(b) records/s sustained from the stream into PostgreSQL, with 1 and 2 consumers, 1 and 1,000
    records per message (the stream filled first, the rate measured while it drains);
(c) freshness: p50/p99 from a record's publication to GET /api/v1/lines/{msisdn}/summary
    showing it, while 1,000 and 10,000 records/s are offered;
(d) alert latency: a record crossing 80 % of a data allowance, published → its outbox row.

    python bench/stream.py [--scale small|full] [--lines N] [--records N] … [--reuse]
                           [--no-throughput] [--no-freshness]

--reuse keeps the database of an earlier run (its lines and the records streamed into it);
--no-throughput skips (b), --no-freshness skips (c) and (d).

NATS: LINEDESK_BENCH_NATS_URL (default nats://127.0.0.1:4222); each run uses streams and
durables of its own and deletes them afterwards.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import nats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    Latency,
    Params,
    bench_database,
    bench_env,
    cli,
    dsn,
    free_port,
    fresh_database,
    loaded_lines,
    say,
    server,
)
from report import Figure
from summary import ADD_MANAGER, LINES_OF, MANAGER, login

NAME = "stream"
NATS_URL = os.environ.get("LINEDESK_BENCH_NATS_URL", "nats://127.0.0.1:4222")
SCALES: dict[str, Params] = {
    "small": {
        "lines": 5_000,
        "records": 60_000,
        "single_records": 15_000,
        "seconds": 8,
        "alerts": 60,
        "reuse": False,
        "no_throughput": False,
        "no_freshness": False,
    },
    "full": {
        "lines": 100_000,
        "records": 500_000,
        "single_records": 100_000,
        "seconds": 30,
        "alerts": 300,
        "reuse": False,
        "no_throughput": False,
        "no_freshness": False,
    },
}
TARGET_BATCHED, TARGET_SINGLE, FRESH_P99_MS, ALERT_P99_MS = 50_000, 10_000, 1000.0, 5000.0
LIMITED_LINES = """SELECT l.msisdn, o.data_mb FROM lines l JOIN offers o ON o.id = l.offer_id
                   WHERE l.kind = 'mobile' AND l.status = 'active' AND o.data_mb > 0
                   AND l.payment_mode = 'postpaid' AND NOT EXISTS (SELECT 1 FROM sent_alerts s
                   WHERE s.line_id = l.id AND s.kind = 'data_80') ORDER BY l.id"""


# --- the stream and the consumers ------------------------------------------------------------


class Stream:
    """A stream, subjects and durable of this run's own, as the consumers' environment."""

    def __init__(self, url: str) -> None:
        tag = uuid.uuid4().hex[:8]
        self.name, self.subject = f"BENCH_{tag}", f"bench-{tag}.records"
        self.env = bench_env(
            url,
            LINEDESK_NATS_URL=NATS_URL,
            LINEDESK_USAGE_STREAM=self.name,
            LINEDESK_USAGE_SUBJECT=self.subject,
            LINEDESK_USAGE_DEAD_LETTER_SUBJECT=f"bench-{tag}.dead",
            LINEDESK_USAGE_DURABLE=f"bench-{tag}",
        )

    async def create(self) -> None:
        connection = await nats.connect(NATS_URL)
        js = connection.jetstream()
        await js.add_stream(
            name=self.name, subjects=[self.subject, self.env["LINEDESK_USAGE_DEAD_LETTER_SUBJECT"]]
        )
        await connection.close()

    async def delete(self) -> None:
        connection = await nats.connect(NATS_URL)
        await connection.jetstream().delete_stream(self.name)
        await connection.close()

    async def stored(self) -> int:
        connection = await nats.connect(NATS_URL)
        info = await connection.jetstream().stream_info(self.name)
        await connection.close()
        return int(info.state.messages)


def consumer_process(env: dict[str, str], until_idle: float = 0) -> subprocess.Popen[bytes]:
    extra = ["--until-idle", str(until_idle)] if until_idle else []
    return subprocess.Popen(
        [sys.executable, "-m", "linedesk.cli", "usage", "consume", *extra],
        env=env,
        stdout=subprocess.DEVNULL,
    )


@contextmanager
def consumers(
    env: dict[str, str], count: int, until_idle: float = 0
) -> Iterator[list[subprocess.Popen[bytes]]]:
    processes = [consumer_process(env, until_idle) for _ in range(count)]
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


def record(
    record_id: str, msisdn: str, usage_type: str, quantity: int, at: datetime | None = None
) -> bytes:
    return (
        json.dumps(
            {
                "record_id": record_id,
                "line": msisdn,
                "type": usage_type,
                "started_at": (at or datetime.now(UTC)).isoformat(),
                "quantity": quantity,
            }
        ).encode()
        + b"\n"
    )


def background(numbers: list[str], count: int, tag: str, start: int = 0) -> Iterator[bytes]:
    """Small data and voice records spread over the lines (well inside their allowances)."""
    at = datetime.now(UTC)
    for n in range(start, start + count):
        voice = n % 3 == 0
        yield record(
            f"{tag}-{n}",
            numbers[(n * 7919) % len(numbers)],
            "voice" if voice else "data",
            30 if voice else 50_000,
            at,
        )


async def publish_all(subject: str, messages: list[bytes]) -> None:
    connection = await nats.connect(NATS_URL)
    for n, message in enumerate(messages):
        await connection.publish(subject, message)
        if n % 2000 == 1999:
            await connection.flush()
    await connection.flush()
    await connection.close()


async def count_records(database: str) -> int:
    connection = await asyncpg.connect(database)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM usage_records"))
    finally:
        await connection.close()


# --- (b) throughput --------------------------------------------------------------------------


async def throughput(
    url: str, numbers: list[str], records: int, per_message: int, count: int
) -> float:
    stream = Stream(url)
    await stream.create()
    lines = list(background(numbers, records, stream.name))
    await publish_all(
        stream.subject,
        [b"".join(lines[i : i + per_message]) for i in range(0, records, per_message)],
    )
    messages = await stream.stored()
    say(f"(b) {records:,} records in {messages:,} messages published")
    before = await count_records(dsn(url))
    first: tuple[float, int] | None = None
    with consumers(stream.env, count):  # as production runs them; stopped once all are in
        while True:
            done = await count_records(dsn(url)) - before
            now = time.perf_counter()
            if done and first is None:
                first = (now, done)
            if done >= records:
                break
            await asyncio.sleep(0.1)
    await stream.delete()
    assert first is not None
    return (records - first[1]) / max(now - first[0], 1e-6)


# --- (c) freshness and (d) alert latency -----------------------------------------------------


async def offer_load(subject: str, numbers: list[str], rate: int, seconds: float, tag: str) -> None:
    """`rate` records/s in a message every 10 ms, for `seconds`. A publisher that fell behind
    (a busy machine) catches up in messages of at most `per_tick` records: one message of
    all it owes could pass the consumer's size limit and be dead-lettered."""
    connection = await nats.connect(NATS_URL)
    per_tick, tick, sent = max(1, rate // 100), 0.01, 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        due = int(elapsed / tick) * per_tick
        while sent < due:
            count = min(per_tick, due - sent)
            await connection.publish(subject, b"".join(background(numbers, count, tag, sent)))
            sent += count
        await asyncio.sleep(tick / 2)
    await connection.flush()
    await connection.close()


async def freshness(
    base: str, stream: Stream, probes: list[str], numbers: list[str], rate: int, seconds: float
) -> Latency:
    """Every 250 ms one SMS on a probe line; the time until its summary counts it."""
    latencies: list[float] = []
    tag = f"{stream.name}-{rate}"
    connection = await nats.connect(NATS_URL)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        auth = login(base)
        seen = {}
        for msisdn in probes:
            summary = (await client.get(f"/api/v1/lines/{msisdn}/summary", headers=auth)).json()
            seen[msisdn] = summary["usage"]["sms"]["used"]

        async def watch(msisdn: str, expected: int, sent: float) -> None:
            while True:
                summary = (await client.get(f"/api/v1/lines/{msisdn}/summary", headers=auth)).json()
                if summary["usage"]["sms"]["used"] >= expected:
                    latencies.append(time.perf_counter() - sent)
                    return
                await asyncio.sleep(0.02)

        load = asyncio.create_task(offer_load(stream.subject, numbers, rate, seconds, tag))
        watchers = []
        for n in range(int(seconds * 4)):
            msisdn = probes[n % len(probes)]
            seen[msisdn] += 1
            await connection.publish(stream.subject, record(f"{tag}-probe-{n}", msisdn, "sms", 1))
            await connection.flush()
            watchers.append(asyncio.create_task(watch(msisdn, seen[msisdn], time.perf_counter())))
            await asyncio.sleep(0.25)
        await load
        await asyncio.wait_for(asyncio.gather(*watchers), 300)
    await connection.close()
    return Latency.of(latencies)


async def alert_latency(url: str, stream: Stream, lines: list[tuple[str, int]]) -> Latency:
    """One record of 85 % of the data allowance per line, 20 a second; its 80 % alert's row,
    watched for while the records are still being published."""
    connection = await nats.connect(NATS_URL)
    database = await asyncpg.connect(dsn(url))
    sent: dict[str, float] = {}
    latencies: list[float] = []

    async def publish() -> None:
        for n, (msisdn, data_mb) in enumerate(lines):
            quantity = int(data_mb * 1_000_000 * 0.85)
            sent[msisdn] = time.perf_counter()
            await connection.publish(
                stream.subject, record(f"{stream.name}-alert-{n}", msisdn, "data", quantity)
            )
            await connection.flush()
            await asyncio.sleep(0.05)

    try:
        publishing = asyncio.create_task(publish())
        deadline = time.perf_counter() + 120 + len(lines) * 0.05
        while (sent or not publishing.done()) and time.perf_counter() < deadline:
            rows = await database.fetch(
                "SELECT recipient FROM outbox_messages WHERE "
                "template = 'usage_alert_80' AND recipient = ANY($1)",
                list(sent),
            )
            now = time.perf_counter()
            for row in rows:
                latencies.append(now - sent.pop(row["recipient"]))
            await asyncio.sleep(0.05)
        await publishing
        if sent:
            raise RuntimeError(f"{len(sent)} alerts never reached the outbox")
    finally:
        await database.close()
        await connection.close()
    return Latency.of(latencies)


async def prepare(url: str) -> tuple[list[str], list[str], list[tuple[str, int]]]:
    connection = await asyncpg.connect(dsn(url))
    try:
        await connection.execute(ADD_MANAGER.replace(":username", "$1"), MANAGER)
        numbers = [
            r["msisdn"]
            for r in await connection.fetch(
                "SELECT msisdn FROM lines WHERE kind = 'mobile' AND status = 'active'"
            )
        ]
        company = [
            r["msisdn"]
            for r in await connection.fetch(
                LINES_OF.replace(":username", "$1") + " AND l.kind = 'mobile' "
                "AND l.status = 'active'",
                MANAGER,
            )
        ]
        limited = [(r["msisdn"], r["data_mb"]) for r in await connection.fetch(LIMITED_LINES)]
    finally:
        await connection.close()
    return numbers, company, limited


def run(
    lines: int,
    records: int,
    single_records: int,
    seconds: float,
    alerts: int,
    reuse: bool = False,
    no_throughput: bool = False,
    no_freshness: bool = False,
) -> list[Figure]:
    url = bench_database(NAME)
    if reuse and loaded_lines(url) == lines:
        say(f"reusing {url.rsplit('/', 1)[1]} ({lines:,} lines)")
    else:
        fresh_database(url, bench_env(url), lines=lines, usage=False)
    numbers, company, limited = asyncio.run(prepare(url))
    figures = []
    if not no_throughput:
        figures += throughputs(url, numbers, records, single_records)
    if not no_freshness:
        figures += freshness_and_alerts(url, numbers, company, limited, seconds, alerts)
    return figures


def throughputs(url: str, numbers: list[str], records: int, single_records: int) -> list[Figure]:
    figures = []
    for per_message, count, total, target in (
        (1000, 1, records, TARGET_BATCHED),
        (1000, 2, records, TARGET_BATCHED),
        (1, 1, single_records, TARGET_SINGLE),
        (1, 2, single_records, TARGET_SINGLE),
    ):
        rate = asyncio.run(throughput(url, numbers, total, per_message, count))
        say(f"(b) {per_message}/msg, {count} consumer(s): {rate:,.0f} records/s")
        figures.append(
            Figure(
                "stream (b)",
                f"{total:,} records, {per_message:,}/message, {count} consumer(s)",
                rate,
                "records/s",
                target,
                "target",
                f"≥ {target:,} records/s",
                rate >= target,
            )
        )
    return figures


def freshness_and_alerts(
    url: str,
    numbers: list[str],
    company: list[str],
    limited: list[tuple[str, int]],
    seconds: float,
    alerts: int,
) -> list[Figure]:
    probes, alerted = company[:20], [x for x in limited if x[0] not in company[:20]][:alerts]
    figures: list[Figure] = []
    stream = Stream(url)
    asyncio.run(stream.create())
    with consumers(stream.env, 1), server(stream.env, free_port()) as base:
        time.sleep(3)  # the consumer connected
        for rate in (1_000, 10_000):
            latency = asyncio.run(freshness(base, stream, probes, numbers, rate, seconds))
            say(
                f"(c) {rate:,} records/s offered: p50 {latency.p50_ms:.0f} ms, "
                f"p99 {latency.p99_ms:.0f} ms ({latency.count} probes)"
            )
            what = f"publish → summary, {rate:,} records/s offered, {latency.count} probes"
            figures += [
                Figure(
                    "stream (c)", f"p50 {what}", latency.p50_ms, "ms", None, "", "reported", True
                ),
                Figure(
                    "stream (c)",
                    f"p99 {what}",
                    latency.p99_ms,
                    "ms",
                    FRESH_P99_MS,
                    "target",
                    "p99 < 1 s" if rate == 10_000 else "reported",
                    rate != 10_000 or latency.p99_ms < FRESH_P99_MS,
                ),
            ]
        alert = asyncio.run(alert_latency(url, stream, alerted))
        say(f"(d) alerts: p50 {alert.p50_ms:.0f} ms, p99 {alert.p99_ms:.0f} ms")
        figures.append(
            Figure(
                "stream (d)",
                f"p99 publish → outbox row, {alert.count} alerts",
                alert.p99_ms,
                "ms",
                ALERT_P99_MS,
                "target",
                "p99 < 5 s",
                alert.p99_ms < ALERT_P99_MS,
            )
        )
    asyncio.run(stream.delete())
    return figures


if __name__ == "__main__":
    cli(__doc__, run, SCALES)
