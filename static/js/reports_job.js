// An export job's page: polls the job's status until it is ready, then shows
// the download link. Without JavaScript the Refresh button does the same.
(function () {
  "use strict";
  var card = document.getElementById("export-job");
  var bar = document.getElementById("job-progress-bar");
  if (!card || !bar) return;

  function paint(percent) {
    bar.style.width = percent + "%";
    bar.textContent = percent + "%";
    document.getElementById("job-progress").setAttribute("aria-valuenow", String(percent));
  }

  paint(Number(bar.dataset.percent || 0));

  function poll() {
    fetch(card.dataset.statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        document.getElementById("job-status").textContent = job.statusLabel;
        document.getElementById("job-rows").textContent = job.rowsWritten;
        if (job.rowsTotal !== null) document.getElementById("job-total").textContent = job.rowsTotal;
        paint(job.percent);
        if (job.downloadUrl) {
          var link = document.getElementById("job-download");
          link.href = job.downloadUrl;
          link.classList.remove("d-none");
        } else if (job.status === "queued" || job.status === "running") {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  poll();
})();
