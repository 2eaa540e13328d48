// Counters that update by themselves: the page listens to /events/counters for its line
// (Server-Sent Events) and, at each change, reads itself again and swaps in the parts marked
// data-live-region; the time of the update is announced to screen readers.
(function () {
  "use strict";
  var anchor = document.querySelector("[data-live-line]");
  if (!anchor || !window.EventSource || !window.fetch) { return; }
  var status = document.querySelector("[data-live-status]");
  var busy = false;
  var again = false;

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    document.querySelectorAll("[data-live-region]").forEach(function (old) {
      var name = old.getAttribute("data-live-region");
      var found = fresh.querySelector('[data-live-region="' + name + '"]');
      if (found) { old.replaceWith(document.adoptNode(found)); }
    });
    var updated = document.querySelector(".updated");
    if (status && updated) { status.textContent = updated.textContent.trim(); }
    document.documentElement.setAttribute("data-live-updates",
      String(Number(document.documentElement.getAttribute("data-live-updates") || 0) + 1));
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { headers: { "X-Linedesk-Live": "1" }, credentials: "same-origin",
                           cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html) { swap(html); } })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  var url = "/events/counters?line=" + encodeURIComponent(anchor.getAttribute("data-live-line"))
    + "&since=" + encodeURIComponent(anchor.getAttribute("data-live-since") || "");
  var source = new EventSource(url);
  source.addEventListener("counters", refresh);
  source.addEventListener("open", function () {
    document.documentElement.setAttribute("data-live", "on");
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();
