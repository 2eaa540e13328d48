"""The spending CSV (the one CSV the app serves) opened in a spreadsheet: a text cell that
starts like a formula is neutralised, amounts stay numbers, negative ones too."""

from linedesk.billing.service import refresh_estimate
from linedesk.spending.export import parse_amount
from tests.billing.conftest import add_account, add_line, add_offer, set_charges
from tests.identity.helpers import bearer
from tests.spending.conftest import NOVEMBER
from tests.spending.test_csv_and_pages import RANGE, rows_of


async def test_a_billing_account_code_like_a_formula_is_text_and_a_credit_stays_a_number(
    client, session, spending_world
):
    # "-A1" is a valid billing-account code; a spreadsheet would read it as the formula =-A1.
    hostile = await add_account(session, spending_world.vat, code="-A1")
    offer = await add_offer(session)
    refunded = await add_line(session, hostile, offer, activation_date="2024-01-01")
    await set_charges(session, refunded, NOVEMBER, "-80.00")  # a refund larger than the fees
    await session.commit()
    await refresh_estimate(session, NOVEMBER, None)  # as the daily jobs do
    await session.commit()
    laura = await bearer(client, "laura")

    by_account = rows_of(
        (
            await client.get(
                "/api/v1/spending.csv",
                params=RANGE | {"group_by": "billing_account"},
                headers=laura,
            )
        ).content
    )
    november = next(row for row in by_account if row[:2] == ["2026-11", "'-A1"])
    assert november[2].startswith("-") and parse_amount(november[2]) < 0  # a signed number
    assert not any(row[1] == "-A1" for row in by_account)

    assert november[3] == "yes"  # November is the estimate: fee + tax + the refund so far
    by_kind = rows_of(
        (
            await client.get(
                "/api/v1/spending.csv", params=RANGE | {"group_by": "kind"}, headers=laura
            )
        ).content
    )
    assert all("'" not in cell for row in by_kind[1:] for cell in row)  # nothing hostile
