"""Blocking a lost or stolen SIM (R-L1) and replacing it with an eSIM (R-L2): who is told,
how it is unblocked, the activation code shown once, re-issued, and SMS recovery refused
for 72 hours after the SIM change."""

import re
from datetime import timedelta

from tests.conftest import NOW
from tests.factories import iccid
from tests.identity.helpers import PASSWORD
from tests.lineactions.conftest import Peer


async def _finish(deliver, report, peer: Peer, **result):  # type: ignore[no-untyped-def]
    """Deliver what is due, and the peer reports the newest request done."""
    await deliver()
    response = await report(peer.received[-1], "done", result=result)
    assert response.status_code == 200 and response.json()["state"] == "done", response.text
    return response.json()


async def test_a_lost_sim_is_blocked_and_told_by_email_and_in_app_never_by_sms(
    client, company, as_employee, as_manager, peer, deliver, report, mailbox
):
    own = company["numbers"][0]
    response = await client.post(
        f"/api/v1/lines/{own}/block", json={"reason": "lost"}, headers=as_employee
    )
    assert response.status_code == 202
    await _finish(deliver, report, peer)
    services = (await client.get(f"/api/v1/lines/{own}/services", headers=as_employee)).json()
    assert services["blocked"] is True and services["block_reason"] == "lost"

    notices = (await client.get("/api/v1/notifications", headers=as_manager)).json()
    (notice,) = [n for n in notices if n["kind"] == "line_blocked"]
    assert own in notice["title"] and "smarrita" in notice["body"]
    (to_manager,) = await mailbox("anna@example.it")
    (to_holder,) = await mailbox("giulia@example.it")
    assert own in to_manager["subject"] and "bloccata" in to_holder["text"]
    assert await mailbox(own) == []  # nothing to the lost phone

    again = await client.post(
        f"/api/v1/lines/{own}/block", json={"reason": "lost"}, headers=as_employee
    )
    assert again.status_code == 409


async def test_the_employee_unblocks_with_their_password_unless_stolen(
    client, company, as_employee, as_manager, peer, deliver, report
):
    own = company["numbers"][0]
    await client.post(f"/api/v1/lines/{own}/block", json={"reason": "lost"}, headers=as_employee)
    await _finish(deliver, report, peer)
    url = f"/api/v1/lines/{own}/unblock"
    missing = await client.post(url, headers=as_employee)
    assert missing.status_code == 403 and missing.json()["error"]["code"] == "password_required"
    wrong = await client.post(url, json={"password": "not-my-password"}, headers=as_employee)
    assert wrong.status_code == 403
    ok = await client.post(url, json={"password": PASSWORD}, headers=as_employee)
    assert ok.status_code == 202 and ok.json()["kind"] == "unblock"
    await _finish(deliver, report, peer)
    services = (await client.get(f"/api/v1/lines/{own}/services", headers=as_employee)).json()
    assert services["blocked"] is False and services["block_reason"] is None

    await client.post(f"/api/v1/lines/{own}/block", json={"reason": "stolen"}, headers=as_employee)
    await _finish(deliver, report, peer)
    stolen = await client.post(url, json={"password": PASSWORD}, headers=as_employee)
    assert stolen.status_code == 403
    assert stolen.json()["error"]["code"] == "stolen_needs_replacement"
    assert (await client.post(url, headers=as_manager)).status_code == 202


async def test_an_esim_code_is_shown_once_reissued_and_sms_recovery_waits_72_hours(
    client, company, as_employee, as_manager, peer, deliver, report, mailbox, clock
):
    own = company["numbers"][0]
    await client.post(f"/api/v1/lines/{own}/block", json={"reason": "stolen"}, headers=as_employee)
    await _finish(deliver, report, peer)
    replaced = await client.post(
        f"/api/v1/lines/{own}/sim-replacements", json={"kind": "esim"}, headers=as_manager
    )
    assert replaced.status_code == 202
    await _finish(
        deliver,
        report,
        peer,
        iccid=iccid(),
        puk="55667788",
        smdp_address="smdp.operator.example",
        matching_id="AB12C-DE34F",
    )
    request_id = replaced.json()["id"]
    detail = (await client.get(f"/api/v1/requests/{request_id}", headers=as_manager)).json()
    assert detail["activation_code_available"] is True
    assert "matching_id" not in str(detail) and "55667788" not in str(detail)

    url = f"/api/v1/requests/{request_id}/activation-code"
    assert (await client.post(url, headers=as_employee)).status_code == 403
    shown = await client.post(url, headers=as_manager)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert shown.json()["activation_code"] == "LPA:1$smdp.operator.example$AB12C-DE34F"
    assert shown.json()["qr_svg"].startswith("<svg")
    twice = await client.post(url, headers=as_manager)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "code_already_shown"

    # The replacement is a SIM change that ends the block of the stolen SIM.
    lines = (await client.get("/api/v1/company/lines", headers=as_manager)).json()
    assert {line["msisdn"]: line["status"] for line in lines}[own] == "active"

    reissued = await client.post(f"/api/v1/lines/{own}/esim-reissues", headers=as_manager)
    assert reissued.status_code == 202
    await _finish(
        deliver, report, peer, smdp_address="smdp.operator.example", matching_id="ZZ99Y-XX88W"
    )
    new_url = f"/api/v1/requests/{reissued.json()['id']}/activation-code"
    assert (
        (await client.post(new_url, headers=as_manager))
        .json()["activation_code"]
        .endswith("$ZZ99Y-XX88W")
    )
    replaced_code = await client.post(url, headers=as_manager)
    assert replaced_code.json()["error"]["code"] == "code_replaced"

    # Never e-mailed in clear: no message in the outbox holds an activation code.
    for recipient in ("anna@example.it", "giulia@example.it", own):
        for message in await mailbox(recipient):
            assert "LPA:1$" not in message["text"]

    clock.at = NOW + timedelta(hours=71)
    try:
        started = await client.post("/api/v1/password-recoveries", json={"username": own})
        assert started.status_code == 202
        # the notice says why no code came (the ICCIDs of earlier mails may hold "72" too)
        (notice,) = [
            m
            for m in await mailbox("giulia@example.it")
            if re.search(r"\b72 (ore|hours)\b", m["text"])
        ]
        assert not re.search(r"\b\d{6}\b", notice["text"])
    finally:
        clock.at = NOW
