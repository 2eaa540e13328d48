"""A usage file with a line far too long (issue 12 §5): a 10 MB CSV cell gave a 500; it is a
422 naming the line, refused at the edge before the line is parsed or held whole."""

import pytest
from sqlalchemy import func, select

from linedesk.usage.models import UsageRecord
from tests.usage.conftest import HEADER

IMPORT = "/api/v1/backoffice/usage/import"


def _row(n: int, number: str) -> str:
    return f"r{n},{number},2026-11-02T08:00:00+01:00,sms,1,national\n"


@pytest.mark.parametrize("where", ["record_id", "destination"])
async def test_a_10_mb_csv_cell_is_a_422_naming_its_line(backoffice, session, usage_world, where):
    number = usage_world.numbers["postpaid"]
    wide = "x" * 10_000_000
    bad = (
        f"{wide},{number},2026-11-02T08:00:00+01:00,sms,1,national\n"
        if where == "record_id"
        else f"r9,{number},2026-11-02T08:00:00+01:00,sms,1,{wide}\n"
    )
    text = HEADER + _row(1, number) + _row(2, number) + bad + _row(3, number)
    response = await backoffice.post(
        IMPORT, params={"batch_size": 100}, content=text, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 422, response.text[:500]
    error = response.json()["error"]
    assert error["code"] == "line_too_long"
    assert error["details"] == [{"row": 4, "reason": "longer than 65,536 bytes"}]


async def test_an_endless_ndjson_line_is_a_422_naming_it(backoffice, session, usage_world):
    """No line feed at all: nothing is kept waiting for the end of the line."""
    sent = 0

    async def endless():  # type: ignore[no-untyped-def]
        nonlocal sent
        yield b'{"record_id": "r1", "line": "'
        for _ in range(10_000):  # 100 MB if it were all read
            sent += 10_000
            yield b"9" * 10_000

    response = await backoffice.post(
        IMPORT, content=endless(), headers={"Content-Type": "application/x-ndjson"}
    )
    assert response.status_code == 422, response.text[:500]
    assert response.json()["error"]["details"] == [{"row": 1, "reason": "longer than 65,536 bytes"}]
    assert sent <= 64 * 1024 + 10_000
    assert await session.scalar(select(func.count()).select_from(UsageRecord)) == 0


async def test_a_line_within_the_limit_still_imports(backoffice, session, usage_world):
    number = usage_world.numbers["postpaid"]
    long_id = "r" + "9" * 60  # a record id near its own limit, far below the line's
    response = await backoffice.post(
        IMPORT,
        content=HEADER + _row(1, number) + _row(2, number).replace("r2", long_id),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert await session.scalar(select(func.count()).select_from(UsageRecord)) == 2


async def test_a_line_the_csv_reader_refuses_is_a_row_error_not_a_500(
    backoffice, session, usage_world
):
    number = usage_world.numbers["postpaid"]
    text = (
        HEADER
        + _row(1, number)
        + _row(2, number).replace("national", "nati\ronal")
        + _row(3, number)
    )
    response = await backoffice.post(IMPORT, content=text, headers={"Content-Type": "text/csv"})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "import_rejected"
    assert [d["row"] for d in error["details"]] == [3]
    assert error["details"][0]["reason"].startswith("not a CSV line")
    assert await session.scalar(select(func.count()).select_from(UsageRecord)) == 0


async def test_the_cli_names_a_10_mb_cell_instead_of_failing(
    cli_env, session, usage_world, tmp_path
):
    from tests.usage.test_cli_and_api import invoke

    number = usage_world.numbers["postpaid"]
    path = tmp_path / "wide.csv"
    path.write_text(
        HEADER + _row(1, number) + _row(2, number).replace("r2", "x" * 10_000_000), encoding="utf-8"
    )
    result = await invoke(["usage", "import", str(path)])
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert "row 3" in output and "not a CSV line" in output
    assert await session.scalar(select(func.count()).select_from(UsageRecord)) == 0
