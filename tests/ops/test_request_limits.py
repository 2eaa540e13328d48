"""Every request body is bounded (issue 12 §5): JSON and forms at 1 MB (413 before the rest is
read), the upload routes at their own limit."""

from collections.abc import AsyncIterator

import pytest

from linedesk.kit.tax_ids import vat_with_check_digit

MB = 1_000_000


async def test_a_json_body_past_1_mb_is_refused(client):
    body = '{"username": "+393470000001", "password": "' + "x" * (2 * MB) + '"}'
    response = await client.post(
        "/api/v1/auth/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_a_streamed_body_past_1_mb_is_refused_before_it_is_read_whole(client):
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"username": "+393470000001", "password": "'
        for _ in range(10_000):  # 100 MB if it were all read
            sent += 10_000
            yield b"x" * 10_000

    response = await client.post(
        "/api/v1/auth/login", content=endless(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert sent <= MB + 10_000


@pytest.mark.parametrize(
    "path", ["/api/v1/backoffice/companies/import", "/api/v1/backoffice/usage/import"]
)
async def test_the_upload_routes_take_more_than_1_mb(backoffice, path):
    """Padded with blank lines, which the imports skip: the size is what is tested."""
    header = (
        "name,vat_number,segment,address_street,address_postal_code,address_city,"
        "address_province,contact_email,sdi_code\n"
    )
    row = (
        f"Uno S.r.l.,{vat_with_check_digit('0000001001')},sme,Via Po 3,10123,Torino,TO,"
        "info@example.it,M5UXCR1\n"
    )
    if "usage" in path:
        header, row = "record_id,line,started_at,type,quantity,destination\n", ""
    response = await backoffice.post(
        path, content=header + row + "\n" * (2 * MB), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
