// The chatops web chat: plain JavaScript over the /api/v1 API, nothing fetched from elsewhere.
// The thread view is read from GET /threads/{id}; the event stream (SSE, read with fetch so the
// token travels in a header) updates steps live and triggers a re-read for everything else.
"use strict";

const TOKEN_KEY = "chatops-token";
const $ = (id) => document.getElementById(id);

const state = {
  token: sessionStorage.getItem(TOKEN_KEY) || "",
  threadId: null,
  view: null,
  notices: [],
  files: [],
  stream: null,
  lastEventId: "0",
  refreshTimer: null,
  recorder: null,
  focusPlan: null,
};
let WELCOME = null;  // the first-visit hints, kept to show again on a new thread

// --- the API ---------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  let payload = body;
  if (body && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }  // a proxy's HTML error page
  if (response.status === 401) showTokenPanel(state.token ? "That token was not accepted." : "");
  if (!response.ok) throw new ApiError(response.status, (data && data.error && data.error.message) || response.statusText);
  return data;
}

// --- rendering -------------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return date.toLocaleString([], { hour: "2-digit", minute: "2-digit", month: "short", day: "numeric" });
}

function argsText(args) {
  return Object.entries(args || {}).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ");
}

function stepOutcome(step) {
  if (step.error) return el("pre", { class: "result error" }, step.error);
  if (step.summary) return el("pre", { class: "result" }, step.summary);
  if (step.result !== null && step.result !== undefined) {
    const text = typeof step.result === "string" ? step.result : JSON.stringify(step.result, null, 2);
    return el("pre", { class: "result" }, text.length > 4000 ? text.slice(0, 4000) + "\n…" : text);
  }
  return null;
}

function planCard(plan) {
  const gated = plan.steps.some((s) => s.risk !== "read" || s.tainted);  // tainted: values from an attachment
  const open = plan.status === "proposed";
  const card = el("article", { class: "plan", "data-plan-id": plan.id, "aria-label": `Plan: ${plan.goal}`, tabindex: "-1" },
    el("header", {},
      el("h3", {}, plan.goal),
      el("span", { class: `state ${plan.status}` }, plan.status)),
    el("ol", {}, plan.steps.map((step) =>
      el("li", { "data-step-id": step.id },
        el("code", {}, step.tool), " ", el("code", { class: "args" }, argsText(step.args)), " ",
        el("span", { class: `badge ${step.risk}`, title: `risk: ${step.risk}` }, step.risk), " ",
        el("span", { class: `state ${step.status}` }, step.status),
        step.reason ? el("div", { class: "reason" }, step.reason) : null,
        stepOutcome(step)))));
  if (open && gated) {
    card.append(el("p", { class: "decided" }, `Needs approval${plan.expires_at ? `, expires ${when(plan.expires_at)}` : ""}.`));
    card.append(el("div", { class: "actions" },
      el("button", { type: "button", class: "approve", "aria-label": `Approve: ${plan.goal}`, onclick: () => decide(plan.id, "approve") }, "Approve"),
      el("button", { type: "button", class: "deny", "aria-label": `Deny: ${plan.goal}`, onclick: () => decide(plan.id, "deny") }, "Deny")));
  } else if (plan.decided_by) {
    const verb = plan.status === "denied" ? "Denied" : "Approved";
    card.append(el("p", { class: "decided" }, `${verb} by ${plan.decided_by} at ${when(plan.decided_at)}.`));
  }
  return card;
}

function messageItem(message) {
  const perceived = message.perceived_text && message.perceived_text !== message.text ? message.perceived_text : "";
  const names = (message.attachments || []).map((a) => a.name).join(", ");
  return el("div", { class: `msg ${message.role}`, "data-message-id": message.id },
    message.role === "user" ? el("span", { class: "visually-hidden" }, "You: ") : el("span", { class: "visually-hidden" }, "Bot: "),
    message.text || (names ? `(${names})` : ""),
    perceived ? el("div", { class: "perceived", "aria-label": "What the bot read" }, perceived.replace(message.text, "").trim()) : null);
}

