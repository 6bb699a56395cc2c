// The charts of the progress pages (templates/oversight/progress.html), drawn with the vendored
// Chart.js from the page's own tables: the rows of #progress-lines (paid rate of each region below,
// this year and last) and of #progress-weeks (paid count at the end of each week). Without scripts
// the figures stay hidden and the tables say the same. A bar opens its region (drill-down).
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }

  function number(text) {
    return text === undefined || text === "" ? null : Number(text);
  }

  function rows(selector) {
    return Array.prototype.slice.call(document.querySelectorAll(selector));
  }

  function show(box) {
    box.hidden = false;
    return box.querySelector("canvas");
  }

  var ink = "#0b5cad";
  var grey = "#9fb3c8";

  var rateBox = document.getElementById("rate-chart");
  var lines = rows("#progress-lines tbody tr[data-label]");
  if (rateBox && lines.length) {
    var links = lines.map(function (tr) { return tr.dataset.href; });
    new window.Chart(show(rateBox), {
      type: "bar",
      data: {
        labels: lines.map(function (tr) { return tr.dataset.label; }),
        datasets: [
          { label: rateBox.dataset.thisYear, data: lines.map(function (tr) { return number(tr.dataset.rate); }), backgroundColor: ink },
          { label: rateBox.dataset.lastYear, data: lines.map(function (tr) { return number(tr.dataset.lastRate); }), backgroundColor: grey }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { beginAtZero: true, suggestedMax: 100, ticks: { callback: function (v) { return v + "%"; } } } },
        plugins: { tooltip: { callbacks: { label: function (c) { return c.dataset.label + "：" + c.parsed.y + "%"; } } } },
        onHover: function (event, found) { event.native.target.style.cursor = found.length ? "pointer" : "default"; },
        onClick: function (event, found) {
          if (found.length) { window.location.href = links[found[0].index]; }
        }
      }
    });
  }

  var weekBox = document.getElementById("week-chart");
  var weeks = rows("#progress-weeks tbody tr[data-label]");
  if (weekBox && weeks.length) {
    new window.Chart(show(weekBox), {
      type: "line",
      data: {
        labels: weeks.map(function (tr) { return tr.dataset.label; }),
        datasets: [
          { label: weekBox.dataset.thisYear, data: weeks.map(function (tr) { return number(tr.dataset.paid); }), borderColor: ink, backgroundColor: ink, pointRadius: 2, tension: 0.2 },
          { label: weekBox.dataset.lastYear, data: weeks.map(function (tr) { return number(tr.dataset.last); }), borderColor: grey, backgroundColor: grey, pointRadius: 0, borderDash: [4, 4], tension: 0.2 }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        spanGaps: false,
        scales: { y: { beginAtZero: true } },
        interaction: { mode: "index", intersect: false }
      }
    });
  }
})();
