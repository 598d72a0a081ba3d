// app.js: Parley's pages. Plain DOM, no framework, nothing loaded from elsewhere.
// The API token arrives in the address's fragment (#token=...), which browsers never send
// to a server; the page keeps it in sessionStorage and sends it as a Bearer header.
"use strict";

const TOKEN_KEY = "parley-token";
(function takeToken() {
  const m = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, m[1]);
    history.replaceState(null, "", location.pathname + "#/meetings");
  }
})();
const token = () => sessionStorage.getItem(TOKEN_KEY) || "";

// ---- small helpers ------------------------------------------------------------------------

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    e.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return e;
}

const view = () => document.getElementById("view");
// Replaces the page's content; nested arrays are flattened and null/false left out.
const show = (...kids) => view().replaceChildren(...kids.flat(3).filter((k) => k !== null && k !== undefined && k !== false));

function fmtTime(ms) {
  const s = Math.floor(ms / 1000), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const two = (n) => String(n).padStart(2, "0");
  return (h ? h + ":" + two(m) : String(m)) + ":" + two(r);
}
function fmtBytes(n) {
  if (!n) return "0 B";
  const u = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
  return (i ? n.toFixed(n < 10 ? 1 : 0) : n) + " " + u[i];
}
function fmtDate(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}
function fmtDuration(s) { return s ? fmtTime(s * 1000) : ""; }

// Me/Them from the capture source; other speaker labels as they are.
function speakerName(sp) {
  if (!sp) return "";
  const l = sp.toLowerCase();
  if (l === "me" || l === "mic") return "Me";
  if (l === "them" || l === "system") return "Them";
  return sp;
}
function speakerClass(sp) {
  const n = speakerName(sp);
  return n === "Me" ? "me" : n === "Them" ? "them" : "";
}

// ---- errors -----------------------------------------------------------------------------

class ApiError extends Error {
  constructor(body, status) {
    super((body && body.error) || "HTTP " + status);
    this.body = body || {};
    this.status = status;
  }
}

function showError(err, what) {
  const box = document.getElementById("alert");
  box.replaceChildren();
  const b = err.body || {};
  box.append(el("strong", {}, (what ? what + ": " : "") + (b.error || err.message)));
  if (b.detail) box.append(el("div", {}, b.detail));
  if (b.hint) box.append(el("div", {}, "What to do: " + b.hint));
  box.append(el("div", { class: "muted small" }, b.remote && b.remote.server
    ? "This ran on the team server " + b.remote.server + "; nothing was run on this computer or anywhere else instead."
    : "This ran on this computer; nothing was retried elsewhere."));
  box.append(el("button", { type: "button", onclick: () => { box.hidden = true; } }, "Dismiss"));
  box.hidden = false;
}
function clearError() { document.getElementById("alert").hidden = true; }

// ---- the API ----------------------------------------------------------------------------

async function api(method, path, body) {
  const init = { method, headers: { Authorization: "Bearer " + token() } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  const type = r.headers.get("Content-Type") || "";
  const data = type.startsWith("application/json") ? await r.json() : await r.text();
  if (!r.ok) {
    if (r.status === 401) document.getElementById("view").replaceChildren(noToken());
    throw new ApiError(typeof data === "object" ? data : { error: String(data) }, r.status);
  }
  return data;
}

function noToken() {
  return el("div", {}, el("h1", {}, "Open Parley from its address"),
    el("p", {}, "This page needs the address that 'parley serve' printed (it ends in #token=...). " +
      "Copy it from the terminal into the address bar."));
}

// Reads a job's Server-Sent Events with fetch (EventSource cannot send the token) and calls
// on[event](data) for each; resolves with the "done" data, rejects with the "error" one.
async function followJob(job, on) {
  const r = await fetch("/api/jobs/" + job + "/events", { headers: { Authorization: "Bearer " + token() } });
  if (!r.ok) throw new ApiError(await r.json().catch(() => null), r.status);
  const reader = r.body.getReader();
  const dec = new TextDecoder();
  let buf = "", result = null, failure = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const frame = buf.slice(0, i);
      buf = buf.slice(i + 2);
      let ev = "message", data = "";
      for (const line of frame.split("\n")) {
        if (line.startsWith("event: ")) ev = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      const d = data ? JSON.parse(data) : null;
      if (ev === "done") result = d;
      else if (ev === "error" && !(d && d.fatal === false)) failure = d; // fatal false: the job goes on
      if (on && on[ev]) on[ev](d);
    }
  }
  if (failure) throw new ApiError(failure, failure.status);
  return result;
}

// ---- router -----------------------------------------------------------------------------

