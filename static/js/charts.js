// Charts drawn as SVG from data the page embeds with json_script: no library, no network.
// Every text is set with textContent, never parsed as HTML.
(function () {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";

  function el(name, attrs, parent, text) {
    const node = document.createElementNS(NS, name);
    for (const key in attrs) node.setAttribute(key, attrs[key]);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function svg(container, width, height, label) {
    const root = el("svg", { viewBox: "0 0 " + width + " " + height, width: "100%", role: "img", "aria-label": label,
                             class: "chart" });
    container.appendChild(root);
    return root;
  }

  function pct(value) { return (value * 100).toFixed(1) + "%"; }

  function yAxis(root, x0, x1, y, ticks) {
    ticks.forEach(function (t) {
      const yy = y(t);
      el("line", { x1: x0, x2: x1, y1: yy, y2: yy, class: "grid" }, root);
      el("text", { x: x0 - 6, y: yy + 4, "text-anchor": "end", class: "tick" }, root, Math.round(t * 100) + "%");
    });
  }

  // The best average over time: a step line, a dot and the leading model's name at each new record.
  function history(container, steps) {
    if (!steps.length) { container.textContent = "No model is ranked on this suite yet."; return; }
    const W = 960, H = 420, L = 56, R = 24, T = 20, B = 48;
    const root = svg(container, W, H, "Best average score over time");
    const times = steps.map(function (s) { return Date.parse(s.date); });
    const t0 = times[0], t1 = Math.max(times[times.length - 1], Date.now());
    const lo = Math.max(0, Math.floor(Math.min.apply(null, steps.map(function (s) { return s.score; })) * 10) / 10 - 0.1);
    const hi = Math.min(1, Math.ceil(Math.max.apply(null, steps.map(function (s) { return s.score; })) * 10) / 10 + 0.05);
    const x = function (t) { return L + (t1 === t0 ? 0 : (t - t0) / (t1 - t0)) * (W - L - R); };
    const y = function (v) { return T + (1 - (v - lo) / (hi - lo || 1)) * (H - T - B); };
    const ticks = [];
    for (let v = Math.ceil(lo * 10) / 10; v <= hi + 1e-9; v += 0.1) ticks.push(v);
    yAxis(root, L, W - R, y, ticks);
    [t0, (t0 + t1) / 2, t1].forEach(function (t, i) {
      el("text", { x: x(t), y: H - B + 18, "text-anchor": ["start", "middle", "end"][i], class: "tick" }, root,
         new Date(t).toISOString().slice(0, 10));
    });
    let d = "";
    steps.forEach(function (s, i) {
      const xx = x(times[i]), yy = y(s.score);
      d += i === 0 ? "M" + xx + "," + yy : "H" + xx + "V" + yy;
    });
    d += "H" + x(t1);
    el("path", { d: d, class: "line" }, root);
    const every = Math.max(1, Math.ceil(steps.length / 12));  // name at most a dozen steps, always the last
    steps.forEach(function (s, i) {
      const dot = el("circle", { cx: x(times[i]), cy: y(s.score), r: 4, class: "dot" }, root);
      el("title", {}, dot, s.model + " — " + pct(s.score) + " — " + s.date.slice(0, 10));
      if (i % every === 0 || i === steps.length - 1) {
        el("text", { x: x(times[i]) + 6, y: y(s.score) - 8, class: "label" }, root, s.model);
      }
    });
    el("text", { x: L, y: H - 6, class: "tick" }, root, "submission date");
  }

  // One histogram per task: how many models score in each slice of [0, 100%], with the chance level marked.
  function distribution(container, tasks) {
    tasks.forEach(function (task) {
      const box = document.createElement("figure");
      box.className = "histogram";
      container.appendChild(box);
      const W = 300, H = 170, L = 34, R = 8, T = 8, B = 30;
      const root = svg(box, W, H, "Distribution of " + task.name + " scores");
      const n = task.counts.length, top = Math.max(1, Math.max.apply(null, task.counts));
      const bw = (W - L - R) / n;
      const y = function (c) { return T + (1 - c / top) * (H - T - B); };
      el("text", { x: L - 4, y: T + 8, "text-anchor": "end", class: "tick" }, root, String(top));
      el("text", { x: L - 4, y: H - B, "text-anchor": "end", class: "tick" }, root, "0");
      task.counts.forEach(function (c, i) {
        if (!c) return;
        const bar = el("rect", { x: L + i * bw + 0.5, y: y(c), width: bw - 1, height: H - B - y(c), class: "bar" }, root);
        el("title", {}, bar, c + " model" + (c === 1 ? "" : "s") + " at " + Math.round(i * 100 / n) + "–" +
           Math.round((i + 1) * 100 / n) + "%");
      });
      [0, 0.5, 1].forEach(function (v, i) {
        el("text", { x: L + v * (W - L - R), y: H - B + 14, "text-anchor": ["start", "middle", "end"][i], class: "tick" },
           root, Math.round(v * 100) + "%");
      });
      if (task.choices) {
        const cx = L + (W - L - R) / task.choices;
        el("line", { x1: cx, x2: cx, y1: T, y2: H - B, class: "chance" }, root);
        el("text", { x: cx + 3, y: T + 10, class: "tick" }, root, "chance");
      }
      const caption = document.createElement("figcaption");
      caption.textContent = task.name;
      box.appendChild(caption);
    });
  }

  // A model's score on each task (bar, ± stderr whisker) beside the suite's median (tick).
  function modelScores(container, suites) {
    suites.forEach(function (suite) {
      const tasks = suite.tasks;
      const rowH = 26, W = 760, L = 220, R = 70, T = 24, B = 24, H = T + B + rowH * tasks.length;
      const heading = document.createElement("h3");
      heading.textContent = suite.suite;
      container.appendChild(heading);
      const root = svg(container, W, H, "Scores on " + suite.suite + " beside the suite's median");
      const x = function (v) { return L + v * (W - L - R); };
      [0, 0.25, 0.5, 0.75, 1].forEach(function (v) {
        el("line", { x1: x(v), x2: x(v), y1: T - 4, y2: H - B, class: "grid" }, root);
        el("text", { x: x(v), y: H - B + 16, "text-anchor": "middle", class: "tick" }, root, Math.round(v * 100) + "%");
      });
      tasks.forEach(function (t, i) {
        const yy = T + i * rowH;
        el("text", { x: L - 8, y: yy + rowH / 2 + 4, "text-anchor": "end", class: "label" }, root, t.name);
        if (t.score !== null) {
          const bar = el("rect", { x: x(0), y: yy + 4, width: x(t.score) - x(0), height: rowH - 8, class: "bar" }, root);
          el("title", {}, bar, t.name + ": " + pct(t.score) + (t.stderr !== null ? " ± " + pct(t.stderr) : ""));
          el("text", { x: x(Math.min(1, t.score + (t.stderr || 0))) + 4, y: yy + rowH / 2 + 4, class: "tick" }, root,
             pct(t.score));
          if (t.stderr) {
            el("line", { x1: x(Math.max(0, t.score - t.stderr)), x2: x(Math.min(1, t.score + t.stderr)),
                         y1: yy + rowH / 2, y2: yy + rowH / 2, class: "whisker" }, root);
          }
        }
        if (t.median !== null) {
          const tick = el("line", { x1: x(t.median), x2: x(t.median), y1: yy + 1, y2: yy + rowH - 1, class: "median" }, root);
          el("title", {}, tick, "median of the suite: " + pct(t.median));
        }
      });
      const legend = el("g", { class: "legend" }, root);
      el("rect", { x: L, y: 4, width: 12, height: 10, class: "bar" }, legend);
      el("text", { x: L + 16, y: 13, class: "tick" }, legend, "this model (± stderr)");
      el("line", { x1: L + 170, x2: L + 170, y1: 3, y2: 15, class: "median" }, legend);
      el("text", { x: L + 176, y: 13, class: "tick" }, legend, "median of the suite's ranked models");
    });
  }

  const charts = { history: history, distribution: distribution, model: modelScores };
  document.querySelectorAll("[data-chart]").forEach(function (container) {
    const data = JSON.parse(document.getElementById(container.dataset.source).textContent);
    charts[container.dataset.chart](container, data);
    container.setAttribute("data-drawn", "true");
  });
})();
