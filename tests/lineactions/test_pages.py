"""The pages of line actions, in Italian (the default) and English: "Ho perso la SIM" two
taps from home, confirmation steps that say what will happen, "Richieste" with state
badges, "Offerte e servizi", the bulk upload naming the bad rows."""

import re

from sqlalchemy import select

from linedesk.lineactions.models import LineRequest, RequestKind
from tests.identity.helpers import PASSWORD
from tests.identity.test_web_sessions import HTML, csrf_of, sign_in_web


def _links(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


async def test_an_employee_blocks_a_lost_sim_in_two_taps_from_home(client, session, company):
    msisdn = company["numbers"][0]
    await sign_in_web(client, msisdn, PASSWORD)
    home = await client.get("/home", headers=HTML)
    assert "Ho perso la SIM" in home.text and "/lost-sim" in _links(home.text)

    lost = await client.get("/lost-sim", headers=HTML)  # tap 1
    block_page = f"/lines/{msisdn}/actions/block"
    assert block_page in _links(lost.text)
    assert company["numbers"][1] not in lost.text  # a colleague's line is not offered
    confirm = await client.get(block_page, headers=HTML)  # tap 2
    assert "mai per SMS" in confirm.text  # it says what will happen, before it happens

    done = await client.post(
        block_page,
        headers=HTML,
        data={"csrf_token": csrf_of(confirm.text), "reason": "lost"},
        follow_redirects=True,
    )
    assert done.status_code == 200 and "Richieste" in done.text
    assert 'class="badge badge-requested"' in done.text
    kinds = await session.scalars(select(LineRequest.kind))
    assert list(kinds) == [RequestKind.block]


async def test_a_colleagues_line_is_no_page(client, company):
    await sign_in_web(client, company["numbers"][0], PASSWORD)
    response = await client.get(f"/lines/{company['numbers'][1]}/actions/block", headers=HTML)
    assert response.status_code == 404


async def test_the_offers_page_shows_the_catalogue_beside_the_current_offer(client, company):
    await sign_in_web(client, "anna", PASSWORD)
    msisdn = company["numbers"][0]
    page = await client.get(f"/lines/{msisdn}/offers?lang=en", headers=HTML)
    assert page.status_code == 200
    assert "Offers and services" in page.text and "Business Pro" in page.text
    assert "current" in page.text and "Move from next month" in page.text


async def test_the_bulk_page_names_the_bad_rows_and_applies_nothing(client, session, company):
    await sign_in_web(client, "anna", PASSWORD)
    form = await client.get("/line-actions", headers=HTML)
    text = "msisdn,action,value\n" + "\n".join(
        [f"{company['numbers'][0]},roaming,off", f"{company['numbers'][1]},roaming,perhaps"]
    )
    response = await client.post(
        "/line-actions",
        headers=HTML,
        data={"csrf_token": csrf_of(form.text)},
        files={"file": ("actions.csv", text.encode(), "text/csv")},
    )
    assert response.status_code == 422
    assert "Riga 3" in response.text
    assert list(await session.scalars(select(LineRequest.id))) == []