const routes = [
  [/^#\/meetings$/, () => meetings()],
  [/^#\/meeting\/(\d+)(?:\/(\d+))?$/, (m) => meeting(+m[1], m[2] !== undefined ? +m[2] : null)],
  [/^#\/live$/, () => live()],
  [/^#\/models$/, () => models()],
  [/^#\/settings$/, () => settings()],
];

async function route() {
  if (!token()) { show(noToken()); return; }
  const h = location.hash || "#/meetings";
  for (const a of document.querySelectorAll("nav a")) {
    const on = h.startsWith("#/" + a.dataset.nav) || (a.dataset.nav === "meetings" && h.startsWith("#/meeting/"));
    if (on) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  clearError();
  for (const [re, fn] of routes) {
    const m = re.exec(h);
    if (m) {
      try { await fn(m); } catch (e) { showError(e); }
      return;
    }
  }
  location.hash = "#/meetings";
}
window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", route);

// With a default team server the header says so: the tasks run there (labelled), the
// recording and the transcription stay here.
async function modeBanner() {
  try {
    const h = await api("GET", "/api/health");
    if (!h.team_server) return;
    const b = document.getElementById("local-mode");
    b.textContent = "Team server: " + h.team_server + " writes summaries, notes, chat and suggestions";
    b.title = "Recording and transcription stay on this computer. Transcripts are sent to the team server " +
      h.team_server + " for summaries, notes, chat and suggestions; what it makes is labelled. Nothing is retried elsewhere.";
    b.classList.add("remote");
  } catch (e) { /* the header keeps its text */ }
}
window.addEventListener("DOMContentLoaded", () => { if (token()) modeBanner(); });

// ---- Meetings -----------------------------------------------------------------------------

let searchTimer = null;

async function meetings() {
  const q = sessionStorage.getItem("parley-q") || "";
  const input = el("input", { type: "search", id: "search", value: q, placeholder: "Find a word someone said…",
    "aria-label": "Search all meetings", autocomplete: "off" });
  const results = el("div", { id: "results", "aria-live": "polite" });
  input.addEventListener("input", () => {
    clearTimeout(searchTimer);
    sessionStorage.setItem("parley-q", input.value);
    searchTimer = setTimeout(() => fill(input.value).catch(showError), 150);
  });
  show(el("h1", {}, "Meetings"), el("div", { class: "row", role: "search" }, input), results);
  await fill(q);

  async function fill(query) {
    query = query.trim();
    if (!query) {
      const d = await api("GET", "/api/sessions?limit=100");
      results.replaceChildren(
        el("p", { class: "muted small" }, d.total + (d.total === 1 ? " meeting" : " meetings")),
        d.sessions.length ? el("ul", { class: "list", id: "sessions" }, d.sessions.map((s) =>
          el("li", {}, el("a", { class: "title", href: "#/meeting/" + s.id }, s.title || "Untitled"),
            el("div", { class: "muted small" }, [fmtDate(s.created), fmtDuration(s.duration),
              s.segments + " lines", s.language || ""].filter(Boolean).join(" · ")))))
          : el("p", {}, "No meetings yet. Record one with 'parley transcribe FILE' or on the Live page."));
      return;
    }
    const d = await api("GET", "/api/search?q=" + encodeURIComponent(query));
    results.replaceChildren(
      el("p", { class: "muted small" }, d.hits.length ? (d.more ? "Best matches" : d.hits.length + (d.hits.length === 1 ? " place" : " places")) +
        " for \u201c" + query + "\u201d" : "Nothing found for \u201c" + query + "\u201d"),
      el("ul", { class: "list", id: "hits" }, d.hits.map((h) =>
        el("li", {}, el("a", { class: "title", href: "#/meeting/" + h.session + (h.segment !== null ? "/" + h.segment : "") },
          h.title || "Untitled"),
          el("span", { class: "muted small" }, " · " + fmtDate(h.created) +
            (h.t0_ms !== null ? " · at " + fmtTime(h.t0_ms) : "") + (h.where !== "segment" ? " · in the " + h.where : "")),
          el("p", { class: "snippet" }, marked(h.snippet))))));
  }
}

// The store marks matches with STX ... ETX; the text stays text, the marks become <mark>.
function marked(snippet) {
  return snippet.split(/(\x02[^\x03]*\x03)/).map((part) =>
    part.startsWith("\x02") ? el("mark", {}, part.slice(1, -1)) : part);
}

// ---- a Meeting ------------------------------------------------------------------------------

let audioUrl = null;

async function meeting(id, focusSeg) {
  const s = await api("GET", "/api/sessions/" + id);
  const audio = el("audio", { id: "player", controls: true, hidden: true, preload: "auto" });
  const segList = el("ol", { class: "transcript", id: "transcript", "aria-label": "Transcript" });
  const editedNote = el("p", { class: "small", id: "edited-note", hidden: true },
    "The transcript changed. ", el("button", { type: "button", onclick: () => regenerate("summary") }, "Generate the summary again"),
    " ", el("button", { type: "button", onclick: () => regenerate("notes") }, "Generate the notes again"));

  async function play(ms) {
    try {
      if (!audio.src) {
        const r = await fetch("/api/sessions/" + id + "/audio", { headers: { Authorization: "Bearer " + token() } });
        if (!r.ok) throw new ApiError(await r.json().catch(() => null), r.status);
        if (audioUrl) URL.revokeObjectURL(audioUrl);
        audioUrl = URL.createObjectURL(await r.blob());
        audio.src = audioUrl;
        audio.hidden = false;
      }
      audio.currentTime = ms / 1000;
      await audio.play();
    } catch (e) { showError(e, "Playing the recording"); }
  }

  function segRow(g) {
    const text = el("span", { class: "text", tabindex: "0", role: "button", "aria-label": "Edit line at " + fmtTime(g.t0_ms),
      "data-index": g.index, title: "Click to correct this line" }, g.text);
    const row = el("li", { class: "seg " + speakerClass(g.speaker), id: "seg-" + g.index },
      el("button", { type: "button", class: "t", title: "Play from here", "aria-label": "Play from " + fmtTime(g.t0_ms),
        onclick: () => { for (const r of segList.querySelectorAll(".playing")) r.classList.remove("playing");
          row.classList.add("playing"); play(g.t0_ms); }, disabled: !s.has_audio }, fmtTime(g.t0_ms)),
      el("span", { class: "who" }, speakerName(g.speaker)), text);
    const startEdit = () => {
      const box = el("textarea", { "aria-label": "Corrected text", class: "edit" });
      box.value = g.text;
      let busy = false, closing = false;
      // Replacing the box blurs it, and blur saves: the flag keeps that from nesting.
      const close = () => { if (closing || !box.isConnected) return; closing = true; box.replaceWith(text); };
      const save = async () => {
        if (busy || closing || !box.isConnected) return;
        const v = box.value.trim();
        if (!v || v === g.text) { close(); return; }
        busy = true;
        try {
          const r = await api("PATCH", "/api/sessions/" + id + "/segments/" + g.index, { text: v });
          g.text = r.text;
          text.textContent = r.text;
          close();
          editedNote.hidden = false;
        } catch (e) { showError(e, "Saving the line"); } finally { busy = false; }
      };
      box.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); save(); }
        else if (ev.key === "Escape") { box.value = g.text; close(); text.focus(); }
      });
      box.addEventListener("blur", save);
      text.replaceWith(box);
      box.focus();
    };
    text.addEventListener("click", startEdit);
    text.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); startEdit(); } });
    return row;
  }
  segList.append(...s.segments.map(segRow));

  const summaryBox = el("div", { id: "summary" });
  const notesBox = el("div", { id: "notes" });
  const suggestBox = el("div", { id: "suggestions" });
  const chatLog = el("div", { class: "chat", id: "chat-log", "aria-live": "polite" });
  renderSummary(summaryBox, s.summary);
  renderNotes(notesBox, s.notes);
  renderSuggestions(suggestBox, s.suggestions);
  for (const m of s.chat || []) chatLog.append(el("div", { class: "msg " + m.role }, m.role === "assistant" ? remoteBadge(m) : null, m.content));

  async function regenerate(kind) {
    const box = kind === "summary" ? summaryBox : kind === "notes" ? notesBox : suggestBox;
    const buttons = view().querySelectorAll("button[data-task]");
    buttons.forEach((b) => { b.disabled = true; });
    const stream = el("div", { class: "stream", "aria-live": "polite" });
    const where = el("p", { class: "muted small" }, "Writing…");
    box.replaceChildren(where, stream);
    try {
      const { job, remote } = await api("POST", "/api/sessions/" + id + "/" + kind);
      where.textContent = "Writing " + whereRuns(remote) + "…";
      await followJob(job, { token: (d) => { stream.textContent += d.text; stream.scrollTop = stream.scrollHeight; },
        stage: (d) => { stream.textContent += "\n[" + (d.stage === "part" ? "part " + d.index + " of " + d.count : "merging") + "]\n"; } });
      const fresh = await api("GET", "/api/sessions/" + id);
      if (kind === "summary") renderSummary(box, fresh.summary);
      else if (kind === "notes") renderNotes(box, fresh.notes);
      else renderSuggestions(box, fresh.suggestions);
      editedNote.hidden = true;
    } catch (e) {
      box.replaceChildren(el("p", { class: "error" }, "Not made: " + (e.body && e.body.detail || e.message)));
      showError(e, "Generating the " + kind);
    } finally { buttons.forEach((b) => { b.disabled = false; }); }
  }

  const question = el("input", { type: "text", id: "question", "aria-label": "Ask about this meeting",
    placeholder: "Ask about this meeting…", autocomplete: "off" });
  const chatForm = el("form", { class: "row", onsubmit: async (ev) => {
    ev.preventDefault();
    const q = question.value.trim();
    if (!q) return;
    question.value = "";
    chatLog.append(el("div", { class: "msg user" }, q));
    const answer = el("div", { class: "msg assistant streaming" });
    chatLog.append(answer);
    const btn = chatForm.querySelector("button");
    btn.disabled = true;
    try {
      const { job } = await api("POST", "/api/sessions/" + id + "/chat", { question: q });
      const done = await followJob(job, { token: (d) => { answer.textContent += d.text; } });
      if (done && typeof done.answer === "string") answer.textContent = done.answer;
      const badge = remoteBadge(done);
      if (badge) answer.prepend(badge);
      answer.classList.remove("streaming");
      answer.classList.add("done");
    } catch (e) {
      answer.classList.add("error");
      answer.textContent = "No answer: " + (e.body && e.body.detail || e.message);
      showError(e, "Chat");
    } finally { btn.disabled = false; }
  } }, question, el("button", { type: "submit", class: "primary" }, "Ask"));

  const title = el("h1", { id: "meeting-title" }, s.title || "Untitled");
  const exports = el("div", { class: "row", "aria-label": "Export" }, el("span", { class: "muted small" }, "Export:"),
    ["md", "txt", "srt", "vtt", "json"].map((f) => el("button", { type: "button", onclick: () => download(id, f) }, f.toUpperCase())));

  show(
    el("p", {}, el("a", { href: "#/meetings" }, "\u2190 All meetings")),
    title,
    el("p", { class: "muted small" }, [fmtDate(s.created), fmtDuration(s.duration), s.language, s.model].filter(Boolean).join(" · ")),
    el("div", { class: "row" },
      el("button", { type: "button", onclick: async () => {
        const t = prompt("New title", s.title);
        if (!t || t === s.title) return;
        try { const r = await api("PATCH", "/api/sessions/" + id, { title: t }); s.title = r.title; title.textContent = r.title; }
        catch (e) { showError(e, "Renaming"); }
      } }, "Rename"),
      el("button", { type: "button", onclick: async () => {
        if (!confirm("Delete \u201c" + s.title + "\u201d with its summary, notes and chat?")) return;
        try { await api("DELETE", "/api/sessions/" + id); location.hash = "#/meetings"; }
        catch (e) { showError(e, "Deleting"); }
      } }, "Delete")),
    exports,
    audio,
    el("div", { class: "cols" },
      el("section", { "aria-labelledby": "h-transcript" }, el("h2", { id: "h-transcript" }, "Transcript"),
        s.has_audio ? el("p", { class: "muted small" }, "Click a time to hear that moment; click a line to correct it.")
          : el("p", { class: "muted small" }, "Click a line to correct it. (The recording is not on this computer.)"),
        editedNote, segList),
      el("div", {},
        el("section", { class: "card", "aria-labelledby": "h-summary" }, el("h2", { id: "h-summary" }, "Summary"), summaryBox,
          el("button", { type: "button", "data-task": "summary", onclick: () => regenerate("summary") }, s.summary ? "Generate again" : "Summarize")),
        el("section", { class: "card", "aria-labelledby": "h-notes" }, el("h2", { id: "h-notes" }, "Notes"), notesBox,
          el("button", { type: "button", "data-task": "notes", onclick: () => regenerate("notes") }, s.notes ? "Generate again" : "Write notes")),
        el("section", { class: "card suggest", "aria-labelledby": "h-sugg" }, el("h2", { id: "h-sugg" }, "Suggestions"), suggestBox,
          el("button", { type: "button", "data-task": "suggestions", onclick: () => regenerate("suggestions") }, "Suggest what to say")),
        el("section", { class: "card", "aria-labelledby": "h-chat" }, el("h2", { id: "h-chat" }, "Chat"), chatLog, chatForm,
          el("button", { type: "button", class: "small", onclick: async () => {
            try { await api("DELETE", "/api/sessions/" + id + "/chat"); chatLog.replaceChildren(); }
            catch (e) { showError(e, "Clearing the chat"); }
          } }, "Clear chat")))));
  if (focusSeg !== null) {
    const row = document.getElementById("seg-" + focusSeg);
    if (row) { row.classList.add("playing"); row.scrollIntoView({ block: "center" }); }
  }
}

