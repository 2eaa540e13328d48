"""Repositories scope every query to the caller's company."""

from linedesk.inventory.repository import BillingAccountRepository, LineRepository
from linedesk.kit.pagination import Page
from linedesk.kit.repository import Scope
from tests.factories import make_world


async def test_company_a_cannot_read_company_b_line(session):
    a = await make_world(session, "Azienda A S.r.l.", lines=2)
    b = await make_world(session, "Azienda B S.r.l.", lines=2)
    lines_of_a = LineRepository(session, Scope.company(a["company_id"]))

    assert await lines_of_a.get_by_msisdn(b["numbers"][0]) is None
    own = await lines_of_a.get_by_msisdn(a["numbers"][0])
    assert own is not None and own.company_id == a["company_id"]

    b_line = await LineRepository(session, Scope.operator()).get_by_msisdn(b["numbers"][0])
    assert b_line is not None
    assert await lines_of_a.get(b_line.id) is None

    listed, total = await lines_of_a.page(lines_of_a.listing(), Page(0, 100))
    assert total == 2
    assert {line.msisdn for line in listed} == set(a["numbers"])

    # Asking explicitly for the other company still returns nothing.
    other, total = await lines_of_a.page(
        lines_of_a.listing(company_id=b["company_id"]), Page(0, 100)
    )
    assert (list(other), total) == ([], 0)
    assert await lines_of_a.sims_of([b_line.id]) == {}


async def test_billing_accounts_are_scoped_too(session):
    a = await make_world(session, "Azienda A S.r.l.", lines=0)
    b = await make_world(session, "Azienda B S.r.l.", lines=0)
    accounts_of_a = BillingAccountRepository(session, Scope.company(a["company_id"]))
    assert await accounts_of_a.get_by_code(b["account"]) is None
    assert await accounts_of_a.get_by_code(a["account"]) is not None
