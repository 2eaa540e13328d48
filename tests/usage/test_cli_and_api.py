"""The operator's ways in: `linedesk usage import|topup` and the back-office routes."""

import asyncio
import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from linedesk.cli import app
from linedesk.usage.models import LineCounter, UsageRecord
from tests.usage.conftest import HEADER

runner = CliRunner()


async def invoke(args: list[str]):
    """The command runs its own event loop, so it runs in a thread of its own."""
    return await asyncio.to_thread(runner.invoke, app, args)


IMPORT = "/api/v1/backoffice/usage/import"


def _csv(number: str, count: int, bad_at: int | None = None, sep: str = ",") -> str:
    rows = [HEADER.replace(",", sep)]
    for n in range(count):
        when = "not-a-time" if n == bad_at else f"2026-11-0{1 + n % 9}T08:00:00+01:00"
        rows.append(sep.join([f"c{n}", number, when, "voice", "30", "national"]) + "\n")
    return "".join(rows)


def _ndjson(number: str, count: int) -> str:
    return "".join(
        json.dumps(
            {
                "record_id": f"j{n}",
                "line": number,
                "type": "sms",
                "started_at": "2026-11-05T12:00:00Z",
                "quantity": 1,
            }
        )
        + "\n"
        for n in range(count)
    )


async def _count(session, model=UsageRecord) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def test_cli_imports_csv_and_ndjson_and_again_adds_nothing(
    cli_env, session, usage_world, tmp_path
):
    number = usage_world.numbers["postpaid"]
    csv_path, ndjson_path = tmp_path / "cdr.csv", tmp_path / "cdr.ndjson"
    csv_path.write_text(_csv(number, 25, sep=";"), encoding="utf-8")
    ndjson_path.write_text(_ndjson(number, 4), encoding="utf-8")
    result = await invoke(["usage", "import", str(csv_path), "--batch-size", "10"])
    assert result.exit_code == 0, result.output
    assert "imported" in result.output and "25" in result.output
    assert (await invoke(["usage", "import", str(ndjson_path)])).exit_code == 0
    again = await invoke(["usage", "import", str(csv_path)])
    assert again.exit_code == 0
    cells = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in again.output.splitlines()
        if line.count("│") == 3
    }
    assert (cells["imported"], cells["duplicates (already imported)"]) == ("0", "25")
    assert await _count(session) == 29
    counter = await session.scalar(select(LineCounter))
    assert (counter.voice_seconds, counter.sms_count) == (750, 4)


async def test_cli_stops_at_a_bad_batch_and_keeps_the_earlier_ones(
    cli_env, session, usage_world, tmp_path
):
    path = tmp_path / "cdr.csv"
    path.write_text(_csv(usage_world.numbers["postpaid"], 25, bad_at=14), encoding="utf-8")
    result = await invoke(["usage", "import", str(path), "--batch-size", "10"])
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "1 row(s) of batch 2 have errors" in output
    assert "10 record(s) of 1 earlier batch(es) were imported" in output
    assert "row 16 started_at" in output  # the header is line 1
    assert await _count(session) == 10


async def test_cli_tops_up_a_prepaid_line(cli_env, usage_world):
    prepaid = usage_world.numbers["prepaid"]
    for _ in range(2):
        result = await invoke(["usage", "topup", prepaid, "12,50", "--reference", "T1"])
        assert result.exit_code == 0, result.output
        assert "12.50 EUR" in result.output
    refused = await invoke(
        ["usage", "topup", usage_world.numbers["postpaid"], "5", "--reference", "T2"]
    )
    assert refused.exit_code == 1 and "Only a prepaid line" in refused.output


async def _streamed(text: str, piece: int = 7):
    data = text.encode()
    for start in range(0, len(data), piece):
        yield data[start : start + piece]


async def test_backoffice_streamed_upload_imports_batch_by_batch(backoffice, session, usage_world):
    number = usage_world.numbers["postpaid"]
    response = await backoffice.post(
        IMPORT,
        params={"batch_size": 100},
        content=_streamed(_csv(number, 250)),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["records"], body["imported"], body["duplicates"], body["batches"]) == (
        250,
        250,
        0,
        3,
    )
    again = await backoffice.post(
        IMPORT,
        content=_ndjson(number, 3) + _ndjson(number, 3),
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert (again.json()["imported"], again.json()["duplicates"]) == (3, 3)
    assert await _count(session) == 253


async def test_backoffice_bad_batch_answers_422_and_keeps_earlier_batches(
    backoffice, session, usage_world
):
    text = _csv(usage_world.numbers["postpaid"], 250, bad_at=180)
    response = await backoffice.post(
        IMPORT,
        params={"batch_size": 100},
        content=_streamed(text, 4096),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "import_rejected"
    assert error["message"] == (
        "1 row(s) of batch 2 have errors; nothing of that batch was "
        "imported; 100 record(s) of 1 earlier batch(es) were imported"
    )
    assert [(d["row"], d["field"]) for d in error["details"]] == [(182, "started_at")]
    assert await _count(session) == 100


async def test_backoffice_refuses_other_media_and_needs_a_key(client, backoffice, usage_world):
    refused = await backoffice.post(IMPORT, content="{}", headers={"Content-Type": "text/plain"})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "bad_file"
    del backoffice.headers["Authorization"]
    assert (
        await client.post(IMPORT, content="", headers={"Content-Type": "text/csv"})
    ).status_code == 401


async def test_backoffice_top_ups(backoffice, usage_world):
    path = f"/api/v1/backoffice/lines/{usage_world.numbers['prepaid']}/top-ups"
    first = await backoffice.post(path, json={"amount": "10.00", "reference": "R-1"})
    assert first.status_code == 200, first.text
    assert first.json()["balance"] == "10.000000"
    repeat = await backoffice.post(path, json={"amount": "10.00", "reference": "R-1"})
    assert repeat.json()["balance"] == "10.000000"
    postpaid = f"/api/v1/backoffice/lines/{usage_world.numbers['postpaid']}/top-ups"
    assert (
        await backoffice.post(postpaid, json={"amount": "5", "reference": "R-2"})
    ).status_code == 422
    unknown = "/api/v1/backoffice/lines/+393470000000/top-ups"
    assert (
        await backoffice.post(unknown, json={"amount": "5", "reference": "R-3"})
    ).status_code == 404


async def test_the_same_file_sent_8_times_at_once_is_counted_once(backoffice, session, usage_world):
    """Issue 12 §1: concurrent duplicates get the idempotent answer, never a 500."""
    number = usage_world.numbers["postpaid"]
    body = _csv(number, 250)  # three batches of 100
    answers = await asyncio.gather(
        *(
            backoffice.post(
                IMPORT,
                params={"batch_size": 100},
                content=body,
                headers={"content-type": "text/csv"},
            )
            for _ in range(8)
        )
    )
    assert [a.status_code for a in answers] == [200] * 8, [a.text for a in answers]
    assert sum(a.json()["imported"] for a in answers) == 250
    assert all(a.json()["records"] == 250 for a in answers)
    assert all(a.json()["imported"] + a.json()["duplicates"] == 250 for a in answers)
    assert await _count(session) == 250
    counter = await session.scalar(select(LineCounter))
    assert counter.voice_seconds == 250 * 30
