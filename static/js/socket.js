// The interview socket: reconnects with backoff and resumes the answer being recorded, so no audio is lost.
//
// Every frame of the current answer is kept with its byte offset until the server has confirmed receiving it
// (`received_bytes` in metrics). After a reconnect the client sends `answer.resume`; the server answers with the
// byte count it has stored, and the client resends everything after it.

const MAX_BUFFERED_BYTES = 32000 * 300; // five minutes of audio kept while offline
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 10000];

export class InterviewSocket extends EventTarget {
  constructor(path) {
    super();
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.url = `${scheme}://${location.host}${path}`;
    this.ws = null;
    this.attempt = 0;
    this.closedByUs = false;
    this.answerId = null;       // the answer being recorded
    this.frames = [];           // [{offset, data}] not yet confirmed
    this.sentBytes = 0;         // bytes of the current answer produced so far
    this.confirmed = 0;         // bytes the server confirmed
    this.pendingEnd = false;    // answer.end requested while offline
    this.awaitingStart = null;  // {resolve, reject} of answer.start
    this.resuming = false;
  }

  get connected() { return this.ws && this.ws.readyState === WebSocket.OPEN; }

  connect() {
    this.closedByUs = false;
    const ws = new WebSocket(this.url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => { this.attempt = 0; this.emit("open", {}); };
    ws.onmessage = (event) => this.onMessage(event);
    ws.onclose = (event) => this.onClose(event);
    ws.onerror = () => {};
  }

  emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  sendJson(payload) {
    if (this.connected) this.ws.send(JSON.stringify(payload));
  }

  onMessage(event) {
    let message;
    try { message = JSON.parse(event.data); } catch { return; }
    switch (message.type) {
      case "ready":
        if (this.answerId !== null) {
          this.resuming = true;
          this.sendJson({ type: "answer.resume", answer_id: this.answerId });
        }
        break;
      case "answer.started":
        if (this.resuming || message.resumed) {
          this.resuming = false;
          this.confirm(message.received_bytes);
          this.resend(message.received_bytes);
          if (this.pendingEnd) this.end();
        } else {
          this.answerId = message.answer_id;
          this.frames = [];
          this.sentBytes = 0;
          this.confirmed = 0;
          if (this.awaitingStart) { this.awaitingStart.resolve(message); this.awaitingStart = null; }
        }
        break;
      case "metrics":
        if (typeof message.received_bytes === "number") this.confirm(message.received_bytes);
        break;
      case "answer.ended":
        this.answerId = null;
        this.frames = [];
        this.pendingEnd = false;
        break;
      case "error":
        if (this.awaitingStart && ["answer_in_progress", "unknown_question", "session_closed", "storage_full"].includes(message.code)) {
          this.awaitingStart.reject(new Error(message.message));
          this.awaitingStart = null;
        }
        if (message.code === "answer_closed" || message.code === "unknown_answer") {
          this.answerId = null; this.frames = []; this.pendingEnd = false;
        }
        break;
      default:
        break;
    }
    this.emit(message.type, message);
  }

  onClose(event) {
    this.emit("close", { code: event.code });
    if (this.closedByUs) return;
    if ([4401, 4404, 4409].includes(event.code)) {
      this.emit("fatal", { code: event.code });
      return;
    }
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    this.emit("reconnecting", { attempt: this.attempt, delay });
    setTimeout(() => this.connect(), delay);
  }

  confirm(receivedBytes) {
    this.confirmed = Math.max(this.confirmed, receivedBytes);
    while (this.frames.length && this.frames[0].offset + this.frames[0].data.byteLength <= this.confirmed) {
      this.frames.shift();
    }
  }

  resend(fromByte) {
    for (const frame of this.frames) {
      const end = frame.offset + frame.data.byteLength;
      if (end <= fromByte) continue;
      const skip = Math.max(0, fromByte - frame.offset);
      this.ws.send(skip ? frame.data.slice(skip) : frame.data);
    }
  }

  startAnswer(questionId) {
    return new Promise((resolve, reject) => {
      if (!this.connected) { reject(new Error("Not connected to the server.")); return; }
      this.awaitingStart = { resolve, reject };
      this.sendJson({ type: "answer.start", question_id: questionId });
    });
  }

  sendAudio(buffer) {
    if (this.answerId === null) return;
    const frame = { offset: this.sentBytes, data: buffer };
    this.sentBytes += buffer.byteLength;
    this.frames.push(frame);
    let buffered = this.sentBytes - this.confirmed;
    while (buffered > MAX_BUFFERED_BYTES && this.frames.length) {
      buffered -= this.frames.shift().data.byteLength; // beyond five minutes offline, the oldest audio goes
    }
    if (this.connected && !this.resuming) this.ws.send(buffer);
  }

  end() {
    if (this.answerId === null) return;
    if (!this.connected || this.resuming) { this.pendingEnd = true; return; }
    this.pendingEnd = false;
    this.sendJson({ type: "answer.end" });
  }

  close() {
    this.closedByUs = true;
    if (this.ws) this.ws.close();
  }
}
