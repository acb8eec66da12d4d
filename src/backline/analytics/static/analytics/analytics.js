// Dashboard charts: each <canvas data-chart="x"> is drawn from the JSON in #chart-x, after the
// first load and after every HTMX swap of the dashboard. A bar with a link opens its tickets.
(function () {
  "use strict";
  const palette = ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#64748b"];

  function config(spec) {
    const percent = !!spec.percent;
    const datasets = spec.datasets.map(function (ds, i) {
      const colour = palette[i % palette.length];
      const line = ds.type === "line";
      return Object.assign({
        backgroundColor: line ? colour : colour + "cc",
        borderColor: colour,
        borderWidth: line ? 2 : 0,
        pointRadius: line ? 2 : 0,
        tension: 0.25,
      }, ds);
    });
    const scales = {
      x: { stacked: !!spec.stacked, grid: { display: false } },
      y: { stacked: !!spec.stacked, beginAtZero: true, max: percent && !spec.horizontal ? 100 : undefined },
    };
    if (spec.horizontal) {
      scales.x = { beginAtZero: true, max: percent ? 100 : undefined };
      scales.y = { grid: { display: false } };
    }
    if (datasets.some(function (ds) { return ds.yAxisID === "percent"; })) {
      scales.percent = { position: "right", beginAtZero: true, max: 100, grid: { display: false },
        ticks: { callback: function (v) { return v + " %"; } } };
    }
    return {
      type: spec.type || "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: scales,
        plugins: { legend: { display: datasets.length > 1, position: "bottom", labels: { boxWidth: 12 } } },
        onClick: function (event, elements) {
          if (!spec.links || !elements.length) return;
          const link = spec.links[elements[0].index];
          if (link) window.location.href = "/analytics/tickets?" + link;
        },
        onHover: function (event, elements) {
          event.native.target.style.cursor = spec.links && elements.length ? "pointer" : "default";
        },
      },
    };
  }

  function draw(root) {
    if (typeof Chart === "undefined") return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      const source = document.getElementById("chart-" + canvas.dataset.chart);
      if (!source) return;
      const existing = Chart.getChart(canvas);
      if (existing) existing.destroy();
      new Chart(canvas, config(JSON.parse(source.textContent)));
    });
  }

  function syncDates(form) {
    // A date typed in switches the period to "custom"; a preset clears the dates.
    const period = form.querySelector("[name=period]");
    form.querySelectorAll("input[type=date]").forEach(function (input) {
      input.addEventListener("change", function () { period.value = "custom"; });
    });
    period.addEventListener("change", function () {
      if (period.value !== "custom") {
        form.querySelectorAll("input[type=date]").forEach(function (input) { input.value = ""; });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw(document);
    const form = document.getElementById("dash-filters");
    if (form) syncDates(form);
  });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target.ownerDocument || document); });
})();
