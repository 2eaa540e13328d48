// Push notifications on this browser: the button asks the permission, subscribes the
// browser with the server's VAPID key (from data-key) and stores the subscription on the
// server (a form post with the page's CSRF token). The service worker shows what arrives.
(function () {
  "use strict";
  var box = document.querySelector("[data-push]");
  if (!box) { return; }
  var button = box.querySelector("[data-push-subscribe]");
  var status = box.querySelector("[data-push-status]");
  function say(name) { status.textContent = box.getAttribute("data-say-" + name) || ""; }
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("unsupported");
    return;
  }
  function keyBytes(text) {
    var base64 = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }
  function sameKey(a, b) {
    if (!a) { return false; }
    var x = new Uint8Array(a);
    return x.length === b.length && x.every(function (v, i) { return v === b[i]; });
  }
  function registration() {
    return navigator.serviceWorker.register("/sw.js", { scope: "/" })
      .then(function () { return navigator.serviceWorker.ready; });
  }
  async function subscribe() {
    var permission = await Notification.requestPermission();
    if (permission !== "granted") { say("denied"); return; }
    var key = keyBytes(box.getAttribute("data-key"));
    var worker = await registration();
    var subscription = await worker.pushManager.getSubscription();
    if (subscription && !sameKey(subscription.options.applicationServerKey, key)) {
      await subscription.unsubscribe();  // made with another server key
      subscription = null;
    }
    if (!subscription) {
      subscription = await worker.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    }
    var json = subscription.toJSON();
    var body = new URLSearchParams({
      csrf_token: box.getAttribute("data-csrf"),
      endpoint: json.endpoint,
      p256dh: json.keys.p256dh,
      auth: json.keys.auth,
    });
    var response = await fetch(box.getAttribute("data-action"), { method: "POST", body: body, credentials: "same-origin" });
    if (!response.ok) { throw new Error("HTTP " + response.status); }
    box.setAttribute("data-subscribed", "true");
    say("on");
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    subscribe().catch(function (error) {
      box.setAttribute("data-error", String(error));
      say("failed");
    }).finally(function () { button.disabled = false; });
  });
  if (Notification.permission === "denied") { say("denied"); }
  else if (Notification.permission === "granted") {
    navigator.serviceWorker.getRegistration("/").then(function (worker) {
      return worker ? worker.pushManager.getSubscription() : null;
    }).then(function (subscription) { if (subscription) { say("on"); } }).catch(function () {});
  }
})();