function render() {
  const log = $("log");
  const active = document.activeElement;
  const activeCard = active && log.contains(active) ? active.closest("[data-plan-id]") : null;
  const focusPlan = state.focusPlan || (activeCard && activeCard.dataset.planId);
  state.focusPlan = null;
  log.replaceChildren();
  const view = state.view;
  if (!view) {
    if (WELCOME) log.append(WELCOME.cloneNode(true));
    return;
  }
  const items = [
    ...view.messages.map((m) => ({ at: m.created_at, node: () => messageItem(m) })),
    ...view.plans.map((p) => ({ at: p.created_at, node: () => planCard(p) })),
    ...state.notices.filter((n) => n.thread === view.id).map((n) => ({ at: n.at, node: () => el("p", { class: `notice ${n.level}` }, n.text) })),
  ];
  items.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  for (const item of items) log.append(item.node());
  log.scrollTop = log.scrollHeight;
  if (focusPlan) {  // keep keyboard users where they were (after Approve / Deny, and across re-renders)
    const card = log.querySelector(`[data-plan-id="${CSS.escape(focusPlan)}"]`);
    if (card) card.focus();
  }
}

function renderThreads(threads) {
  const list = $("thread-list");
  list.replaceChildren(...threads.map((t) =>
    el("li", {}, el("button", { type: "button", "aria-current": t.id === state.threadId ? "true" : false, onclick: () => openThread(t.id) },
      t.title || "(untitled)", el("span", { class: "when" }, when(t.updated_at))))));
  $("no-threads").hidden = threads.length > 0;
}

function announce(text) {
  $("announce").textContent = text;
}

function setStatus(text, isError = false) {
  const status = $("status");
  status.textContent = text;
  status.classList.toggle("error", isError);
}

// --- threads and the event stream ------------------------------------------------------------

async function loadThreads() {
  try {
    const page = await api("GET", "/api/v1/threads?limit=50");
    renderThreads(page.threads);
  } catch (error) {
    if (error.status !== 401) setStatus(`Could not load threads: ${error.message}`, true);
  }
}

async function openThread(id) {
  state.threadId = id;
  history.replaceState(null, "", `#thread=${encodeURIComponent(id)}`);
  try {
    showView(await api("GET", `/api/v1/threads/${encodeURIComponent(id)}`));
  } catch (error) {
    setStatus(`Could not open the thread: ${error.message}`, true);
  }
  loadThreads();
}

function showView(view) {
  const changedThread = !state.view || state.view.id !== view.id;
  state.view = view;
  state.threadId = view.id;
  render();
  if (changedThread || !state.stream) follow(view.id, view.last_event_id);
}

function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(async () => {
    if (!state.threadId) return;
    try {
      const view = await api("GET", `/api/v1/threads/${encodeURIComponent(state.threadId)}`);
      if (view.id === state.threadId) { state.view = view; render(); }
    } catch (error) { setStatus(`Could not refresh: ${error.message}`, true); }
  }, 120);
}

function onEvent(event) {
  if (!state.view || event.thread !== state.view.id) return;
  if (event.type === "step") {
    const plan = state.view.plans.find((p) => p.id === event.plan_id);
    const step = plan && plan.steps.find((s) => s.id === event.id);
    if (step) {
      Object.assign(step, { status: event.status, result: event.result, summary: event.summary, error: event.error });
      render();
    }
    if (event.status !== "running") scheduleRefresh();
    setStatus(event.status === "running" ? `Running ${event.tool}…` : "");
  } else if (event.type === "notice") {
    // notices carry no time: show each after whatever was last on screen when it arrived
    const times = [...state.view.messages, ...state.view.plans].map((item) => item.created_at).sort();
    const after = times.length ? times[times.length - 1] : "";
    state.notices.push({ thread: event.thread, at: `${after}~${String(state.notices.length).padStart(6, "0")}`, level: event.level, text: event.text });
    render();
  } else {
    if (event.type === "answer") { setStatus(""); announce(`The bot answered: ${event.text.slice(0, 300)}`); }
    if (event.type === "plan" && event.status === "proposed") announce(`A plan needs approval: ${event.goal}`);
    scheduleRefresh();
  }
}

async function follow(threadId, lastEventId) {
  if (state.stream) state.stream.abort();
  const controller = new AbortController();
  state.stream = controller;
  state.lastEventId = lastEventId || "0";
  while (!controller.signal.aborted) {
    try {
      const headers = { Accept: "text/event-stream", "Last-Event-ID": state.lastEventId };
      if (state.token) headers.Authorization = `Bearer ${state.token}`;
      const response = await fetch(`/api/v1/threads/${encodeURIComponent(threadId)}/events`, { headers, signal: controller.signal });
      if (response.status >= 400 && response.status < 500) {  // not ours, gone, or signed out: retrying will not help
        if (response.status === 401) showTokenPanel("");
        return;
      }
      if (!response.ok) throw new ApiError(response.status, response.statusText);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let id = null; const data = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("id:")) id = line.slice(3).trim();
            else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
          }
          if (id) state.lastEventId = id;
          if (data.length) onEvent(JSON.parse(data.join("\n")));
        }
      }
    } catch (error) {
      if (controller.signal.aborted) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));  // reconnect, resuming after the last id
  }
}

