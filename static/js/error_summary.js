// The error summary (NHS / GOV.UK design systems): on a page that comes back
// with errors, focus moves to the summary at the top, so a screen reader reads
// it and a sighted person sees it; each message links to its field, and
// following a link focuses that field (scrolled so its label shows).
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (!summary) return;
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    var details = field.closest("details");
    if (details) details.open = true;
    field.focus();
    field.scrollIntoView({ block: "center" });
  });
})();