// What a team server made is labelled with its name (docs/remote.md): the stored model is
// "remote:NAME/MODEL" and the meta has "remote": {"server", "model"}.
function remoteOf(x) {
  if (!x) return null;
  if (x.meta && x.meta.remote && x.meta.remote.server) return { server: x.meta.remote.server, model: x.meta.remote.model || "" };
  if (x.remote && typeof x.remote === "object" && x.remote.server) return { server: x.remote.server, model: x.remote.model || "" };
  const m = /^remote:([^/]+)\/(.*)$/.exec(x.model || "");
  return m ? { server: m[1], model: m[2] } : null;
}
function remoteBadge(x) {
  const r = remoteOf(x);
  return r ? el("span", { class: "badge remote", title: "Made by the team server " + r.server + (r.model ? " (model " + r.model + ")" : "") },
    "remote: " + r.server) : null;
}
function madeBy(a) {
  const r = remoteOf(a);
  if (r) return [remoteBadge(a), "Made by team server " + r.server + (r.model ? " (model " + r.model + ")" : "") + " · " + fmtDate(a.created)];
  return "Made by " + (a.model || "a local model") + " · " + fmtDate(a.created);
}
const whereRuns = (remote) => (remote ? "on team server " + remote : "on this computer");

function renderSummary(box, a) {
  if (!a) { box.replaceChildren(el("p", { class: "muted" }, "No summary yet.")); return; }
  const c = a.content;
  if (!c || typeof c !== "object") { box.replaceChildren(el("div", { class: "md" }, String(c || ""))); return; }
  const list = (name, items, fmt) => (items && items.length ?
    [el("h3", { class: "small" }, name), el("ul", {}, items.map((x) => el("li", {}, fmt ? fmt(x) : x)))] : []);
  box.replaceChildren(...[
    c.title ? el("p", {}, el("strong", {}, c.title)) : null,
    c.overview ? el("p", {}, c.overview) : null,
    list("Key points", c.key_points), list("Decisions", c.decisions),
    list("Action items", c.action_items, (x) => [x.owner, x.task, x.due].filter(Boolean).join(" — ")),
    list("Open questions", c.open_questions),
    el("p", { class: "muted small made-by" }, madeBy(a))
  ].flat(2).filter(Boolean));
}
function renderNotes(box, a) {
  if (!a) { box.replaceChildren(el("p", { class: "muted" }, "No notes yet.")); return; }
  box.replaceChildren(el("div", { class: "md" }, typeof a.content === "string" ? a.content : JSON.stringify(a.content)),
    el("p", { class: "muted small made-by" }, madeBy(a)));
}
function renderSuggestions(box, a) {
  if (!a) { box.replaceChildren(el("p", { class: "muted" }, "No suggestions yet.")); return; }
  const items = Array.isArray(a.content) ? a.content : [String(a.content)];
  box.replaceChildren(...[el("ul", {}, items.map((x) => el("li", {}, x))),
    remoteOf(a) ? el("p", { class: "muted small made-by" }, madeBy(a)) : null].filter(Boolean));
}

