"""Uploads are bounded (issue 12 §5): a file past LINEDESK_UPLOAD_MAX_BYTES is refused with 413
before it is read whole, a line past 64 KiB with 422 naming it, and a file of 40,000 rows
imports in chunked queries (no driver limit mistaken for an outage)."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from linedesk.inventory.models import Company, Offer
from linedesk.kit.tax_ids import vat_with_check_digit
from tests.inventory.test_import import COMPANIES_HEADER, _company_row

URL = "/api/v1/backoffice/companies/import"
LIMIT = 64 * 1024


@pytest.fixture
def small_limit(app):  # type: ignore[no-untyped-def]
    app.state.settings = app.state.settings.model_copy(update={"upload_max_bytes": LIMIT})


class EndlessFile:
    """A body streamed without a length, bigger than any limit; counts what was read."""

    def __init__(self, chunk: bytes, chunks: int) -> None:
        self.chunk, self.chunks, self.sent = chunk, chunks, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield COMPANIES_HEADER.encode()
        for _ in range(self.chunks):
            self.sent += len(self.chunk)
            yield self.chunk


def _rows(count: int, first: int = 1) -> str:
    return "".join(
        _company_row(f"Azienda {n}", vat_with_check_digit(f"{n:07d}001"))
        for n in range(first, first + count)
    )


def _assert_too_large(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert f"{LIMIT:,} bytes" in error["message"]


async def test_a_streamed_file_past_the_limit_is_refused_before_it_is_read_whole(
    backoffice, session, small_limit
):
    body = EndlessFile(_rows(100).encode(), chunks=10_000)  # ~100 MB if it were all read
    response = await backoffice.post(URL, content=body, headers={"Content-Type": "text/csv"})
    _assert_too_large(response)
    assert body.sent <= LIMIT + len(body.chunk)
    assert await session.scalar(select(func.count()).select_from(Company)) == 0


async def test_a_declared_length_past_the_limit_is_refused_at_once(backoffice, small_limit):
    text = COMPANIES_HEADER + _rows(LIMIT // 50)
    assert len(text) > LIMIT
    _assert_too_large(
        await backoffice.post(URL, content=text, headers={"Content-Type": "text/csv"})
    )


async def test_a_form_upload_past_the_limit_is_refused(backoffice, small_limit):
    text = COMPANIES_HEADER + _rows(LIMIT // 50)
    _assert_too_large(await backoffice.post(URL, files={"file": ("big.csv", text)}))


async def test_a_file_within_the_limit_imports_as_a_body_or_a_form(
    backoffice, session, small_limit
):
    as_body = await backoffice.post(
        URL, content=COMPANIES_HEADER + _rows(3), headers={"Content-Type": "text/csv"}
    )
    assert as_body.json() == {"resource": "companies", "imported": 3}
    as_form = await backoffice.post(URL, files={"file": ("c.csv", COMPANIES_HEADER + _rows(3, 10))})
    assert as_form.json() == {"resource": "companies", "imported": 3}


@pytest.mark.parametrize("how", ["body", "form"])
async def test_a_line_past_64_kib_is_refused_naming_it(backoffice, session, how):
    text = COMPANIES_HEADER + _rows(2) + _company_row("X" * 1_000_000, "00000010017")
    if how == "body":
        response = await backoffice.post(URL, content=text, headers={"Content-Type": "text/csv"})
    else:
        response = await backoffice.post(URL, files={"file": ("wide.csv", text)})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "line_too_long"
    assert error["details"] == [{"row": 4, "reason": "longer than 65,536 bytes"}]
    assert await session.scalar(select(func.count()).select_from(Company)) == 0


async def test_a_file_of_40000_rows_imports(backoffice, session):
    """40,000 keys looked up at once exceed the drivers' bind-parameter limits: today's answer
    was a 503 "briefly unavailable" on PostgreSQL, which no retry could cure."""
    text = "code,name,kind,monthly_fee\n" + "".join(
        f"BULK-{n},Offerta {n},mobile,9.99\n" for n in range(40_000)
    )
    response = await backoffice.post(
        "/api/v1/backoffice/offers/import", content=text, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"resource": "offers", "imported": 40_000}
    assert await session.scalar(select(func.count()).select_from(Offer)) == 40_000
