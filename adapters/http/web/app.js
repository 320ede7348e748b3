// The chatops web chat: plain JavaScript over the /api/v1 API, nothing fetched from elsewhere.
// The thread view is read from GET /threads/{id} (messages, plans, stored notices); the event stream
// (SSE, read with fetch so the token travels in a header) updates steps live and triggers a re-read
// for everything else. Text from tools and from the bot is data: it only ever becomes DOM text
// nodes (never innerHTML), so a `<script>` in a tool's output is shown, not run.
"use strict";

const TOKEN_KEY = "chatops-token";
const MAX_TEXT = 20000;  // the API's limit on a message (MessageRequest.text)
const $ = (id) => document.getElementById(id);

// The same badges as the terminal, Slack and Discord (adapters/messages.py BADGES; a test keeps them equal).
const BADGES = {"ok": ["✓", "ok"], "problem": ["⚠", "problem"], "failed": ["✗", "failed"], "skipped": ["–", "skipped"], "interrupted": ["!", "interrupted"], "running": ["…", "running"], "waiting": ["○", "waiting for approval"], "queued": ["◦", "queued"], "denied": ["⊘", "denied"], "expired": ["◔", "expired"]};
const BADGE_OF_STATUS = { failed: "failed", skipped: "skipped", interrupted: "interrupted", running: "running",
  proposed: "waiting", approved: "queued", denied: "denied", expired: "expired" };

const state = {
  token: sessionStorage.getItem(TOKEN_KEY) || "",
  me: null,
  threadId: null,
  view: null,
  files: [],
  stream: null,
  lastEventId: "0",
  refreshTimer: null,
  recorder: null,
  focusPlan: null,
  openOutputs: new Set(),
  heard: new Map(),  // message id → {attachment index: "(as heard: …)"}, from the notices that said so
  older: null,  // pages before the newest one, fetched with "Show older messages"
  seen: 0,
  media: new Map(),
  unticked: new Map(),  // plan id → the waiting steps unticked in its "Steps to approve" (kept across re-renders)
};
let WELCOME = null;  // the first-visit hints, kept to show again on a new thread

// --- the API ---------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

const OFFLINE = "the bot is not reachable (is it running? check the network)";

async function api(method, path, body, extraHeaders = {}) {
  const headers = { Accept: "application/json", ...extraHeaders };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  let payload = body;
  if (body && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload });
  } catch {
    throw new ApiError(0, OFFLINE);  // fetch's own "Failed to fetch" says nothing to a person
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }  // a proxy's HTML error page
  if (response.status === 401) showTokenPanel(state.token ? "That token was not accepted." : "");
  if (!response.ok) {
    const message = (data && data.error && data.error.message) || response.statusText || `error ${response.status}`;
    throw new ApiError(response.status, response.status >= 502 && response.status <= 504 ? OFFLINE : message);
  }
  return data;
}

function authHeaders() {
  return state.token ? { Authorization: `Bearer ${state.token}` } : {};
}

// --- rendering helpers -------------------------------------------------------------------------

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
  const today = new Date().toDateString() === date.toDateString();
  return date.toLocaleString([], today ? { hour: "2-digit", minute: "2-digit" }
    : { hour: "2-digit", minute: "2-digit", month: "short", day: "numeric" });
}

function timeTag(iso) {
  return iso ? el("time", { datetime: iso, title: new Date(iso).toLocaleString() }, when(iso)) : null;
}

function argsText(args) {
  return Object.entries(args || {}).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ");
}

function person(key) {  // "http:alice" -> "alice"; "operator" (the token-less local operator) as it is
  if (!key) return "";
  return key.startsWith("http:") ? key.slice(5) : key;
}

// Markdown, safely: a small subset (paragraphs, lists, fenced code, `code`, **bold**, _em_, links)
// built as DOM nodes from text. Nothing is parsed as HTML.
const INLINE = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\[[^\]\n]+\]\((https?:\/\/[^)\s]+)\))|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])|(\b_[^_\n]+_\b)/;

function inline(text) {
  const nodes = [];
  let rest = text;
  while (rest) {
    const match = INLINE.exec(rest);
    if (!match) { nodes.push(rest); break; }
    if (match.index) nodes.push(rest.slice(0, match.index));
    const [token] = match;
    if (match[1]) nodes.push(el("code", {}, token.slice(1, -1)));
    else if (match[2]) nodes.push(el("strong", {}, token.slice(2, -2)));
    else if (match[3]) nodes.push(el("a", { href: match[4], rel: "noopener noreferrer", target: "_blank" }, token.slice(1, token.indexOf("]"))));
    else if (match[5]) nodes.push(el("a", { href: token, rel: "noopener noreferrer", target: "_blank" }, token));
    else nodes.push(el("em", {}, token.slice(1, -1)));
    rest = rest.slice(match.index + token.length);
  }
  return nodes;
}

const LIST_ITEM = /^\s*(?:([-*•])|(\d+)[.)])\s+(.*)$/;

