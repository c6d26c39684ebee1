// Idle timeout (accounts.middleware.IdleTimeoutMiddleware) counts requests; a
// practitioner typing a long session note makes none. So while the user types,
// clicks or taps, tell the server at most once a minute that they are still
// here, and a long form is not lost to a timeout on save.
(function () {
  "use strict";
  var url = document.body.getAttribute("data-alive-url");
  if (!url) return;
  var every = 60000;
  var last = 0;
  function ping() {
    var now = Date.now();
    if (now - last < every) return;
    last = now;
    fetch(url, { credentials: "same-origin", cache: "no-store" }).catch(function () {});
  }
  ["keydown", "input", "pointerdown"].forEach(function (type) {
    document.addEventListener(type, ping, { passive: true, capture: true });
  });
})();
