"""Demo data: the promised shape, deterministic for a seed, safe to load twice."""

from collections import Counter
from pathlib import Path

from sqlalchemy import func, select
from stdnum.it import iva

from linedesk.demo.service import SME_VAT, build_plan, load_demo
from linedesk.inventory.models import Company, Line, Sim
from linedesk.kit.phone import parse_italian_number
from tests.factories import CTX

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_default_plan_has_an_sme_and_a_large_enterprise():
    plan = build_plan()
    segments = Counter(c.segment.value for c in plan.companies)
    assert segments == {"sme": 1, "large": 1}
    sme_accounts = {a.code for a in plan.accounts if a.company_vat_number == SME_VAT}
    sme_lines = [line for line in plan.lines if line.billing_account_code in sme_accounts]
    assert len(sme_accounts) == 3
    assert Counter(line.kind.value for line in sme_lines) == {"mobile": 30, "fixed": 5}
    assert sum(line.payment_mode.value == "prepaid" for line in sme_lines) == 5
    assert sum(line.data_only for line in sme_lines) == 3
    assert len(plan.lines) - len(sme_lines) == 200
    assert all(iva.is_valid(c.vat_number) for c in plan.companies)
    for line in plan.lines:
        assert parse_italian_number(line.msisdn, line.kind) == line.msisdn


def test_the_same_seed_gives_the_same_data_and_another_seed_does_not():
    first, again, other = build_plan(seed=7), build_plan(seed=7), build_plan(seed=8)
    assert [line.msisdn for line in first.lines] == [line.msisdn for line in again.lines]
    assert [line.msisdn for line in first.lines] != [line.msisdn for line in other.lines]


def test_large_sizes_split_into_companies_of_ten_thousand_lines():
    plan = build_plan(total_lines=20_035)
    assert len(plan.lines) == 20_035
    assert len(plan.companies) == 3
    assert len({line.msisdn for line in plan.lines}) == 20_035


async def test_loading_twice_loads_once(session):
    summary = await load_demo(session, CTX)
    await session.commit()
    assert (summary.companies, summary.lines) == (2, 235)
    assert (await load_demo(session, CTX)).loaded is False
    assert await session.scalar(select(func.count()).select_from(Line)) == 235
    assert await session.scalar(select(func.count()).select_from(Company)) == 2
    mobile = await session.scalar(select(func.count()).select_from(Sim))
    assert mobile == await session.scalar(
        select(func.count()).select_from(Line).where(Line.kind == "mobile")
    )


async def test_the_demo_people_sign_in_with_the_printed_credentials(session, client):
    from linedesk.demo.users import demo_credentials

    await load_demo(session, CTX)
    await session.commit()
    credentials = await demo_credentials(session)
    assert [c.label for c in credentials] == [
        "SME employee",
        "SME user admin",
        "SME telco manager",
        "large enterprise employee",
    ]
    profiles = []
    for credential in credentials:
        response = await client.post(
            "/api/v1/auth/login",
            json={"username": credential.username, "password": credential.password},
        )
        assert response.status_code == 200, (credential, response.text)
        profiles.append(response.json()["profile"])
    assert profiles == ["employee", "user_admin", "telco_manager", "employee"]
    readme = README.read_text(encoding="utf-8")
    for credential in credentials:  # the README tells newcomers the same sign-ins
        assert f"`{credential.username}`" in readme, credential
    assert credentials[0].password in readme


async def test_the_demo_data_only_sim_is_printed_and_in_the_readme(session, capsys):
    from linedesk.cli.serve import print_data_only_sim
    from linedesk.demo.users import demo_data_only_sim

    await load_demo(session, CTX)
    await session.commit()
    sim = await demo_data_only_sim(session)
    assert sim is not None and sim.puk == "12345678"
    print_data_only_sim(sim)
    printed = capsys.readouterr().out
    assert sim.msisdn in printed and "PUK 12345678" in printed
    readme = README.read_text(encoding="utf-8")
    assert f"`{sim.msisdn}`, PUK `{sim.puk}`" in readme
