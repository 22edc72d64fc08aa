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

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.body.addEventListener("htmx:afterSettle", function () { draw(document); });
})();
