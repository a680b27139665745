// The interview room: question, microphone, live meters and captions, answers spoken or typed.
import { Capture, MicrophoneError, microphoneSupported } from "./audio-capture.js";
import { HandsFree } from "./handsfree.js";
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
  countdown: $("#end-countdown"),
  listen: $("#listen-status"),
  finish: $("form[data-finish]"),
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
  handsFree: false,   // hands-free running: after Start, questions, answers and moves need no clicks
  bargeIns: 0,
  acknowledged: null, // the spoken "thank you" after an answer, awaited before the next question
  scoreGuard: null,
};

const socket = new InterviewSocket(config.wsPath);
const meters = new Meters(ui.live);
const interviewer = new Interviewer({ persona: config.persona, speak: config.speak, avatarEl: ui.avatar });
const sessionStarted = performance.now();
const hf = config.handsFree ? new HandsFree({ countdownEl: ui.countdown, statusEl: ui.listen, onOnset: beginSpokenAnswer }) : null;

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
    if (state.handsFree) finishHandsFree();
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
  if (speak) announce(q);
  state.afterAnswer = false;
  ui.text.focus();
}

// Read the question; in hands-free mode then listen. Speaking meanwhile interrupts the voice (beginSpokenAnswer).
async function announce(q) {
  const text = interviewer.prompt(q.text, { followUp: q.source === "follow_up", afterAnswer: state.afterAnswer });
  if (!state.handsFree) { interviewer.say(text); return; }
  setPhase("asking");
  await state.acknowledged;
  if (state.phase !== "asking" || state.currentId !== q.id) return; // the candidate already began
  await interviewer.say(text);
  if (state.phase === "asking" && state.currentId === q.id) setPhase("listening");
  if (state.micBlocked) showTyped(); // no microphone: each question waits for a typed answer
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

const SCORE_WAIT_MS = 60000; // hands-free waits this long for the score (and a follow-up) before moving on

const LISTEN_STATUS = {
  asking: "The interviewer is asking. Start speaking whenever you like.",
  listening: "Listening. Answer whenever you are ready.",
  recording: `Listening. A pause of ${config.silenceS} s after you finish ends your answer.`,
  processing: "Thanks. Scoring your answer; the next question follows by itself.",
};

function listenStatus(phase) {
  if (!state.handsFree) return "";
  if (state.micBlocked && phase === "listening") return "Type your answer below; the next question follows.";
  return LISTEN_STATUS[phase] || "";
}

function setPhase(phase) {
  state.phase = phase;
  const recording = phase === "recording";
  const waiting = phase === "idle" || phase === "asking" || phase === "listening";
  ui.start.hidden = recording || phase === "processing" || phase === "done" || state.handsFree;
  ui.start.disabled = phase === "starting" || (state.micBlocked && !hf);
  ui.stop.hidden = !recording;
  ui.skip.hidden = !waiting;
  ui.typeToggle.hidden = !waiting;
  ui.next.hidden = state.handsFree || !(phase === "scored" || (phase === "processing" && state.lastAnsweredId));
  ui.again.hidden = state.handsFree || phase !== "scored";
  document.body.classList.toggle("recording", recording);
  if (!recording) ui.timer.textContent = "0:00";
  if (hf) {
    // Only an open question with the typing box closed is listened for: a typed answer is never interrupted.
    if (state.handsFree && (phase === "asking" || phase === "listening") && ui.typedForm.hidden && !state.micBlocked) {
      hf.arm();
    } else {
      hf.disarm();
    }
    if (!recording) hf.cancelCountdown();
    hf.status(listenStatus(phase));
  }
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
  // Hands-free keeps the microphone open between answers: frames outside an answer go to the onset detector.
  const onFrame = (frame) => { if (hf && state.phase !== "recording") hf.hear(frame); else socket.sendAudio(frame); };
  const capture = new Capture({ workletUrl: ui.start.dataset.worklet, onFrame });
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
  if (!state.handsFree) await state.capture.pause();
  socket.end();
  answerClosed();
}

// The answer is over (the Stop button, or the server heard the silence that ends it).
function answerClosed() {
  state.lastAnsweredId = state.currentId;
  const answered = current();
  if (answered) answered.status = "answered";
  state.nextId = nextOpenId(state.currentId);
  setPhase("processing");
  showResult("Scoring your answer…", null);
  if (state.handsFree) acknowledge();
}

socket.addEventListener("answer.started", (e) => { state.answerId = e.detail.answer_id; });
socket.addEventListener("answer.ended", (e) => {
  state.answerId = e.detail.answer_id;
  if (e.detail.reason !== "client" && state.phase === "recording") answerClosed();
  pollAnswer(e.detail.answer_id);
});
socket.addEventListener("answer.ending", (e) => { if (hf && state.phase === "recording") hf.countdown(e.detail.seconds_left); });
socket.addEventListener("answer.ending_cancelled", () => { if (hf) hf.cancelCountdown(); });
// The closing event (`final`) arrives once every caption is in, after recording stopped: the meters end on the
// whole answer's figures.
socket.addEventListener("metrics", (e) => {
  if (state.phase === "recording" || (e.detail.final && state.phase === "processing")) meters.update(e.detail);
});
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
  if (state.handsFree) { continueHandsFree(); return; }
  ui.next.focus();
}