async function download(id, fmt) {
  try {
    const r = await fetch("/api/sessions/" + id + "/export?format=" + fmt, { headers: { Authorization: "Bearer " + token() } });
    if (!r.ok) throw new ApiError(await r.json().catch(() => null), r.status);
    const url = URL.createObjectURL(await r.blob());
    const a = el("a", { href: url, download: "meeting-" + id + "." + fmt });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) { showError(e, "Export"); }
}

// ---- Live ----------------------------------------------------------------------------------

async function live() {
  const cur = await api("GET", "/api/live");
  const title = el("input", { type: "text", id: "live-title", placeholder: "Meeting title (optional)", "aria-label": "Meeting title" });
  const mic = el("input", { type: "text", id: "live-mic", placeholder: "default microphone", "aria-label": "Microphone source" });
  const sys = el("input", { type: "text", id: "live-system", placeholder: "default output's monitor", "aria-label": "System audio source" });
  const noSys = el("input", { type: "checkbox", id: "live-nosys" });
  const sumAtStop = el("input", { type: "checkbox", id: "live-summary", checked: true });
  const skip = el("button", { type: "button", id: "live-skip-summary", hidden: true }, "Skip the summary");
  const summaryBox = el("div", { id: "live-summary-box", hidden: true });
  const draftNote = el("p", { class: "small muted", id: "live-draft", hidden: true });
  const start = el("button", { type: "button", class: "primary", id: "live-start" }, "Start");
  const stop = el("button", { type: "button", id: "live-stop", disabled: true }, "Stop");
  const meters = {};
  const meter = (src) => { meters[src] = el("span"); return el("span", { class: "meter", role: "img", "aria-label": src + " level" }, meters[src]); };
  const status = el("p", { class: "small", id: "live-status", role: "status" }, "Not recording.");
  const lines = el("ol", { class: "transcript", id: "live-transcript", "aria-live": "polite", "aria-label": "Live transcript" });
  const card = el("div", { id: "live-suggestion" }, el("p", { class: "muted" }, "No suggestion yet."));
  const box = el("textarea", { id: "live-box", "aria-label": "A question or a note", placeholder: "Type a note, or a question about the meeting so far" });
  const answer = el("div", { class: "chat", id: "live-answer", "aria-live": "polite" });
  let session = null, stopping = false, behind = false, recording = "", jobId = null;
  let pending = null; // the answer being streamed by the meeting's assistant
  // Lines arrive when transcribed, notes when typed: keep them in meeting-time order.
  const place = (t, li) => {
    const after = [...lines.children].find((x) => +x.dataset.t > t);
    lines.insertBefore(li, after || null);
  };

  const onEvent = {
    started: (e) => { session = e.session_id; recording = "Recording \u201c" + (e.text || "meeting") + "\u201d (session " + session + ")."; status.textContent = recording; },
    level: (e) => { const m = meters[e.source]; if (m) m.style.width = Math.max(0, Math.min(100, (e.rms_dbfs + 60) * 100 / 60)) + "%"; },
    "segment.final": (e) => place(e.t0_ms, el("li", { class: "seg " + speakerClass(e.speaker), "data-t": e.t0_ms },
      el("span", { class: "t" }, fmtTime(e.t0_ms)), el("span", { class: "who" }, speakerName(e.speaker)), el("span", { class: "text" }, e.text))),
    note: (e) => place(e.t0_ms, el("li", { class: "seg", "data-t": e.t0_ms }, el("span", { class: "t" }, fmtTime(e.t0_ms)),
      el("span", { class: "who" }, "Note"), el("span", { class: "text" }, e.text))),
    suggestion: (e) => {
      let items = null;
      try { items = JSON.parse(e.detail); } catch (_) { /* the text then */ }
      card.replaceChildren(Array.isArray(items) && items.length ? el("ul", {}, items.map((x) => el("li", {}, String(x)))) : el("p", {}, e.text));
    },
    token: (e) => { if (pending) pending.textContent += e.text; },
    answer: (e) => { if (pending) { pending.textContent = e.text; pending = null; } },
    warning: (e) => showError({ body: { error: "Warning", detail: e.text } }),
    backlog: (e) => {
      if (stopping) status.textContent = "Stopping: transcribing what is left (" + (e.backlog_ms / 1000).toFixed(1) + " s of audio)…";
      else if (e.backlog_ms > 3000) { status.textContent = "Transcription is " + Math.round(e.backlog_ms / 1000) + " s behind; nothing is lost."; behind = true; }
      else if (behind) { status.textContent = recording; behind = false; } // caught up
    },
    stopped: (e) => { stopping = false; status.textContent = "Stopped. The meeting is stored."; },
    // The summary at stop, from the transcript the meeting's assistant kept warm.
    progress: (e) => {
      if (e.text === "summarizing") {
        skip.hidden = false;
        const what = e.detail === "reading" ? "reading the end of the transcript (" + Math.round((e.fraction || 0) * 100) + " %)"
          : e.detail === "writing" ? (e.tokens || 0) + " tokens written" : e.detail;
        status.textContent = "Stopped. The meeting is stored. Writing the summary: " + what + "…";
      } else if (e.text === "summary draft") {
        draftNote.hidden = false;
        draftNote.textContent = "Summary drafted up to " + e.detail + ": at stop only what is said after that is written.";
      } else if (e.text === "summary") {
        draftNote.hidden = true;
        skip.hidden = true;
        status.textContent = "Stopped. The meeting and its summary are stored.";
        summaryBox.hidden = false;
        const body = el("div", { class: "md" }, e.detail || ""); // the Markdown, until the stored one is read
        summaryBox.replaceChildren(el("h2", {}, "Summary"), body);
        api("GET", "/api/sessions/" + session).then((s) => { if (s.summary) renderSummary(body, s.summary); }).catch(() => {});
      }
    },
    // A problem the meeting goes on after (a failed suggestion, answer or summary); a fatal
    // one ends the job, and follow() shows it.
    error: (e) => {
      if (e.fatal !== false) return;
      if (pending && /question/.test(e.text)) { pending.textContent = "No answer: " + e.text; pending = null; return; }
      if (/suggestion/.test(e.text)) { card.replaceChildren(el("p", { class: "error" }, e.text)); return; }
      skip.hidden = true; showError({ body: { error: "Error", detail: e.text } });
    },
  };
  async function follow(job) {
    jobId = job;
    start.disabled = true; stop.disabled = false;
    try {
      const done = await followJob(job, onEvent);
      if (done) status.append(" ", el("a", { href: "#/meeting/" + done.session }, "Open it"));
    } catch (e) { showError(e, "Live meeting"); status.textContent = "Not recording."; }
    finally { start.disabled = false; stop.disabled = true; skip.hidden = true; jobId = null; }
  }
  mic.value = ""; sys.value = "";
  start.addEventListener("click", async () => {
    clearError();
    lines.replaceChildren();
    summaryBox.hidden = true;
    draftNote.hidden = true;
    const body = { no_system: noSys.checked, summary: sumAtStop.checked };
    if (title.value.trim()) body.title = title.value.trim();
    if (mic.value.trim()) body.mic_source = mic.value.trim();
    if (sys.value.trim()) body.system_source = sys.value.trim();
    try { const { job } = await api("POST", "/api/live", body); status.textContent = "Starting…"; follow(job); }
    catch (e) { showError(e, "Starting"); }
  });
  stop.addEventListener("click", async () => {
    try { await api("POST", "/api/live/stop"); stopping = true; status.textContent = "Stopping: transcribing what is left…"; }
    catch (e) { showError(e, "Stopping"); }
  });
  skip.addEventListener("click", async () => {
    if (!jobId) return;
    try { await api("DELETE", "/api/jobs/" + jobId); skip.hidden = true; status.textContent = "Stopped. The meeting is stored; no summary was made."; }
    catch (e) { showError(e, "Skipping the summary"); }
  });
  const addNote = async () => {
    const t = box.value.trim();
    if (!t) return;
    try { await api("POST", "/api/live/notes", { text: t }); box.value = ""; } catch (e) { showError(e, "Note"); }
  };
  const ask = async () => {
    const q = box.value.trim();
    if (!q || !session) return;
    box.value = "";
    const a = el("div", { class: "msg assistant" });
    answer.replaceChildren(el("div", { class: "msg user" }, q), a);
    // The meeting's own assistant answers from its warm cache, on the meeting's stream
    // (token, then answer events); a meeting without one is answered by a chat job.
    try { await api("POST", "/api/live/ask", { question: q }); pending = a; return; }
    catch (e) { if (e.status !== 409) { a.textContent = "No answer: " + (e.body && e.body.detail || e.message); return; } }
    try { const { job } = await api("POST", "/api/sessions/" + session + "/chat", { question: q });
      const done = await followJob(job, { token: (d) => { a.textContent += d.text; } });
      const badge = remoteBadge(done);
      if (badge) a.prepend(badge); }
    catch (e) { a.textContent = "No answer: " + (e.body && e.body.detail || e.message); }
  };
  const suggest = async () => {
    if (!session) return;
    const where = el("p", { class: "muted" }, "Thinking…");
    card.replaceChildren(where);
    // The meeting's own assistant, from its warm cache: the suggestion event fills the card.
    try { await api("POST", "/api/live/suggest"); return; }
    catch (e) { if (e.status !== 409) { card.replaceChildren(el("p", { class: "error" }, "No suggestion: " + (e.body && e.body.detail || e.message))); return; } }
    try { const { job, remote } = await api("POST", "/api/sessions/" + session + "/suggestions");
      where.textContent = "Thinking " + whereRuns(remote) + "…";
      const d = await followJob(job, {});
      card.replaceChildren(...[el("ul", {}, (d.content || []).map((x) => el("li", {}, x))), remoteBadge(d)].filter(Boolean)); }
    catch (e) { card.replaceChildren(el("p", { class: "error" }, "No suggestion: " + (e.body && e.body.detail || e.message))); }
  };
  show(el("h1", {}, "Live meeting"),
    el("div", { class: "card" },
      el("div", { class: "row" }, title),
      el("div", { class: "row" }, el("label", { for: "live-mic" }, "Microphone"), mic, el("label", { for: "live-system" }, "System audio"), sys,
        el("label", { class: "small" }, noSys, " microphone only"),
        el("label", { class: "small" }, sumAtStop, " summary when it stops")),
      el("div", { class: "row" }, start, stop, skip, el("span", { class: "muted small" }, "Me"), meter("mic"),
        el("span", { class: "muted small" }, "Them"), meter("system")),
      status, draftNote, summaryBox),
    el("div", { class: "cols" },
      el("section", { "aria-labelledby": "h-live-t" }, el("h2", { id: "h-live-t" }, "Transcript"), lines),
      el("div", {},
        el("section", { class: "card suggest", "aria-labelledby": "h-live-s" }, el("h2", { id: "h-live-s" }, "Suggestion"), card,
          el("button", { type: "button", onclick: suggest }, "Suggest what to say")),
        el("section", { class: "card", "aria-labelledby": "h-live-q" }, el("h2", { id: "h-live-q" }, "Notes and questions"), box,
          el("div", { class: "row" }, el("button", { type: "button", onclick: addNote }, "Add note"),
            el("button", { type: "button", onclick: ask }, "Ask")), answer))));
  if (cur.id && cur.state === "running") { session = cur.session || null; follow(cur.id); }
}

