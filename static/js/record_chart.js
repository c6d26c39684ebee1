// The record's progress chart: each measure over sessions, its caseness line
// dashed, so progress can be seen at a glance and shown to the patient; behind
// PHQ-9's and the case's anxiety measure's lines, where the service's expected
// course is estimated (issue 21), the expected score dotted and the upper
// boundary as a shaded band edge, at each session number the patient reached.
(function () {
  "use strict";
  var el = document.getElementById("chart-series");
  var canvas = document.getElementById("measures-chart");
  if (!el || !canvas || typeof Chart === "undefined") return;
  var series = JSON.parse(el.textContent);
  var colours = ["#005eb8", "#da291c", "#007f3b", "#7c2855", "#ed8b00", "#330072", "#00a499", "#425563"];
  var labels = [];
  series.forEach(function (s) { s.points.forEach(function (p) { if (labels.indexOf(p.x) === -1) labels.push(p.x); }); });
  var datasets = [];
  series.forEach(function (s, i) {
    var colour = colours[i % colours.length];
    datasets.push({ label: s.name, data: s.points, borderColor: colour, backgroundColor: colour, tension: 0.2, order: 0 });
    if (s.expected && s.expected.available && s.expected.points.length) {
      datasets.push({
        label: s.code + " expected course",
        data: s.expected.points.map(function (p) { return { x: p.x, y: p.expected }; }),
        borderColor: colour, borderDash: [2, 3], borderWidth: 1, pointRadius: 0, fill: false, order: 2
      });
      datasets.push({
        label: s.code + " upper boundary (" + Math.round(s.expected.percentile * 100) + "th percentile)",
        data: s.expected.points.map(function (p) { return { x: p.x, y: p.upper }; }),
        borderColor: colour, backgroundColor: colour + "22", borderWidth: 1, pointRadius: 0, fill: "-1", order: 1
      });
    }
    if (s.cutoff !== null) {
      datasets.push({
        label: s.code + " caseness (" + (s.cutoffInclusive ? "≥ " : "> ") + s.cutoff + ")",
        data: labels.map(function (x) { return { x: x, y: s.cutoff }; }),
        borderColor: colour, borderDash: [6, 4], borderWidth: 1, pointRadius: 0, fill: false
      });
    }
  });
  canvas.dataset.points = String(series.reduce(function (n, s) { return n + s.points.length; }, 0));
  canvas.dataset.expected = String(series.filter(function (s) { return s.expected && s.expected.available; }).length);
  new Chart(canvas, {
    type: "line",
    data: { labels: labels, datasets: datasets },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      scales: { y: { beginAtZero: true, title: { display: true, text: "Score" } } },
      plugins: { legend: { position: "bottom" } }
    }
  });
})();
