// Session form (issue 15): measure grids answered by one click or one digit,
// focus on the first field that needs input, totals, bands and caseness as
// items are chosen (the same reference data the server scores with, passed in
// #instrument-config), unanswered items shown before saving, the risk
// assessment opened and marked required, and a server-side draft kept every
// few seconds and when the page is hidden. The server recomputes and checks
// everything; this is only what the practitioner sees.
(function () {
  "use strict";
  var form = document.getElementById("session-form");
  if (!form) return;
  var config = JSON.parse(document.getElementById("instrument-config").textContent);
  var attended = ["5", "6"];
  var RISK_REQUIRED = ["risk_to_self", "risk_to_others", "risk_from_others", "level", "plan"];

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

  // ---- the grids: one row is one radio group, one tab stop -------------------
  function rows() {
    return Array.prototype.slice.call(form.querySelectorAll("tr.grid-row"));
  }

  // Shown: not in the closed "more measures", nor in measures hidden by the attendance.
  function visible(el) {
    if (el.closest("details:not([open])") || el.closest("[hidden]")) return false;
    return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  }

  function rowTarget(row) {
    return row.querySelector("input[type=radio]:checked") || row.querySelector("input[type=radio]");
  }

  function answered(row) {
    return !!row.querySelector("input[type=radio]:checked");
  }

  // The field after the measures that still needs input: the interventions when
  // none is ticked, otherwise the notes.
  function afterMeasures() {
    var boxes = form.querySelectorAll("input[name=interventions]");
    var ticked = form.querySelector("input[name=interventions]:checked");
    if (boxes.length && !ticked) return boxes[0];
    return form.elements["notes"];
  }

  function focusNext(row) {
    var all = rows().filter(visible);
    var at = all.indexOf(row);
    var next = at + 1 < all.length ? rowTarget(all[at + 1]) : afterMeasures();
    if (next) next.focus();
  }

  // The measures not due today, one keystroke away: the access key M (Alt+M in
  // Chromium and Edge on Windows and Linux, Alt+Shift+M in Firefox, Ctrl+Option+M
  // on a Mac) opens them at their first item.
  var more = document.getElementById("more-measures");
  if (more) {
    document.addEventListener("keydown", function (event) {
      if (event.code !== "KeyM" || !(event.altKey || (event.ctrlKey && event.metaKey))) return;
      event.preventDefault();
      more.open = true;
      var first = more.querySelector("tr.grid-row");
      if (first) rowTarget(first).focus();
    });
  }

  form.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input || input.type !== "radio" || !input.closest("tr.grid-row")) return;
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    var row = input.closest("tr.grid-row");
    if (/^[0-9]$/.test(event.key)) {
      var choice = row.querySelector("input[type=radio][value='" + event.key + "']");
      if (!choice) return;
      event.preventDefault();
      choice.checked = true;
      choice.dispatchEvent(new Event("change", { bubbles: true }));
      focusNext(row);
    } else if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      row.querySelectorAll("input[type=radio]").forEach(function (r) { r.checked = false; });
      form.dispatchEvent(new Event("change", { bubbles: true }));
      rowTarget(row).focus();
    }
  });

  // Ctrl+Enter in the notes saves, as in most mail and chat editors.
  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.tagName === "TEXTAREA") {
      event.preventDefault();
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }
  });

  // ---- nothing silent: unanswered items shown before saving -------------------
  function showUnanswered() {
    var lines = [];
    form.querySelectorAll("fieldset.measure").forEach(function (fieldset) {
      var code = fieldset.getAttribute("data-instrument");
      var missing = [];
      var given = 0;
      fieldset.querySelectorAll("tr.grid-row").forEach(function (row, index) {
        var ok = answered(row);
        row.classList.toggle("unanswered-row", !ok);
        if (ok) given++; else missing.push(index + 1);
      });
      var note = document.getElementById("unanswered-" + code);
      var name = fieldset.querySelector("legend").firstChild.textContent.trim();
      var started = given > 0;
      if (note) {
        note.hidden = !started || missing.length === 0;
        note.textContent = started && missing.length ? "Unanswered: item" + (missing.length > 1 ? "s " : " ") + missing.join(", ") + "." : "";
      }
      if (started && missing.length) lines.push(name + ": item" + (missing.length > 1 ? "s " : " ") + missing.join(", "));
      var inDetails = fieldset.closest("details");
      if (!started && !inDetails && visible(fieldset)) lines.push(name + ": not answered");
    });
    var summary = document.getElementById("unanswered-summary");
    var measuresOn = !document.getElementById("measures").hidden;
    summary.hidden = !measuresOn || lines.length === 0;
    summary.textContent = measuresOn && lines.length ? "Unanswered before saving: " + lines.join("; ") + "." : "";
  }

  // ---- the risk assessment: opened by item 9 or the box, marked required ------
  var risk = document.getElementById("risk-assessment");
  var riskBox = form.elements["risk_recorded"];

  function markRequired(on) {
    RISK_REQUIRED.forEach(function (name) {
      var field = form.elements[name];
      if (!field) return;
      if (on) { field.setAttribute("aria-required", "true"); field.required = true; } else { field.removeAttribute("aria-required"); field.required = false; }
      var label = form.querySelector("label[for='" + field.id + "']");
      if (!label) return;
      var mark = label.querySelector(".required-mark");
      if (on && !mark) {
        mark = document.createElement("span");
        mark.className = "required-mark";
        mark.textContent = " (required)";
        label.appendChild(mark);
      } else if (!on && mark) {
        mark.remove();
      }
    });
  }

  function update() {
    Object.keys(config).forEach(function (code) {
      var out = document.getElementById("total-" + code);
      if (out) out.textContent = describe(code);
    });
    var item9 = form.elements["PHQ9_9"];
    var item9Risk = item9 && item9.value !== "" && Number(item9.value) > 0;
    var showRisk = item9Risk || (riskBox && riskBox.checked) || risk.dataset.initiallyHidden !== "true";
    risk.hidden = !showRisk;
    markRequired(showRisk);
    if (item9Risk && riskBox) riskBox.checked = true;
    var attendance = form.elements["attendance"].value;
    var measuresOff = attended.indexOf(attendance) === -1;
    document.getElementById("measures").hidden = measuresOff;
    document.getElementById("no-measures-note").hidden = !measuresOff;
    showUnanswered();
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

  // ---- focus: the error summary, else the first field that needs input -------
  // (error_summary.js focuses the summary when the page came back with errors)
  if (!document.getElementById("error-summary")) {
    var first = rows().filter(visible).filter(function (r) { return !answered(r); })[0];
    var target = first ? rowTarget(first) : afterMeasures();
    if (target) target.focus();
  }

  // ---- the server-side draft --------------------------------------------------
  var draftUrl = form.getAttribute("data-draft-url");
  var status = document.getElementById("draft-status");
  if (!draftUrl) return;
  var dirty = false;
  var saving = false;
  var EVERY = 3000;
  var token = form.elements["csrfmiddlewaretoken"].value;

  var submitted = false;
  function markDirty() { dirty = true; }
  form.addEventListener("input", markDirty);
  form.addEventListener("change", markDirty);
  // Saving the session removes the draft on the server; no draft may follow it.
  form.addEventListener("submit", function () { submitted = true; });

  function saveDraft(keepalive) {
    if (!dirty || submitted || (saving && !keepalive)) return;
    dirty = false;
    saving = true;
    var body = new URLSearchParams(new FormData(form));
    body.append("_opened_at", form.getAttribute("data-opened-at") || "");
    fetch(draftUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      redirect: "manual",
      keepalive: !!keepalive,
      headers: { "X-CSRFToken": token, "Accept": "application/json" }
    }).then(function (response) {
      saving = false;
      if (response.ok) {
        return response.json().then(function (data) {
          status.textContent = "Draft kept at " + data.kept_at + ".";
          status.setAttribute("data-kept-at", data.kept_at);
        });
      }
      dirty = true;
      status.textContent = "Draft not kept: you may have been logged out. Copy your notes before leaving.";
    }).catch(function () {
      saving = false;
      dirty = true;
      status.textContent = "Offline: the draft will be kept when the connection is back.";
    });
  }

  setInterval(function () { saveDraft(false); }, EVERY);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") saveDraft(true);
  });
  window.addEventListener("pagehide", function () { saveDraft(true); });
})();
