// The workbench page, second part: the budget what-if (trade-off chart, what changes at a level) and the
// comparison of two runs. Loaded after app.js, whose helpers (api, el, fmt, yi, follow, state) it uses.
"use strict";

// ------------------------------------------------------------------ what-if

function sliders() {
  for (const id of ["whatif-low", "whatif-high", "whatif-steps"]) {
    const input = $(id);
    const show = () => { $(id + "-out").textContent = input.value + (id === "whatif-steps" ? "" : "%"); };
    input.addEventListener("input", show);
    show();
  }
}

async function startSweep() {
  const body = { ...state.scenario, low_pct: Number($("whatif-low").value), high_pct: Number($("whatif-high").value), steps: Number($("whatif-steps").value) };
  const { ok, data } = await api("POST", "/api/whatif", body);
  if (!ok) { $("whatif-job").textContent = data.errors.map((e) => e.message).join("；"); return; }
  $("whatif-result").hidden = true;
  await follow(data, $("whatif-job"), async (job) => showSweep(job.output));
}

async function showSweep(name) {
  const { ok, data } = await api("GET", `/api/whatif/${name}`);
  if (!ok) return;
  state.sweep = data;
  $("whatif-result").hidden = false;
  drawChart(data);
  const files = $("whatif-files");
  files.innerHTML = "下载：";
  for (const f of data.files) files.append(el("a", { href: `/api/whatif/${name}/files/${f}`, download: f }, f));
  showLevel(data.reference_level);
}

function drawChart(data) {
  const svg = $("tradeoff-svg");
  const ns = "http://www.w3.org/2000/svg";
  const node = (tag, attrs, text) => { const n = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); if (text !== undefined) n.textContent = text; svg.append(n); return n; };
  svg.innerHTML = "";
  const levels = data.levels.filter((l) => l.targets_met !== null);
  const xs = data.levels.map((l) => l.budget_cny), total = Math.max(...data.levels.map((l) => l.targets_total || 0), 1);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const ys = levels.map((l) => l.targets_met);
  const [y0, y1] = [Math.min(...ys, total) - 1, total];
  const X = (v) => 60 + (x1 === x0 ? 260 : ((v - x0) / (x1 - x0)) * 540), Y = (v) => 280 - ((v - y0) / Math.max(y1 - y0, 1)) * 250;
  node("line", { x1: 60, y1: 280, x2: 610, y2: 280, stroke: "#444" });
  node("line", { x1: 60, y1: 20, x2: 60, y2: 280, stroke: "#444" });
  node("text", { x: 330, y: 312, "text-anchor": "middle", "font-size": 13 }, "建设投资预算（亿元）");
  node("text", { x: 14, y: 150, "font-size": 13, transform: "rotate(-90 14 150)", "text-anchor": "middle" }, `达成的规则数（共 ${total} 项）`);
  for (const v of [y0, y1]) node("text", { x: 48, y: Y(v) + 4, "text-anchor": "end", "font-size": 11 }, String(v));
  node("line", { x1: X(data.baseline_cny), y1: 20, x2: X(data.baseline_cny), y2: 280, stroke: "#999", "stroke-dasharray": "4 3" });
  node("text", { x: X(data.baseline_cny) + 4, y: 32, "font-size": 11, fill: "#666" }, "方案预算");
  node("polyline", { points: levels.map((l) => `${X(l.budget_cny)},${Y(l.targets_met)}`).join(" "), fill: "none", stroke: "#1f4e79", "stroke-width": 2 });
  for (const l of data.levels) {
    node("text", { x: X(l.budget_cny), y: 296, "text-anchor": "middle", "font-size": 11 }, (l.budget_cny / 1e8).toFixed(1));
    const solved = l.targets_met !== null;
    const dot = node("circle", { cx: X(l.budget_cny), cy: solved ? Y(l.targets_met) : 280, r: 7, fill: solved ? "#1f4e79" : "#c0392b", class: "level-point", "data-level": l.index });
    dot.addEventListener("click", () => showLevel(l.index));
    node("title", {}, "");
  }
}

