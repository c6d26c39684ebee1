// Session form: totals, bands and caseness shown as items are chosen, using the
// same reference data the server scores with (passed in #instrument-config).
// The server recomputes everything; this is only what the practitioner sees.
(function () {
  "use strict";
  var form = document.getElementById("session-form");
  if (!form) return;
  var config = JSON.parse(document.getElementById("instrument-config").textContent);
  var attended = ["5", "6"];

  function bandFor(bands, total) {
    for (var i = 0; i < bands.length; i++) {
      if (total <= bands[i][0]) return bands[i][1];
    }
    return "";
  }

  function values(code) {
    var n = config[code].items, out = [];
    for (var i = 1; i <= n; i++) {
      var el = form.elements[code + "_" + i];
      // WSAS item 1 may be "not applicable: not in work" (sessions/measures.py NOT_IN_WORK)
      out.push(el && el.value === "not_in_work" ? "na" : el && el.value !== "" ? Number(el.value) : null);
    }
    return out;
  }

  function describe(code) {
    var c = config[code], items = values(code);
    var notInWork = items[0] === "na";
    if (notInWork) items = items.slice(1);  // scored over the other four items, out of 32
    var given = items.filter(function (v) { return v !== null; });
    if (given.length === 0) return "";
    if (c.scoring === "items") {
      var any = items.some(function (v) { return v !== null && (c.cutoffInclusive ? v >= c.cutoff : v > c.cutoff); });
      return given.length < items.length ? "incomplete" : (any ? "at caseness" : "below caseness");
    }
    if (given.length < items.length) return "incomplete (" + given.length + " of " + items.length + ")";
    var sum = given.reduce(function (a, b) { return a + b; }, 0);
    var total = c.scoring === "mean" ? Math.round((sum / items.length) * 100) / 100 : sum;
    var caseness = c.cutoff === null ? null : (c.cutoffInclusive ? total >= c.cutoff : total > c.cutoff);
    var text = "Total " + total + (notInWork ? " of 32 (not in work)" : "");
    var band = notInWork ? "" : bandFor(c.bands || [], total);
    if (band) text += " · " + band;
    if (caseness !== null) text += caseness ? " · at caseness" : " · below caseness";
    return text;
  }

  var risk = document.getElementById("risk-assessment");
  var riskBox = form.elements["risk_recorded"];

  function update() {
    Object.keys(config).forEach(function (code) {
      var out = document.getElementById("total-" + code);
      if (out) out.textContent = describe(code);
    });
    var item9 = form.elements["PHQ9_9"];
    var item9Risk = item9 && item9.value !== "" && Number(item9.value) > 0;
    var showRisk = item9Risk || (riskBox && riskBox.checked) || risk.dataset.initiallyHidden !== "true";
    risk.hidden = !showRisk;
    if (item9Risk && riskBox) riskBox.checked = true;
    var attendance = form.elements["attendance"].value;
    var measuresOff = attended.indexOf(attendance) === -1;
    document.getElementById("measures").hidden = measuresOff;
    document.getElementById("no-measures-note").hidden = !measuresOff;
  }

  form.addEventListener("change", function () {
    if (risk.dataset.initiallyHidden === "true") {
      // once shown, stays shown while the form is open
      var item9 = form.elements["PHQ9_9"];
      if ((item9 && Number(item9.value) > 0) || (riskBox && riskBox.checked)) risk.dataset.initiallyHidden = "false";
    }
    update();
  });
  form.addEventListener("input", update);
  update();
})();
