"""A line's holder is told in the app (R-L1): an employee whose line was blocked reads the
notice in their own notification centre, over the API and on the page, and marks it read."""

from linedesk.identity.models import User
from linedesk.notifications.service import Manager, notify_line_blocked
from tests.conftest import NOW
from tests.identity.test_web_sessions import HTML, csrf_of, sign_in_web
from tests.notifications.conftest import Managers, headers_of, notifications_of


async def _block_the_line(session, managers: Managers) -> str:
    number = managers.world.numbers["mobile"]
    user = await session.get(User, managers.employee)
    holder = Manager(user.id, managers.world.company_id, user.language, user.email)
    await notify_line_blocked(
        session,
        NOW,
        company_id=managers.world.company_id,
        request_id=1,
        msisdn=number,
        reason="lost",
        holders=[holder],
    )
    await session.commit()
    return number


async def test_the_holder_reads_the_notice_of_their_blocked_line(client, session, managers):
    number = await _block_the_line(session, managers)
    employee = await headers_of(client, number)
    listed = await client.get("/api/v1/notifications", headers=employee)
    (notice,) = listed.json()
    assert notice["kind"] == "line_blocked" and number in notice["title"]
    assert listed.headers["X-Unread-Count"] == "1"
    marked = await client.post(f"/api/v1/notifications/{notice['id']}/read", headers=employee)
    assert marked.status_code == 200 and marked.headers["X-Unread-Count"] == "0"
    (anna,) = await notifications_of(session, managers.admin)  # the managers are told too
    assert anna.kind.value == "line_blocked"


async def test_the_holder_sees_it_on_the_page_without_manager_preferences(
    client, session, managers
):
    number = await _block_the_line(session, managers)
    await sign_in_web(client, number)
    page = await client.get("/notifications", headers=HTML)
    assert page.status_code == 200 and "smarrita" in page.text
    assert "/notifications/preferences" not in page.text
    (notice,) = await notifications_of(session, managers.employee)
    done = await client.post(
        f"/notifications/{notice.id}/read", headers=HTML, data={"csrf_token": csrf_of(page.text)}
    )
    assert done.status_code == 303
    assert "Segna come letta" not in (await client.get("/notifications", headers=HTML)).text