function showLevel(index) {
  const data = state.sweep;
  const level = data.levels.find((l) => l.index === index);
  document.querySelectorAll(".level-point").forEach((p) => p.classList.toggle("selected", Number(p.dataset.level) === index));
  const box = $("level-detail");
  box.innerHTML = "";
  const share = level.share_of_scenario ? `（方案预算的 ${(level.share_of_scenario * 100).toFixed(0)}%）` : "";
  box.append(el("h3", {}, `预算 ${yi(level.budget_cny)}${share}`));
  if (level.targets_met === null) { box.append(el("p", { class: "missed" }, "此预算水平无可行方案：" + level.outcome)); return; }
  box.append(el("p", {}, `达成 ${level.targets_met} / ${level.targets_total} 项；新增投资 ${yi(level.cost_cny)}。`));
  const reference = data.levels[data.reference_level];
  const against = `与最接近方案预算的水平（${yi(reference.budget_cny)}）相比：`;
  const lines = [];
  if (level.lost.length) lines.push(el("li", { class: "missed" }, "失去的指标：" + level.lost.join("、")));
  if (level.gained.length) lines.push(el("li", { class: "met" }, "新达成的指标：" + level.gained.join("、")));
  const totals = Object.entries(level.total_changes).map(([k, v]) => `${COLUMN_ZH[k] || k} ${v > 0 ? "+" : ""}${fmt(v)}`);
  if (totals.length) lines.push(el("li", {}, "配置变化：" + totals.join("，")));
  if (level.subcentres_added.length) lines.push(el("li", {}, "新增次中心：" + level.subcentres_added.join("、")));
  if (level.subcentres_dropped.length) lines.push(el("li", {}, "取消次中心：" + level.subcentres_dropped.join("、")));
  if (!lines.length) lines.push(el("li", {}, "没有变化。"));
  box.append(el("p", {}, index === data.reference_level ? "这是最接近方案预算的水平。" : against), el("ul", {}, ...lines));
  if (level.missed.length) box.append(el("p", { class: "note" }, "此水平未达成：" + level.missed.join("、")));
  if (level.changes && level.changes.length) {
    const SCOPE = { facility: "机构", town: "乡镇", township: "乡镇", county: "县" };
    const t = el("table", { class: "data", id: "level-changes" }, el("thead", {}, el("tr", {}, ...["范围", "名称", "项目", "方案预算下", "此水平", "变化", "单位"].map((h) => el("th", {}, h)))));
    const tb = el("tbody", {});
    for (const c of level.changes) tb.append(el("tr", {}, ...[SCOPE[c.scope] || c.scope, c.name || c.id, COLUMN_ZH[c.item] || c.item, c.base_value, c.level_value, c.change, c.unit].map((v) => el("td", {}, fmt(v)))));
    t.append(tb);
    box.append(el("h3", {}, `与方案预算下的方案相比，机构与乡镇的变化（${level.changes.length} 项）`), t);
  }
}

// ------------------------------------------------------------------ compare

async function refreshRuns() {
  const { data } = await api("GET", "/api/runs");
  for (const [id, pick] of [["compare-a", 1], ["compare-b", 0]]) {
    const box = $(id);
    const keep = box.value;
    box.innerHTML = "";
    for (const run of data) box.append(el("option", { value: run.name }, run.name));
    if (keep && data.some((r) => r.name === keep)) box.value = keep; else if (data[pick]) box.value = data[pick].name;
  }
}

function coveredLabel(quantity) {
  const flag = quantity.replace("population_covered_", "");
  return flag === quantity ? quantity : "达标覆盖人口：" + (COVERED_ZH[flag] || flag);
}

async function compare() {
  const out = $("compare-result");
  out.innerHTML = "正在比较…";
  const { ok, data } = await api("GET", `/api/compare?a=${encodeURIComponent($("compare-a").value)}&b=${encodeURIComponent($("compare-b").value)}`);
  out.innerHTML = "";
  if (!ok) { out.append(el("div", { class: "error" }, data.errors.map((e) => e.message).join("；"))); return; }
  const QTY = { objective: "目标函数值", total_cost_cny: "新增投资（元）", budget_cny: "预算（元）", targets_met: "达成的规则数" };
  const totals = el("table", { class: "data", id: "compare-totals" }, el("thead", {}, el("tr", {}, el("th", {}, "项目"), el("th", {}, "A：" + data.a), el("th", {}, "B：" + data.b), el("th", {}, "变化"))));
  const body = el("tbody", {});
  for (const t of data.totals) body.append(el("tr", {}, el("td", {}, QTY[t.quantity] || coveredLabel(t.quantity)), el("td", {}, fmt(t.a)), el("td", {}, fmt(t.b)), el("td", {}, fmt(t.change))));
  totals.append(body);
  out.append(el("h3", {}, "总量对比"), totals);
  if (data.empty) { out.append(el("p", { class: "met" }, "两个方案的配置、覆盖和指标完全相同。")); return; }
  for (const [kind, label] of [["facility", "机构配置变化"], ["town", "乡镇覆盖变化"], ["target", "指标变化"]]) {
    const rows = data.changes[kind];
    if (!rows.length) continue;
    const t = el("table", { class: "data", "data-kind": kind }, el("thead", {}, el("tr", {}, ...["编码", "名称", "项目", "A", "B", "变化", "费用变化（元）", "人口变化"].map((h) => el("th", {}, h)))));
    const tb = el("tbody", {});
    for (const r of rows) tb.append(el("tr", {}, ...[r.id, r.name, COLUMN_ZH[r.item] || r.item, r.a, r.b, r.change, r.cost_change_cny, r.population_change].map((v) => el("td", {}, fmt(v)))));
    t.append(tb);
    out.append(el("h3", {}, `${label}（${rows.length} 项）`), t);
  }
}

