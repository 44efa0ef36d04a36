// The workbench page: plain JavaScript, no build step, no network beyond this server (works offline).
// Every check, save, run and sweep goes through the JSON API of optimizer/workbench/app.py.
"use strict";

const state = { scenario: null, form: null, changes: {}, checkTimer: null, checkSeq: 0, sweep: null };
const $ = (id) => document.getElementById(id);
const LEVEL_ZH = { county_general_hospital: "县级综合医院", county_tcm_hospital: "县中医医院", specialty_hospital: "专科医院",
  mch_center: "妇幼保健院", central_thc: "中心卫生院", thc: "乡镇卫生院", chc: "社区卫生服务中心" };
const COLUMN_ZH = { facility_id: "机构编码", name: "机构", level: "级别", beds: "床位", physicians: "执业（助理）医师",
  nurses: "注册护士", gps: "全科医生", pharmacists: "药师", ambulances: "救护车", is_subcentre: "次中心",
  tcm_physicians: "中医类别医师", pediatric_beds: "儿科床位", pediatric_physicians: "儿科医师", child_health_doctors: "儿童保健医生",
  beds_infectious: "传染病床位", achieved: "达成值", met: "是否达成" };
const COVERED_ZH = { ambulance: "急救服务半径", ambulance_backup: "急救备份车辆", subcentre_radius: "次中心服务半径", access_limit: "就医时间上限",
  ambulance_response: "急救响应时间" };

