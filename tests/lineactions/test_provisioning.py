"""Each action reaches a real provisioning peer signed, with its idempotency key; a 503 is
retried; the signed callback finishes it; a refused request leaves the line as it was."""

from datetime import timedelta

import pytest

from tests.conftest import NOW
from tests.factories import iccid
from tests.lineactions.conftest import PEER_SECRET, peer_sign


async def _services(client, headers, number):  # type: ignore[no-untyped-def]
    response = await client.get(f"/api/v1/lines/{number}/services", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _request(client, headers, request_id):  # type: ignore[no-untyped-def]
    response = await client.get(f"/api/v1/requests/{request_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_every_action_is_signed_delivered_and_completed_by_callback(
    client, company, as_manager, peer, deliver, report
):
    first, second, third, fourth = company["numbers"]
    offers = (await client.get("/api/v1/offers", headers=as_manager)).json()
    other_offer = next(o for o in offers if o["code"] != company["offer"])
    actions = [
        ("block", "post", f"/lines/{first}/block", {"reason": "lost"}),
        ("services", "put", f"/lines/{second}/services", {"roaming": False}),
        ("spending_cap", "put", f"/lines/{third}/spending-cap", {"amount": "50.00"}),
        ("offer_change", "post", f"/lines/{fourth}/offer-change", {"offer_id": other_offer["id"]}),
        ("sim_replacement", "post", f"/lines/{second}/sim-replacements", {"kind": "physical"}),
    ]
    created = {}
    for kind, method, path, body in actions:
        response = await client.request(method, "/api/v1" + path, json=body, headers=as_manager)
        assert response.status_code == 202, response.text
        assert response.json()["state"] == "requested" and response.json()["kind"] == kind
        created[kind] = response.json()

    assert await deliver() == len(actions)
    assert len(peer.received) == len(actions)
    for sent in peer.received:
        assert sent.signature_ok  # checked by the peer with its own HMAC code
        assert sent.headers["Idempotency-Key"] == sent.body["idempotency_key"]
        assert sent.body["callback_url"].endswith("/api/v1/backoffice/provisioning/callback")
        assert "puk" not in sent.body["payload"]
    assert peer.of_kind("block")[0].body == peer.of_kind("block")[0].body | {
        "msisdn": first,
        "payload": {"reason": "lost"},
    }
    assert peer.of_kind("services")[0].body["payload"] == {"roaming": False}
    assert peer.of_kind("spending_cap")[0].body["payload"] == {"amount": "50.00"}
    for kind, request in created.items():
        assert (await _request(client, as_manager, request["id"]))["state"] == "sent", kind

    # Nothing changed on the lines yet: only `done` applies a change.
    assert (await _services(client, as_manager, first))["blocked"] is False
    assert (await _services(client, as_manager, second))["roaming"] is True

    for sent in peer.received:
        result = {}
        if sent.body["kind"] == "sim_replacement":
            result = {"iccid": iccid(), "puk": "11223344"}
        answer = await report(sent, "done", result=result)
        assert answer.status_code == 200, answer.text
        assert answer.json()["state"] == "done", await _request(
            client, as_manager, answer.json()["request_id"]
        )

    blocked = await _services(client, as_manager, first)
    assert blocked["blocked"] is True and blocked["block_reason"] == "lost"
    assert (await _services(client, as_manager, second))["roaming"] is False
    capped = await _services(client, as_manager, third)
    assert capped["spending_cap"] == {"amount": "50.00", "currency": "EUR"}
    lines = (await client.get("/api/v1/company/lines", headers=as_manager)).json()
    statuses = {line["msisdn"]: line["status"] for line in lines}
    assert statuses[first] == "suspended"
    listed = (await client.get("/api/v1/requests", headers=as_manager)).json()
    assert {r["state"] for r in listed} == {"done"}
    done = await _request(client, as_manager, created["offer_change"]["id"])
    assert done["payload"]["effective_from"] == "2026-12-01"


async def test_a_503_is_retried_with_the_same_idempotency_key(
    client, company, as_manager, peer, deliver, report
):
    number = company["numbers"][2]
    peer.fail_next = 1
    response = await client.post(
        f"/api/v1/lines/{number}/block", json={"reason": "stolen"}, headers=as_manager
    )
    await deliver()
    waiting = await _request(client, as_manager, response.json()["id"])
    assert waiting["state"] == "requested"  # not lost: it will be tried again
    await deliver()
    assert len(peer.received) == 2
    keys = {r.headers["Idempotency-Key"] for r in peer.received}
    assert len(keys) == 1
    assert (await _request(client, as_manager, response.json()["id"]))["state"] == "sent"
    assert (await report(peer.received[-1])).json()["state"] == "done"
    assert (await _services(client, as_manager, number))["block_reason"] == "stolen"


async def test_a_request_the_network_refuses_leaves_the_line_as_it_was(
    client, company, as_manager, peer, deliver, report
):
    refused_number, failed_number = company["numbers"][2], company["numbers"][3]
    peer.refuse = {"services"}
    refused = await client.put(
        f"/api/v1/lines/{refused_number}/services",
        json={"roaming": False, "mobile_data": False},
        headers=as_manager,
    )
    failed = await client.post(
        f"/api/v1/lines/{failed_number}/block", json={"reason": "lost"}, headers=as_manager
    )
    await deliver()

    refused_now = await _request(client, as_manager, refused.json()["id"])
    assert refused_now["state"] == "failed" and "422" in refused_now["reason"]
    services = await _services(client, as_manager, refused_number)
    assert services["roaming"] is True and services["mobile_data"] is True

    (sent,) = peer.of_kind("block")
    answer = await report(sent, "failed", reason="SIM not on the network")
    assert answer.json()["state"] == "failed"
    failed_now = await _request(client, as_manager, failed.json()["id"])
    assert failed_now["reason"] == "SIM not on the network"
    assert (await _services(client, as_manager, failed_number))["blocked"] is False
    lines = (await client.get("/api/v1/company/lines", headers=as_manager)).json()
    assert {line["status"] for line in lines} == {"active"}


async def test_callbacks_with_a_bad_or_stale_signature_are_refused_and_replays_change_nothing(
    client, company, as_manager, peer, deliver, report
):
    number = company["numbers"][3]
    await client.post(f"/api/v1/lines/{number}/block", json={"reason": "lost"}, headers=as_manager)
    await deliver()
    (sent,) = peer.received
    body, headers = peer.callback(sent.body, "done")

    forged = headers | {"X-Linedesk-Signature": peer_sign(int(peer.now), body + b" ")}
    url = "/api/v1/backoffice/provisioning/callback"
    response = await client.post(url, content=body, headers=forged)
    assert response.status_code == 401 and response.json()["error"]["code"] == "bad_signature"
    stale = int((NOW - timedelta(hours=1)).timestamp())
    response = await report(sent, "done", timestamp=stale)
    assert response.status_code == 401
    wrong_key = dict(headers)
    wrong_key["X-Linedesk-Signature"] = "sha256=" + "0" * 64
    assert (await client.post(url, content=body, headers=wrong_key)).status_code == 401
    assert (await _services(client, as_manager, number))["blocked"] is False

    assert (await client.post(url, content=body, headers=headers)).json()["state"] == "done"
    # The same report again (a replay, or the peer retrying): no change, no second notice.
    again = await client.post(url, content=body, headers=headers)
    assert again.status_code == 200 and again.json()["state"] == "done"
    contradicting = await report(sent, "failed", reason="late")
    assert contradicting.status_code == 409
    notices = (await client.get("/api/v1/notifications", headers=as_manager)).json()
    assert [n["kind"] for n in notices].count("line_blocked") == 1
    assert PEER_SECRET not in str(notices)


@pytest.mark.parametrize("status", ["done", "failed"])
async def test_the_back_office_lists_every_request_with_its_delivery(
    client, backoffice, company, as_manager, peer, deliver, report, status
):
    number = company["numbers"][1]
    await client.put(
        f"/api/v1/lines/{number}/services", json={"roaming": False}, headers=as_manager
    )
    await deliver()
    await report(peer.received[0], status, reason=None if status == "done" else "no")
    listed = await backoffice.get("/api/v1/backoffice/provisioning/requests")
    assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "1"
    (row,) = listed.json()
    assert row["state"] == status and row["attempts"] == 1 and row["msisdn"] == number
