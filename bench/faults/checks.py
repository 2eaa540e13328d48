"""The checks: nothing accepted was lost or doubled (usage, invoices, e-mails)."""

from collections import Counter
from dataclasses import dataclass
from datetime import date

import asyncpg

from faults.load import Ledger
from faults.rig import LEASE_SECONDS, OUTBOX_ID, Relay


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


IN_BUNDLE = "destination IN ('national', 'eu_roaming')"
COUNTERS_SQL = f"""
WITH r AS (
  SELECT line_id, period,
    sum(CASE WHEN usage_type = 'data' AND {IN_BUNDLE} THEN quantity ELSE 0 END) AS data_bytes,
    sum(CASE WHEN usage_type = 'voice' AND {IN_BUNDLE} THEN quantity ELSE 0 END) AS voice,
    sum(CASE WHEN usage_type = 'sms' AND {IN_BUNDLE} THEN quantity ELSE 0 END) AS sms,
    sum(CASE WHEN usage_type = 'data' AND destination = 'eu_roaming' THEN quantity ELSE 0 END)
      AS roaming_data,
    sum(charge) AS charges,
    sum(CASE WHEN destination = 'eu_roaming' THEN charge ELSE 0 END) AS roaming_charges,
    count(*) FILTER (WHERE destination = 'eu_roaming') AS roaming_events,
    bool_or(record_id LIKE $1) AS ours
  FROM usage_records GROUP BY line_id, period)
SELECT count(*) AS pairs, count(*) FILTER (WHERE r.ours) AS ours,
  count(*) FILTER (WHERE c.line_id IS NULL OR r.line_id IS NULL
    OR (c.data_bytes, c.voice_seconds, c.sms_count, c.roaming_data_bytes, c.charges,
        c.roaming_charges, c.roaming_events)
       IS DISTINCT FROM (r.data_bytes, r.voice, r.sms, r.roaming_data, r.charges,
                         r.roaming_charges, r.roaming_events)) AS wrong
FROM line_counters c FULL JOIN r ON c.line_id = r.line_id AND c.period = r.period
"""


async def check_usage(db: asyncpg.Connection, run: str, ledger: Ledger) -> list[Check]:
    rows = await db.fetch("SELECT record_id FROM usage_records WHERE record_id LIKE $1", f"{run}-%")
    stored = Counter(row["record_id"] for row in rows)
    lost = ledger.accepted_records - stored.keys()
    doubled = sum(count - 1 for count in stored.values())
    strange = stored.keys() - ledger.accepted_records - ledger.unconfirmed_records
    counters = await db.fetchrow(COUNTERS_SQL, f"{run}-%")
    return [
        Check(
            "usage records accepted by the API are stored",
            not lost,
            f"{len(ledger.accepted_records):,} accepted, {len(lost)} missing; "
            f"{len(ledger.unconfirmed_records & stored.keys())} of "
            f"{len(ledger.unconfirmed_records)} never confirmed are stored",
        ),
        Check(
            "no usage record stored twice, none from nowhere",
            not doubled and not strange,
            f"{doubled} doubled, {len(strange)} never sent; {ledger.replayed_imports} "
            "retried upload(s) found their records already imported",
        ),
        Check(
            "counters = sum of the records (per line and period)",
            counters["wrong"] == 0,
            f"{counters['wrong']} of {counters['pairs']:,} line-periods differ "
            f"({counters['ours']:,} touched by this run)",
        ),
    ]


async def check_invoices(db: asyncpg.Connection, period: date, runs: list[str]) -> list[Check]:
    doubled = await db.fetchval(
        "SELECT count(*) FROM (SELECT 1 FROM invoices GROUP BY billing_account_id, period "
        "HAVING count(*) > 1) d"
    )
    issued = await db.fetchval("SELECT count(*) FROM invoices WHERE period = $1", period)
    gaps = await db.fetchval(
        "SELECT count(*) FROM (SELECT year FROM invoices GROUP BY year "
        "HAVING count(*) <> max(sequence) OR count(DISTINCT sequence) <> count(*)) g"
    )
    return [
        Check(
            "one invoice per billing account and period",
            doubled == 0 and gaps == 0,
            f"{issued} invoices for {period:%Y-%m}, {doubled} doubled, {gaps} year(s) "
            f"with gaps in numbering; " + "; ".join(runs),
        )
    ]


