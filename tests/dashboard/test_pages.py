"""The dashboard's pages: home with the counters, usage detail, widgets, widget settings."""

from datetime import UTC, date, datetime

from sqlalchemy import select

from linedesk.kit.i18n import grouped_number
from linedesk.usage.models import FeatureVisit, UsageType
from tests.dashboard.usage_rows import counter, day, record
from tests.identity.test_web_sessions import csrf_of, sign_in_web

HTML = {"Accept": "text/html"}
GB = 1_000_000_000


async def test_home_shows_the_three_counters_in_italian(client, world, session):
    mine = world["numbers"][0]
    await counter(session, mine, data=12 * GB, sms=30, charges="1234.5")
    await sign_in_web(client, mine)

    page = await client.get("/home", headers=HTML)

    assert page.status_code == 200
    assert "12,00 GB su 50,00 GB" in page.text
    assert 'min="0" max="50000000000" value="12000000000"' in page.text
    assert "1.234,50\xa0€" in page.text and "Addebiti fuori soglia del mese" in page.text
    assert "Business Test" in page.text
    assert "Aggiornato il 20/11/2026 alle 10:30" in page.text
    visits = (await session.scalars(select(FeatureVisit))).all()
    assert [(v.feature, v.visits) for v in visits] == [("home", 1)]


async def test_home_in_english(client, world, session):
    await counter(session, world["numbers"][0], data=GB // 2)
    await sign_in_web(client, world["numbers"][0])
    page = await client.get("/home?lang=en", headers=HTML)
    assert "500.0 MB of 50.00 GB" in page.text and "Out-of-bundle charges" in page.text


async def test_a_manager_picks_any_line_of_the_company_but_not_another(client, world):
    await sign_in_web(client, "laura.admin")
    home = await client.get("/home", headers=HTML)
    assert 'id="line-picker"' in home.text and world["numbers"][1] in home.text
    picked = await client.get("/home", headers=HTML, params={"line": world["numbers"][1]})
    assert (
        picked.status_code == 200
        and "Linea mostrata: " + grouped_number(world["numbers"][1]) in picked.text
    )
    other = await client.get("/home", headers=HTML, params={"line": world["other_number"]})
    assert other.status_code == 404
    # Said on the same page, beside the picker that keeps the number typed: no dead end.
    assert "Nessuna linea dell&#39;azienda ha questo numero" in other.text
    assert f'value="{world["other_number"]}" autocomplete="off" aria-invalid="true"' in other.text
    assert 'id="line-picker"' in other.text
    typo = await client.get("/usage", headers=HTML, params={"line": "12345"})
    assert typo.status_code == 404 and 'id="line-picker-error"' in typo.text


async def test_usage_detail_has_a_chart_a_table_and_the_latest_records(client, world, session):
    mine = world["numbers"][0]
    await day(session, mine, date(2026, 11, 2), UsageType.data, 2 * GB)
    await day(session, mine, date(2026, 11, 3), UsageType.data, GB)
    await record(session, mine, datetime(2026, 11, 3, 8, tzinfo=UTC), UsageType.data, GB)
    await sign_in_web(client, mine)

    page = await client.get("/usage", headers=HTML)

    assert page.status_code == 200
    assert page.text.count('<rect class="shown"') == 20  # 1 to 20 November
    assert "<td>2 nov 2026</td><td>2,00 GB</td>" in page.text  # the table alternative
    assert "<td>2 nov 2026</td><td>2,00 GB</td>" in page.text
    assert "Ultimi consumi" in page.text and "03/11/2026 09:00" in page.text


async def test_usage_detail_refuses_a_bad_range(client, world):
    await sign_in_web(client, world["numbers"][0])
    page = await client.get(
        "/usage", headers=HTML, params={"from": "2026-11-10", "to": "2026-11-01"}
    )
    assert page.status_code == 422
    assert "La data iniziale non può essere dopo quella finale" in page.text
    # On the usage page itself, with its form and the current month's chart.
    assert 'action="/usage" class="range"' in page.text and "<rect " in page.text
    assert "Qualcosa è andato storto" not in page.text
    no_such_day = await client.get(
        "/usage", headers=HTML, params={"line": world["numbers"][0], "from": "2026-02-30"}
    )
    assert no_such_day.status_code == 422
    assert "La data iniziale deve essere nel formato AAAA-MM-GG" in no_such_day.text


async def test_the_widgets_are_compact_and_embeddable(client, world, session):
    await counter(session, world["numbers"][0], data=GB)
    await sign_in_web(client, world["numbers"][0])
    for variant in ("light", "extended"):
        page = await client.get(f"/widget/{variant}", headers=HTML)
        assert page.status_code == 200
        assert page.headers["content-security-policy"].endswith("; frame-ancestors *")
        assert "x-frame-options" not in page.headers
        assert 'class="widget"' in page.text and "1,00 GB su 50,00 GB" in page.text
        assert ("Impostazioni del widget" in page.text) is (variant == "extended")
    home = await client.get("/home", headers=HTML)  # every other page: never framed
    assert home.headers["content-security-policy"].endswith("; frame-ancestors 'none'")


async def test_widget_settings_pin_links_and_choose_the_line(client, world):
    await sign_in_web(client, world["numbers"][0])
    form = await client.get("/widget/settings", headers=HTML)
    saved = await client.post(
        "/widget/settings",
        headers=HTML,
        data={"csrf_token": csrf_of(form.text), "line": "", "pinned_links": ["usage", "password"]},
    )
    assert saved.status_code == 303
    page = await client.get("/widget/extended", headers=HTML)
    assert page.text.index('href="/usage"') < page.text.index('href="/account/password"')
    wrong = await client.post(
        "/widget/settings",
        headers=HTML,
        data={"csrf_token": csrf_of(form.text), "pinned_links": ["managers"]},
    )
    assert wrong.status_code == 422 and 'role="alert"' in wrong.text


async def test_home_shows_only_the_counters_the_offer_includes(client, world, session):
    from tests.billing.conftest import add_line, add_offer
    from tests.factories import make_user

    data_offer = await add_offer(session, voice_minutes=0, sms=0)
    data_sim = await add_line(session, world["account"], data_offer, data_only=True, puk="12345678")
    await session.commit()
    await make_user(session, world, username=data_sim)
    await sign_in_web(client, data_sim)
    page = await client.get("/home", headers=HTML)
    assert page.status_code == 200
    assert "0 min su 0 min" not in page.text and "0 su 0" not in page.text
    assert 'id="gauge-voice"' not in page.text and 'id="gauge-sms"' not in page.text
    assert 'id="gauge-data"' in page.text


async def test_the_type_filters_the_latest_records_too(client, world, session):
    mine = world["numbers"][0]
    await record(session, mine, datetime(2026, 11, 3, 8, tzinfo=UTC), UsageType.data, GB)
    await record(session, mine, datetime(2026, 11, 4, 8, tzinfo=UTC), UsageType.voice, 120)
    await sign_in_web(client, mine)
    data = await client.get("/usage", headers=HTML, params={"type": "data"})
    assert "03/11/2026 09:00" in data.text and "04/11/2026 09:00" not in data.text
    voice = await client.get("/usage", headers=HTML, params={"type": "voice"})
    assert "04/11/2026 09:00" in voice.text and "03/11/2026 09:00" not in voice.text
