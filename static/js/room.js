// The interview room: question, microphone, live meters and captions, answers spoken or typed.
import { Capture, MicrophoneError, microphoneSupported } from "./audio-capture.js";
import { Interviewer } from "./interviewer.js";
import { Meters } from "./meters.js";
import { InterviewSocket } from "./socket.js";
import { pollStatus } from "./status-poll.js";

const config = JSON.parse(document.getElementById("room-config").textContent);
const $ = (sel) => document.querySelector(sel);
const ui = {
  status: $("#connection-status"),
  alert: $("#room-alert"),
  position: $("#question-position"),
  text: $("#question-text"),
  topic: $("#question-topic"),
  hint: $("#question-hint"),
  hintBox: $("#hint-box"),
  why: $("#question-why"),
  rationale: $("#question-rationale"),
  start: $("#start-answer"),
  stop: $("#stop-answer"),
  skip: $("#skip-question"),
  next: $("#next-question"),
  again: $("#answer-again"),
  typeToggle: $("#type-instead"),
  typedForm: $("#typed-form"),
  timer: $("#answer-timer"),
  totalTimer: $("#total-timer"),
  captions: $("#captions-final"),
  partial: $("#captions-partial"),
  engine: $("#caption-engine"),
  result: $("#answer-result"),
  speakToggle: $("#toggle-speak"),
  avatarToggle: $("#toggle-avatar"),
  avatar: $("#avatar"),
  list: $("#question-list"),
  live: $("#live-panel"),
};

const state = {
  questions: config.questions,
  currentId: config.currentQuestionId,
  phase: "idle", // idle | starting | recording | processing | done
  answerId: null,
  answerStarted: 0,
  lastAnsweredId: null,
  stopPolling: () => {},
  capture: null,
  micBlocked: false,
  afterAnswer: false,
};

const socket = new InterviewSocket(config.wsPath);
const meters = new Meters(ui.live);
const interviewer = new Interviewer({ persona: config.persona, speak: config.speak, avatarEl: ui.avatar });
const sessionStarted = performance.now();

