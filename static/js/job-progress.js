// A job's page (admin/jobs/progress.html): asks the job's status every second, moves the bar,
// and reloads the page once the job has ended, so the page shows its result.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || box.dataset.finished === "true") { return; }
  var bar = document.getElementById("job-bar");
  var text = document.getElementById("job-text");
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status) { window.setTimeout(poll, 3000); return; }
        if (status.finished) { window.location.reload(); return; }
        if (status.total) { bar.max = status.total; bar.value = status.done; }
        text.textContent = status.text;
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
