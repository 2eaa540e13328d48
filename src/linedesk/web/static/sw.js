// linedesk's service worker (served as /sw.js, scope "/"): the app opens without a
// connection on what it last saw, and says so.
// - Home and the widgets: network first, the answer kept; offline, the kept copy with its
//   offline notice shown (the page renders it hidden, already in the user's language).
// - Any other page, offline: the offline page, which says it needs a connection.
// - Static files: cache first, in a cache named after their version (the server fills it in).
// Nothing else is kept: no API, no sign-in, registration or recovery page, nothing but GET.
// What is kept is personal: it goes on sign-out, and when home asks to sign in again.
"use strict";

const STATIC_CACHE = "linedesk-static-__STATIC_VERSION__";
const PAGES_CACHE = "linedesk-pages";
const OFFLINE_URL = "/offline";
const PRECACHE = [OFFLINE_URL, "/static/app.css", "/static/pwa.js", "/static/icons/icon.svg"];
const KEPT_PAGES = ["/home", "/widget/light", "/widget/extended"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC_CACHE)
    .then((cache) => cache.addAll(PRECACHE))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  const current = [STATIC_CACHE, PAGES_CACHE];
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => !current.includes(name))
      .map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) {
    return;
  }
  if (request.method !== "GET") {
    if (url.pathname === "/logout") {
      event.waitUntil(forgetPages());
    }
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(KEPT_PAGES.includes(url.pathname) ? keptPage(event) : page(event));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(request));
  }
});

function forgetPages() {
  return caches.delete(PAGES_CACHE);
}

async function page(event) {
  try {
    const response = await fetch(event.request);
    event.waitUntil(followLanguage(response));
    return response;
  } catch (error) {
    return offlinePage();
  }
}

async function keptPage(event) {
  const request = event.request;
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    const pages = await caches.open(PAGES_CACHE);
    const kept = await pages.match(keyOf(request.url), { ignoreVary: true })
      || await pages.match(request.url, { ignoreVary: true, ignoreSearch: true });
    return kept ? withOfflineNotice(kept) : offlinePage();
  }
  if (response.type === "opaqueredirect") {  // to sign in, or to choose a new password
    event.waitUntil(forgetPages());
  } else if (response.ok) {
    const copy = response.clone();
    event.waitUntil(caches.open(PAGES_CACHE).then((pages) => pages.put(keyOf(request.url), copy)));
    event.waitUntil(followLanguage(response));
  }
  return response;
}

// One copy of a page whatever the language it was asked in: the last one seen.
function keyOf(url) {
  const key = new URL(url);
  key.searchParams.delete("lang");
  return key.href;
}

async function withOfflineNotice(kept) {
  const html = (await kept.text()).replace("data-offline-notice hidden", "data-offline-notice");
  const headers = new Headers(kept.headers);
  headers.delete("Content-Length");
  return new Response(html, { status: 200, headers });
}

async function offlinePage() {
  const offline = await caches.match(OFFLINE_URL, { cacheName: STATIC_CACHE });
  return offline || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain" } });
}

// The offline page speaks the language of the pages the user reads.
async function followLanguage(response) {
  const lang = response.headers.get("Content-Language");
  if (!lang || !response.ok) {
    return;
  }
  const cache = await caches.open(STATIC_CACHE);
  const offline = await cache.match(OFFLINE_URL);
  if (!offline || offline.headers.get("Content-Language") !== lang) {
    await cache.add(OFFLINE_URL);
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(STATIC_CACHE);
  const cached = await cache.match(request);
  if (cached) {
    return cached;
  }
  const response = await fetch(request);
  if (response.ok) {
    await cache.put(request, response.clone());
  }
  return response;
}

// Web Push: what the server sends ({title, body, url}, encrypted for this browser) is shown
// as a notification; a tap opens its page (the invoice, the notifications, the usage) in a
// window of the app already open, or in a new one.
self.addEventListener("push", (event) => {
  let shown = {};
  if (event.data) {
    try {
      shown = event.data.json();
    } catch (error) {
      shown = { body: event.data.text() };
    }
  }
  const url = pageOf(shown.url);
  event.waitUntil(self.registration.showNotification(shown.title || "linedesk", {
    body: shown.body || "",
    icon: "/static/icons/icon-192.png",
    badge: "/static/icons/icon-192.png",
    data: { url },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(pageOf(event.notification.data && event.notification.data.url),
    self.location.origin).href;
  event.waitUntil(openPage(url));
});

// Only a page of this site: a path, never another origin.
function pageOf(url) {
  return typeof url === "string" && url.startsWith("/") && !url.startsWith("//") ? url : "/home";
}

async function openPage(url) {
  const windows = await self.clients.matchAll({ type: "window" });
  for (const client of windows) {
    try {
      const shown = client.url === url ? client : await client.navigate(url);
      await focus(shown || client);
      return;
    } catch (error) {
      // not navigable (another document took over): try the next, or a new window
    }
  }
  await self.clients.openWindow(url);
}

async function focus(client) {
  try {
    await client.focus();
  } catch (error) {
    // focusing needs the tap's permission: the page is open anyway
  }
}
