// Draw each report chart from its JSON block; the table beside it holds the same figures.
(function () {
  "use strict";
  var colours = ["#1d70b8", "#28a197", "#f47738", "#4c2c92"];
  var fmt = {
    pct: function (v) { return v.toFixed(1) + "%"; },
    share: function (v) { return (100 * v).toFixed(1) + "%"; },
    ratio: function (v) { return v.toFixed(2); },
    index: function (v) { return (v > 0 ? "+" : "") + v.toFixed(2); },
    money: function (v) {
      return (v < 0 ? "\u2212\u00a3" : "\u00a3") +
        Math.abs(v).toLocaleString("en-GB", { minimumFractionDigits: 0, maximumFractionDigits: 2 });
    }
  };
  document.querySelectorAll("canvas[id^='chart-']").forEach(function (canvas) {
    var block = document.getElementById(canvas.id.replace("chart-", "chart-data-"));
    if (!block || typeof Chart === "undefined") { return; }
    var chart = JSON.parse(block.textContent);
    var show = fmt[chart.fmt] || function (v) { return String(v); };
    // One row of bars per label, every label shown.
    var perLabel = 14 * Math.max(1, chart.datasets.length) + 8;
    canvas.parentNode.style.height = (chart.labels.length * perLabel + 70) + "px";
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: chart.datasets.map(function (d, i) {
          return {
            label: d.label,
            data: d.data.map(function (v) { return v === null ? null : Number(v); }),
            backgroundColor: colours[i % colours.length]
          };
        })
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        animation: false,
        plugins: { tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + show(c.parsed.x); } } } },
        scales: {
          x: { ticks: { callback: function (v) { return show(Number(v)); } } },
          y: { ticks: { autoSkip: false } }
        }
      }
    });
  });
})();
