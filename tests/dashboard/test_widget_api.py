"""GET /api/v1/widget and /me/widget-settings (R-U5): compact JSON with an ETag."""

from datetime import UTC, datetime

from linedesk.dashboard.service import record_visit
from linedesk.identity.models import User
from linedesk.identity.principal import Principal
from tests.dashboard.usage_rows import counter

GB = 1_000_000_000


async def _visits(session, user_id: int, **features: int) -> None:
    user = await session.get(User, user_id)
    principal = Principal(user=user, session=None)  # type: ignore[arg-type]
    for feature, times in features.items():
        for n in range(times):
            await record_visit(session, principal, feature, datetime(2026, 11, 1, 8, n, tzinfo=UTC))
    await session.commit()


async def test_the_light_widget_has_exactly_the_three_counters(client, world, employee, session):
    await counter(session, world["numbers"][0], data=GB, charges="1.5")
    response = await client.get("/api/v1/widget", headers=employee, params={"variant": "light"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"usage", "credit", "offer_name", "updated_at"}
    assert set(body["usage"]) == {"data", "voice", "sms"}
    assert body["usage"]["data"]["used"] == GB
    assert body["credit"]["amount"]["amount"] == "1.50"
    assert response.headers["cache-control"] == "private, max-age=60"
    assert b" " not in response.content.replace(b"Business Test", b"")  # compact


async def test_extended_adds_settings_and_quick_links_learned_from_visits(
    client, world, employee, session
):
    await _visits(session, world["employee"], usage=5, password=1, link_sim=3, home=2, managers=9)
    body = (
        await client.get("/api/v1/widget", headers=employee, params={"variant": "extended"})
    ).json()
    assert body["settings_url"] == "/widget/settings"
    # the most used first, at most 4; a managers' page is not a link for an employee
    assert body["quick_links"] == [
        {"feature": "usage", "url": "/usage"},
        {"feature": "link_sim", "url": "/link-sim"},
        {"feature": "home", "url": "/home"},
        {"feature": "password", "url": "/account/password"},
    ]


async def test_pinned_links_override_what_was_learned(client, world, employee, session):
    await _visits(session, world["employee"], usage=5)
    saved = await client.put(
        "/api/v1/me/widget-settings",
        headers=employee,
        json={"line": None, "pinned_links": ["password", "home"]},
    )
    assert saved.status_code == 200, saved.text
    body = (await client.get("/api/v1/widget?variant=extended", headers=employee)).json()
    assert [link["feature"] for link in body["quick_links"]] == ["password", "home"]


async def test_a_matching_if_none_match_answers_304_until_the_counters_change(
    client, world, employee, session
):
    first = await client.get("/api/v1/widget", headers=employee)
    tag = first.headers["etag"]
    assert tag.startswith('"') and not tag.startswith("W/")
    again = await client.get("/api/v1/widget", headers=employee | {"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    await counter(session, world["numbers"][0], sms=1)
    changed = await client.get("/api/v1/widget", headers=employee | {"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag


async def test_the_widget_line_comes_from_the_settings_and_must_be_readable(
    client, world, manager, employee
):
    assert (await client.get("/api/v1/widget", headers=manager)).status_code == 422
    prepaid = world["numbers"][2]
    saved = await client.put(
        "/api/v1/me/widget-settings",
        headers=manager,
        json={"line": prepaid, "pinned_links": ["invoices"]},
    )
    assert saved.json() == {"line": prepaid, "pinned_links": ["invoices"]}
    body = (await client.get("/api/v1/widget", headers=manager)).json()
    assert body["credit"]["kind"] == "prepaid_balance"
    refused = await client.put(
        "/api/v1/me/widget-settings",
        headers=employee,
        json={"line": world["numbers"][1], "pinned_links": []},
    )
    assert refused.status_code == 404
    assert (
        await client.get("/api/v1/widget", headers=employee, params={"line": world["numbers"][1]})
    ).status_code == 404


async def test_pinned_links_come_from_the_catalogue(client, world, employee):
    for pinned in (
        ["bitcoin"],
        ["home", "home"],
        ["managers"],
        ["home", "usage", "password", "link_sim", "home"],
    ):
        response = await client.put(
            "/api/v1/me/widget-settings", headers=employee, json={"pinned_links": pinned}
        )
        assert response.status_code == 422, pinned
        assert response.json()["error"]["code"] in ("bad_pinned_links", "validation_error")
    got = await client.get("/api/v1/me/widget-settings", headers=employee)
    assert got.json() == {"line": None, "pinned_links": []}