// ---- Models --------------------------------------------------------------------------------

const pulls = {}; // model id -> progress element while a download runs

async function models() {
  const d = await api("GET", "/api/models");
  const hw = d.hardware;
  const gpu = hw.gpus && hw.gpus.length ? hw.gpus[0].description : "no GPU (CPU only)";
  const ownPath = el("input", { type: "text", id: "own-path", placeholder: "/path/to/model.gguf", "aria-label": "Path of your own GGUF file", size: 50 });
  show(
    el("h1", {}, "Models"),
    el("p", { class: "muted" }, "This computer: " + fmtBytes(hw.ram_total_bytes) + " RAM, " + (hw.cpu.model || "CPU") +
      " (" + hw.cpu.threads + " threads), " + gpu + ". Fit for a " + d.context_tokens + "-token context (about " +
      Math.round(d.context_tokens / 16000) + " h of meeting)."),
    el("h2", {}, "Language models"),
    d.blocking_reason ? el("p", { class: "error", id: "blocking" }, d.blocking_reason) : null,
    d.models.length ? modelTable(d.models, d.settings.llm_model, "llm") : el("p", { class: "muted" }, "The catalog lists no language models."),
    el("h2", {}, "Speech models"),
    d.speech_blocking_reason && d.speech_models.length ? el("p", { class: "error" }, d.speech_blocking_reason) : null,
    d.speech_models.length ? modelTable(d.speech_models, d.settings.speech_model, "speech")
      : el("p", { class: "muted" }, "The catalog lists no speech models."),
    el("h2", {}, "Add your own GGUF"),
    el("p", { class: "muted small" }, "The file stays where it is; Parley keeps its path and checks it each time."),
    el("form", { class: "row", onsubmit: async (ev) => {
      ev.preventDefault();
      try { await api("POST", "/api/models", { path: ownPath.value.trim() }); await models(); }
      catch (e) { showError(e, "Adding the model"); }
    } }, ownPath, el("button", { type: "submit" }, "Add")),
    el("p", { class: "muted small" }, "Catalog: " + d.catalog.origin + " (" + d.catalog.version + ")."));
}

