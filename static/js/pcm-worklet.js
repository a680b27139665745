// AudioWorklet: microphone audio at the context's rate -> 16 kHz mono Int16 LE, posted as 4096-byte frames.
// Resampling is band-limited interpolation with a Blackman-windowed sinc whose cutoff (7.2 kHz) sits below the
// 8 kHz Nyquist of the output: a plain nearest-sample pick would alias everything above 8 kHz into the speech band.

const OUT_RATE = 16000;
const FRAME_SAMPLES = 2048; // 4096 bytes
const HALF_WIDTH = 24;      // kernel half-width in input samples

class PcmResampler extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / OUT_RATE;              // input samples per output sample
    this.cutoff = Math.min(1, (0.9 * OUT_RATE) / sampleRate); // normalised: 2*Fc/Fs
    this.buffer = new Float32Array(16384);
    this.length = 0;        // valid samples in buffer
    this.pos = HALF_WIDTH;  // fractional index of the next output sample in buffer
    this.out = new Int16Array(FRAME_SAMPLES);
    this.outLength = 0;
    this.running = true;
    this.port.onmessage = (event) => {
      if (event.data === "flush") this.flush();
      if (event.data === "stop") { this.flush(); this.running = false; }
    };
  }

  kernel(x) {
    if (x === 0) return this.cutoff;
    const a = Math.PI * this.cutoff * x;
    const sinc = this.cutoff * Math.sin(a) / a;
    const w = 0.42 + 0.5 * Math.cos(Math.PI * x / HALF_WIDTH) + 0.08 * Math.cos(2 * Math.PI * x / HALF_WIDTH);
    return sinc * w;
  }

  push(sample) {
    const clipped = Math.max(-1, Math.min(1, sample));
    this.out[this.outLength++] = clipped < 0 ? clipped * 0x8000 : clipped * 0x7fff;
    if (this.outLength === FRAME_SAMPLES) {
      const frame = this.out.slice(0).buffer;
      this.port.postMessage(frame, [frame]);
      this.outLength = 0;
    }
  }

  flush() {
    if (this.outLength > 0) {
      const frame = this.out.slice(0, this.outLength).buffer;
      this.port.postMessage(frame, [frame]);
      this.outLength = 0;
    }
  }

  process(inputs) {
    if (!this.running) return false;
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    const channel = input[0];
    const n = channel.length;
    if (this.length + n > this.buffer.length) {
      const bigger = new Float32Array((this.length + n) * 2);
      bigger.set(this.buffer.subarray(0, this.length));
      this.buffer = bigger;
    }
    // Mix down: average the channels (a stereo device gives two).
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < input.length; c++) s += input[c][i];
      this.buffer[this.length + i] = s / input.length;
    }
    this.length += n;
    while (this.pos + HALF_WIDTH < this.length) {
      const centre = Math.floor(this.pos);
      const frac = this.pos - centre;
      let acc = 0;
      for (let k = -HALF_WIDTH + 1; k <= HALF_WIDTH; k++) {
        acc += this.buffer[centre + k] * this.kernel(k - frac);
      }
      this.push(acc);
      this.pos += this.step;
    }
    // Drop consumed input, keeping HALF_WIDTH samples of history for the next kernel.
    const drop = Math.max(0, Math.floor(this.pos) - HALF_WIDTH);
    if (drop > 0) {
      this.buffer.copyWithin(0, drop, this.length);
      this.length -= drop;
      this.pos -= drop;
    }
    return true;
  }
}

registerProcessor("pcm-resampler", PcmResampler);