function csrfToken() {
  const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function url(name, id) { return config.urls[name].replace(/\/0(\/|$)/, `/${id}$1`); }

function say(message, kind = "info") {
  ui.alert.textContent = message;
  ui.alert.className = `message ${kind}`;
  ui.alert.hidden = !message;
}

function setStatus(text, kind) {
  ui.status.textContent = text;
  ui.status.dataset.state = kind;
}

function current() { return state.questions.find((q) => q.id === state.currentId) || null; }

function renderQuestion({ speak = true } = {}) {
  const q = current();
  renderList();
  if (!q) {
    ui.text.textContent = "That was the last question. Finish the interview to get your report.";
    ui.position.textContent = "Done";
    ui.topic.textContent = "";
    ui.hintBox.hidden = true;
    setPhase("done");
    return;
  }
  const index = state.questions.indexOf(q) + 1;
  ui.position.textContent = `Question ${index} of ${state.questions.length}`;
  ui.text.textContent = q.text;
  ui.text.dataset.questionId = String(q.id);
  ui.topic.textContent = q.subtopic ? `${q.topic} · ${q.subtopic}` : q.topic;
  ui.hint.textContent = q.hint || "";
  ui.hintBox.hidden = !q.hint;
  ui.hintBox.open = false;
  if (ui.why) {
    ui.rationale.textContent = q.rationale || "";
    ui.why.hidden = !q.rationale;
  }
  ui.typedForm.action = url("typed", q.id);
  setPhase("idle");
  if (speak) {
    interviewer.say(interviewer.prompt(q.text, { followUp: q.source === "follow_up", afterAnswer: state.afterAnswer }));
  }
  state.afterAnswer = false;
  ui.text.focus();
}

function renderList() {
  ui.list.replaceChildren(...state.questions.map((q) => {
    const li = document.createElement("li");
    li.textContent = q.text.length > 70 ? `${q.text.slice(0, 70)}…` : q.text;
    li.className = `q-${q.status}`;
    if (q.id === state.currentId) li.setAttribute("aria-current", "step");
    const scored = q.answers.filter((a) => a.content_score !== null);
    if (scored.length) {
      const badge = document.createElement("a");
      badge.className = "badge";
      badge.href = url("answer", scored[scored.length - 1].id);
      badge.textContent = `${Math.round(scored[scored.length - 1].content_score)}`;
      badge.title = "Content score of the last attempt: open its feedback";
      li.append(" ", badge);
    } else if (q.status === "skipped") {
      li.append(" (skipped)");
    }
    return li;
  }));
}

function setPhase(phase) {
  state.phase = phase;
  const recording = phase === "recording";
  ui.start.hidden = recording || phase === "processing" || phase === "done";
  ui.start.disabled = phase === "starting" || state.micBlocked;
  ui.stop.hidden = !recording;
  ui.skip.hidden = phase !== "idle";
  ui.typeToggle.hidden = phase !== "idle";
  ui.next.hidden = !(phase === "scored" || (phase === "processing" && state.lastAnsweredId));
  ui.again.hidden = phase !== "scored";
  document.body.classList.toggle("recording", recording);
  if (!recording) ui.timer.textContent = "0:00";
}

function fmt(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

setInterval(() => {
  ui.totalTimer.textContent = fmt((performance.now() - sessionStarted) / 1000);
  if (state.phase === "recording") ui.timer.textContent = fmt((performance.now() - state.answerStarted) / 1000);
}, 250);

async function ensureCapture() {
  if (state.capture) return state.capture;
  const capture = new Capture({ workletUrl: ui.start.dataset.worklet, onFrame: (frame) => socket.sendAudio(frame) });
  await capture.open();
  state.capture = capture;
  return capture;
}

async function startAnswer() {
  const q = current();
  if (!q || state.phase === "recording") return;
  interviewer.stop();
  setPhase("starting");
  say("");
  try {
    const capture = await ensureCapture();
    await socket.startAnswer(q.id);
    meters.reset();
    ui.captions.textContent = "";
    ui.partial.textContent = "";
    ui.result.hidden = true;
    await capture.start();
    state.answerStarted = performance.now();
    setPhase("recording");
    ui.stop.focus();
  } catch (error) {
    if (error instanceof MicrophoneError) {
      state.micBlocked = true;
      showTyped();
      say(error.message, "error");
    } else {
      say(error.message || "Could not start the answer.", "error");
    }
    setPhase("idle");
  }
}

// The first open question other than `exceptId`: the candidate may move on while the last answer is scored,
// before the server's state (and any follow-up it inserts) arrives.
function nextOpenId(exceptId) {
  const open = state.questions.find((q) => (q.status === "pending" || q.status === "asked") && q.id !== exceptId);
  return open ? open.id : null;
}

async function stopAnswer() {
  if (state.phase !== "recording") return;
  await state.capture.pause();
  socket.end();
  state.lastAnsweredId = state.currentId;
  const answered = current();
  if (answered) answered.status = "answered";
  state.nextId = nextOpenId(state.currentId);
  setPhase("processing");
  showResult("Scoring your answer…", null);
}

socket.addEventListener("answer.started", (e) => { state.answerId = e.detail.answer_id; });
socket.addEventListener("answer.ended", (e) => {
  state.answerId = e.detail.answer_id;
  pollAnswer(e.detail.answer_id);
});
socket.addEventListener("metrics", (e) => { if (state.phase === "recording") meters.update(e.detail); });
socket.addEventListener("transcript.partial", (e) => { ui.partial.textContent = e.detail.text; setEngine(e.detail.engine); });
socket.addEventListener("transcript.final", (e) => {
  ui.captions.textContent = `${ui.captions.textContent} ${e.detail.text}`.trim();
  ui.partial.textContent = "";
  setEngine(e.detail.engine);
});
socket.addEventListener("transcript.engine", (e) => {
  setEngine(e.detail.engine);
  say(`Live captions switched to ${engineName(e.detail.engine)}: ${e.detail.reason}`, "warning");
});
socket.addEventListener("captions.paused", (e) => {
  // The server is at its live-caption cap: this answer is recorded and transcribed in full, without live captions.
  setEngine("off");
  ui.partial.textContent = e.detail.message;
  say(e.detail.message, "info");
});
socket.addEventListener("answer.scored", (e) => onScored(e.detail));
socket.addEventListener("report.ready", () => { window.location.href = config.urls.report; });
socket.addEventListener("error", (e) => {
  const { code, message } = e.detail;
  if (code === "answer_too_long") stopAnswer();
  say(message, code === "too_fast" ? "error" : "warning");
});
socket.addEventListener("open", () => setStatus("Connected", "ok"));
socket.addEventListener("ready", (e) => {
  setEngine(e.detail.engine);
  const pending = e.detail.answer_in_progress;
  if (pending && state.phase === "idle" && socket.answerId === null) offerResume(pending);
});
socket.addEventListener("reconnecting", (e) => {
  const offline = e.detail.attempt >= 3;
  setStatus(offline ? "Server unreachable — retrying; your audio is kept" : "Reconnecting…", offline ? "bad" : "warn");
});
socket.addEventListener("fatal", (e) => {
  setStatus("Disconnected", "bad");
  say({ 4401: "Your login expired: log in again to continue.", 4409: "This answer continued in another tab or window." }[e.detail.code] || "This interview is not available.", "error");
});

function engineName(engine) {
  return { assemblyai: "AssemblyAI", "whisper-tiny.en": "local Whisper", local: "local Whisper", off: "off" }[engine] || engine;
}

function setEngine(engine) { ui.engine.textContent = engineName(engine); }

function offerResume(pending) {
  const q = state.questions.find((x) => x.id === pending.question_id);
  if (!q) return;
  state.currentId = q.id;
  renderQuestion({ speak: false });
  say("You were in the middle of this answer when the connection dropped. Press Start to continue it — " +
      "nothing recorded so far is lost.", "info");
  ui.start.textContent = "Resume answer";
  ui.start.onclick = async () => {
    ui.start.onclick = null;
    ui.start.textContent = "Start answer";
    setPhase("starting");
    try {
      const capture = await ensureCapture();
      socket.answerId = pending.answer_id;
      socket.sentBytes = pending.received_bytes;
      socket.confirmed = pending.received_bytes;
      socket.resuming = true;
      socket.sendJson({ type: "answer.resume", answer_id: pending.answer_id });
      await capture.start();
      state.answerStarted = performance.now();
      setPhase("recording");
    } catch (error) {
      say(error.message, "error");
      setPhase("idle");
    }
  };
}

function showResult(text, detail) {
  ui.result.hidden = false;
  ui.result.querySelector("[data-result=text]").textContent = text;
  const link = ui.result.querySelector("a");
  if (detail && detail.feedback_url) { link.href = detail.feedback_url; link.hidden = false; } else { link.hidden = true; }
}

function pollAnswer(answerId) {
  state.stopPolling();
  state.stopPolling = pollStatus(url("answerStatus", answerId), {
    done: ["scored", "failed"],
    factor: 1.34,  // 1.5 s, then every 2 s
    max: 2000,
    onState: (detail) => showResult(`Scoring your answer… (${detail.progress || "queued"})`, null),
    onDone: onScored,
  });
}

async function onScored(detail) {
  if (detail.answer_id !== state.answerId) return;
  state.stopPolling();
  if (detail.status === "failed") {
    showResult("Scoring failed for this answer. Open it to retry — your recording is kept.", detail);
  } else {
    const parts = [`Content ${Math.round(detail.content_score ?? 0)}`];
    if (detail.delivery_score !== null && detail.delivery_score !== undefined) parts.push(`delivery ${Math.round(detail.delivery_score)}`);
    if (detail.structure_score !== null && detail.structure_score !== undefined) parts.push(`structure ${Math.round(detail.structure_score)}`);
    let text = `Scored: ${parts.join(", ")}.`;
    if (detail.next && detail.next.action && detail.next.action !== "next" && detail.next.reason) {
      const reason = detail.next.reason;
      text += ` Next: ${reason.charAt(0).toUpperCase()}${reason.slice(1)}.`.replace(/\.\.$/, ".");
    }
    showResult(text, detail);
  }
  await refreshState();
  setPhase("scored");
  ui.next.focus();
}

async function refreshState() {
  const response = await fetch(config.urls.state, { headers: { Accept: "application/json" } });
  if (!response.ok) return;
  const fresh = await response.json();
  state.questions = fresh.questions;
  state.nextId = fresh.currentQuestionId;
  if (fresh.status !== "active" && fresh.status !== "paused") window.location.href = config.urls.report;
  renderList();
}

async function post(path, body) {
  return fetch(path, {
    method: "POST",
    headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    body,
  });
}

function nextQuestion() {
  state.currentId = state.nextId ?? nextOpenId(state.lastAnsweredId);
  state.afterAnswer = true;
  ui.result.hidden = true;
  renderQuestion();
}

async function skipQuestion() {
  const q = current();
  if (!q) return;
  const response = await post(url("skip", q.id));
  if (!response.ok) { say("Could not skip this question.", "error"); return; }
  await refreshState();
  state.currentId = state.nextId ?? null;
  renderQuestion();
}

function showTyped() {
  ui.typedForm.hidden = false;
  ui.typedForm.querySelector("textarea").focus();
}

ui.typedForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const q = current();
  if (!q) return;
  const data = new FormData(ui.typedForm);
  if (!String(data.get("text") || "").trim()) { say("Type an answer first.", "warning"); return; }
  const response = await post(ui.typedForm.action, data);
  if (!response.ok) { say("The answer could not be submitted; try again.", "error"); return; }
  const detail = await response.json();
  state.answerId = detail.answer_id;
  state.lastAnsweredId = q.id;
  ui.typedForm.reset();
  ui.typedForm.hidden = true;
  setPhase("processing");
  showResult("Scoring your answer…", null);
  pollAnswer(detail.answer_id);
});

