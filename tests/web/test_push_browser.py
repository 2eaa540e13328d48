"""Push in Chromium, end to end: the page subscribes the browser and stores its
subscription, the server encrypts an alert for it (aes128gcm, VAPID), the service worker
shows what arrives and a tap opens its page.

What this machine allows, found by trying: Chromium's own push service is not reachable on
a closed network, so `pushManager.subscribe()` never settles in a normal profile (and is
refused at once in an incognito one). The test therefore stands in for that one leg only:
the page's `subscribe()` returns a subscription to a local push service with keys the test
made (as the browser would make them). Everything else is real: push.js, the form post, the
outbox, pywebpush's encryption, the decryption with the subscription's keys, and the payload
delivered to the service worker through the DevTools protocol
(ServiceWorker.deliverPushMessage), which shows the notification. The tap is a
`notificationclick` dispatched in the worker, since a headless browser has no notification
to click.
"""

import asyncio
import base64
import json
import os
from collections.abc import AsyncIterator

import http_ece
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from linedesk.alerts.service import Thresholds, evaluate_alerts
from linedesk.messaging.channels import Outgoing
from linedesk.messaging.channels.webpush import WebPushSender, _development_keys
from linedesk.messaging.models import Channel, OutboxMessage, PushSubscription
from linedesk.messaging.templates import render_message
from linedesk.usage.rating import Counters
from tests.alerts.helpers import GB, alert_world
from tests.conftest import NOW
from tests.web.conftest import _free_port
from tests.web.journeys import sign_in
from tests.web.test_pwa_browser import _controlled, wait_until

pytestmark = pytest.mark.browser


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class PushService:
    """The browser's push service: keeps the encrypted bodies it is sent."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.headers: list[dict[str, str]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.read())
        self.headers.append(dict(request.headers))
        return web.Response(status=201)


@pytest.fixture
async def push_service() -> AsyncIterator[tuple[PushService, str]]:
    service = PushService()
    app = web.Application()
    app.router.add_post("/push/{id}", service.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield service, f"http://127.0.0.1:{port}/push/browser-1"
    await runner.cleanup()


SUBSCRIBE = """([endpoint, p256dh, auth]) => {
  const decode = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")
    + "===".slice((text.length + 3) % 4)), (c) => c.charCodeAt(0));
  let current = null;
  PushManager.prototype.getSubscription = async function () { return current; };
  PushManager.prototype.subscribe = async function (options) {
    current = {
      endpoint, options,
      getKey: (name) => decode(name === "auth" ? auth : p256dh).buffer,
      toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh, auth } }),
      unsubscribe: async () => { current = null; return true; },
    };
    window.__pushOptions = options;
    return current;
  };
}"""
NOTIFICATIONS = """async () => (await navigator.serviceWorker.ready).getNotifications()
  .then((shown) => shown.map((n) => ({ title: n.title, body: n.body, data: n.data })))"""
ONE_SHOWN = """navigator.serviceWorker.ready
  .then(async (r) => (await r.getNotifications()).length === 1)"""
ACTIVE = "() => self.registration.active === self.serviceWorker"
CLICK = """async () => {
  const [notification] = await self.registration.getNotifications();
  self.dispatchEvent(new NotificationEvent("notificationclick", { notification }));
}"""


@pytest.mark.parametrize("lang", ["it", "en"])
async def test_a_usage_alert_is_pushed_shown_and_opens_the_usage_page(
    live_server, browser, session, push_service, lang
):
    service, endpoint = push_service
    browser_key = ec.generate_private_key(ec.SECP256R1())
    auth_secret = os.urandom(16)
    p256dh = b64url(
        browser_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )
    aw = await alert_world(session, language=lang)
    context = await browser.new_context(locale="it-IT")
    await context.grant_permissions(["notifications"], origin=live_server)
    page = await context.new_page()
    try:
        await sign_in(page, live_server, aw.msisdn)
        await page.goto(f"{live_server}/alerts?lang={lang}")
        await _controlled(page)
        await page.evaluate(SUBSCRIBE, [endpoint, p256dh, b64url(auth_secret)])
        button = {
            "it": "Attiva le notifiche push su questo browser",
            "en": "Turn on push in this browser",
        }
        await page.get_by_role("button", name=button[lang]).click()
        on = {
            "it": "Le notifiche push sono attive su questo browser.",
            "en": "Push notifications are on in this browser.",
        }
        await page.get_by_text(on[lang]).wait_for()
        # subscribed with the server's key
        options_key = await page.evaluate(
            "() => btoa(String.fromCharCode(...new Uint8Array(window.__pushOptions"
            ".applicationServerKey))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '')"
        )
        private_key, public_key = _development_keys()
        assert options_key == public_key
        [stored] = await session.scalars(select(PushSubscription))
        assert (stored.endpoint, stored.p256dh) == (endpoint, p256dh)

        # An import crosses 80 % of the data: the alert goes to the outbox, then encrypted
        # to the browser's push service.
        await evaluate_alerts(
            session,
            NOW,
            aw.line,
            NOW.date().replace(day=1),
            aw.terms,
            Counters(data_bytes=39 * GB),
            Counters(data_bytes=41 * GB),
            Thresholds(),
        )
        await session.commit()
        [queued] = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == Channel.push)
        )
        sender = WebPushSender(private_key=private_key, subject="mailto:ops@linedesk.test")
        content = render_message(queued.template, queued.language, Channel.push, queued.payload)
        await sender.send(Outgoing(Channel.push, queued.recipient, content))
        [body] = service.bodies
        assert service.headers[0]["Content-Encoding"] == "aes128gcm"
        plain = http_ece.decrypt(
            body, private_key=browser_key, auth_secret=auth_secret, version="aes128gcm"
        )
        payload = json.loads(plain)
        assert payload["url"] == "/usage"
        assert aw.msisdn in payload["title"] and "80%" in payload["title"]

        # The service worker shows it, and a tap opens the usage page.
        cdp = await context.new_cdp_session(page)
        registrations: list[dict] = []
        cdp.on(
            "ServiceWorker.workerRegistrationUpdated",
            lambda e: registrations.extend(e["registrations"]),
        )
        await cdp.send("ServiceWorker.enable")
        for _ in range(100):
            if registrations:
                break
            await asyncio.sleep(0.05)
        await cdp.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": live_server,
                "registrationId": registrations[0]["registrationId"],
                "data": plain.decode(),
            },
        )
        await wait_until(page, ONE_SHOWN)
        [shown] = await page.evaluate(NOTIFICATIONS)
        assert shown == {
            "title": payload["title"],
            "body": payload["body"],
            "data": {"url": "/usage"},
        }
        assert {"it": "41,0 GB", "en": "41.0 GB"}[lang] in shown["body"]
        await page.goto(f"{live_server}/home")
        [worker] = [w for w in context.service_workers if await w.evaluate(ACTIVE)]
        await worker.evaluate(CLICK)
        await page.wait_for_url(f"{live_server}/usage")
    finally:
        await context.close()
