// "Condividi": hand the invoice's PDF to the device's share sheet (Web Share API with a
// file). The PDF is fetched when the page opens, because the share sheet opens only from
// the click itself. Where files cannot be shared the link stays a download of the PDF.
(function () {
  var links = document.querySelectorAll("a[data-share-pdf]");
  if (!links.length || !navigator.canShare || !window.File) { return; }
  Array.prototype.forEach.call(links, function (link) {
    var file = null;
    fetch(link.href, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.blob() : null; })
      .then(function (blob) {
        if (!blob) { return; }
        var candidate = new File([blob], link.dataset.filename, { type: "application/pdf" });
        if (navigator.canShare({ files: [candidate] })) { file = candidate; }
      })
      .catch(function () { file = null; });
    link.addEventListener("click", function (event) {
      if (!file) { return; }  // not supported (or not ready): the download goes ahead
      event.preventDefault();
      navigator.share({ files: [file], title: link.dataset.title }).catch(function (error) {
        if (error && error.name !== "AbortError") { window.location.assign(link.href); }
      });
    });
  });
})();
