// Try automatic sign-in once when the sign-in page opens; explain plainly when it is not
// possible (Wi-Fi, another network) and leave the password form ready.
(function () {
  var box = document.getElementById("autologin");
  if (!box) { return; }
  fetch("/login/autologin", { method: "POST", credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (body) {
      if (body.signed_in) { window.location.assign(body.redirect); return; }
      box.dataset.state = "unavailable";
      box.querySelector(".autologin-trying").hidden = true;
      box.querySelector(".autologin-unavailable").hidden = false;
    })
    .catch(function () {
      box.dataset.state = "unavailable";
      box.querySelector(".autologin-trying").hidden = true;
      box.querySelector(".autologin-unavailable").hidden = false;
    });
})();
