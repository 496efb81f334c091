// app.js: the dashboard page. It reads the JSON API under /api/ every two
// seconds and renders with DOM calls only (text, never markup, from data).
"use strict";

const $ = (sel) => document.querySelector(sel);
const state = { actions: false, taskId: null, taskState: null };

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function status(text, bad) {
  const s = $("#status");
  s.textContent = text || "";
  s.className = bad ? "error" : "";
}

class ApiError extends Error {
  constructor(code, msg) { super(msg); this.code = code; }
}

async function api(path, body) {
  const headers = {};
  const token = sessionStorage.getItem("orca-token");
  if (token) headers["Authorization"] = "Bearer " + token;
  const init = { headers, cache: "no-store" };
  if (body !== undefined) {
    init.method = "POST";
    headers["Content-Type"] = "application/json";
    headers["X-Orca-Request"] = "1";
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (!r.ok) throw new ApiError(r.status, (data && data.error) || r.statusText);
  return data;
}

function when(t) {
  return t ? t.replace("T", " ").replace(/\.\d+Z$/, "Z") : "";
}

function idLink(id) {
  const a = el("a", id, "id");
  a.href = "#task=" + encodeURIComponent(id);
  a.addEventListener("click", (ev) => { ev.preventDefault(); openTask(id); });
  return a;
}

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

// A small chart: one polyline per series ([values], css class), each
// scaled to its own maximum.
function spark(series) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("viewBox", "0 0 160 28");
  for (const [points, cls] of series) {
    const max = Math.max(1, ...points);
    const n = points.length;
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("class", cls);
    line.setAttribute("points", points.map((v, i) =>
      `${n > 1 ? (i * 158) / (n - 1) + 1 : 80},${27 - (v * 25) / max}`).join(" "));
    svg.appendChild(line);
  }
  return svg;
}

// Tasks ended per second between samples (succeeded + failed counters).
function rates(history, queue) {
  const out = [];
  for (let i = 1; i < history.length; i++) {
    const a = history[i - 1].q[queue], b = history[i].q[queue];
    const dt = history[i].t - history[i - 1].t;
    out.push(a && b && dt > 0 ? Math.max(0, (b[4] + b[5] - a[4] - a[5]) / dt) : 0);
  }
  return out;
}

async function loadQueues() {
  const d = await api("/api/queues");
  const rows = d.queues.map((q) => {
    const tr = el("tr");
    tr.dataset.queue = q.queue;
    tr.appendChild(el("td", q.queue, "name"));
    for (const k of ["pending", "running", "scheduled", "dead", "succeeded", "failed"])
      tr.appendChild(el("td", q[k], "num " + k));
    tr.appendChild(el("td", q.done_per_sec.toFixed(2), "num rate"));
    const td = el("td", null, "chart");
    td.appendChild(spark([[d.history.map((h) => (h.q[q.queue] || [0])[0]), "depth"],
                          [rates(d.history, q.queue), "rate"]]));
    td.title = "pending (blue) and tasks ended per second (green)";
    tr.appendChild(td);
    return tr;
  });
  fill($("#queues tbody"), rows);
}

async function loadTasks() {
  const st = $("#state").value;
  const q = $("#queue-filter").value.trim();
  const d = await api(`/api/tasks?state=${encodeURIComponent(st)}&limit=100` +
                      (q ? `&queue=${encodeURIComponent(q)}` : ""));
  fill($("#tasks tbody"), d.tasks.map((t) => {
    const tr = el("tr");
    tr.dataset.id = t.id;
    const id = el("td");
    id.appendChild(idLink(t.id));
    tr.append(id, el("td", t.task), el("td", t.queue), el("td", t.state),
              el("td", t.attempt, "num"), el("td", when(t.due)), el("td", t.error, "err"));
    return tr;
  }));
}

async function dlqAction(verb, body) {
  try {
    const r = await api(`/api/dlq/${verb}`, body);
    status(`${verb === "requeue" ? "retried" : "deleted"} ${r.count}` +
           (r.missing.length ? `, ${r.missing.length} no longer dead` : ""));
  } catch (e) {
    status(e.message, true);
  }
  refresh();
}

async function loadDlq() {
  const d = await api("/api/dlq?limit=200");
  fill($("#dlq tbody"), d.tasks.map((t) => {
    const tr = el("tr");
    tr.dataset.id = t.id;
    const box = el("input");
    box.type = "checkbox";
    box.className = "pick";
    box.value = t.id;
    const c0 = el("td");
    c0.appendChild(box);
    const id = el("td");
    id.appendChild(idLink(t.id));
    const acts = el("td", null, "actions");
    const retry = el("button", "Retry", "retry");
    retry.addEventListener("click", () => dlqAction("requeue", { ids: [t.id] }));
    const del = el("button", "Delete", "delete");
    del.addEventListener("click", () => dlqAction("purge", { ids: [t.id] }));
    acts.append(retry, del);
    tr.append(c0, id, el("td", t.task), el("td", t.queue), el("td", t.attempt, "num"),
              el("td", when(t.finished)), el("td", t.error, "err"), acts);
    return tr;
  }));
}

