"""Bulk line actions (R-L6): the whole CSV is checked first; one bad row in 1,000 applies
nothing and names the row; a good file is one request per line."""

from datetime import date

from sqlalchemy import func, select

from linedesk.inventory.models import Line, LineKind, LineStatus, PaymentMode
from linedesk.lineactions.models import LineRequest
from tests.identity.helpers import PASSWORD, bearer

URL = "/api/v1/line-actions"


async def _more_lines(session, company, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    first = await session.scalar(select(Line).where(Line.msisdn == company["numbers"][0]))
    numbers = [f"+39348{n:07d}" for n in range(count)]
    session.add_all(
        Line(
            company_id=first.company_id,
            billing_account_id=first.billing_account_id,
            offer_id=first.offer_id,
            msisdn=number,
            kind=LineKind.mobile,
            status=LineStatus.active,
            payment_mode=PaymentMode.postpaid,
            activation_date=date(2024, 3, 1),
        )
        for number in numbers
    )
    await session.commit()
    return numbers


def _csv(rows: list[str]) -> bytes:
    return ("msisdn,action,value\n" + "\n".join(rows) + "\n").encode()


async def _requests(session) -> int:  # type: ignore[no-untyped-def]
    return await session.scalar(select(func.count()).select_from(LineRequest))


async def test_one_bad_row_in_1000_applies_nothing_and_names_the_row(client, session, company):  # type: ignore[no-untyped-def]
    numbers = await _more_lines(session, company, 1000)
    rows = [f"{number},roaming,off" for number in numbers]
    rows[736] = f"{numbers[736]},roaming,maybe"  # file line 738 (the header is line 1)
    headers = await bearer(client, "anna", PASSWORD)

    response = await client.post(
        URL, content=_csv(rows), headers=headers | {"Content-Type": "text/csv"}
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "import_rejected"
    assert "nothing was imported" in error["message"]
    assert error["details"] == [{"row": 738, "field": "value", "reason": "give on or off"}]
    assert await _requests(session) == 0


async def test_every_bad_row_is_named_and_a_good_file_is_one_request_per_line(
    client, session, company
):  # type: ignore[no-untyped-def]
    numbers = company["numbers"]
    headers = await bearer(client, "anna", PASSWORD) | {"Content-Type": "text/csv"}
    bad = _csv(
        [
            f"{numbers[0]},roaming,off",
            "+393470000000,roaming,off",  # not a line of the company
            f"{numbers[1]},jump,1",
            f"{numbers[0]},mobile_data,off",
        ]
    )
    response = await client.post(URL, content=bad, headers=headers)
    assert response.status_code == 422
    assert [d["row"] for d in response.json()["error"]["details"]] == [3, 4, 5]
    assert await _requests(session) == 0

    good = _csv([f"{number},roaming,off" for number in numbers[:3]])
    response = await client.post(URL, content=good, headers=headers)
    assert response.status_code == 202
    assert [(r["kind"], r["state"]) for r in response.json()] == [("services", "requested")] * 3
    assert await _requests(session) == 3


async def test_an_employee_cannot_send_a_file(client, company):  # type: ignore[no-untyped-def]
    headers = await bearer(client, company["numbers"][0], PASSWORD)
    good = _csv([f"{company['numbers'][0]},roaming,off"])
    response = await client.post(URL, content=good, headers=headers | {"Content-Type": "text/csv"})
    assert response.status_code == 403