function markdown(text) {
  const root = document.createDocumentFragment();
  const lines = String(text || "").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^\s*```/.test(line)) {
      const body = [];
      for (i += 1; i < lines.length && !/^\s*```/.test(lines[i]); i += 1) body.push(lines[i]);
      i += 1;
      root.append(el("pre", {}, el("code", {}, body.join("\n"))));
    } else if (LIST_ITEM.test(line)) {
      const ordered = Boolean(LIST_ITEM.exec(line)[2]);
      const list = el(ordered ? "ol" : "ul");
      for (; i < lines.length && LIST_ITEM.test(lines[i]) && Boolean(LIST_ITEM.exec(lines[i])[2]) === ordered; i += 1) {
        list.append(el("li", {}, inline(LIST_ITEM.exec(lines[i])[3])));
      }
      root.append(list);
    } else if (!line.trim()) {
      i += 1;
    } else {
      const paragraph = el("p");
      for (let first = true; i < lines.length && lines[i].trim() && !LIST_ITEM.test(lines[i]) && !/^\s*```/.test(lines[i]); i += 1, first = false) {
        if (!first) paragraph.append(el("br"));
        paragraph.append(...inline(lines[i]));
      }
      root.append(paragraph);
    }
  }
  return root;
}

// --- steps, plans, messages ---------------------------------------------------------------------

function badgeKey(step) {
  if (step.status === "succeeded") return step.outcome === "problem" ? "problem" : "ok";
  return BADGE_OF_STATUS[step.status] || "queued";
}

function outcomeBadge(step) {
  const key = badgeKey(step);
  const [mark, label] = BADGES[key];
  return el("span", { class: `outcome ${key}`, "data-outcome": key }, `${mark} ${label}`);
}

function copyButton(text) {
  return el("button", { type: "button", class: "secondary copy", onclick: async (event) => {
    const button = event.currentTarget;
    try { await navigator.clipboard.writeText(text); button.textContent = "Copied"; }
    catch { button.textContent = "Select the text to copy"; }
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  } }, "Copy");
}

function stepLine(step) {  // one line on the card; the whole output is one click away
  return (step.error || step.summary || "").split("\n")[0];
}

function stepOutput(step) {
  const output = step.output || "";
  if (!output.trim() || output.trim() === stepLine(step).trim()) return null;
  const lines = output.split("\n").length;
  const details = el("details", { class: "output", "data-output-of": step.id, open: state.openOutputs.has(step.id),
    ontoggle: (event) => { event.currentTarget.open ? state.openOutputs.add(step.id) : state.openOutputs.delete(step.id); } },
  el("summary", {}, `Output (${lines} line${lines === 1 ? "" : "s"})`),
  el("pre", { tabindex: "0", "aria-label": `Output of ${step.tool}` }, output),
  copyButton(output));
  return details;
}

function stepItem(step) {
  const key = badgeKey(step);
  const line = stepLine(step);
  return el("li", { "data-step-id": step.id },
    el("div", { class: "step-head" },
      outcomeBadge(step),
      el("code", {}, step.tool), el("code", { class: "args" }, argsText(step.args)),
      el("span", { class: `badge ${step.risk}`, title: `risk: ${step.risk}` }, step.risk),
      step.duration_ms !== null && step.duration_ms !== undefined ? el("span", { class: "muted" }, `${Math.round(step.duration_ms)} ms`) : null),
    step.reason ? el("div", { class: "reason" }, step.reason) : null,
    line ? el("p", { class: `summary ${key}` }, line) : null,
    stepFiles(step),
    stepOutput(step));
}

function stepFiles(step) {  // files the step made (a prometheus_query chart): shown like an attached image
  const media = (step.files || []).map((file) => mediaFor(null, file)).filter(Boolean);
  return media.length ? el("div", { class: "media step-files" }, media) : null;
}

function planState(plan) {  // a plan whose steps found a problem is never a green "succeeded"
  const problem = plan.status === "succeeded" && plan.steps.some((s) => s.outcome === "problem");
  const key = problem ? "problem" : plan.status;
  return el("span", { class: `state ${key}`, "data-state": key }, problem ? "found a problem" : plan.status);
}

function mayApproveDanger(plan) {
  return plan.steps.some((s) => s.risk === "danger");
}

function planCard(plan, progress = []) {
  const gated = plan.steps.some((s) => s.risk !== "read" || s.tainted);  // tainted: values from an attachment
  const open = plan.status === "proposed";
  const people = [`Requested by ${plan.requester || "someone"}`, plan.created_at ? ` at ${when(plan.created_at)}` : ""];
  if (plan.decided_by) {
    const verb = plan.status === "denied" ? "Denied" : "Approved";
    // a per-step approval: the steps left out were skipped by the same decision
    const skipped = plan.status === "denied" ? [] : plan.steps.filter((s) => s.status === "skipped" && s.decided_by);
    const approved = plan.steps.map((s, i) => [s, i + 1]).filter(([s]) => s.decided_by && s.status !== "skipped");
    const only = skipped.length && approved.length
      ? ` only step${approved.length === 1 ? "" : "s"} ${numbersText(approved.map(([, n]) => n))} (the others skipped)` : "";
    people.push(` · ${verb}${only} by ${plan.decided_by}${plan.decided_at ? ` at ${when(plan.decided_at)}` : ""}`);
  }
  const card = el("article", { class: "plan", "data-plan-id": plan.id, "aria-label": `Plan: ${plan.goal}`, tabindex: "-1" },
    el("header", {},
      el("h2", {}, plan.goal),
      planState(plan)),
    el("p", { class: "people" }, people.join("")),
    el("ol", {}, plan.steps.map(stepItem)),
    progress.length ? el("ul", { class: "progress", "aria-label": "Progress" }, progress.map((n) =>
      el("li", { class: n.level }, el("span", { class: "time" }, when(n.created_at)), n.text))) : null);
  if (open && gated) {
    // who may approve, in the policy's own words (the server knows the roles in force)
    const who = (plan.who_may_approve || "Needs approval.").replace(/\.$/, "");
    card.append(el("p", { class: "decided" }, `${who}${plan.expires_at ? `; expires ${when(plan.expires_at)}` : ""}.`));
    const waiting = plan.steps.filter((s) => s.status === "proposed");
    if (waiting.length >= 2) card.append(stepChoice(plan, waiting));
    const chosen = chosenSteps(plan);
    card.append(el("div", { class: "actions" },
      el("button", { type: "button", class: mayApproveDanger(plan) ? "approve danger" : "approve", "aria-label": `Approve: ${plan.goal}`,
        disabled: chosen !== null && chosen.length === 0, onclick: () => approve(plan) },
      chosen === null ? "Approve" : `Approve ${chosen.length} of ${waiting.length} steps`),
      el("button", { type: "button", class: "deny", "aria-label": `Deny: ${plan.goal}`, onclick: () => decide(plan.id, "deny") }, "Deny")));
  } else if (plan.status === "expired") {
    card.append(el("p", { class: "decided" }, "Expired without a decision: nothing that needed approval was run."));
  }
  return card;
}

function numbersText(numbers) {  // [1, 3, 4] -> "1, 3 and 4"
  return numbers.length < 2 ? numbers.join("") : `${numbers.slice(0, -1).join(", ")} and ${numbers[numbers.length - 1]}`;
}

// Several steps wait: a checkbox each, all ticked; Approve then runs only the ticked ones and the
// rest are skipped (as Slack's and Discord's cards do). The ticks live in `state.unticked`, since
// every event re-renders the card.
function stepChoice(plan, waiting) {
  const unticked = state.unticked.get(plan.id) || new Set();
  return el("fieldset", { class: "step-choice" },
    el("legend", {}, "Steps to approve"),
    waiting.map((step) => el("label", {},
      el("input", { type: "checkbox", checked: !unticked.has(step.id), "data-step-id": step.id,
        onchange: (event) => {
          const set = state.unticked.get(plan.id) || new Set();
          if (event.currentTarget.checked) set.delete(step.id); else set.add(step.id);
          state.unticked.set(plan.id, set);
          state.focusPlan = null;
          render();
          const again = document.querySelector(`[data-plan-id="${CSS.escape(plan.id)}"] input[data-step-id="${CSS.escape(step.id)}"]`);
          if (again) again.focus();
        } }),
      ` ${plan.steps.indexOf(step) + 1}. `, el("code", {}, step.tool), " ", argsText(step.args), " ",
      el("span", { class: `badge ${step.risk}` }, step.risk))));
}

function chosenSteps(plan) {  // null: the whole plan; else the ids of the waiting steps still ticked
  const waiting = plan.steps.filter((s) => s.status === "proposed");
  const unticked = state.unticked.get(plan.id);
  if (waiting.length < 2 || !unticked || ![...unticked].some((id) => waiting.some((s) => s.id === id))) return null;
  return waiting.filter((s) => !unticked.has(s.id)).map((s) => s.id);
}

function mediaFor(message, attachment) {
  if (!attachment.sha256) return null;
  const kind = (attachment.mime_type || "").split("/")[0];
  if (kind !== "image" && kind !== "audio" && kind !== "video") return null;
  const url = `/api/v1/threads/${encodeURIComponent(state.view.id)}/files/${attachment.sha256}`;
  const node = kind === "image" ? el("img", { alt: attachment.name, title: attachment.name })
    : kind === "video" ? el("video", { controls: true, preload: "metadata", playsinline: true, "aria-label": `Video: ${attachment.name}` })
    : el("audio", { controls: true, preload: "none", "aria-label": `Voice note: ${attachment.name}` });
  loadMedia(node, url);
  return node;
}

async function loadMedia(node, url) {  // fetched with the token (an <img src> cannot send one)
  try {
    let objectUrl = state.media.get(url);
    if (!objectUrl) {
      const response = await fetch(url, { headers: authHeaders() });
      if (!response.ok) { node.replaceWith(el("span", { class: "muted" }, `(${node.getAttribute("alt") || "file"} is no longer stored)`)); return; }
      objectUrl = URL.createObjectURL(await response.blob());
      state.media.set(url, objectUrl);
    }
    node.src = objectUrl;
  } catch { /* offline: the perceived text is still shown */ }
}

function messageItem(message) {
  const mine = message.role === "user" && state.me && message.user === state.me.user;
  const role = message.role === "bot" ? "bot" : mine ? "mine" : "other";
  const author = message.role === "bot" ? "chatops" : mine ? "You" : (message.user || "someone");
  const attachments = message.attachments || [];
  const names = attachments.map((a) => a.name).join(", ");
  let perceived = message.perceived_text && message.perceived_text !== message.text ? message.perceived_text : "";
  if (perceived && message.text) perceived = perceived.replace(message.text, "").trim();
  const { parts, rest } = perceivedParts(perceived, attachments);
  const heard = state.heard.get(message.id) || {};
  const shown = attachments.map((a, index) => {
    const media = mediaFor(message, a);
    const text = parts[index] ? [parts[index], heard[index]].filter(Boolean).join("\n") : "";
    return media || text ? el("div", { class: "attachment" }, media, text ? perceivedText(a.name, text) : null) : null;
  }).filter(Boolean);
  return el("div", { class: `msg ${role}`, "data-message-id": message.id },
    el("div", { class: "meta" }, el("span", { class: "author" }, author), timeTag(message.created_at)),
    el("div", { class: "text" }, message.role === "bot" ? markdown(message.text) : (message.text || (names ? `(${names})` : ""))),
    shown.length || rest ? el("div", { class: "perceived-all", "aria-label": "What the bot read" },
      shown.length ? el("div", { class: "media" }, shown) : null,
      rest ? el("div", { class: "perceived" }, rest) : null) : null,
    (message.next_steps || []).length ? nextSteps(message.next_steps) : null);
}

// An answer's suggested next steps, one click each: the click sends the step's request in this
// thread as your own message, so it is planned and approved like anything typed (owners only).
function nextSteps(offers) {
  const foreign = isForeign();
  return el("div", { class: "next-steps", role: "group", "aria-label": "Suggested next steps" },
    offers.map((offer) => el("button", { type: "button", class: "secondary next-step", title: offer.request,
      disabled: foreign ? "" : null, onclick: () => sendRequest(offer.request) }, `▶ ${offer.label}`)));
}

async function sendRequest(text) {
  if (!state.threadId) return;
  setStatus("Planning…");
  try {
    const view = await api("POST", `/api/v1/threads/${encodeURIComponent(state.threadId)}/messages`, { text });
    setStatus("");
    showView(view, { scroll: true });
    loadThreads();
  } catch (error) { setStatus(`Not sent: ${error.message}.`, true); }
}

// Each attachment's text once, beside its thumbnail or player: the perceived text is the message's
// own words and then one labelled part per attachment ("[image: pods.png, …] text: …"), in order.
function perceivedParts(perceived, attachments) {
  const parts = attachments.map(() => "");
  if (!perceived) return { parts, rest: "" };
  const starts = [];
  const lines = perceived.split("\n");
  lines.forEach((line, at) => {
    if (!line.startsWith("[")) return;
    const index = attachments.findIndex((a, i) => !starts.some((s) => s.index === i) && a.name && line.includes(a.name));
    if (index >= 0) starts.push({ at, index });
  });
  if (!starts.length) return { parts, rest: perceived };
  const rest = lines.slice(0, starts[0].at).join("\n").trim();
  starts.forEach((start, n) => {
    const end = n + 1 < starts.length ? starts[n + 1].at : lines.length;
    parts[start.index] = lines.slice(start.at, end).join("\n").trim();
  });
  return { parts, rest };
}

function perceivedText(name, text) {
  const lines = text.split("\n").length;
  const details = el("details", { class: "perceived-part" },
    el("summary", {}, `Text read from ${name}${lines > 1 ? ` (${lines} lines)` : ""}`),
    el("pre", { class: "perceived" }, text));
  if (lines <= 6) details.open = true;  // short: shown; long: one click away, and never twice
  return details;
}

// A notice that repeats what an attachment was read as (the other surfaces show that as a notice)
// is shown beside the attachment instead; its "(as heard: …)" tail joins that attachment's text.
function attachmentNotice(notice, messages) {
  const [head, ...tail] = notice.text.split("\n(as heard");
  if (!head.startsWith("[")) return null;
  for (const message of messages) {
    if (!message.perceived_text || !message.perceived_text.includes(head.trim())) continue;
    const index = (message.attachments || []).findIndex((a) => a.name && head.split("\n")[0].includes(a.name));
    return { message, index, tail: tail.length ? `(as heard${tail.join("\n(as heard")}` : "" };
  }
  return null;
}

// A tool's progress ("restart: restarting payments", "deploy: started: …") belongs to the card of the
// plan whose step sent it: shown inside that card, so it is never listed after the finished card.
function planOfProgress(notice, plans) {
  const colon = notice.text.indexOf(": ");
  if (colon <= 0) return null;
  const tool = notice.text.slice(0, colon);
  const owners = plans.filter((p) => p.created_at <= notice.created_at && p.steps.some((s) => s.tool === tool));
  owners.sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  return owners[0] || null;
}

function alertBar(view) {  // an alert thread: its state, and Silence 1h / Acknowledge (under the usual approvals)
  const act = async (path, body, done) => {
    try { await api("POST", `/api/v1/threads/${encodeURIComponent(view.id)}/alert/${path}`, body); setStatus(done); scheduleRefresh(); }
    catch (error) { setStatus(error.message, true); }
  };
  const firing = view.alert.status === "firing";
  return el("div", { class: `alert-bar ${view.alert.status}`, role: "group", "aria-label": "Alert actions" },
    el("span", { class: `state ${firing ? "failed" : "succeeded"}` }, `${view.alert.source}: ${view.alert.status}`),
    el("button", { type: "button", class: "secondary", onclick: () => act("acknowledge", {}, "Acknowledged.") }, "Acknowledge"),
    el("button", { type: "button", class: "secondary", onclick: () => act("silence", { duration: "1h" }, "Silence proposed: it waits for an approval.") }, "Silence 1h"));
}

function noticeItem(notice) {
  return el("p", { class: `notice ${notice.level}` }, el("span", { class: "time muted" }, when(notice.created_at)), notice.text);
}

// --- the conversation -----------------------------------------------------------------------------

function nearBottom(log) {
  return log.scrollHeight - log.scrollTop - log.clientHeight < 60;
}

function render({ scroll = false } = {}) {
  const log = $("log");
  const stick = scroll || nearBottom(log);
  const previousTop = log.scrollTop;
  const active = document.activeElement;
  const activeCard = active && log.contains(active) ? active.closest("[data-plan-id]") : null;
  const focusPlan = state.focusPlan || (activeCard && activeCard.dataset.planId);
  state.focusPlan = null;
  log.replaceChildren();
  const view = state.view;
  if (!view) {
    if (WELCOME) log.append(WELCOME.cloneNode(true));
    $("new-messages").hidden = true;
    return;
  }
  const older = state.older || { messages: [], plans: [], notices: [] };
  const unique = (list) => [...new Map(list.map((x) => [x.id, x])).values()];
  const messages = unique([...older.messages, ...view.messages]);
  const plans = unique([...older.plans, ...view.plans]);
  const progress = new Map();
  const loose = [];
  state.heard = new Map();
  for (const notice of unique([...older.notices, ...(view.notices || [])])) {
    const read = attachmentNotice(notice, messages);
    if (read) {
      if (read.tail && read.index >= 0) {
        const heard = state.heard.get(read.message.id) || {};
        heard[read.index] = read.tail;
        state.heard.set(read.message.id, heard);
      }
      continue;
    }
    const plan = planOfProgress(notice, plans);
    if (plan) progress.set(plan.id, [...(progress.get(plan.id) || []), notice]);
    else loose.push(notice);
  }
  const items = [
    ...messages.map((m) => ({ at: m.created_at, node: () => messageItem(m) })),
    ...plans.map((p) => ({ at: p.created_at, node: () => planCard(p, progress.get(p.id) || []) })),
    ...loose.map((n) => ({ at: n.created_at, node: () => noticeItem(n) })),
  ];
  items.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const more = state.older ? state.older.has_more : view.has_more;
  if (view.alert) log.append(alertBar(view));
  if (more) log.append(el("button", { type: "button", class: "secondary older", onclick: showOlder }, "Show older messages"));
  for (const item of items) log.append(item.node());
  const grown = items.length > state.seen;
  state.seen = items.length;
  if (stick) {
    log.scrollTop = log.scrollHeight;
    $("new-messages").hidden = true;
  } else {
    log.scrollTop = previousTop;  // the reader scrolled up: leave them there, and say something new arrived
    if (grown) $("new-messages").hidden = false;
  }
  if (focusPlan) {  // keep keyboard users where they were (after Approve / Deny, and across re-renders)
    const card = log.querySelector(`[data-plan-id="${CSS.escape(focusPlan)}"]`);
    if (card) card.focus({ preventScroll: !stick });
  }
}

async function showOlder() {
  const view = state.view;
  const cursor = state.older ? state.older.next_before : view.next_before;
  if (!view || !cursor) return;
  try {
    const page = await api("GET", `/api/v1/threads/${encodeURIComponent(view.id)}?before=${encodeURIComponent(cursor)}`);
    const older = state.older || { messages: [], plans: [], notices: [] };
    state.older = { messages: [...page.messages, ...older.messages], plans: [...page.plans, ...older.plans],
      notices: [...(page.notices || []), ...older.notices], has_more: page.has_more, next_before: page.next_before };
    const log = $("log");
    const fromBottom = log.scrollHeight - log.scrollTop;
    render();
    log.scrollTop = log.scrollHeight - fromBottom;  // stay where the reader was
  } catch (error) { setStatus(`Could not load older messages: ${error.message}`, true); }
}

function renderThreads(threads) {
  const list = $("thread-list");
  list.replaceChildren(...threads.map((t) =>
    el("li", {}, el("button", { type: "button", "aria-current": t.id === state.threadId ? "true" : false, onclick: () => openThread(t.id) },
      t.title || "(untitled)", el("span", { class: "when" }, when(t.updated_at))))));
  $("no-threads").hidden = threads.length > 0;
}

function renderWaiting(plans) {
  $("waiting").hidden = plans.length === 0;
  const toggle = $("threads-toggle");  // on a phone the list is a drawer: its button says what waits
  toggle.replaceChildren("Threads", plans.length ? el("span", { class: "count", "aria-label": `${plans.length} waiting for you` }, String(plans.length)) : "");
  $("waiting-list").replaceChildren(...plans.map((p) =>
    el("li", {}, el("button", { type: "button", "aria-current": p.thread_id === state.threadId ? "true" : false,
      onclick: () => { state.focusPlan = p.id; openThread(p.thread_id); } },
    `${p.goal}`, el("span", { class: "when" }, `${p.risk} · asked by ${p.requester}${p.expires_at ? ` · expires ${when(p.expires_at)}` : ""}`)))));
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
    const [page, waiting] = await Promise.all([api("GET", "/api/v1/threads?limit=50"), api("GET", "/api/v1/plans/waiting")]);
    renderThreads(page.threads);
    renderWaiting(waiting.plans);
  } catch (error) {
    if (error.status !== 401) setStatus(`Could not load threads: ${error.message}`, true);
  }
}

function setDrawer(open) {
  document.body.classList.toggle("drawer-open", open);
  $("threads-toggle").setAttribute("aria-expanded", String(open));
  if (open) { const first = $("threads-panel").querySelector("button"); if (first) first.focus(); }
}

async function openThread(id) {
  setDrawer(false);
  state.threadId = id;
  history.replaceState(null, "", `#thread=${encodeURIComponent(id)}`);
  try {
    const view = await api("GET", `/api/v1/threads/${encodeURIComponent(id)}`);
    // another thread opened meanwhile (a second link, a click): this answer is stale, not shown
    if (state.threadId !== id) return;
    showView(view, { scroll: true });
    setStatus("");
  } catch (error) {
    if (state.threadId === id) setStatus(`Could not open the thread: ${error.message}`, true);
  }
  loadThreads();
}

function ownerOf(threadId) {  // a web thread's id is http:<owner>:<name>
  const parts = (threadId || "").split(":");
  return parts.length >= 3 ? parts[1] : null;
}

async function exportReport() {  // the incident report of the open thread, as a Markdown download
  if (!state.threadId) return;
  try {
    const response = await fetch(`/api/v1/threads/${encodeURIComponent(state.threadId)}/report`, { headers: authHeaders() });
    if (!response.ok) throw new Error(`${response.status}`);
    const link = el("a", { href: URL.createObjectURL(await response.blob()), download: "incident-report.md" });
    document.body.append(link);
    link.click();
    link.remove();
  } catch (error) { setStatus(`Could not export: ${error.message}`, true); }
}

function isForeign() {  // someone else's thread: read it to decide, never write in it
  const owner = state.view ? ownerOf(state.view.id) : null;
  return Boolean(owner && state.me && state.me.user !== "operator" && owner !== state.me.user);
}

function updateComposer() {
  $("export").hidden = !state.view;
  // approvers read other people's threads to decide; only the owner writes in one
  const owner = state.view ? ownerOf(state.view.id) : null;
  const foreign = isForeign();
  $("message").disabled = foreign;
  $("send").disabled = foreign;
  $("message").placeholder = foreign ? `This is ${owner}'s thread: approve or deny its plans here; start a new thread to ask something.`
    : "What do you need? (Enter sends, Shift+Enter for a new line)";
}

function showView(view, { scroll = false } = {}) {
  const changedThread = !state.view || state.view.id !== view.id;
  if (changedThread) { state.seen = 0; state.openOutputs.clear(); state.older = null; }
  state.view = view;
  state.threadId = view.id;
  updateComposer();
  render({ scroll: scroll || changedThread });
  if (changedThread || !state.stream) follow(view.id, view.last_event_id);
}

function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(async () => {
    if (!state.threadId) return;
    try {
      const view = await api("GET", `/api/v1/threads/${encodeURIComponent(state.threadId)}`);
      if (view.id === state.threadId) { state.view = view; render(); }
      loadThreads();
    } catch (error) { setStatus(`Could not refresh: ${error.message}`, true); }
  }, 120);
}

// A plan event carries the card's content (goal, steps with their state): shown as it arrives,
// so the card is there while the stored view is read back, and a slow turn shows its progress.
function showPlanEvent(event) {
  const plans = state.view.plans;
  const known = plans.find((p) => p.id === event.id);
  const fields = { goal: event.goal, status: event.status, round: event.round, expires_at: event.expires_at,
    requester: event.requester || (known && known.requester) || "" };
  if (known) {
    Object.assign(known, fields);
    for (const step of event.steps || []) {
      const shown = known.steps.find((s) => s.id === step.id);
      if (shown) Object.assign(shown, { status: step.status, outcome: step.outcome, summary: step.summary });
    }
  } else {
    plans.push({ id: event.id, ...fields, created_at: new Date().toISOString(), decided_by: null, decided_at: null,
      who_may_approve: "", steps: (event.steps || []).map((s) => ({ result: null, error: null, output: "",
        decided_by: null, ...s })) });
  }
  render();
}

function onEvent(event) {
  if (!state.view || event.thread !== state.view.id) return;
  if (event.type === "step") {
    const plan = state.view.plans.find((p) => p.id === event.plan_id);
    const step = plan && plan.steps.find((s) => s.id === event.id);
    if (step) {
      Object.assign(step, { status: event.status, summary: event.summary, error: event.error, outcome: event.outcome });
      render();
    }
    if (event.status !== "running") scheduleRefresh();
    setStatus(event.status === "running" ? `Running ${event.tool}…` : "");
  } else if (event.type === "plan") {
    showPlanEvent(event);  // the card at once, from the event; the stored view follows
    if (event.status === "proposed") announce(`A plan needs approval: ${event.goal}`);
    setStatus(event.status === "proposed" && event.needs_approval ? "" : "Running the plan…");
    scheduleRefresh();
  } else {
    if (event.type === "answer") { setStatus(""); announce(`The bot answered: ${event.text.slice(0, 300)}`); }
    if (event.type === "plan" && event.status === "proposed") announce(`A plan needs approval: ${event.goal}`);
    if (event.type === "notice") announce(event.text.slice(0, 300));
    scheduleRefresh();  // notices, plans and answers are stored: the view read back has them, in order
  }
}

async function follow(threadId, lastEventId) {
  if (state.stream) state.stream.abort();
  const controller = new AbortController();
  state.stream = controller;
  state.lastEventId = lastEventId || "0";
  let reconnecting = false;
  while (!controller.signal.aborted) {
    try {
      const headers = { Accept: "text/event-stream", "Last-Event-ID": state.lastEventId, ...authHeaders() };
      const response = await fetch(`/api/v1/threads/${encodeURIComponent(threadId)}/events`, { headers, signal: controller.signal });
      if (response.status >= 400 && response.status < 500) {  // not ours, gone, or signed out: retrying will not help
        if (response.status === 401) showTokenPanel("");
        return;
      }
      if (!response.ok) throw new ApiError(response.status, response.statusText);
      if (reconnecting) {  // back after a drop or a restart: the stored thread is the truth
        if ($("status").textContent.startsWith("Reconnecting")) setStatus("");
        scheduleRefresh();
      }
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
      setStatus(`Reconnecting: ${OFFLINE}…`, true);
    }
    reconnecting = true;
    await new Promise((resolve) => setTimeout(resolve, 2000));  // reconnect, resuming after the last id
  }
}

// --- sending, deciding, attaching, recording ---------------------------------------------------

function updateCounter() {
  const length = $("message").value.length;
  const counter = $("counter");
  counter.textContent = length > MAX_TEXT * 0.9 ? `${length.toLocaleString()} / ${MAX_TEXT.toLocaleString()} characters` : "";
  counter.classList.toggle("over", length > MAX_TEXT);
}

async function send(event) {
  event.preventDefault();
  const text = $("message").value.trim();
  if (!text && state.files.length === 0) return;
  if (text.length > MAX_TEXT) {
    setStatus(`Not sent: the message is ${text.length.toLocaleString()} characters long; the limit is ${MAX_TEXT.toLocaleString()}. Shorten it, or send the rest in a second message.`, true);
    return;
  }
  let body = { text };
  if (state.files.length) {
    body = new FormData();
    body.append("text", text);
    for (const file of state.files) body.append("files", file, file.name);
  }
  const path = state.threadId ? `/api/v1/threads/${encodeURIComponent(state.threadId)}/messages` : "/api/v1/threads";
  // a new thread has no event stream to follow yet: ask for its id as soon as the message is
  // stored (202), then follow its events, so perceiving and planning show as they happen
  const headers = state.threadId ? {} : { Prefer: "respond-async", "Idempotency-Key": crypto.getRandomValues(new Uint32Array(4)).join("-") };
  const working = state.files.length ? "Reading the attachments and planning…" : "Planning…";
  $("send").disabled = true;
  setStatus(working);
  try {
    const view = await api("POST", path, body, headers);
    $("message").value = "";
    updateCounter();
    state.files = [];
    renderFiles();
    history.replaceState(null, "", `#thread=${encodeURIComponent(view.id)}`);
    if (view.messages) {
      setStatus("");
      showView(view, { scroll: true });
    } else {  // accepted: the turn goes on; its events bring the card and the answer
      showView({ id: view.id, messages: [], plans: [], notices: [], last_event_id: "0", has_more: false, alert: null }, { scroll: true });
      setStatus(working);
      scheduleRefresh();  // the stored message, read back
    }
    loadThreads();
  } catch (error) {
    setStatus(`Not sent: ${error.message}.${error.status === 0 ? " Your message is still here: send it again when the bot is back." : ""}`, true);
  } finally {
    $("send").disabled = false;
    updateComposer();
    $("message").focus();
  }
}

async function approve(plan) {
  const chosen = chosenSteps(plan);
  const running = plan.steps.filter((s) => s.status !== "proposed" || chosen === null || chosen.includes(s.id));
  if (running.some((s) => s.risk === "danger")) {
    const dialog = $("confirm-danger");
    $("confirm-text").textContent = `“${plan.goal}”, requested by ${plan.requester || "someone"}, has a danger step. It runs as soon as you approve.`;
    $("confirm-steps").replaceChildren(...running.filter((s) => s.risk !== "read").map((s) =>
      el("li", {}, el("code", {}, s.tool), " ", argsText(s.args), " ", el("span", { class: `badge ${s.risk}` }, s.risk))));
    dialog.returnValue = "";
    dialog.showModal();
    const answer = await new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue), { once: true }));
    if (answer !== "approve") {
      setStatus("Not approved: nothing was run.");
      const card = document.querySelector(`[data-plan-id="${CSS.escape(plan.id)}"]`);
      if (card) card.focus();
      return;
    }
  }
  decide(plan.id, "approve", chosen);
}

