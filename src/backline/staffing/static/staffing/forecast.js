// Staffing forecast chart: reads its data from the json_script block, redraws after HTMX swaps.
(function () {
  "use strict";

  function draw() {
    var node = document.getElementById("staffing-chart-data");
    var canvas = document.getElementById("staffing-chart");
    if (window.staffingChart) { window.staffingChart.destroy(); window.staffingChart = null; }
    if (!node || !canvas || !window.Chart) return;
    var data = JSON.parse(node.textContent);
    window.staffingChart = new window.Chart(canvas, {
      data: {
        labels: data.labels,
        datasets: [
          { type: "line", label: "Required (Erlang C)", data: data.required, borderColor: "#b42318", backgroundColor: "#b42318", pointRadius: 0, borderWidth: 2, stepped: true },
          { type: "bar", label: "Scheduled", data: data.scheduled, backgroundColor: "rgba(47, 91, 211, .35)", borderWidth: 0, barPercentage: 1, categoryPercentage: 1 }
        ]
      },
      options: {
        animation: false, maintainAspectRatio: false, interaction: { mode: "index", intersect: false },
        scales: {
          x: { ticks: { autoSkip: false, maxRotation: 0, callback: function (v, i) { return i % 24 === 0 ? data.labels[i].slice(0, 3) : ""; } }, grid: { display: false } },
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "engineers" } }
        },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  document.addEventListener("htmx:afterSettle", function (e) {
    var target = e.detail && e.detail.target;
    if ((e.target && e.target.id === "staffing-result") || (target && target.id === "staffing-result")) draw();
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