async function loadSchedules() {
  const d = await api("/api/schedules");
  fill($("#schedules tbody"), d.schedules.map((s) => {
    const tr = el("tr");
    tr.dataset.name = s.name;
    const acts = el("td", null, "actions");
    const b = el("button", s.paused ? "Resume" : "Pause", s.paused ? "resume" : "pause");
    b.addEventListener("click", async () => {
      try {
        await api(`/api/schedules/${encodeURIComponent(s.name)}/${s.paused ? "resume" : "pause"}`, {});
        status(`${s.name} ${s.paused ? "resumed" : "paused"}`);
      } catch (e) { status(e.message, true); }
      refresh();
    });
    acts.appendChild(b);
    tr.append(el("td", s.name), el("td", s.task), el("td", s.queue), el("td", s.spec),
              el("td", s.paused ? "" : when(s.next_fire)),
              el("td", s.paused ? "paused" : "active", "state"), acts);
    return tr;
  }));
}

async function loadWorkers() {
  const d = await api("/api/workers");
  fill($("#workers tbody"), d.workers.map((w) => {
    const tr = el("tr");
    tr.append(el("td", w.worker), el("td", w.running, "num"));
    return tr;
  }));
}

function json(v) {
  return v === null || v === undefined ? "" : JSON.stringify(v, null, 2);
}

async function openTask(id) {
  let t;
  try {
    t = await api(`/api/tasks/${encodeURIComponent(id)}`);
  } catch (e) {
    status(e.message, true);
    return;
  }
  state.taskId = id;
  state.taskState = t.state;
  $("#task-title").textContent = `${t.task} ${t.id}`;
  const dl = $("#task-fields");
  dl.replaceChildren();
  for (const [k, v] of [["state", t.state], ["queue", t.queue], ["attempt", t.attempt],
                        ["deliveries", t.deliveries], ["priority", t.priority],
                        ["worker", t.worker], ["due", when(t.due)], ["expires", when(t.expires)]]) {
    dl.append(el("dt", k), el("dd", v, k === "state" ? "state" : undefined));
  }
  $("#task-error").textContent = t.error || "";
  $("#task-args").textContent = json(t.args);
  $("#task-result").textContent = json(t.result);
  fill($("#task-timeline"), t.timeline.map((e) => el("li", `${when(e.at)}  ${e.event}`)));
  $("#task-retry").hidden = t.state !== "dead";
  $("#task-delete").hidden = t.state !== "dead";
  $("#task-cancel").hidden = !["pending", "scheduled", "running", "failed"].includes(t.state);
  $("#task-detail").hidden = false;
}

async function refresh() {
  try {
    await Promise.all([loadQueues(), loadTasks(), loadDlq(), loadSchedules(), loadWorkers()]);
    if (state.taskId && !$("#task-detail").hidden) await openTask(state.taskId);
    if ($("#status").className === "error") status("");
  } catch (e) {
    if (e.code === 401) return showLogin();
    status(e.message, true);
  }
}

function picked() {
  return [...document.querySelectorAll("#dlq .pick:checked")].map((b) => b.value);
}

function showLogin() {
  $("#app").hidden = true;
  $("#login").hidden = false;
}

async function start() {
  let info;
  try {
    info = await api("/api/info");
  } catch (e) {
    if (e.code === 401) return showLogin();
    status(e.message, true);
    setTimeout(start, 2000);
    return;
  }
  state.actions = info.actions;
  document.body.classList.toggle("read-only", !info.actions);
  $("#mode").textContent = info.actions ? "actions allowed" : "read-only";
  $("#login").hidden = true;
  $("#app").hidden = false;
  await refresh();
  if (location.hash.startsWith("#task=")) openTask(decodeURIComponent(location.hash.slice(6)));
  setInterval(refresh, 2000);
}

document.addEventListener("DOMContentLoaded", () => {
  $("#login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem("orca-token", $("#token").value);
    $("#token").value = "";
    start();
  });
  $("#search").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const id = $("#search-id").value.trim();
    if (id) openTask(id);
  });
  $("#state").addEventListener("change", refresh);
  $("#queue-filter").addEventListener("change", refresh);
  $("#task-close").addEventListener("click", () => { $("#task-detail").hidden = true; });
  $("#dlq-all").addEventListener("change", (ev) => {
    for (const b of document.querySelectorAll("#dlq .pick")) b.checked = ev.target.checked;
  });
  $("#dlq-retry-selected").addEventListener("click", () => {
    const ids = picked();
    if (ids.length) dlqAction("requeue", { ids });
  });
  $("#dlq-delete-selected").addEventListener("click", () => {
    const ids = picked();
    if (ids.length && confirm(`Delete ${ids.length} dead task(s) for good?`))
      dlqAction("purge", { ids });
  });
  $("#dlq-retry-all").addEventListener("click", () => dlqAction("requeue", { all: true }));
  $("#dlq-delete-all").addEventListener("click", () => {
    if (confirm("Delete every dead task for good?")) dlqAction("purge", { all: true });
  });
  $("#task-retry").addEventListener("click", () => dlqAction("requeue", { ids: [state.taskId] }));
  $("#task-delete").addEventListener("click", () => dlqAction("purge", { ids: [state.taskId] }));
  $("#task-cancel").addEventListener("click", async () => {
    try {
      await api(`/api/tasks/${encodeURIComponent(state.taskId)}/cancel`, {});
      status(`cancelled ${state.taskId}`);
    } catch (e) { status(e.message, true); }
    refresh();
  });
  start();
});
