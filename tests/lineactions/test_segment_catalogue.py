"""The catalogue of offers is the company's segment's (R-L5): an SME sees the offers for SMEs
and those for every segment, never a large enterprise's; asking for one is a clear 422, and
no request is made."""

from sqlalchemy import select

from linedesk.inventory.models import Offer
from linedesk.inventory.schemas import OfferCreate
from linedesk.inventory.service import RESOURCES, create_one
from tests.factories import CTX, offer_data


async def test_an_sme_sees_and_gets_only_its_segments_offers(client, session, company, as_manager):
    large = OfferCreate(**offer_data(name="Corporate", monthly_fee="34.99", segment="large"))
    sme = OfferCreate(**offer_data(name="Piccole imprese", monthly_fee="9.99", segment="sme"))
    for offer in (large, sme):
        await create_one(session, RESOURCES["offers"], offer, CTX)
    await session.commit()

    offers = (await client.get("/api/v1/offers", headers=as_manager)).json()
    codes = {offer["code"] for offer in offers}
    assert {company["offer"], company["other_offer"], sme.code} <= codes
    assert large.code not in codes

    before = int(
        (await client.get("/api/v1/requests", headers=as_manager)).headers["X-Total-Count"]
    )
    large_id = await session.scalar(select(Offer.id).where(Offer.code == large.code))
    refused = await client.post(
        f"/api/v1/lines/{company['numbers'][3]}/offer-change",
        json={"offer_id": large_id},
        headers=as_manager,
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "unknown_offer"
    after = await client.get("/api/v1/requests", headers=as_manager)
    assert int(after.headers["X-Total-Count"]) == before
