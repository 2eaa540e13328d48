// The installable app: registers the service worker (/sw.js: offline counters) and offers
// the "Install the app" button where the browser supports installing (beforeinstallprompt).
(function () {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  }
  var button = document.querySelector("[data-install-app]");
  var offer = null;
  function withdraw() {
    offer = null;
    if (button) { button.hidden = true; }
  }
  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault();  // our button, not the browser's mini bar
    offer = event;
    if (button) { button.hidden = false; }
  });
  window.addEventListener("appinstalled", withdraw);
  if (button) {
    button.addEventListener("click", function () {
      if (!offer) { return; }
      offer.prompt();
      offer.userChoice.then(withdraw, withdraw);
    });
  }
})();
