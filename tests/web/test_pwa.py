"""The installable app as the browser fetches it: manifest, icons, service worker, the offline
page, and the head of every page pointing at them."""

import io

from PIL import Image

ICON_SIZES = {"192x192": (192, 192), "512x512": (512, 512)}


async def test_the_manifest_describes_an_installable_app(client):
    response = await client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["name"] == manifest["short_name"] == "linedesk"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/home",
        "/",
        "standalone",
    )
    assert manifest["lang"] == "it"
    assert (manifest["theme_color"], manifest["background_color"]) == ("#0b5cab", "#f6f7f9")
    css = (await client.get("/static/app.css")).text
    assert "--brand: #0b5cab" in css and "--bg: #f6f7f9" in css
    pngs = {
        (icon["sizes"], icon["purpose"])
        for icon in manifest["icons"]
        if icon["type"] == "image/png"
    }
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= pngs
    assert any(icon["type"] == "image/svg+xml" for icon in manifest["icons"])
    assert [(s["name"], s["url"]) for s in manifest["shortcuts"]] == [
        ("Dettaglio consumi", "/usage"),
        ("Fatture", "/invoices"),
        ("Notifiche", "/notifications"),
        ("Widget esteso", "/widget/extended"),
    ]


async def test_every_icon_is_there_at_its_stated_size(client):
    manifest = (await client.get("/manifest.webmanifest")).json()
    icons = manifest["icons"] + [icon for s in manifest["shortcuts"] for icon in s["icons"]]
    icons.append(
        {"src": "/static/icons/apple-touch-icon.png", "sizes": "180x180", "type": "image/png"}
    )
    for icon in icons:
        response = await client.get(icon["src"])
        assert response.status_code == 200, icon["src"]
        assert response.headers["Content-Type"] == icon["type"]
        if icon["type"] == "image/png":
            width, height = icon["sizes"].split("x")
            image = Image.open(io.BytesIO(response.content))
            assert (image.format, image.size) == ("PNG", (int(width), int(height))), icon
        else:
            assert response.text.startswith("<svg")


async def test_every_page_links_the_manifest_and_its_icons(client):
    page = (await client.get("/")).text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert '<meta name="theme-color" content="#0b5cab">' in page
    assert 'rel="apple-touch-icon" href="/static/icons/apple-touch-icon.png"' in page
    assert '<script src="/static/pwa.js" defer></script>' in page
    assert "data-install-app hidden>Installa l&#39;app</button>" in page


async def test_the_service_worker_is_served_from_the_root_and_never_stale(client):
    response = await client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert response.headers["Cache-Control"] == "no-cache"
    assert "__STATIC_VERSION__" not in response.text
    assert 'const STATIC_CACHE = "linedesk-static-' in response.text


async def test_the_offline_page_speaks_the_users_language(client):
    italian = await client.get("/offline")
    assert "<h1>Sei offline</h1>" in italian.text
    assert 'href="/home">Vai alla home</a>' in italian.text
    english = await client.get("/offline", params={"lang": "en"})
    assert "<h1>You are offline</h1>" in english.text
    assert "This page needs an Internet connection." in english.text


async def test_the_site_has_a_favicon(client):
    """Browsers ask for /favicon.ico on their own: it is the app's icon, not a 404."""
    response = await client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert "max-age" in response.headers["cache-control"]
