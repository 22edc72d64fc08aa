// Draw every chart whose configuration the page carries in data-budget-chart, on load
// and again whenever htmx swaps in fresh figures (CSP: no inline scripts).
(function () {
  "use strict";

  function draw(root) {
    if (typeof window.Chart === "undefined") return;
    root.querySelectorAll("canvas[data-budget-chart]").forEach(function (canvas) {
      if (window.Chart.getChart(canvas)) return;
      var config = JSON.parse(canvas.getAttribute("data-budget-chart"));
      var horizontal = config.indexAxis === "y";
      new window.Chart(canvas, {
        type: config.type,
        data: config.data,
        options: {
          animation: false,
          indexAxis: config.indexAxis || "x",
          maintainAspectRatio: !horizontal,
          plugins: { legend: { display: config.data.datasets.length > 1 } },
          scales: horizontal ? { x: { min: 0, suggestedMax: 100 } } : { y: { beginAtZero: true } },
        },
      });
      if (horizontal) {
        canvas.parentElement.style.height = Math.max(200, config.data.labels.length * 26) + "px";
      }
    });
  }

  // The polled region's ledger version: a new one means htmx swapped in changed figures
  // (an unchanged ledger answers 204 and nothing is swapped).
  function liveVersion() {
    var live = document.querySelector("#county-live, #cluster-live");
    return live ? live.getAttribute("data-version") : null;
  }

  var shownVersion = null;

  // Tell screen-reader users, politely, that the figures on the page have changed.
  function announce() {
    var status = document.querySelector("[data-budget-live-status]");
    var version = liveVersion();
    if (!status || version === null || version === shownVersion) return;
    shownVersion = version;
    var now = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var text = "Figures updated at " + pad(now.getHours()) + ":" + pad(now.getMinutes());
    if (status.textContent === text) {
      // The same words again are not read out: clear them, then say them once more.
      status.textContent = "";
      window.setTimeout(function () { status.textContent = text; }, 100);
    } else {
      status.textContent = text;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    shownVersion = liveVersion();
    draw(document);
  });
  document.body.addEventListener("htmx:afterSettle", function () {
    draw(document);
    announce();
  });
})();