async function decide(planId, decision, steps = null) {
  for (const button of document.querySelectorAll(`[data-plan-id="${CSS.escape(planId)}"] .actions button`)) button.disabled = true;
  setStatus(decision === "approve" ? "Approving…" : "Denying…");
  try {
    const body = steps ? { decision, steps } : { decision };
    const plan = await api("POST", `/api/v1/plans/${encodeURIComponent(planId)}/decision`, body);
    const numbers = steps ? plan.steps.map((s, i) => (steps.includes(s.id) ? i + 1 : 0)).filter(Boolean) : [];
    setStatus(decision === "deny" ? "Denied." : steps
      ? `Approved step${numbers.length === 1 ? "" : "s"} ${numbersText(numbers)}; the others are skipped.` : "Approved.");
    state.unticked.delete(planId);
  } catch (error) {
    setStatus(error.message, true);
  }
  state.focusPlan = planId;
  scheduleRefresh();
}

function addFiles(files) {
  const accepted = [...files].filter((f) => /^(image|audio|video)\//.test(f.type));
  if (accepted.length < files.length) setStatus("Only images, voice notes, audio and video files can be attached.", true);
  state.files.push(...accepted);
  renderFiles();
}

function renderFiles() {
  $("attachments").replaceChildren(...state.files.map((file, index) => {
    const preview = file.type.startsWith("image/") ? el("img", { alt: "" }) : null;
    if (preview) preview.src = URL.createObjectURL(file);
    return el("span", { class: "chip" }, preview, file.name,
      el("button", { type: "button", class: "secondary", "aria-label": `Remove ${file.name}`, onclick: () => { state.files.splice(index, 1); renderFiles(); } }, "×"));
  }));
}

function onPaste(event) {
  const files = [...(event.clipboardData ? event.clipboardData.files : [])];
  if (!files.length) return;
  event.preventDefault();
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  addFiles(files.map((f, i) => (f.name && f.name !== "image.png" ? f
    : new File([f], `pasted-${stamp}${i ? `-${i}` : ""}.${(f.type.split("/")[1] || "png").replace("jpeg", "jpg")}`, { type: f.type }))));
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

// --- the token and who is signed in ----------------------------------------------------------------

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
  $("token-error").hidden = true;
  setStatus("");  // an error from before signing in is stale now
  start();
}

async function loadMe() {
  try {
    state.me = await api("GET", "/api/v1/me");
    $("whoami").textContent = `signed in as ${state.me.user}`;
  } catch { state.me = null; }
}

// --- start -----------------------------------------------------------------------------------

function hashThread() {
  const match = location.hash.match(/thread=([^&]+)/);
  return match ? decodeURIComponent(match[1]) : null;
}

function newThread() {
  setDrawer(false);
  if (state.stream) state.stream.abort();
  state.stream = null;
  state.threadId = null;
  state.view = null;
  history.replaceState(null, "", "#");
  updateComposer();
  render();
  loadThreads();
  $("message").focus();
}

async function start() {
  await loadMe();
  if (!state.me) return;  // the token panel is showing
  await loadThreads();
  const id = hashThread();
  if (id) openThread(id);
}

document.addEventListener("DOMContentLoaded", () => {
  WELCOME = $("welcome").cloneNode(true);
  $("composer").addEventListener("submit", send);
  $("message").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); $("composer").requestSubmit(); }
  });
  $("message").addEventListener("input", updateCounter);
  $("message").addEventListener("paste", onPaste);
  const composer = $("composer");
  composer.addEventListener("dragover", (e) => { e.preventDefault(); composer.classList.add("dragging"); });
  composer.addEventListener("dragleave", () => composer.classList.remove("dragging"));
  composer.addEventListener("drop", (e) => {
    e.preventDefault();
    composer.classList.remove("dragging");
    if (e.dataTransfer && e.dataTransfer.files.length) addFiles(e.dataTransfer.files);
  });
  $("attach").addEventListener("click", () => $("file-input").click());
  $("file-input").addEventListener("change", (e) => {
    addFiles(e.target.files);
    e.target.value = "";
  });
  if (window.MediaRecorder && navigator.mediaDevices) {
    $("record").hidden = false;
    $("record").addEventListener("click", toggleRecording);
  }
  $("new-thread").addEventListener("click", newThread);
  $("export").addEventListener("click", exportReport);
  $("threads-toggle").addEventListener("click", () => setDrawer(!document.body.classList.contains("drawer-open")));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && document.body.classList.contains("drawer-open")) { setDrawer(false); $("threads-toggle").focus(); }
  });
  $("token-form").addEventListener("submit", useToken);
  $("log").addEventListener("scroll", () => { if (nearBottom($("log"))) $("new-messages").hidden = true; });
  $("new-messages").addEventListener("click", () => {
    const log = $("log");
    log.scrollTop = log.scrollHeight;
    $("new-messages").hidden = true;
  });
  window.addEventListener("hashchange", () => {  // a pasted #thread= link opens without a reload
    const id = hashThread();
    if (id && id !== state.threadId) openThread(id);
    else if (!id && state.threadId) newThread();
  });
  start();
});