// --- sending, deciding, attaching, recording ---------------------------------------------------

async function send(event) {
  event.preventDefault();
  const text = $("message").value.trim();
  if (!text && state.files.length === 0) return;
  let body = { text };
  if (state.files.length) {
    body = new FormData();
    body.append("text", text);
    for (const file of state.files) body.append("files", file, file.name);
  }
  const path = state.threadId ? `/api/v1/threads/${encodeURIComponent(state.threadId)}/messages` : "/api/v1/threads";
  $("send").disabled = true;
  setStatus(state.files.length ? "Reading the attachments and planning…" : "Planning…");
  try {
    const view = await api("POST", path, body);
    $("message").value = "";
    state.files = [];
    renderFiles();
    setStatus("");
    history.replaceState(null, "", `#thread=${encodeURIComponent(view.id)}`);
    showView(view);
    loadThreads();
  } catch (error) {
    setStatus(`Not sent: ${error.message}`, true);
  } finally {
    $("send").disabled = false;
    $("message").focus();
  }
}

async function decide(planId, decision) {
  for (const button of document.querySelectorAll(`[data-plan-id="${planId}"] .actions button`)) button.disabled = true;
  setStatus(decision === "approve" ? "Approving…" : "Denying…");
  try {
    await api("POST", `/api/v1/plans/${encodeURIComponent(planId)}/decision`, { decision });
    setStatus(decision === "approve" ? "Approved." : "Denied.");
    state.focusPlan = planId;
  } catch (error) {
    setStatus(error.message, true);
    state.focusPlan = planId;
  }
  scheduleRefresh();
}

function renderFiles() {
  $("attachments").replaceChildren(...state.files.map((file, index) =>
    el("span", { class: "chip" }, file.name,
      el("button", { type: "button", class: "secondary", "aria-label": `Remove ${file.name}`, onclick: () => { state.files.splice(index, 1); renderFiles(); } }, "×"))));
}

async function toggleRecording() {
  const button = $("record");
  if (state.recorder) { state.recorder.stop(); return; }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const recorder = new MediaRecorder(stream);
    const chunks = [];
    recorder.ondataavailable = (e) => chunks.push(e.data);
    recorder.onstop = () => {
      stream.getTracks().forEach((t) => t.stop());
      const type = recorder.mimeType || "audio/webm";
      const extension = type.includes("ogg") ? "ogg" : type.includes("mp4") ? "m4a" : "webm";
      state.files.push(new File(chunks, `voice-note.${extension}`, { type }));
      state.recorder = null;
      button.setAttribute("aria-pressed", "false");
      button.textContent = "Record";
      renderFiles();
    };
    recorder.start();
    state.recorder = recorder;
    button.setAttribute("aria-pressed", "true");
    button.textContent = "Stop recording";
  } catch (error) {
    setStatus(`Cannot record here: ${error.message}`, true);
  }
}

// --- the token -------------------------------------------------------------------------------

function showTokenPanel(problem) {
  $("token-panel").hidden = false;
  $("token-error").hidden = !problem;
  $("token-error").textContent = problem || "";
  $("token-input").focus();
}

function useToken(event) {
  event.preventDefault();
  state.token = $("token-input").value.trim();
  sessionStorage.setItem(TOKEN_KEY, state.token);
  $("token-panel").hidden = true;
  start();
}

// --- start -----------------------------------------------------------------------------------

function newThread() {
  if (state.stream) state.stream.abort();
  state.stream = null;
  state.threadId = null;
  state.view = null;
  history.replaceState(null, "", "#");
  render();
  loadThreads();
  $("message").focus();
}

async function start() {
  await loadThreads();
  const match = location.hash.match(/thread=([^&]+)/);
  if (match) openThread(decodeURIComponent(match[1]));
}

document.addEventListener("DOMContentLoaded", () => {
  WELCOME = $("welcome").cloneNode(true);
  $("composer").addEventListener("submit", send);
  $("message").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("composer").requestSubmit(); }
  });
  $("attach").addEventListener("click", () => $("file-input").click());
  $("file-input").addEventListener("change", (e) => {
    state.files.push(...e.target.files);
    e.target.value = "";
    renderFiles();
  });
  if (window.MediaRecorder && navigator.mediaDevices) {
    $("record").hidden = false;
    $("record").addEventListener("click", toggleRecording);
  }
  $("new-thread").addEventListener("click", newThread);
  $("token-form").addEventListener("submit", useToken);
  start();
});
