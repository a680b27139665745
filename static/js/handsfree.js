// Hands-free mode's browser half: hear when the candidate starts speaking (to open an answer, or to interrupt the
// interviewer's voice: barge-in), keep the audio from just before that moment, and show the server's
// end-of-answer countdown. The end of an answer is the server's decision (docs/protocol.md, "Hands-free").

const FRAME_S = 0.128;             // one 4096-byte frame of 16 kHz PCM16
const PREROLL_FRAMES = 8;          // ~1 s kept before the onset, sent first so the first word is not cut
const ONSET_FRAMES = 2;            // ~0.26 s above the threshold: a click or a chair creak is shorter
const ONSET_ABOVE_FLOOR_DB = 15;   // the server's VAD starts speech 12 dB above its floor; a little stricter here
const ONSET_MIN_DBFS = -45;        // quieter than this is never the candidate, however silent the room
const FLOOR_RISE_DB_PER_S = 1.5;   // the floor follows a noise that rises slowly, drops at once to a quieter frame

export function frameDbfs(buffer) {
  const samples = new Int16Array(buffer);
  if (!samples.length) return -120;
  let sum = 0;
  for (let i = 0; i < samples.length; i += 1) sum += samples[i] * samples[i];
  const rms = Math.sqrt(sum / samples.length) / 32768;
  return 20 * Math.log10(Math.max(rms, 1e-6));
}

// Speech onset from frame levels: above max(floor + 15 dB, -45 dBFS) for two frames in a row.
export class OnsetDetector {
  constructor() { this.floor = -70; this.run = 0; }

  push(db) {
    if (db > -100) {  // exact zeros (a muted or padded start) say nothing about the room
      this.floor = db < this.floor ? db : Math.min(db, this.floor + FLOOR_RISE_DB_PER_S * FRAME_S);
    }
    const loud = db > Math.max(this.floor + ONSET_ABOVE_FLOOR_DB, ONSET_MIN_DBFS);
    this.run = loud ? this.run + 1 : 0;
    return this.run === ONSET_FRAMES;
  }

  reset() { this.run = 0; }
}

export class HandsFree {
  // onOnset(): the candidate started speaking while the room was listening or the interviewer was talking.
  constructor({ countdownEl, statusEl, onOnset }) {
    this.countdownEl = countdownEl;
    this.statusEl = statusEl;
    this.onOnset = onOnset;
    this.detector = new OnsetDetector();
    this.preroll = [];
    this.armed = false;   // listening for an onset (asking or listening phases)
    this.timer = null;
    this.level = -120;
    this.holding = false;
  }

  // Every microphone frame outside an answer passes here.
  hear(frame) {
    this.preroll.push(frame);
    // While the answer is being opened nothing is dropped: those frames are the first words.
    if (this.preroll.length > PREROLL_FRAMES && !this.holding) this.preroll.shift();
    this.level = frameDbfs(frame);
    if (this.detector.push(this.level) && this.armed) {
      this.armed = false;
      this.onOnset();
    }
  }

  arm() { this.armed = true; this.detector.reset(); }

  disarm() { this.armed = false; }

  takePreroll() { const frames = this.preroll; this.preroll = []; return frames; }

  status(text) {
    this.statusEl.textContent = text;
    this.statusEl.hidden = !text;
  }

  countdown(secondsLeft) {
    clearInterval(this.timer);
    const deadline = performance.now() + secondsLeft * 1000;
    const value = this.countdownEl.querySelector("[data-countdown]");
    const tick = () => {
      value.textContent = Math.max(0, (deadline - performance.now()) / 1000).toFixed(1);
    };
    tick();
    this.countdownEl.hidden = false;
    this.timer = setInterval(tick, 100);
  }

  cancelCountdown() {
    clearInterval(this.timer);
    this.countdownEl.hidden = true;
  }
}
