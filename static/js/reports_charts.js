// The service report's monthly trends: referrals, recovery and waits, each
// against its national standard. Data comes from a json_script block; no
// inline script, so a strict Content-Security-Policy can forbid them.
(function () {
  "use strict";
  var el = document.getElementById("report-chart-data");
  if (!el || typeof Chart === "undefined") return;
  var data = JSON.parse(el.textContent);
  var blue = "#005eb8", green = "#007f3b", purple = "#330072", grey = "#425563";

  function standardLine(label, value, colour) {
    return {
      label: label, data: data.labels.map(function () { return value; }),
      borderColor: colour, borderDash: [6, 4], borderWidth: 1, pointRadius: 0, fill: false
    };
  }

  function percentAxis() {
    return { min: 0, max: 100, title: { display: true, text: "%" } };
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    config.options = Object.assign({
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { position: "bottom" } }
    }, config.options || {});
    new Chart(canvas, config);
    canvas.dataset.drawn = "true";
  }

  draw("chart-referrals", {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: "Referrals received", data: data.received, backgroundColor: blue },
        { label: "Entered treatment", data: data.enteredTreatment, backgroundColor: green }
      ]
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });

  draw("chart-recovery", {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [
        { label: "Recovery rate", data: data.recoveryRate, borderColor: blue, backgroundColor: blue, spanGaps: true },
        standardLine("National standard", data.standards.recoveryRate, grey)
      ]
    },
    options: { scales: { y: percentAxis() } }
  });

  draw("chart-waits", {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [
        { label: "Within 6 weeks", data: data.within6Weeks, borderColor: blue, backgroundColor: blue, spanGaps: true },
        { label: "Within 18 weeks", data: data.within18Weeks, borderColor: purple, backgroundColor: purple, spanGaps: true },
        standardLine("6-week standard", data.standards.within6Weeks, blue),
        standardLine("18-week standard", data.standards.within18Weeks, purple)
      ]
    },
    options: { scales: { y: percentAxis() } }
  });
})();
