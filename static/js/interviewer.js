// The interviewer: reads questions aloud with the browser's speech synthesis, in the persona's voice and tone,
// and animates the avatar while speaking. It never speaks while the candidate is answering: in hands-free mode the
// candidate starting to speak stops the voice (barge-in, room.js).

const PERSONAS = {
  friendly: {
    rate: 1.0, pitch: 1.1,
    intro: ["Take your time with this one.", "Here's the next one, no rush.", "Let's try this."],
    next: ["Thanks, that was helpful.", "Great, thank you.", "Thanks for walking me through that."],
    followUp: "I'd like to follow up on that.",
  },
  neutral: {
    rate: 1.0, pitch: 1.0,
    intro: ["Next question.", "Here is the next question.", "Moving on."],
    next: ["Thank you.", "Noted.", "Thank you, let's continue."],
    followUp: "A follow-up question.",
  },
  demanding: {
    rate: 1.08, pitch: 0.9,
    intro: ["Be precise.", "Let's see how deep you can go.", "I want specifics here."],
    next: ["Alright.", "Okay. Next.", "Fine, let's keep going."],
    followUp: "Let me push on that.",
  },
};

export class Interviewer {
  constructor({ persona, speak, avatarEl }) {
    this.persona = PERSONAS[persona] || PERSONAS.friendly;
    this.enabled = speak && "speechSynthesis" in window;
    this.avatarEl = avatarEl;
    this.count = 0;
  }

  setEnabled(on) {
    this.enabled = on && "speechSynthesis" in window;
    if (!this.enabled && "speechSynthesis" in window) window.speechSynthesis.cancel();
  }

  pick(list) { return list[this.count % list.length]; }

  prompt(question, { followUp = false, afterAnswer = false } = {}) {
    const lead = followUp ? this.persona.followUp : this.pick(this.persona.intro);
    const thanks = afterAnswer ? this.pick(this.persona.next) + " " : "";
    this.count += 1;
    return `${thanks}${lead} ${question}`;
  }

  // A brief acknowledgement after an answer (hands-free mode says it while the answer is scored).
  thanks() { return this.pick(this.persona.next); }

  // Resolves when done speaking (or at once when muted or unavailable); never rejects.
  say(text) {
    if (!this.enabled) return Promise.resolve();
    return new Promise((resolve) => {
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.rate = this.persona.rate;
      utterance.pitch = this.persona.pitch;
      utterance.lang = "en-US";
      const done = () => { this.speaking(false); clearTimeout(guard); resolve(); };
      // Some engines never fire `end` (no voices installed): give up after a generous estimate.
      const guard = setTimeout(done, 1500 + text.split(/\s+/).length * 600);
      utterance.onstart = () => this.speaking(true);
      utterance.onend = done;
      utterance.onerror = done;
      utterance.onboundary = () => this.pulse();
      window.speechSynthesis.cancel();
      window.speechSynthesis.speak(utterance);
    });
  }

  stop() {
    if ("speechSynthesis" in window) window.speechSynthesis.cancel();
    this.speaking(false);
  }

  speaking(on) { if (this.avatarEl) this.avatarEl.classList.toggle("speaking", on); }

  pulse() {
    if (!this.avatarEl) return;
    this.avatarEl.classList.remove("pulse");
    void this.avatarEl.offsetWidth; // restart the CSS animation
    this.avatarEl.classList.add("pulse");
  }
}