// --- hands-free: Start once, then the interviewer asks, listens, acknowledges and moves on by itself ------------

async function startHandsFree() {
  state.handsFree = true;
  ui.start.hidden = true;
  try {
    const capture = await ensureCapture();
    await capture.start();
  } catch (error) {
    state.micBlocked = true; // the questions are still read and typed answers move the interview on
    showTyped();
    say(error.message || "The microphone could not start; type your answers.", "warning");
  }
  renderQuestion();
}

async function beginSpokenAnswer() {
  const q = current();
  if (!q || !(state.phase === "asking" || state.phase === "listening")) return;
  if (state.phase === "asking" && interviewer.enabled && window.speechSynthesis.speaking) state.bargeIns += 1;
  interviewer.stop(); // barge-in: the candidate's voice stops the interviewer's
  hf.holding = true;
  setPhase("starting");
  try {
    await socket.startAnswer(q.id);
    meters.reset();
    ui.captions.textContent = "";
    ui.partial.textContent = "";
    ui.result.hidden = true;
    for (const frame of hf.takePreroll()) socket.sendAudio(frame); // the onset and the second before it
    state.answerStarted = performance.now();
    setPhase("recording");
  } catch (error) {
    say(error.message || "Could not start the answer.", "error");
    setPhase("listening");
  } finally {
    hf.holding = false;
  }
}

function acknowledge() {
  state.acknowledged = interviewer.say(interviewer.thanks());
  clearTimeout(state.scoreGuard);
  // Scoring that takes too long (or a lost push and poll) does not stall a hands-free interview.
  state.scoreGuard = setTimeout(() => { if (state.phase === "processing") refreshState().then(continueHandsFree); },
    SCORE_WAIT_MS);
}

function continueHandsFree() {
  clearTimeout(state.scoreGuard);
  if (!state.handsFree || state.phase === "asking" || state.phase === "listening" || state.phase === "recording") return;
  nextQuestion();
}

async function finishHandsFree() {
  state.handsFree = false;
  await state.acknowledged;
  await interviewer.say("That was my last question. Thank you, your report is on its way.");
  if (ui.finish) ui.finish.submit();
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
  state.afterAnswer = !state.handsFree; // hands-free already thanked the candidate when the answer ended
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
  if (hf) hf.disarm();
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
  if (state.handsFree) acknowledge();
  pollAnswer(detail.answer_id);
});

ui.start.addEventListener("click", () => {
  if (ui.start.onclick) return;
  if (hf && !state.handsFree) startHandsFree(); else startAnswer();
});
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
    if (state.phase === "recording") stopAnswer(); else if (state.phase === "idle" && !state.handsFree) startAnswer();
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
if (hf) ui.start.textContent = "● Start the interview (hands-free)";
renderQuestion({ speak: !hf }); // hands-free speaks from Start on (a click lets the page use audio)
window.__room = { state, socket }; // for the browser test and debugging
