"""Faults on the usage stream (issue 14): 100,000 records published on NATS JetStream, a
`linedesk usage consume` killed with SIGKILL in the middle of a batch, then started again.
Afterwards the counters must equal the aggregate of the records, no record may be stored
twice and no alert queued twice. Prints what it checked; exit status 1 on any difference.

    python bench/stream_faults.py [--records 100000] [--lines 5000]
"""

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bench_database, bench_env, dsn, fresh_database, say
from stream import LIMITED_LINES, Stream, consumer_process, count_records, publish_all

PER_MESSAGE = 1000
ALERTED_LINES = 200


def records(
    numbers: list[str], limited: list[tuple[str, int]], count: int, tag: str
) -> list[dict[str, object]]:
    """`count` records: small data, voice and SMS on random lines, and one record of 85 % of
    the data allowance on each of the first limited lines (an 80 % alert each)."""
    chance = random.Random(14)
    at = datetime.now(UTC).replace(microsecond=0).isoformat()
    out: list[dict[str, object]] = [
        {
            "record_id": f"{tag}-alert-{n}",
            "line": msisdn,
            "started_at": at,
            "type": "data",
            "quantity": int(data_mb * 1_000_000 * 0.85),
        }
        for n, (msisdn, data_mb) in enumerate(limited[:ALERTED_LINES])
    ]
    kinds = (("data", 20_000, 400_000), ("voice", 10, 300), ("sms", 1, 1))
    while len(out) < count:
        kind, low, high = chance.choice(kinds)
        out.append(
            {
                "record_id": f"{tag}-{len(out)}",
                "line": chance.choice(numbers),
                "started_at": at,
                "type": kind,
                "quantity": chance.randint(low, high),
            }
        )
    chance.shuffle(out)
    return out


def aggregate(published: list[dict[str, object]]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for item in published:
        out[str(item["line"])][str(item["type"])] += int(item["quantity"])  # type: ignore[call-overload]
    return out


async def check(url: str, published: list[dict[str, object]]) -> list[str]:
    connection = await asyncpg.connect(dsn(url))
    problems = []
    try:
        stored = await connection.fetchval("SELECT count(*) FROM usage_records")
        distinct = await connection.fetchval("SELECT count(DISTINCT record_id) FROM usage_records")
        print(
            f"records published: {len(published):,}; stored: {stored:,}; distinct ids: {distinct:,}"
        )
        if stored != len(published) or distinct != stored:
            problems.append("records stored differ from those published")
        rows = await connection.fetch(
            "SELECT l.msisdn, sum(c.data_bytes) AS data, sum(c.voice_seconds) AS voice, "
            "sum(c.sms_count) AS sms FROM line_counters c JOIN lines l ON l.id = c.line_id "
            "GROUP BY l.msisdn"
        )
        counted = {
            r["msisdn"]: Counter(data=r["data"], voice=r["voice"], sms=r["sms"]) for r in rows
        }
        expected = aggregate(published)
        wrong = [
            m
            for m in expected.keys() | counted.keys()
            if +expected.get(m, Counter()) != +counted.get(m, Counter())
        ]
        print(
            f"lines with usage: {len(expected):,}; counters equal to the records' aggregate: "
            f"{len(expected) - len(wrong):,}; different: {len(wrong)}"
        )
        if wrong:
            problems.append(f"{len(wrong)} lines' counters differ, e.g. {wrong[:3]}")
        alerts = await connection.fetch(
            "SELECT recipient, template, count(*) AS n FROM outbox_messages GROUP BY 1, 2"
        )
        twice = [r for r in alerts if r["n"] > 1]
        eighty = sum(1 for r in alerts if r["template"] == "usage_alert_80")
        print(
            f"alerts queued: {sum(r['n'] for r in alerts):,} ({eighty} at 80 % of data, "
            f"{ALERTED_LINES} expected at least); queued twice: {len(twice)}"
        )
        if twice:
            problems.append(f"{len(twice)} alerts queued twice")
        if eighty < ALERTED_LINES:
            problems.append("alerts missing")
    finally:
        await connection.close()
    return problems


async def _lines(url: str) -> tuple[list[str], list[tuple[str, int]]]:
    connection = await asyncpg.connect(dsn(url))
    try:
        numbers = [
            r["msisdn"]
            for r in await connection.fetch(
                "SELECT msisdn FROM lines WHERE kind = 'mobile' AND status = 'active' "
                "AND payment_mode = 'postpaid'"
            )
        ]
        limited = [(r["msisdn"], r["data_mb"]) for r in await connection.fetch(LIMITED_LINES)]
    finally:
        await connection.close()
    return numbers, limited


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=5_000)
    args = parser.parse_args()
    url = bench_database("stream_faults")
    fresh_database(url, bench_env(url), lines=args.lines, usage=False)
    numbers, limited = asyncio.run(_lines(url))
    alerted = {m for m, _ in limited[:ALERTED_LINES]}
    stream = Stream(url)
    published = records(
        [n for n in numbers if n not in alerted], limited, args.records, stream.name
    )
    lines = [json.dumps(item).encode() + b"\n" for item in published]
    asyncio.run(stream.create())
    asyncio.run(
        publish_all(
            stream.subject,
            [b"".join(lines[i : i + PER_MESSAGE]) for i in range(0, len(lines), PER_MESSAGE)],
        )
    )
    say(f"{len(published):,} records in {asyncio.run(stream.stored()):,} messages published")
    env = stream.env | {"LINEDESK_USAGE_BATCH_RECORDS": "10000"}
    first = consumer_process(env)
    while (done := asyncio.run(count_records(dsn(url)))) < 10_000:
        if first.poll() is not None:
            raise SystemExit("the consumer exited early")
        time.sleep(0.05)
    time.sleep(random.uniform(0.2, 0.6))  # the next batch is being pulled, rated and written
    done = asyncio.run(count_records(dsn(url)))
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    print(
        f"consumer killed (SIGKILL) in the middle of a batch, {done:,} of "
        f"{len(published):,} records committed"
    )
    started = time.perf_counter()
    again = consumer_process(env, until_idle=45)  # past the ack wait: the killed batch's
    again.wait()  # messages come back after 30 s
    print(
        f"consumer started again: finished in {time.perf_counter() - started:.0f} s "
        f"(exit {again.returncode})"
    )
    problems = asyncio.run(check(url, published))
    asyncio.run(stream.delete())
    print(
        "FAILED: " + "; ".join(problems)
        if problems
        else "OK: counters equal the records' aggregate, no record stored twice, "
        "no alert queued twice"
    )
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