function fitBadge(f) {
  const cls = "badge fit-" + f.level;
  return el("span", { class: cls, title: f.reason }, f.label);
}

function modelTable(list, selected, kind) {
  const rows = list.map((m) => {
    const actions = el("td", {});
    const stateCell = el("td", {}, m.state === "ready" ? "on disk" : m.state,
      m.state_reason ? el("div", { class: "small error" }, m.state_reason) : null);
    if (m.state === "not downloaded") {
      actions.append(el("button", { type: "button", "data-pull": m.id, onclick: () => pull(m, actions, stateCell) }, "Download"));
    }
    if (m.state === "ready" && m.id !== selected)
      actions.append(el("button", { type: "button", onclick: async () => {
        try { await api("POST", "/api/models/" + encodeURIComponent(m.id) + "/use"); await models(); }
        catch (e) { showError(e, "Choosing the model"); } } }, "Use"));
    if (m.id === selected) actions.append(el("span", { class: "badge" }, "In use"));
    if (m.state !== "not downloaded")
      actions.append(el("button", { type: "button", onclick: async () => {
        if (!confirm(m.source === "own" ? "Forget " + m.label + "? (The file stays.)" : "Delete " + m.label + "'s file?")) return;
        try { await api("DELETE", "/api/models/" + encodeURIComponent(m.id)); await models(); }
        catch (e) { showError(e, "Removing the model"); } } }, "Remove"));
    return el("tr", { "data-model": m.id },
      el("td", {}, el("strong", {}, m.label), " ", "\u2605".repeat(m.stars || 0),
        m.recommended ? el("span", { class: "badge rec" }, "Recommended") : null,
        m.archived ? el("span", { class: "badge" }, "Archived") : null,
        m.source === "own" ? el("span", { class: "badge" }, "Your file") : null),
      el("td", {}, fitBadge(m.fit)),
      el("td", { class: "num" }, fmtBytes(m.size_bytes)),
      el("td", { class: "num" }, fmtBytes(m.fit.ram_bytes)),
      el("td", { class: "num" }, m.fit.tokens_per_s ? m.fit.tokens_per_s.toFixed(0) + " tok/s" : ""),
      stateCell, actions);
  });
  return el("table", { class: "models", "data-kind": kind },
    el("thead", {}, el("tr", {}, ["Model", "Fit", "Size", "Needs", "Speed", "State", ""].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows));
}

async function pull(m, cell, stateCell) {
  const bar = el("progress", { max: 1, value: 0, "aria-label": "Downloading " + m.label });
  const text = el("span", { class: "small pull-status" }, " starting…");
  cell.replaceChildren(bar, text);
  try {
    const { job } = await api("POST", "/api/models/" + encodeURIComponent(m.id) + "/pull");
    const done = await followJob(job, { progress: (p) => {
      if (p.total) { bar.max = p.total; bar.value = p.done; }
      const eta = p.eta_s === null || p.eta_s === undefined ? "" : ", " + fmtTime(p.eta_s * 1000) + " left";
      text.textContent = " " + (p.phase === "verifying" ? "checking " : "") + fmtBytes(p.done) + " of " + fmtBytes(p.total) +
        (p.rate ? ", " + fmtBytes(p.rate) + "/s" : "") + eta;
    } });
    bar.value = bar.max;
    text.textContent = " done: " + fmtBytes(done.size) + ", verified by " + done.verified_by;
    stateCell.textContent = "on disk";
    cell.setAttribute("data-done", "1");
  } catch (e) {
    text.textContent = " failed";
    showError(e, "Downloading " + m.label);
  }
}

// ---- Settings -------------------------------------------------------------------------------

async function settings() {
  const s = await api("GET", "/api/settings");
  const features = [["transcribe", "Speech to text"], ["summary", "Summaries and notes"], ["chat", "Chat with a meeting"],
    ["suggest", "Live suggestions"]];
  const boxes = features.map(([k, label]) => el("label", { class: "check" },
    el("input", { type: "checkbox", name: "feature", value: k, checked: s.local_features.includes(k) }), " " + label));
  const auto = el("input", { type: "checkbox", id: "auto", checked: s.auto_suggestions });
  const battery = el("select", { id: "battery" }, [["normal", "Work as on mains power"], ["saver", "Save power: no automatic suggestions"],
    ["pause", "Transcribe only; summaries wait for mains power"]].map(([v, t]) => el("option", { value: v, selected: s.battery === v }, t)));
  const vocab = el("textarea", { id: "vocab", "aria-describedby": "vocab-help" });
  vocab.value = s.vocabulary.join("\n");
  const lang = el("input", { type: "text", id: "lang", value: s.output_language, size: 4, maxlength: 3, pattern: "[a-z]{2,3}|",
    "aria-describedby": "lang-help" });
  const saved = el("span", { class: "small", role: "status" });
  show(el("h1", {}, "Settings"),
    el("form", { onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        await api("PUT", "/api/settings", {
          local_features: boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value),
          auto_suggestions: auto.checked, battery: battery.value,
          vocabulary: vocab.value.split("\n").map((x) => x.trim()).filter(Boolean), output_language: lang.value.trim() });
        saved.textContent = "Saved.";
      } catch (e) { saved.textContent = ""; showError(e, "Saving the settings"); }
    } },
    el("fieldset", {}, el("legend", {}, "Features on this computer"),
      el("p", { class: "muted small" }, "Everything runs locally. A feature switched off here is not done at all; nothing is sent elsewhere instead."),
      boxes),
    el("fieldset", {}, el("legend", {}, "Live meetings"),
      el("label", { class: "check" }, auto, " Suggest what to say automatically"),
      el("p", { class: "muted small" }, "On this computer, suggestions keep the CPU (or GPU) busy during the meeting and can slow it down; " +
        "on battery they follow the setting below. With a team server set, that server makes them."),
      el("label", { class: "check" }, "On battery: ", battery)),
    el("fieldset", {}, el("legend", {}, "Speech recognition"),
      el("label", { for: "vocab" }, "Names and terms to expect, one per line"), vocab,
      el("p", { class: "muted small", id: "vocab-help" }, "People's names, products, jargon.")),
    el("fieldset", {}, el("legend", {}, "Summaries and notes"),
      el("label", { for: "lang" }, "Write them in (language code) "), lang,
      el("p", { class: "muted small", id: "lang-help" }, "Empty: the meeting's own language. E.g. en, de, fr.")),
    el("div", { class: "row" }, el("button", { type: "submit", class: "primary" }, "Save"), saved)),
    el("p", { class: "muted small", id: "model-in-use" }, s.serve_model
      ? "Model in use: " + s.serve_model + " (given to parley serve with --model; it overrides the one chosen on the Models page" +
        (s.llm_model ? ", " + s.llm_model : "") + ")."
      : "Model in use: " + (s.llm_model || "none chosen") + " (change it on the Models page)."));
}
