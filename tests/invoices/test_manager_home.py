"""The manager's home (issue 16, defect 8): unread notifications, the next due date, the
overdue total, this month's estimate and the lines by state; coloured invoice badges."""

import re
from datetime import date

from sqlalchemy import func, select, update

from linedesk.billing.models import Invoice, InvoiceStatus
from linedesk.identity.models import User
from linedesk.kit.i18n import Localizer
from linedesk.notifications.models import Notification
from tests.identity.test_web_sessions import HTML, sign_in_web
from tests.invoices.conftest import ADMIN, OCTOBER, SEPTEMBER, invoice_of

IT = Localizer("it")


def _stat(page: str, label: str) -> str:
    """The value shown in the card labelled `label`."""
    found = re.search(rf"{re.escape(label)}</p>\s*<p class=\"stat-value\">([^<]+)</p>", page, re.S)
    assert found, label
    return found[1]


async def test_the_manager_home_shows_the_company_at_a_glance(client, session, invoice_world):
    late = await invoice_of(session, invoice_world.second_account, SEPTEMBER)
    await session.execute(
        update(Invoice).where(Invoice.id == late.id).values(status=InvoiceStatus.overdue)
    )
    await session.commit()
    admin_id = await session.scalar(select(User.id).where(User.username == ADMIN))
    unread = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == admin_id, Notification.read_at.is_(None))
    )
    next_due = await session.scalar(
        select(func.min(Invoice.due_date)).where(
            Invoice.company_id == late.company_id,
            Invoice.status == InvoiceStatus.issued,
            Invoice.due_date >= date(2026, 11, 20),
        )
    )
    await sign_in_web(client, ADMIN)

    page = (await client.get("/home", headers=HTML)).text

    assert "Ciao, laura" in page
    assert _stat(page, "Notifiche da leggere") == str(unread)
    assert _stat(page, "Totale scaduto") == IT.money(late.total_amount)
    assert "Fatture scadute: 1" in page
    assert next_due is not None and _stat(page, "Prossima scadenza") == IT.day(next_due)
    assert re.fullmatch(r"[\d.]+,\d\d\xa0€", _stat(page, "Stima di nov 2026"))
    assert _stat(page, "Linee per stato") == "4" and "4 attive" in page
    assert 'href="/invoices?status=overdue"' in page


async def test_the_manager_home_in_english(client, session, invoice_world):
    await sign_in_web(client, ADMIN)
    page = (await client.get("/home?lang=en", headers=HTML)).text
    for label in ("Unread notifications", "Next due date", "Overdue total", "Lines by state"):
        assert label in page
    assert "Estimate for Nov 2026" in page and _stat(page, "Overdue total") == "€0.00"


async def test_invoices_carry_coloured_state_badges_and_months_in_words(
    client, session, invoice_world
):
    paid = await invoice_of(session, invoice_world.company["account"], SEPTEMBER)
    await session.execute(
        update(Invoice).where(Invoice.id == paid.id).values(status=InvoiceStatus.paid)
    )
    await session.commit()
    await sign_in_web(client, ADMIN)
    page = (await client.get("/invoices", headers=HTML)).text
    assert '<span class="status status-paid">Pagata</span>' in page
    assert '<span class="status status-issued">Da pagare</span>' in page
    assert "set 2026" in page and "2026-09" not in page.split("<table")[1]
    october = await invoice_of(session, invoice_world.company["account"], OCTOBER)
    detail = (await client.get(f"/invoices/{october.id}", headers=HTML)).text
    assert '<span class="status status-issued">Da pagare</span>' in detail
