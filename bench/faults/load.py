"""The load: who it acts as, and the requests of employees, managers, imports and e-mails."""

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx


@dataclass
class Cast:
    """Who the load acts as, read from the database after the demo load."""

    employees: list[str]
    managers: dict[str, str]  # username: e-mail
    admin: str
    lines: list[str]  # active mobile lines for usage records
    invoice_ids: list[int] = field(default_factory=list)


async def read_cast(db_url: str) -> Cast:
    connection = await asyncpg.connect(db_url)
    try:
        users = await connection.fetch(
            "SELECT username, profile, email FROM users WHERE created_by_id IS NULL ORDER BY id"
        )
        lines = await connection.fetch(
            "SELECT msisdn FROM lines WHERE kind = 'mobile' AND status = 'active' "
            "AND activation_date < current_date - 1 ORDER BY id"
        )
    finally:
        await connection.close()
    managers = {u["username"]: u["email"] for u in users if u["profile"] != "employee"}
    admin = next(u["username"] for u in users if u["profile"] == "user_admin")
    return Cast(
        [u["username"] for u in users if u["profile"] == "employee"],
        managers,
        admin,
        [row["msisdn"] for row in lines],
    )


# --- the load ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    kind: str
    at: float  # seconds since the load started, when the request was sent
    end: float  # and when its answer (or error) came
    result: str  # ok | refused (an expected 4xx) | shed (503 busy by design) | error
    detail: str


@dataclass
class Ledger:
    """What the API accepted: usage record ids and e-mails by (template, recipient)."""

    accepted_records: set[str] = field(default_factory=set)
    unconfirmed_records: set[str] = field(default_factory=set)
    replayed_imports: int = 0  # a retry found records of its failed attempt already in
    mails: Counter[tuple[str, str]] = field(default_factory=Counter)
    unsure_mails: Counter[tuple[str, str]] = field(default_factory=Counter)
    share_ids: set[int] = field(default_factory=set)


