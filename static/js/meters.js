// Live meters drawn from `metrics` events: loudness bar, a scrolling pitch trace, pace, pauses, fillers,
// and one nudge at a time. Glanceable on purpose: the detail belongs in the feedback.

const PITCH_MIN_HZ = 70;
const PITCH_MAX_HZ = 400;
const TRACE_SECONDS = 12;

export class Meters {
  constructor(root) {
    this.root = root;
    this.loudness = root.querySelector("[data-meter=loudness]");
    this.loudnessValue = root.querySelector("[data-value=loudness]");
    this.canvas = root.querySelector("canvas[data-meter=pitch]");
    this.pace = root.querySelector("[data-value=pace]");
    this.pause = root.querySelector("[data-value=pause]");
    this.fillers = root.querySelector("[data-value=fillers]");
    this.nudge = root.querySelector("[data-value=nudge]");
    this.points = [];
    this.loudHistory = [];
    this.lastNudge = "";
    this.nudgeSince = 0;
  }

  reset() {
    this.points = [];
    this.loudHistory = [];
    this.setNudge("");
    this.update({ loudness_dbfs: -100, pitch_hz: null, voiced: false, in_pause: false, pause_count: 0, wpm: null,
      filler_count: 0, t: 0 });
  }

  update(m) {
    const db = Math.max(-60, Math.min(0, m.loudness_dbfs ?? -100));
    const pct = Math.round(((db + 60) / 60) * 100);
    if (this.loudness) { this.loudness.style.width = `${pct}%`; this.loudness.parentElement.setAttribute("aria-valuenow", String(pct)); }
    if (this.loudnessValue) this.loudnessValue.textContent = m.loudness_dbfs > -99 ? `${Math.round(m.loudness_dbfs)} dBFS` : "silent";
    this.points.push({ t: m.t, hz: m.voiced ? m.pitch_hz : null });
    this.points = this.points.filter((p) => p.t >= m.t - TRACE_SECONDS);
    this.loudHistory.push({ t: m.t, db: m.loudness_dbfs, voiced: m.voiced });
    this.loudHistory = this.loudHistory.filter((p) => p.t >= m.t - 10);
    this.draw(m.t);
    if (this.pace) this.pace.textContent = m.wpm ? `${m.wpm} wpm` : "—";
    if (this.pause) {
      this.pause.textContent = m.in_pause ? "pausing…" : `${m.pause_count} pause${m.pause_count === 1 ? "" : "s"}`;
      this.pause.classList.toggle("active", Boolean(m.in_pause));
    }
    if (this.fillers) this.fillers.textContent = String(m.filler_count ?? 0);
    if (!m.final) this.setNudge(this.chooseNudge(m)); // no hint once the answer is over
  }

  chooseNudge(m) {
    if (m.in_pause) return ""; // a thinking pause is never interrupted, not even by a hint
    if (m.clipping) return "Too loud: move back from the microphone";
    const voiced = this.loudHistory.filter((p) => p.voiced);
    if (voiced.length >= 10 && voiced.reduce((s, p) => s + p.db, 0) / voiced.length < -42) return "Speak up a little";
    // The server judges pace against the same band as the final feedback (speech_metrics.pace_advice); a few
    // seconds of speech first, so the opening words do not trigger a hint.
    if (m.pace_advice === "slow_down" && m.speaking_time_s > 15) return "Slow down";
    if (m.pace_advice === "speed_up" && m.speaking_time_s > 20) return "Pick up the pace a little";
    if (m.speaking_time_s > 20 && m.filler_count / (m.speaking_time_s / 60) > 8) return "Pause instead of um";
    const hz = this.points.filter((p) => p.hz).map((p) => 12 * Math.log2(p.hz / 100));
    if (hz.length > 30) {
      const mean = hz.reduce((a, b) => a + b, 0) / hz.length;
      const sd = Math.sqrt(hz.reduce((a, b) => a + (b - mean) ** 2, 0) / hz.length);
      if (sd < 1.2) return "Vary your pitch to stress key words";
    }
    return "";
  }

  setNudge(text) {
    if (!this.nudge) return;
    const now = performance.now();
    // One nudge at a time, and each stays long enough to be read.
    if (text !== this.lastNudge && (now - this.nudgeSince > 4000 || !this.lastNudge)) {
      this.lastNudge = text;
      this.nudgeSince = now;
      this.nudge.textContent = text;
      this.nudge.hidden = !text;
    }
  }

  draw(now) {
    const c = this.canvas;
    if (!c) return;
    const ctx = c.getContext("2d");
    const w = c.width, h = c.height;
    ctx.clearRect(0, 0, w, h);
    ctx.strokeStyle = "#e5e7eb";
    ctx.lineWidth = 1;
    for (const hz of [100, 200, 300]) {
      const y = this.y(hz, h);
      ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(w, y); ctx.stroke();
    }
    ctx.strokeStyle = "#1d4ed8";
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    let drawing = false;
    for (const p of this.points) {
      const x = w - ((now - p.t) / TRACE_SECONDS) * w;
      if (p.hz) {
        const y = this.y(p.hz, h);
        if (drawing) ctx.lineTo(x, y); else ctx.moveTo(x, y);
        drawing = true;
      } else {
        drawing = false;
      }
    }
    ctx.stroke();
  }

  y(hz, h) {
    const lo = Math.log(PITCH_MIN_HZ), hi = Math.log(PITCH_MAX_HZ);
    const v = (Math.log(Math.max(PITCH_MIN_HZ, Math.min(PITCH_MAX_HZ, hz))) - lo) / (hi - lo);
    return h - v * h;
  }
}
