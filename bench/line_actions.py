"""Line actions (SPEC §10, issue 17): from the API call (the click) to the signed request
arriving at the operator's provisioning system, under 50 concurrent actions. A provisioning
peer (aiohttp, in this process) checks each signature, notes when each request arrives and
reports it done to the signed callback; `linedesk provisioning work` runs beside the API
process, as in production. Target: p99 < 2 s.

    python bench/line_actions.py [--scale small|full] [--lines N] [--rounds R]
                                 [--concurrency C]
"""

import asyncio
import hashlib
import hmac
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
from aiohttp import web
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Latency, Params, bench_database, bench_env, cli, free_port, fresh_database, say
from common import server as api_server
from linedesk.db import create_engine
from report import Figure

NAME = "line_actions"
PASSWORD = "Prova-Linedesk-42!"
MANAGER = "bench.actions"
SECRET = "bench-provisioning-secret-0123456789abcdef"
SCALES: dict[str, Params] = {
    "small": {"lines": 2_000, "rounds": 6, "concurrency": 50},
    "full": {"lines": 10_000, "rounds": 20, "concurrency": 50},
}
P99_MS = 2000.0

ADD_MANAGER = """
INSERT INTO users (company_id, profile, username, password_hash, must_change_password,
                   language, totp_enabled, created_at)
SELECT (SELECT company_id FROM lines WHERE kind = 'mobile' AND status = 'active'
        GROUP BY company_id ORDER BY count(*) DESC LIMIT 1),
       'user_admin', :username, password_hash, false, 'it', false, created_at
FROM users WHERE username = 'admin.bellini'
ON CONFLICT DO NOTHING
"""
LINES_OF = """SELECT l.msisdn FROM lines l JOIN users u ON u.company_id = l.company_id
              WHERE u.username = :username AND l.kind = 'mobile' AND l.status = 'active'
              ORDER BY l.id"""


def sign(timestamp: str, body: bytes) -> str:
    mac = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class Peer:
    """The provisioning system: checks, notes the arrival, answers 202, calls back."""

    def __init__(self) -> None:
        self.arrived: dict[int, float] = {}
        self.bad = 0
        self.callbacks: set[asyncio.Task[None]] = set()
        self.api = ""
        self.client: httpx.AsyncClient | None = None

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        arrived = time.perf_counter()
        stamp = request.headers.get("X-Linedesk-Timestamp", "")
        if not hmac.compare_digest(
            sign(stamp, body), request.headers.get("X-Linedesk-Signature", "")
        ):
            self.bad += 1
            return web.json_response({"error": "bad signature"}, status=401)
        sent = json.loads(body)
        self.arrived.setdefault(sent["request_id"], arrived)
        task = asyncio.create_task(self.report(sent))
        self.callbacks.add(task)
        task.add_done_callback(self.callbacks.discard)
        return web.json_response({"accepted": sent["request_id"]}, status=202)

    async def report(self, sent: dict) -> None:
        body = json.dumps(
            {
                "request_id": sent["request_id"],
                "idempotency_key": sent["idempotency_key"],
                "status": "done",
                "result": {},
            }
        ).encode()
        stamp = str(int(time.time()))
        headers = {
            "X-Linedesk-Timestamp": stamp,
            "X-Linedesk-Signature": sign(stamp, body),
            "Content-Type": "application/json",
        }
        assert self.client is not None
        for attempt in range(5):  # a real peer retries a callback the network dropped
            try:
                await self.client.post(
                    self.api + "/api/v1/backoffice/provisioning/callback",
                    content=body,
                    headers=headers,
                )
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1 * 2**attempt)


async def prepare(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(ADD_MANAGER), {"username": MANAGER})
            rows = (await connection.execute(text(LINES_OF), {"username": MANAGER})).all()
        return [str(row[0]) for row in rows]
    finally:
        await engine.dispose()


ACTIONS = (
    ("put", "/lines/{}/services", {"roaming": False}),
    ("post", "/lines/{}/block", {"reason": "lost"}),
    ("put", "/lines/{}/spending-cap", {"amount": "40.00"}),
)


