// Sound: plays the `WPCM` chunks on the Web Audio clock. Browsers only start an
// AudioContext after a user gesture, so nothing plays until `start()` is called
// from the "Sound on" button; chunks that arrive before that are counted and
// dropped. Each chunk is scheduled right after the previous one; when the page
// falls behind (a gap in the stream, a busy tab) it starts again a little ahead.

const LEAD_SECONDS = 0.08; // how far ahead of the clock a fresh stream starts
const MAX_AHEAD_SECONDS = 1.0; // more queued than this: drop the chunk

export class Sound {
  constructor() {
    this.context = null;
    this.nextTime = 0;
    this.received = 0;
    this.scheduled = 0;
  }

  get on() {
    return this.context !== null && this.context.state === 'running';
  }

  /** From a user gesture. */
  async start() {
    if (!this.context) this.context = new AudioContext({ latencyHint: 'interactive' });
    await this.context.resume();
    this.nextTime = 0;
  }

  async stop() {
    if (this.context) await this.context.suspend();
  }

  /** One decoded `WPCM` chunk (protocol.js). */
  play(chunk) {
    this.received += 1;
    const context = this.context;
    if (!context || context.state !== 'running' || chunk.frames === 0) return;
    const now = context.currentTime;
    if (this.nextTime < now + 0.01) this.nextTime = now + LEAD_SECONDS;
    if (this.nextTime > now + MAX_AHEAD_SECONDS) return;
    const buffer = context.createBuffer(chunk.channels, chunk.frames, chunk.rate);
    for (let channel = 0; channel < chunk.channels; channel++) {
      const data = buffer.getChannelData(channel);
      for (let i = 0; i < chunk.frames; i++) data[i] = chunk.samples[i * chunk.channels + channel];
    }
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(context.destination);
    source.start(this.nextTime);
    this.nextTime += buffer.duration;
    this.scheduled += 1;
  }
}