ui.start.addEventListener("click", () => { if (!ui.start.onclick) startAnswer(); });
ui.stop.addEventListener("click", stopAnswer);
ui.next.addEventListener("click", nextQuestion);
ui.again.addEventListener("click", () => { state.currentId = state.lastAnsweredId; renderQuestion({ speak: false }); });
ui.skip.addEventListener("click", skipQuestion);
ui.typeToggle.addEventListener("click", showTyped);
ui.speakToggle.checked = config.speak;
ui.speakToggle.addEventListener("change", () => interviewer.setEnabled(ui.speakToggle.checked));
ui.avatarToggle.checked = config.avatar;
ui.avatar.hidden = !config.avatar;
ui.avatarToggle.addEventListener("change", () => { ui.avatar.hidden = !ui.avatarToggle.checked; });

// Space starts and stops an answer when focus is not in a field; Escape stops.
document.addEventListener("keydown", (event) => {
  if (event.target.closest("input, textarea, select, button, a, summary")) return;
  if (event.code === "Space") {
    event.preventDefault();
    if (state.phase === "recording") stopAnswer(); else if (state.phase === "idle") startAnswer();
  } else if (event.code === "Escape" && state.phase === "recording") {
    stopAnswer();
  }
});

window.addEventListener("beforeunload", (event) => {
  if (state.phase === "recording") { event.preventDefault(); event.returnValue = ""; }
});

if (!microphoneSupported()) {
  state.micBlocked = true;
  say("This browser cannot record audio here. You can type your answers instead.", "warning");
  showTyped();
}
setStatus("Connecting…", "warn");
socket.connect();
renderQuestion();
window.__room = { state, socket }; // for the browser test and debugging
