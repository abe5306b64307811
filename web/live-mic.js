// The page's copy of a file's live microphone (`mic()` in `weft dev`): the server
// sends every chunk it places in the file's ring, with where it went (`WLIV`), and
// the page keeps the same samples at the same indices in a texture the display
// shader reads — so the picture hears what the server hears, drawn on the page.
//
// The texture is R32UI, 1024 words wide: row 0 holds the rate, the first and one
// past the last index held (low 32 bits) and whether anything is; rows 1 to 256 a
// ring of 2^18 samples (f32 bits), sample n at word n % 2^18 (wgsl.rs, LIVE_SAMPLER).

const WIDTH = 1024;
const RING = 1 << 18;
/** Samples kept behind the newest: one chunk's margin, as the server's ring keeps. */
const HELD = RING - 16384;

export class LiveMirror {
  constructor() {
    this.words = new Uint32Array(WIDTH * (RING / WIDTH + 1));
    this.floats = new Float32Array(this.words.buffer);
    this.reset();
  }

  /** Nothing held (another file, a new connection). */
  reset() {
    this.rate = 0;
    this.start = 0;
    this.end = 0;
    this.chunks = 0;
    this.words.fill(0);
    /** Whether the texture needs the header again, and which ring rows: [lo, hi] or null. */
    this.changed = true;
    this.rows = [1, RING / WIDTH];
  }

  /** A decoded `WLIV` frame (protocol.js). */
  receive({ rate, restarted, from, samples }) {
    if (samples.length === 0) return;
    if (restarted || rate !== this.rate || from !== this.end) this.start = from;
    this.rate = rate;
    for (let i = 0; i < samples.length; i += 1) {
      this.floats[WIDTH + ((from + i) % RING)] = samples[i];
    }
    this.end = from + samples.length;
    this.start = Math.max(this.start, this.end - HELD);
    this.chunks += 1;
    const words = this.words;
    words[0] = rate;
    words[1] = this.start >>> 0;
    words[2] = this.end >>> 0;
    words[3] = 1;
    const first = 1 + Math.floor((from % RING) / WIDTH);
    const last = 1 + Math.floor(((this.end - 1) % RING) / WIDTH);
    // A chunk that wraps round the ring: every row.
    const [lo, hi] = last >= first ? [first, last] : [1, RING / WIDTH];
    this.rows = this.rows ? [Math.min(this.rows[0], lo), Math.max(this.rows[1], hi)] : [lo, hi];
    this.changed = true;
  }

  /** Sends what changed to the texture bound on the active unit (`fresh`: it has no storage yet). */
  upload(gl, fresh) {
    if (fresh) {
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.R32UI, WIDTH, RING / WIDTH + 1, 0, gl.RED_INTEGER, gl.UNSIGNED_INT, this.words);
    } else if (this.changed) {
      gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, WIDTH, 1, gl.RED_INTEGER, gl.UNSIGNED_INT, this.words.subarray(0, WIDTH));
      if (this.rows) {
        const [lo, hi] = this.rows;
        gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, lo, WIDTH, hi - lo + 1, gl.RED_INTEGER, gl.UNSIGNED_INT,
          this.words.subarray(lo * WIDTH, (hi + 1) * WIDTH));
      }
    }
    this.changed = false;
    this.rows = null;
  }

  /** The sample `mic()` reads at `time`, as the shader reads it from the texture (for the test hooks). */
  at(time) {
    const n = Math.round(time * this.rate);
    if (this.rate === 0 || !(n >= this.start && n < this.end)) return 0;
    return this.floats[WIDTH + (n % RING)];
  }

  /** What the page holds, for the test hooks. */
  get held() {
    return { rate: this.rate, start: this.start, end: this.end, chunks: this.chunks };
  }
}
