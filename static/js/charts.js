// The site's charts, drawn with Chart.js (vendored in js/vendor, no network) from data each page embeds with
// json_script. Scores are written as on the pages: percent with one decimal; intervals are 95% intervals.
// Every chart has a text alternative: its aria-label, and a table on the page with the same figures.
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", sans-serif';
  Chart.defaults.color = "#5f6b76";
  Chart.defaults.animation = false;
  const ACCENT = "#0b6e75", SOFT = "rgba(11, 110, 117, 0.35)", RED = "#a4262c";

  function pct(value) { return (value * 100).toFixed(1); }
  function day(ms) { return new Date(ms).toISOString().slice(0, 10); }

  function canvas(container, label, height) {
    const box = document.createElement("div");
    box.className = "chart-canvas";
    if (height) box.classList.add("chart-" + height);
    const node = document.createElement("canvas");
    node.setAttribute("role", "img");
    node.setAttribute("aria-label", label);
    node.textContent = label;
    box.appendChild(node);
    container.appendChild(box);
    return node;
  }

  function percentAxis(title, extra) {
    return Object.assign({
      title: { display: true, text: title },
      ticks: { callback: function (v) { return Math.round(v * 100) + "%"; } },
    }, extra || {});
  }

  // The best average over time: a step line through each new record, the leading model named in the tooltip
  // (the table under the chart names them all).
  function history(container, steps) {
    if (!steps.length) { container.textContent = "No model is ranked on this suite yet."; return; }
    const points = steps.map(function (s) { return { x: Date.parse(s.date), y: s.score, model: s.model }; });
    points.push({ x: Math.max(Date.now(), points[points.length - 1].x), y: points[points.length - 1].y, model: "" });
    new Chart(canvas(container, "Best average score over time: " + steps.length + " records"), {
      type: "line",
      data: { datasets: [{ label: "best average", data: points, stepped: "before", borderColor: ACCENT,
                           backgroundColor: ACCENT, pointRadius: points.map(function (p) { return p.model ? 4 : 0; }) }] },
      options: {
        maintainAspectRatio: false,
        parsing: false,
        scales: {
          x: { type: "linear", title: { display: true, text: "date submitted" },
               ticks: { maxTicksLimit: 6, maxRotation: 0, callback: function (v, i, ticks) {
                 return i > 0 && day(ticks[i - 1].value) === day(v) ? "" : day(v); } } },
          y: percentAxis("best average"),
        },
        plugins: {
          legend: { display: false },
          tooltip: { filter: function (item) { return Boolean(item.raw.model); },
                     callbacks: { title: function (items) { return items.length ? day(items[0].raw.x) : ""; },
                                  label: function (item) { return item.raw.model + ": " + pct(item.raw.y); } } },
        },
      },
    });
  }

  // A dashed vertical line where answering at random scores (for a histogram of [0, 1] in equal slices).
  const chanceLine = {
    id: "chance",
    afterDatasetsDraw: function (chart, args, options) {
      if (!options.at) return;
      const x = chart.scales.x, area = chart.chartArea;
      const px = x.left + options.at * (x.right - x.left);
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = RED;
      ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(px, area.top); ctx.lineTo(px, area.bottom); ctx.stroke();
      ctx.fillStyle = RED;
      ctx.fillText("chance", Math.min(px + 3, area.right - 40), area.top + 10);
      ctx.restore();
    },
  };

  // One histogram per task: how many models score in each slice of [0, 100%], chance marked.
  function distribution(container, tasks) {
    tasks.forEach(function (task) {
      const figure = document.createElement("figure");
      figure.className = "histogram";
      const caption = document.createElement("figcaption");
      caption.textContent = task.name;
      figure.appendChild(caption);
      container.appendChild(figure);
      const n = task.counts.length;
      const labels = task.counts.map(function (_, i) { return Math.round(i * 100 / n) + "–" + Math.round((i + 1) * 100 / n); });
      const total = task.counts.reduce(function (a, b) { return a + b; }, 0);
      new Chart(canvas(figure, task.name + ": " + total + " models by score, in " + n + " slices", "small"), {
        type: "bar",
        data: { labels: labels, datasets: [{ label: "models", data: task.counts, backgroundColor: "#7fb7bb",
                                             categoryPercentage: 1, barPercentage: 0.95 }] },
        options: {
          maintainAspectRatio: false,
          scales: { x: { title: { display: true, text: "score (%)" }, ticks: { autoSkip: true, maxTicksLimit: 5, maxRotation: 0 } },
                    y: { title: { display: true, text: "models" }, beginAtZero: true, ticks: { precision: 0 } } },
          plugins: { legend: { display: false }, chance: { at: task.choices ? 1 / task.choices : null } },
        },
        plugins: [chanceLine],
      });
    });
  }

  // The average against the number of parameters (log scale), and the best-per-size frontier.
  function sizes(container, data) {
    if (!data.points.length) { container.textContent = "No ranked model has a known size yet."; return; }
    const point = function (p) { return { x: p.params, y: p.score, model: p.model }; };
    new Chart(canvas(container, "Average score against parameter count for " + data.points.length + " models, with the best per size"), {
      type: "scatter",
      data: { datasets: [
        { label: "best per size", data: data.frontier.map(point), showLine: true, stepped: "after",
          borderColor: RED, backgroundColor: RED, pointRadius: 3 },
        { label: "models", data: data.points.map(point), backgroundColor: SOFT, pointRadius: 2.5 },
      ] },
      options: {
        maintainAspectRatio: false,
        parsing: false,
        scales: { x: { type: "logarithmic", title: { display: true, text: "parameters (billions, log scale)" } },
                  y: percentAxis("average") },
        plugins: { tooltip: { callbacks: { label: function (item) {
          return item.raw.model + ": " + pct(item.raw.y) + " at " + item.raw.x.toPrecision(3) + " B"; } } } },
      },
    });
  }

  // A model's score on each task with its 95% interval (the thin bar), beside the suite's median.
  function modelScores(container, suites) {
    suites.forEach(function (suite) {
      const labels = suite.tasks.map(function (t) { return t.name; });
      const height = suite.tasks.length > 6 ? "tall" : null;
      new Chart(canvas(container, "Scores on " + suite.suite + " with 95% intervals beside the suite's median", height), {
        type: "bar",
        data: { labels: labels, datasets: [
          { label: "score", data: suite.tasks.map(function (t) { return t.score; }), backgroundColor: "#7fb7bb",
            barPercentage: 0.7, grouped: false, order: 3 },
          { label: "95% interval", data: suite.tasks.map(function (t) { return t.ci ? [t.ci[0], t.ci[1]] : null; }),
            backgroundColor: "#1d232a", barPercentage: 0.12, grouped: false, order: 2 },
          { type: "scatter", label: "median of the suite", data: suite.tasks.map(function (t, i) {
              return t.median === null ? null : { x: t.median, y: labels[i] }; }),
            pointStyle: "line", rotation: 90, pointRadius: 9, borderWidth: 3, borderColor: RED, backgroundColor: RED,
            order: 1 },
        ] },
        options: {
          indexAxis: "y",
          maintainAspectRatio: false,
          scales: { x: percentAxis("accuracy", { min: 0, max: 1 }), y: { type: "category" } },
          plugins: { tooltip: { callbacks: { label: function (item) {
            const v = item.raw;
            if (Array.isArray(v)) return "95% interval: " + pct(v[0]) + "–" + pct(v[1]);
            if (v && typeof v === "object") return "suite median: " + pct(v.x);
            return "score: " + pct(v);
          } } } },
        },
      });
    });
  }

  const charts = { history: history, distribution: distribution, model: modelScores, sizes: sizes };
  document.querySelectorAll("[data-chart]").forEach(function (container) {
    const source = document.getElementById(container.dataset.source);
    const draw = charts[container.dataset.chart];
    if (!source || !draw) return;
    draw(container, JSON.parse(source.textContent));
    container.dataset.drawn = "true";
  });
})();
