// The page's microphone as mic() in weft dev (after the user asks; the browser
// asks too): an AudioWorklet (mic-worklet.js) hands each block of input, mixed
// to mono, to this page, which sends it as `WMIC` binary frames of 20 ms
// (docs/protocol.md) to the server's audio side. Nothing is recorded or kept.

/** Samples per frame sent: 20 ms at 48 kHz. */
const FRAME = 960;

/** A `WMIC` frame: tag, rate, count, then the f32 samples, little-endian. */
export function micFrame(rate, samples) {
  const buffer = new ArrayBuffer(12 + samples.length * 4);
  const view = new DataView(buffer);
  [0x57, 0x4d, 0x49, 0x43].forEach((b, i) => view.setUint8(i, b));
  view.setUint32(4, rate, true);
  view.setUint32(8, samples.length, true);
  samples.forEach((s, i) => view.setFloat32(12 + i * 4, s, true));
  return buffer;
}

export class Microphone {
  /** `sendBinary(buffer)` → bool sends one frame to the server. */
  constructor(sendBinary) {
    this.sendBinary = sendBinary;
    this.context = null;
    this.stream = null;
    this.pending = new Float32Array(FRAME);
    this.filled = 0;
    /** Frames sent, and the loudest sample of the last second (for the page and tests). */
    this.framesSent = 0;
    this.peak = 0;
    this.error = null;
  }

  get on() {
    return this.context !== null;
  }

  async start() {
    if (this.context) return;
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
        video: false,
      });
      const context = new AudioContext();
      await context.audioWorklet.addModule('/app/mic-worklet.js');
      const source = context.createMediaStreamSource(this.stream);
      const node = new AudioWorkletNode(context, 'weft-mic');
      node.port.onmessage = (event) => this.take(event.data, context.sampleRate);
      // Pulled through a silent gain, so the input is never heard twice.
      const mute = context.createGain();
      mute.gain.value = 0;
      source.connect(node).connect(mute).connect(context.destination);
      await context.resume();
      this.context = context;
      this.error = null;
    } catch (error) {
      this.stop();
      this.error = `the microphone is not available: ${error?.message ?? error}`;
    }
  }

  stop() {
    this.stream?.getTracks().forEach((t) => t.stop());
    this.context?.close().catch(() => {});
    this.stream = null;
    this.context = null;
    this.filled = 0;
  }

  take(block, rate) {
    let at = 0;
    while (at < block.length) {
      const n = Math.min(block.length - at, FRAME - this.filled);
      this.pending.set(block.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === FRAME) {
        for (const s of this.pending) this.peak = Math.max(this.peak * 0.99999, Math.abs(s));
        if (this.sendBinary(micFrame(Math.round(rate), this.pending))) this.framesSent += 1;
        this.filled = 0;
      }
    }
  }
}