async function api(method, url, body) {
  const options = { method, headers: {} };
  if (body !== undefined) { options.headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
  const response = await fetch(url, options);
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  return { ok: response.ok, status: response.status, data };
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function fmt(value, digits = 4) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number" && value === 0) return "0";
  if (typeof value === "number") return Number.isInteger(value) ? value.toLocaleString("zh-CN") : Number(value.toPrecision(digits)).toLocaleString("zh-CN");
  if (typeof value === "boolean") return value ? "是" : "否";
  return String(value);
}
const yi = (cny) => (typeof cny === "number" ? (cny / 1e8).toFixed(2) + " 亿元" : "—");

function citation(source, decision) {
  const box = el("div", {});
  if (source) {
    const parts = [];
    if (source.label) parts.push("出处 " + source.label + (source.quote ? "：“" + source.quote + "”" : ""));
    else if (source.basis) parts.push("依据：" + source.basis);
    const line = el("div", { class: "cite" }, parts.join(" "));
    if (source.estimated) line.prepend(el("span", { class: "est" }, "【估计值】"));
    if (source.label && source.basis) line.append(el("div", {}, "说明：" + source.basis));
    box.append(line);
  }
  if (decision) box.append(el("div", { class: "note" }, "决策说明：" + decision));
  return box;
}

// ------------------------------------------------------------------ scenarios and the form

async function loadScenarios(select) {
  const { data } = await api("GET", "/api/scenarios");
  const box = $("scenario-select");
  box.innerHTML = "";
  for (const [source, label] of [["bundled", "内置方案"], ["workspace", "工作区方案"]]) {
    const group = el("optgroup", { label });
    for (const s of data.filter((x) => x.source === source)) {
      group.append(el("option", { value: source + "/" + s.name }, (s.name_zh || s.name) + "（" + s.name + "）"));
    }
    box.append(group);
  }
  const wanted = select || (state.scenario ? state.scenario.source + "/" + state.scenario.name : "bundled/lu_county");
  if ([...box.options].some((o) => o.value === wanted)) box.value = wanted;
  await loadForm(box.value);
}

function inputFor(field) {
  const path = field.path;
  if (field.kind === "flag") {
    const box = el("input", { type: "checkbox", "data-path": path });
    box.checked = !!field.value;
    box.addEventListener("change", () => edited(path, box.checked));
    return box;
  }
  if (field.kind === "facilities") {
    const chosen = new Set(field.value || []);
    const list = el("div", { class: "subcentre-options", "data-path": path });
    for (const f of state.form.facilities) {
      const box = el("input", { type: "checkbox", value: f.id });
      box.checked = chosen.has(f.id);
      box.addEventListener("change", () => edited(path, [...list.querySelectorAll("input:checked")].map((b) => b.value)));
      list.append(el("label", {}, box, " " + f.name + "（" + (LEVEL_ZH[f.level] || f.level) + "）"));
    }
    return list;
  }
  const input = el("input", { type: "text", inputmode: "decimal", "data-path": path, value: field.value });
  input.addEventListener("input", () => edited(path, input.value));
  return input;
}

function renderField(field) {
  const box = el("div", { class: "field", "data-field": field.path });
  const input = inputFor(field);
  box.append(el("label", {}, field.label_zh), input, el("span", { class: "unit" }, field.unit_zh));
  if (field.path === "budget.budget_cny.value") {
    const shown = el("span", { class: "unit", id: "budget-yi" }, "（" + yi(field.value) + "）");
    input.addEventListener("input", () => { shown.textContent = "（" + yi(Number(input.value.replace(/[,，]/g, ""))) + "）"; });
    box.append(shown);
  }
  box.append(citation(field.source, field.decision), el("div", { class: "error" }));
  return box;
}

function renderTargets(targets) {
  const body = $("targets-table").querySelector("tbody");
  body.innerHTML = "";
  for (const t of targets) {
    const value = el("input", { type: "text", inputmode: "decimal", "data-path": t.path + ".value", value: t.value });
    value.addEventListener("input", () => edited(t.path + ".value", value.value));
    const hard = el("input", { type: "checkbox", "data-path": t.path + ".hard" });
    hard.checked = t.hard;
    hard.addEventListener("change", () => edited(t.path + ".hard", hard.checked));
    const row = el("tr", { "data-target": t.id, "data-field": t.path },
      el("td", {}, t.indicator_zh, el("div", { class: "note" }, t.id)),
      el("td", { class: "nowrap" }, t.bound + " ", value, el("div", { class: "error" })),
      el("td", {}, t.unit_zh, el("div", { class: "note" }, t.unit)), el("td", { class: "nowrap" }, fmt(t.baseline)),
      el("td", { class: "nowrap" }, t.binding ? "约束性" : "预期性"),
      el("td", {}, hard),
      el("td", {}, citation(t.source, t.decision)));
    body.append(row);
  }
}

async function loadForm(ref) {
  const [source, name] = ref.split("/");
  state.scenario = { source, name };
  state.changes = {};
  const { ok, data } = await api("GET", `/api/scenarios/${source}/${name}/form`);
  if (!ok) { showErrors(data.errors); return; }
  state.form = data;
  $("scenario-title").textContent = data.name_zh + "（目标年 " + data.target_year + "）";
  $("scenario-file").href = `/api/scenarios/${source}/${name}/toml`;
  for (const group of ["budget", "radius", "subcentres", "ambulances"]) {
    const box = $("group-" + group);
    box.innerHTML = "";
    for (const field of data.groups[group]) box.append(renderField(field));
    if (!data.groups[group].length) box.append(el("p", { class: "hint" }, "本方案未设置此项。"));
    box.append(el("div", { class: "error", "data-group": group }));
  }
  renderTargets(data.targets);
  $("save-name").value = suggestedName(name);
  showErrors([]);
  $("check-status").textContent = "";
}

function suggestedName(name) {
  const base = name.replace(/_v\d+$/, "");
  return base + "_v" + (Math.floor(Date.now() / 1000) % 100000);
}

function edited(path, value) {
  state.changes[path] = value;
  clearTimeout(state.checkTimer);
  $("check-status").className = "status";
  $("check-status").textContent = "正在校验…";
  state.checkTimer = setTimeout(check, 350);
}

function editBody() {
  return { source: state.scenario.source, name: state.scenario.name, changes: state.changes, note: $("save-note").value };
}

async function check() {
  const seq = ++state.checkSeq;
  const { ok, data } = await api("POST", "/api/check", editBody());
  if (seq !== state.checkSeq) return; // a newer edit is being checked
  showErrors(ok ? [] : data.errors);
  const status = $("check-status");
  status.className = "status " + (ok ? "ok" : "bad");
  status.textContent = ok ? `校验通过：${data.summary.targets} 项指标、${data.summary.townships} 个乡镇、${data.summary.facilities} 个机构；修改 ${data.changes.length} 处（尚未保存）`
    : `发现 ${data.errors.length} 个问题，请按提示修改`;
}

function showErrors(errors) {
  document.querySelectorAll(".invalid").forEach((n) => n.classList.remove("invalid"));
  document.querySelectorAll(".error").forEach((n) => { n.textContent = ""; });
  const general = $("general-errors");
  for (const e of errors || []) {
    let box = document.querySelector(`[data-field="${CSS.escape(e.field)}"]`);
    if (!box) {
      const owner = e.field.match(/^(targets\[[a-z0-9_]+\])/);
      if (owner) box = document.querySelector(`[data-field="${CSS.escape(owner[1])}"]`);
    }
    const input = document.querySelector(`[data-path="${CSS.escape(e.field)}"]`);
    if (input && !box) box = input.closest("[data-field]");
    let target = box ? box.querySelector(".error") : document.querySelector(`[data-group="${CSS.escape(e.field.split(".")[0])}"]`);
    if (box) box.classList.add("invalid");
    if (!target) target = general.appendChild(el("div", { class: "error" }));
    target.textContent = (target.textContent ? target.textContent + "；" : "") + (box ? "" : e.field + "：") + e.message;
  }
}

async function save() {
  const status = $("save-status");
  status.className = "status";
  status.textContent = "正在校验并保存…";
  const { ok, data } = await api("POST", "/api/scenarios", { ...editBody(), new_name: $("save-name").value.trim() });
  if (!ok) {
    showErrors(data.errors);
    status.className = "status bad";
    status.textContent = "未保存：" + data.errors.map((e) => e.message).join("；");
    return;
  }
  await loadScenarios("workspace/" + data.name);
  status.className = "status ok";
  status.textContent = `已保存为工作区方案 scenarios/${data.name}.toml（修改 ${data.changes.length} 处）`;
}

// ------------------------------------------------------------------ jobs

function renderJob(job, box) {
  box.innerHTML = "";
  const statusZh = { queued: "排队中", running: "运行中", done: "已完成", failed: "失败", cancelled: "已取消" }[job.status];
  const keys = job.phases.map((p) => p.key);
  const at = keys.indexOf(job.phase);
  const list = el("ol", { class: "phases" });
  job.phases.forEach((p, i) => {
    const cls = job.status === "done" || i < at ? "done" : i === at && job.status === "running" ? "current" : "";
    let label = p.label_zh;
    if (p.key === "solve" && job.levels) label += `（${job.levels[0]}/${job.levels[1]}）`;
    list.append(el("li", { class: cls, "data-phase": p.key }, label));
  });
  box.append(el("div", { class: "status", "data-status": job.status },
    `${statusZh} · ${job.output} · 用时 ${job.elapsed_s === null ? 0 : job.elapsed_s} 秒`), list);
  if (job.message) box.append(el("div", { class: job.status === "failed" ? "error" : "hint" }, job.message));
}

const following = {};  // box id → the job shown there; a newer job takes the box over

async function follow(job, box, onDone) {
  following[box.id] = job.id;
  renderJob(job, box);
  while (job.status === "queued" || job.status === "running") {
    await new Promise((r) => setTimeout(r, 500));
    if (following[box.id] !== job.id) return job;
    job = (await api("GET", `/api/jobs/${job.id}`)).data;
    if (following[box.id] !== job.id) return job;
    renderJob(job, box);
  }
  if (job.status === "done") await onDone(job);
  return job;
}

async function startRun() {
  const unsaved = Object.keys(state.changes).length;
  $("run-hint").textContent = unsaved ? `注意：方案设置中有 ${unsaved} 处修改尚未保存，本次运行使用已保存的方案文件。` : "运行所用的是已保存的方案文件。";
  const { ok, data } = await api("POST", "/api/runs", state.scenario);
  if (!ok) { $("job-status").textContent = data.errors.map((e) => e.message).join("；"); return; }
  $("run-result").hidden = true;
  $("cancel-button").disabled = false;
  $("cancel-button").onclick = () => api("POST", `/api/jobs/${data.id}/cancel`);
  const job = await follow(data, $("job-status"), async (done) => showRun(done.output));
  if (following["job-status"] === job.id) $("cancel-button").disabled = true;
  refreshRuns();
}

function table(node, columns, rows) {
  node.querySelector("thead").innerHTML = "";
  node.querySelector("thead").append(el("tr", {}, ...columns.map((c) => el("th", {}, COLUMN_ZH[c] || c))));
  const body = node.querySelector("tbody");
  body.innerHTML = "";
  for (const row of rows) body.append(el("tr", {}, ...columns.map((c) => el("td", {}, c === "level" ? LEVEL_ZH[row[c]] || row[c] : fmt(row[c])))));
}

async function showRun(name) {
  const { ok, data } = await api("GET", `/api/runs/${name}`);
  if (!ok) return;
  $("run-result").hidden = false;
  $("run-name").textContent = name;
  $("outcome-words").textContent = data.words_zh;
  const links = $("downloads");
  links.innerHTML = "下载：";
  for (const f of data.files) links.append(el("a", { href: `/api/runs/${name}/files/${f}`, download: f }, f));
  const body = $("result-targets").querySelector("tbody");
  body.innerHTML = "";
  for (const t of data.targets) {
    body.append(el("tr", { "data-target": t.id },
      el("td", {}, t.indicator), el("td", {}, `${t.bound} ${fmt(t.target)} ${t.unit}`), el("td", {}, fmt(t.achieved)),
      el("td", { class: t.met ? "met" : "missed" }, t.met ? "达成" : "未达成"),
      el("td", {}, t.met ? "" : `${fmt(t.gap)}（${fmt(t.gap_units)} ${t.gap_unit || ""}）`), el("td", {}, t.source || "")));
  }
  $("map-frame").src = data.map ? `/api/runs/${name}/files/map.html` : "about:blank";
  const columns = Object.keys(data.facilities[0] || {});
  table($("result-facilities"), columns, data.facilities);
  refreshRuns();
}

// ------------------------------------------------------------------ start

function tabs() {
  document.querySelectorAll("#tabs button").forEach((b) => b.addEventListener("click", () => {
    document.querySelectorAll("#tabs button").forEach((x) => x.classList.toggle("active", x === b));
    document.querySelectorAll(".tab").forEach((t) => t.classList.toggle("active", t.id === "tab-" + b.dataset.tab));
    if (b.dataset.tab === "compare") refreshRuns();
  }));
}

window.addEventListener("DOMContentLoaded", async () => {
  tabs();
  sliders();
  $("scenario-select").addEventListener("change", (e) => loadForm(e.target.value));
  $("save-button").addEventListener("click", save);
  $("run-button").addEventListener("click", startRun);
  $("whatif-run").addEventListener("click", startSweep);
  $("compare-button").addEventListener("click", compare);
  await loadScenarios();
  await refreshRuns();
});