async def measure(
    api: str, peer: Peer, port: int, numbers: list[str], rounds: int, concurrency: int
) -> tuple[Latency, Latency, int]:
    """`rounds` bursts of `concurrency` actions at once, each on its own line; returns the
    click → arrival latencies, the API's 202 latencies, and how many were done."""
    site_app = web.Application()
    site_app.router.add_post("/provisioning", peer.handle)
    runner = web.AppRunner(site_app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    # Idle connections expire on the client before the server's keep-alive timeout (5 s),
    # so that no request is sent on a connection the server is closing.
    limits = httpx.Limits(max_connections=concurrency + 10, keepalive_expiry=2.0)
    async with (
        httpx.AsyncClient(base_url=api, timeout=60, limits=limits) as client,
        httpx.AsyncClient(timeout=60, limits=limits) as peer_client,
    ):
        peer.api, peer.client = api, peer_client
        login = await client.post(
            "/api/v1/auth/login", json={"username": MANAGER, "password": PASSWORD}
        )
        login.raise_for_status()
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        started: dict[int, float] = {}
        answers: list[float] = []

        async def act(number: str, action: tuple[str, str, dict]) -> None:
            method, path, body = action
            begin = time.perf_counter()
            response = await client.request(
                method, "/api/v1" + path.format(number), json=body, headers=auth
            )
            answers.append(time.perf_counter() - begin)
            if response.status_code != 202:
                raise RuntimeError(f"{path} answered {response.status_code}: {response.text}")
            started[response.json()["id"]] = begin

        needed = rounds * concurrency
        if len(numbers) < needed:
            raise SystemExit(f"{needed} active mobile lines needed, the company has {len(numbers)}")
        for round_ in range(rounds):
            action = ACTIONS[round_ % len(ACTIONS)]
            batch = numbers[round_ * concurrency : (round_ + 1) * concurrency]
            await asyncio.gather(*(act(number, action) for number in batch))
        deadline = time.perf_counter() + 60
        while len(peer.arrived.keys() & started.keys()) < len(started):
            if time.perf_counter() > deadline:
                raise RuntimeError(f"only {len(peer.arrived)} of {len(started)} arrived in 60 s")
            await asyncio.sleep(0.05)
        await asyncio.gather(*peer.callbacks)
        listed = await client.get(
            "/api/v1/requests", params={"state": "done", "limit": 1}, headers=auth
        )
        done = int(listed.headers.get("X-Total-Count", "0"))
    await runner.cleanup()
    latencies = [peer.arrived[i] - started[i] for i in started]
    return Latency.of(latencies), Latency.of(answers), done


def run(lines: int, rounds: int, concurrency: int) -> list[Figure]:
    url = bench_database(NAME)
    peer_port = free_port()
    env = bench_env(
        url,
        LINEDESK_PROVISIONING_URL=f"http://127.0.0.1:{peer_port}/provisioning",
        LINEDESK_PROVISIONING_HMAC_SECRET=SECRET,
        LINEDESK_PROVISIONING_EMBEDDED_WORKER="false",  # its own process, as in production
        LINEDESK_OUTBOX_EMBEDDED_WORKER="false",
        LINEDESK_SCHEDULER_EMBEDDED="false",
        LINEDESK_DEMO_LIVE_USAGE="false",
    )
    fresh_database(url, env, lines, usage=False)
    numbers = asyncio.run(prepare(url))
    peer = Peer()
    worker = subprocess.Popen(
        [sys.executable, "-m", "linedesk.cli", "provisioning", "work"], env=env
    )
    try:
        with api_server(env, free_port()) as api:
            arrival, answer, done = asyncio.run(
                measure(api, peer, peer_port, numbers, rounds, concurrency)
            )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    total = rounds * concurrency
    say(f"{total} actions, {done} done by callback, {peer.bad} bad signatures")
    return [
        Figure(
            NAME,
            f"click → signed request at the provisioning peer, {concurrency} concurrent actions"
            f" × {rounds} (p50 {arrival.p50_ms:.0f} ms)",
            arrival.p99_ms,
            "ms",
            P99_MS,
            "target",
            f"p99 < {P99_MS:.0f} ms",
            arrival.p99_ms < P99_MS and peer.bad == 0,
        ),
        Figure(
            NAME,
            f"the action's 202 answer at that load (p50 {answer.p50_ms:.0f} ms)",
            answer.p99_ms,
            "ms",
            None,
            "",
            "",
            True,
        ),
        Figure(
            NAME,
            "requests done by the signed callback",
            done,
            "records",
            total,
            "actions",
            "all",
            done == total,
        ),
    ]


if __name__ == "__main__":
    cli(__doc__, run, SCALES)