class Load:
    def __init__(self, client: httpx.AsyncClient, started: float) -> None:
        self.client, self.started = client, started
        self.outcomes: list[Outcome] = []
        self.stop = asyncio.Event()
        self.burst = asyncio.Event()
        self.ledger = Ledger()

    def now(self) -> float:
        return time.monotonic() - self.started

    async def call(
        self, kind: str, method: str, url: str, refusals: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response | None:
        at = self.now()
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.outcomes.append(Outcome(kind, at, self.now(), "error", type(exc).__name__))
            return None
        status = response.status_code
        if status < 300:
            result = "ok"
        elif status in refusals:
            result = "refused"
        elif status == 503 and '"busy"' in response.text:
            result = "shed"
        else:
            result = "error"
        self.outcomes.append(Outcome(kind, at, self.now(), result, str(status)))
        return response


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def somewhere() -> dict[str, str]:
    """A client address behind our (trusted) proxy."""
    return {
        "X-Forwarded-For": f"10.{random.randrange(256)}.{random.randrange(256)}."
        f"{random.randrange(1, 255)}"
    }


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> str:
    response = await client.post(
        "/api/v1/auth/login", headers=somewhere(), json={"username": username, "password": password}
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


async def employee_reads(load: Load, token: str, msisdn: str) -> None:
    while not load.stop.is_set():
        await load.call("counters", "GET", f"/api/v1/lines/{msisdn}/summary", headers=bearer(token))
        await load.call(
            "widget",
            "GET",
            "/api/v1/widget",
            headers=bearer(token),
            params={"variant": random.choice(["light", "extended"])},
        )
        await asyncio.sleep(0.05)


async def manager_reads(load: Load, token: str) -> None:
    while not load.stop.is_set():
        await load.call(
            "invoice list", "GET", "/api/v1/invoices", headers=bearer(token), params={"limit": 20}
        )
        await asyncio.sleep(0.2)


async def sign_ins(load: Load, people: list[str], password: str) -> None:
    turn = 0
    while not load.stop.is_set():
        turn += 1
        wrong = {"username": f"+39347{random.randrange(10**7):07d}", "password": "Sbagliata-1234!"}
        await load.call(
            "sign-in (wrong)",
            "POST",
            "/api/v1/auth/login",
            refusals=(401, 429),
            json=wrong,
            headers=somewhere(),
        )
        if turn % 10 == 0:  # 10 per 15 minutes per username: the limit answers 429 beyond
            right = {"username": people[turn // 10 % len(people)], "password": password}
            await load.call(
                "sign-in (right)",
                "POST",
                "/api/v1/auth/login",
                refusals=(429,),
                json=right,
                headers=somewhere(),
            )
        await asyncio.sleep(0.5)


def usage_batch(run: str, number: int, lines: list[str], size: int) -> tuple[list[str], bytes]:
    now = datetime.now(UTC)
    ids, rows = [], []
    for index in range(size):
        kind = random.choice(["data", "data", "voice", "sms"])
        quantity = {
            "data": random.randrange(10**5, 5 * 10**7),
            "voice": random.randrange(5, 900),
            "sms": 1,
        }[kind]
        record_id = f"{run}-{number}-{index}"
        ids.append(record_id)
        rows.append(
            json.dumps(
                {
                    "record_id": record_id,
                    "line": random.choice(lines),
                    "type": kind,
                    "started_at": (now - timedelta(seconds=random.randrange(60, 7200))).isoformat(),
                    "quantity": quantity,
                    "destination": random.choice(
                        ["national"] * 8 + ["eu_roaming", "international"]
                    ),
                }
            )
        )
    return ids, ("\n".join(rows) + "\n").encode()


async def usage_imports(load: Load, key: str, run: str, lines: list[str], size: int) -> None:
    """Upload files of new records; retry one that failed until the API accepts it (the
    import is idempotent), as an operator's feed would."""
    number = 0
    headers = {"X-API-Key": key, "Content-Type": "application/x-ndjson"}
    while not load.stop.is_set():
        number += 1
        ids, body = usage_batch(run, number, lines, size)
        give_up = load.now() + 60
        while True:
            response = await load.call(
                "usage import",
                "POST",
                "/api/v1/backoffice/usage/import",
                refusals=(409,),
                content=body,
                headers=headers,
            )
            if response is not None and response.status_code == 200:
                load.ledger.accepted_records.update(ids)
                load.ledger.replayed_imports += response.json()["duplicates"] > 0
                break
            if load.now() > give_up:
                load.ledger.unconfirmed_records.update(ids)
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(0.2)


async def mail_actions(
    load: Load,
    run: str,
    admin: tuple[str, str],
    managers: list[tuple[str, str, str]],
    invoice_ids: list[int],
) -> None:
    """Actions that queue e-mail: telco managers created (an activation code to them, a
    notice to the admin), invoices shared, password recoveries by e-mail."""
    admin_token, admin_email = admin
    number = 0
    while not load.stop.is_set():
        number += 1
        email = f"bench.{run}.{number}@example.com"
        body = {"username": f"bench{run}m{number}", "email": email}
        mails = [("manager_activation", email), ("manager_created", admin_email)]
        response = await load.call(
            "e-mail: new manager",
            "POST",
            "/api/v1/company/managers",
            json=body,
            headers=bearer(admin_token),
        )
        note(load.ledger, response, 201, mails)
        username, token, manager_email = managers[number % len(managers)]
        if number % 4 == 0 and invoice_ids:
            to = f"share.{run}.{number}@example.com"
            response = await load.call(
                "e-mail: invoice share",
                "POST",
                f"/api/v1/invoices/{random.choice(invoice_ids)}/share",
                refusals=(429,),
                json={"email": to},
                headers=bearer(token),
            )
            if note(load.ledger, response, 202, [("invoice_share", to)]):
                assert response is not None
                load.ledger.share_ids.add(int(response.json()["message_id"]))
        if number % 25 == 0:
            response = await load.call(
                "e-mail: recovery",
                "POST",
                "/api/v1/password-recoveries",
                refusals=(429,),
                json={"username": username, "channel": "email"},
                headers=somewhere(),
            )
            note(load.ledger, response, 202, [("recovery_code", manager_email)])
        if load.burst.is_set():
            continue  # as fast as it goes: the workers have a batch in flight for the kill
        await asyncio.sleep(0.8)


def note(
    ledger: Ledger, response: httpx.Response | None, accepted: int, mails: list[tuple[str, str]]
) -> bool:
    if response is not None and response.status_code == accepted:
        ledger.mails.update(mails)
        return True
    if response is None or response.status_code >= 500:  # perhaps queued, perhaps not
        ledger.unsure_mails.update(mails)
    return False
