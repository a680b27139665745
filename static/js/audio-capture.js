// Microphone capture: getUserMedia -> AudioWorklet (pcm-worklet.js) -> 4096-byte PCM16 frames at 16 kHz.

export class MicrophoneError extends Error {
  constructor(kind, message) { super(message); this.kind = kind; }
}

export function microphoneSupported() {
  return Boolean(window.isSecureContext && navigator.mediaDevices && navigator.mediaDevices.getUserMedia &&
    window.AudioContext && window.AudioWorkletNode);
}

function explain(error) {
  const name = error && error.name;
  if (name === "NotAllowedError" || name === "SecurityError") {
    return new MicrophoneError("denied", "Microphone access was denied. Allow it in the browser's site settings " +
      "(the icon left of the address), then reload — or type your answers instead.");
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return new MicrophoneError("no-device", "No microphone was found. Plug one in and reload, or type your answers.");
  }
  if (name === "NotReadableError" || name === "AbortError") {
    return new MicrophoneError("busy", "The microphone is in use by another application. Close it and try again.");
  }
  return new MicrophoneError("error", `The microphone could not start (${name || error}).`);
}

export class Capture {
  constructor({ workletUrl, onFrame }) {
    this.workletUrl = workletUrl;
    this.onFrame = onFrame;
    this.context = null;
    this.stream = null;
    this.node = null;
    this.source = null;
  }

  async open() {
    if (!microphoneSupported()) {
      throw new MicrophoneError("unsupported", "This browser cannot record audio here (it needs a recent " +
        "Chrome, Edge, Firefox or Safari over HTTPS). You can type your answers instead.");
    }
    try {
      // Raw signal: echo cancellation, noise suppression and gain control would distort loudness and pitch.
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
      });
    } catch (error) {
      throw explain(error);
    }
    this.context = new AudioContext();
    await this.context.audioWorklet.addModule(this.workletUrl);
    this.source = this.context.createMediaStreamSource(this.stream);
    this.node = new AudioWorkletNode(this.context, "pcm-resampler", { numberOfInputs: 1, numberOfOutputs: 0 });
    this.node.port.onmessage = (event) => this.onFrame(event.data);
    this.source.connect(this.node);
    await this.context.suspend();
  }

  get sampleRate() { return this.context ? this.context.sampleRate : null; }

  async start() { if (this.context) await this.context.resume(); }

  async pause() {
    if (!this.context) return;
    this.node.port.postMessage("flush");
    // Let the worklet post its last partial frame before the clock stops.
    await new Promise((resolve) => setTimeout(resolve, 60));
    await this.context.suspend();
  }

  async close() {
    if (this.node) this.node.port.postMessage("stop");
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    if (this.context) await this.context.close();
    this.context = null;
  }
}
