"""Registration codes are spent once under parallel requests (R-A3, R-A4, R-A7): one
account per code, and a username or number taken at the same moment is a 4xx, never a 500."""

from sqlalchemy import func, select

from linedesk.identity.models import Profile, User
from tests.factories import make_world
from tests.identity.helpers import at_once, error_codes
from tests.registration.test_api import PASSWORD, code_in

COMPANY_EMAIL = "amministrazione@rossi-impianti.it"


async def _users(session, profile: Profile) -> int:
    return int(
        await session.scalar(select(func.count()).select_from(User).where(User.profile == profile))
        or 0
    )


async def test_one_manager_registration_code_sent_20_times_at_once_registers_one_admin(
    client, session, mailbox
):
    world = await make_world(session, lines=0)
    started = (
        await client.post(
            "/api/v1/manager-registrations",
            json={"vat_number": world["vat"], "billing_account_code": world["account"]},
        )
    ).json()
    code = code_in((await mailbox(COMPANY_EMAIL))[0])

    answers = await at_once(
        20,
        lambda i: client.post(
            f"/api/v1/manager-registrations/{started['registration_id']}/complete",
            json={"code": code, "username": f"admin.{i}", "password": PASSWORD},
        ),
    )

    assert [answer.status_code for answer in answers].count(201) == 1
    assert {answer.status_code for answer in answers} <= {201, 422, 429}
    assert error_codes(answers) <= {"invalid_code", "rate_limited"}
    assert await _users(session, Profile.user_admin) == 1


async def test_two_codes_choosing_one_username_at_once_register_one_admin(client, session, mailbox):
    world = await make_world(session, lines=0)
    body = {"vat_number": world["vat"], "billing_account_code": world["account"]}
    tickets, codes = [], []
    for _ in range(2):
        tickets.append((await client.post("/api/v1/manager-registrations", json=body)).json())
        codes.append(code_in((await mailbox(COMPANY_EMAIL))[0]))

    answers = await at_once(
        2,
        lambda i: client.post(
            f"/api/v1/manager-registrations/{tickets[i]['registration_id']}/complete",
            json={"code": codes[i], "username": "laura.bianchi", "password": PASSWORD},
        ),
    )

    assert sorted(answer.status_code for answer in answers) == [201, 409]
    assert error_codes(answers) == {"username_taken"}
    assert await _users(session, Profile.user_admin) == 1


async def test_one_registration_code_sent_20_times_at_once_registers_once(client, session, mailbox):
    world = await make_world(session, lines=1)
    number = world["numbers"][0]
    ticket = (await client.post("/api/v1/registrations", json={"msisdn": number})).json()
    code = code_in((await mailbox(number))[0])

    answers = await at_once(
        20,
        lambda _: client.post(
            f"/api/v1/registrations/{ticket['registration_id']}/complete",
            json={"code": code, "password": PASSWORD},
        ),
    )

    assert [answer.status_code for answer in answers].count(201) == 1
    assert {answer.status_code for answer in answers} <= {201, 422, 429}
    assert error_codes(answers) <= {"invalid_code", "rate_limited"}
    assert await _users(session, Profile.employee) == 1


async def test_two_codes_for_one_number_completed_at_once_register_once(client, session, mailbox):
    world = await make_world(session, lines=1)
    number = world["numbers"][0]
    tickets, codes = [], []
    for _ in range(2):
        tickets.append((await client.post("/api/v1/registrations", json={"msisdn": number})).json())
        codes.append(code_in((await mailbox(number))[0]))

    answers = await at_once(
        2,
        lambda i: client.post(
            f"/api/v1/registrations/{tickets[i]['registration_id']}/complete",
            json={"code": codes[i], "password": PASSWORD},
        ),
    )

    assert sorted(answer.status_code for answer in answers) == [201, 422]
    assert error_codes(answers) == {"invalid_code"}
    assert await _users(session, Profile.employee) == 1
