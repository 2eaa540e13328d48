"""The in-app help (SPEC R-L7): the seed's FAQ in both languages, searched on the server,
reached from the pages it explains."""

import re

import pytest

from linedesk.help.service import answers, search
from tests.factories import make_user, make_world
from tests.identity.test_web_sessions import sign_in_web

HTML = {"Accept": "text/html"}


def titles(page: str) -> list[str]:
    return re.findall(r'<h2 id="[a-z0-9-]+-q">([^<]+)</h2>', page)


def test_both_languages_answer_the_same_questions_with_the_same_anchors():
    assert [a.anchor for a in answers("it")] == [a.anchor for a in answers("en")]
    assert len(answers("it")) >= 11  # the seed's ten answers, and linedesk's own


async def test_the_italian_search_finds_the_answer_about_linking_a_sim(client):
    page = await client.get("/help", params={"q": "associa"}, headers=HTML)
    assert page.status_code == 200 and page.headers["Content-Language"] == "it"
    found = titles(page.text)
    assert found[0] == "Associa SIM"
    assert "Mi serve un account per ogni SIM?" in found
    assert "Che cos'è linedesk" not in found


async def test_the_english_search_finds_the_answer_and_ignores_case_and_accents(client):
    page = await client.get("/help", params={"q": "PUK data-only", "lang": "en"}, headers=HTML)
    assert titles(page.text) == ["Registration"]
    italian = await client.get("/help", params={"q": "possesso SIM puk", "lang": "it"})
    assert titles(italian.text) == ["Registrazione"]
    assert [a.anchor for a in search("it", "perche")] == []  # no such word, no answer
    assert [a.anchor for a in search("it", "PERCHÉ")] == []
    assert [a.anchor for a in search("it", "credenziali Responsabile")][:1] == ["sign-in"]


async def test_a_search_without_answers_says_so_and_links_back(client):
    page = await client.get("/help", params={"q": "zzzz", "lang": "en"}, headers=HTML)
    assert "0 answers for “zzzz”" in page.text and 'href="/help"' in page.text
    assert titles(page.text) == []


async def test_help_says_where_linedesk_differs_from_the_original_app(client):
    page = await client.get("/help", params={"lang": "en"}, headers=HTML)
    text = page.text
    assert "it is a web app" in text  # no store download
    assert "good for one sign-in" in text  # the recovered password
    assert 'id="alerts"' in text and 'id="push"' in text  # what linedesk does more
    assert '<a href="/widget/settings">/widget/settings</a>' in text


@pytest.mark.parametrize(
    ("path", "anchor"),
    [
        ("/login", "sign-in"),
        ("/register", "registration"),
        ("/recover", "recovery"),
        ("/portal/register", "sign-in"),
    ],
)
async def test_public_pages_link_to_their_answer(client, path, anchor):
    page = await client.get(path, headers=HTML)
    assert f'href="/help#{anchor}"' in page.text
    help_page = await client.get("/help", headers=HTML)
    assert f'id="{anchor}"' in help_page.text


async def test_link_sim_links_to_its_answer_and_the_menu_to_help(client, session):
    world = await make_world(session, lines=1)
    await make_user(session, world)
    await sign_in_web(client, world["numbers"][0])
    page = await client.get("/link-sim", headers=HTML)
    assert 'href="/help#link-sim"' in page.text
    assert re.search(r'<a href="/help">(<svg[^>]*>.*?</svg>)?Aiuto</a>', page.text)  # the menu
    landed = await client.get("/help", headers=HTML)
    assert 'id="link-sim"' in landed.text and "Associa SIM collega" in landed.text


@pytest.mark.parametrize(
    "path", ["/lost-sim", "/requests", "/lines/{number}/actions", "/lines/{number}/offers"]
)
async def test_line_action_pages_link_to_their_answer(client, session, path):
    world = await make_world(session, lines=1)
    await make_user(session, world)
    number = world["numbers"][0]
    await sign_in_web(client, number)
    page = await client.get(path.format(number=number), headers=HTML)
    assert page.status_code == 200 and 'href="/help#line-actions"' in page.text
    answer = await client.get("/help", headers=HTML)
    assert 'id="line-actions"' in answer.text and "Ho perso la SIM" in answer.text


@pytest.mark.parametrize(
    ("username", "path", "anchor"),
    [
        ("{number}", "/alerts", "alerts"),
        ("anna", "/invoices", "manager"),
        ("anna", "/spending", "manager"),
        ("anna", "/managers", "manager"),
    ],
)
async def test_signed_in_pages_link_to_their_answer(client, session, username, path, anchor):
    world = await make_world(session, lines=1)
    await make_user(session, world)
    await make_user(session, world, profile="user_admin", username="anna")
    await sign_in_web(client, username.format(number=world["numbers"][0]))
    page = await client.get(path, headers=HTML)
    assert page.status_code == 200 and f'href="/help#{anchor}"' in page.text
