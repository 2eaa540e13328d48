"""What the employee's home looks like: a greeting by name, a card per allowance with its
gauge, what is left and when it renews, one date style; the managers' line search."""

from linedesk.kit.i18n import grouped_number
from tests.dashboard.usage_rows import counter
from tests.identity.test_web_sessions import sign_in_web

HTML = {"Accept": "text/html"}
GB = 1_000_000_000


async def test_the_home_greets_the_employee_by_name_with_a_card_per_allowance(
    client, world, session
):
    mine = world["numbers"][0]
    await counter(session, mine, data=12 * GB, sms=30)
    await sign_in_web(client, mine)

    page = (await client.get("/home", headers=HTML)).text

    assert '<h1 class="greeting">Ciao, Giulia</h1>' in page  # the line's holder
    assert page.count('<section class="counter" aria-labelledby="gauge-') == 4
    assert 'class="ring' in page and ">24%</text>" in page  # 12 of 50 GB
    assert "38,00 GB rimanenti" in page and "12,00 GB su 50,00 GB" in page
    data_card = page.split('id="gauge-data"')[1].split("</section>")[0]
    assert "Si rinnova il 1 dic 2026" in data_card  # the allowances start again monthly
    calls_card = page.split('id="gauge-voice"')[1].split("</section>")[0]
    assert "Senza limiti" in calls_card and "Si rinnova" not in calls_card  # nothing to renew
    assert "Aggiornato il 20/11/2026 alle 10:30" in page
    assert grouped_number(mine) in page and grouped_number(mine) != mine


async def test_the_home_in_english(client, world, session):
    await counter(session, world["numbers"][0], data=GB)
    await sign_in_web(client, world["numbers"][0])
    page = (await client.get("/home?lang=en", headers=HTML)).text
    assert "Hello, Giulia" in page and "Renews on 1 Dec 2026" in page
    assert "Updated on 20/11/2026 at 10:30" in page and "49.00 GB left" in page


async def test_a_manager_finds_lines_by_holder_name_offer_or_part_of_the_number(client, world):
    await sign_in_web(client, "laura.admin")
    home = (await client.get("/home", headers=HTML)).text
    assert "Cerca una linea: numero, intestatario o offerta" in home
    assert f'label="{grouped_number(world["numbers"][0])} · Giulia Rossi · Business Test"' in home

    by_name = (await client.get("/home", headers=HTML, params={"line": "giulia"})).text
    assert "Linee che corrispondono a “giulia”" in by_name
    assert by_name.count("?line=%2B39") == 3  # the company's three lines, not Bianchi's
    assert world["other_number"] not in by_name

    one = await client.get("/home", headers=HTML, params={"line": world["numbers"][1][-7:]})
    assert "Linea mostrata: " + grouped_number(world["numbers"][1]) in one.text

    none = (await client.get("/home", headers=HTML, params={"line": "Nessuno"})).text
    assert "Nessuna linea dell&#39;azienda corrisponde a “Nessuno”." in none
