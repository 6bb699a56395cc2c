// The progress bar of a background job (templates/insured/job_detail.html): asks the job's
// status every second and moves the bar; when the job has finished, loads the page again so it
// shows the download link or the reason it failed. Without scripts, a meta refresh does the same.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || box.dataset.finished === "true") { return; }
  var bar = document.getElementById("job-progress");
  var figures = document.getElementById("job-figures");
  var state = document.getElementById("job-state");
  var message = document.getElementById("job-message");
  var url = box.dataset.statusUrl;
  var failures = 0;

  function show(status) {
    bar.max = Math.max(status.total, 1);
    bar.value = status.done;
    figures.textContent = status.done + " / " + status.total + "（" + status.percent + "%）";
    state.textContent = status.state_label;
    if (status.message) { message.textContent = status.message; }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (status) {
        failures = 0;
        show(status);
        if (status.finished) { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        failures += 1;
        window.setTimeout(poll, Math.min(1000 * Math.pow(2, failures), 30000));
      });
  }

  window.setTimeout(poll, 1000);
})();
