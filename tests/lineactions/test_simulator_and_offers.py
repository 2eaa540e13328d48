"""The embedded mode's simulator finishes every journey locally; an offer change waits for
the first day of next month."""

import asyncio
from datetime import datetime, timedelta

from linedesk.config import Settings
from linedesk.db import create_sessionmaker
from linedesk.kit.clock import ROME
from linedesk.lineactions.provisioning import ProvisioningWorker
from linedesk.lineactions.results import apply_due_offer_changes
from linedesk.lineactions.simulator import SimulatedProvisioning
from tests.conftest import TEST_SECRET


async def test_the_simulator_completes_requests_with_a_new_esim(
    client, engine, company, as_manager, clock, tmp_path, database_url
):
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        secret_key=TEST_SECRET,
        provisioning_simulator_delay_seconds=0.05,
    )
    assert settings.simulates_provisioning and not settings.provisioning_url
    number = company["numbers"][2]
    replaced = await client.post(
        f"/api/v1/lines/{number}/sim-replacements", json={"kind": "esim"}, headers=as_manager
    )
    sessionmaker = create_sessionmaker(engine)
    simulator = SimulatedProvisioning(sessionmaker, settings, clock)
    worker = ProvisioningWorker.from_settings(settings, sessionmaker, clock, simulator)
    assert await worker.run_once() == 1
    await asyncio.gather(*simulator.tasks)
    await worker.close()

    request_id = replaced.json()["id"]
    detail = (await client.get(f"/api/v1/requests/{request_id}", headers=as_manager)).json()
    assert detail["state"] == "done" and detail["activation_code_available"] is True
    shown = await client.post(f"/api/v1/requests/{request_id}/activation-code", headers=as_manager)
    assert shown.json()["activation_code"].startswith("LPA:1$smdp.linedesk.example$")


async def test_an_offer_change_applies_from_the_first_day_of_next_month(
    client, session, company, as_manager, peer, deliver, report
):
    number = company["numbers"][3]
    offers = (await client.get("/api/v1/offers", headers=as_manager)).json()
    target = next(o for o in offers if o["code"] == company["other_offer"])
    asked = await client.post(
        f"/api/v1/lines/{number}/offer-change", json={"offer_id": target["id"]}, headers=as_manager
    )
    assert asked.status_code == 202
    assert asked.json()["payload"]["effective_from"] == "2026-12-01"
    await deliver()
    assert (await report(peer.received[-1])).json()["state"] == "done"

    async def offer_of_line() -> str:
        lines = (await client.get("/api/v1/company/lines", headers=as_manager)).json()
        return next(line["offer_code"] for line in lines if line["msisdn"] == number)

    assert await offer_of_line() == company["offer"]
    last_evening = datetime(2026, 11, 30, 23, 30, tzinfo=ROME)
    assert await apply_due_offer_changes(session, last_evening) == 0
    first_morning = last_evening + timedelta(hours=1)
    assert await apply_due_offer_changes(session, first_morning) == 1
    await session.commit()
    assert await offer_of_line() == target["code"]
    assert await apply_due_offer_changes(session, first_morning) == 0