async def check_mail(
    db: asyncpg.Connection,
    relay: Relay,
    ledger: Ledger,
    killed_mid_send: set[str],
    killed_at: float | None,
) -> list[Check]:
    rows = {
        row["id"]: row
        for row in await db.fetch(
            "SELECT id, status, attempts, last_error, template, recipient FROM outbox_messages "
            "WHERE channel = 'email'"
        )
    }
    received = Counter(int(m[1]) for r in relay.received if (m := OUTBOX_ID.match(r.message_id)))
    foreign = sum(1 for r in relay.received if not OUTBOX_ID.match(r.message_id))
    status = Counter(row["status"] for row in rows.values())
    once = sum(1 for i, row in rows.items() if row["status"] == "sent" and received[i] == 1)
    doubled = {i: n for i, n in received.items() if n > 1}
    vanished = [i for i, row in rows.items() if row["status"] == "sent" and not received[i]]
    stuck = [i for i, row in rows.items() if row["status"] in ("pending", "sending")]
    unknown = (received.keys() - rows.keys()) or foreign
    failed = Counter(
        (row["last_error"] or "")[:60] for row in rows.values() if row["status"] == "failed"
    )
    in_outbox = Counter((row["template"], row["recipient"]) for row in rows.values())
    lost = sum(max(0, n - in_outbox[key]) for key, n in ledger.mails.items())
    extra = sum(
        max(0, in_outbox[key] - n - ledger.unsure_mails[key]) for key, n in ledger.mails.items()
    )
    shares = len(ledger.share_ids - rows.keys())
    # Sent again because of the kill: held by the relay at that moment, or received before it
    # and again only once the lease had run out (the dead worker got its 250 but could not
    # record `sent`); a surviving worker never sends again what it recorded.
    held = {int(m[1]) for i in killed_mid_send if (m := OUTBOX_ID.match(i))}
    by_kill = set(held)
    if killed_at is not None:
        times: dict[int, list[float]] = {}
        for r in relay.received:
            if m := OUTBOX_ID.match(r.message_id):
                times.setdefault(int(m[1]), []).append(r.at)
        by_kill |= {
            i
            for i in doubled
            if (at := sorted(times[i]))[0] <= killed_at and at[1] >= killed_at + LEASE_SECONDS * 0.9
        }
    doubled_text = ", ".join(
        f"#{i}×{n} ({rows[i]['status']}, {rows[i]['attempts']} attempts"
        + (", sent again after the SIGKILL)" if i in by_kill else ")")
        for i, n in sorted(doubled.items())[:8]
        if i in rows
    )
    return [
        Check(
            "every e-mail the API accepted is in the outbox",
            not lost and not extra and not shares,
            f"{sum(ledger.mails.values())} accepted, {lost} missing, "
            f"{extra} unexpected, {shares} share ids not found",
        ),
        Check(
            "every outbox e-mail delivered or failed with a reason",
            not vanished and not stuck and not unknown,
            f"{len(rows)} e-mails: {dict(status)}; {once} received exactly once; "
            f"{len(vanished)} marked sent but never received; {len(stuck)} still queued; "
            f"failed: {dict(failed) or 'none'}",
        ),
        # The outbox promises at least once: an e-mail the SMTP server took from a worker killed
        # before it could record `sent` goes again, with the same Message-ID (so a mailbox
        # keeps one). Any other second delivery is a bug and fails the run.
        Check(
            "no e-mail delivered twice, but those in flight at the SIGKILL (same Message-ID)",
            doubled.keys() <= by_kill,
            f"{len(doubled)} delivered more than once, {len(doubled.keys() & held)} held by "
            f"the SMTP server at the kill, {len(doubled.keys() & (by_kill - held))} received "
            "before it and again after the lease (the at-least-once case)"
            + (f": {doubled_text}" if doubled_text else ""),
        ),
    ]


async def other_channels(db: asyncpg.Connection) -> str:
    rows = await db.fetch(
        "SELECT channel, status, count(*) AS n FROM outbox_messages "
        "WHERE channel <> 'email' GROUP BY channel, status ORDER BY 1, 2"
    )
    return ", ".join(f"{r['channel']} {r['status']}: {r['n']}" for r in rows) or "none"
