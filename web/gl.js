// The display drawn by the page itself: the `display-shader` message's GLSL ES
// program on a WebGL2 canvas at the canvas's own size (its CSS width times the
// screen's pixel density), once per animation frame. Time, the pointer, the tempo
// and the parameters are uniforms the page sets itself, so a slider moves the
// picture in the same frame. Anything that keeps it from drawing — no WebGL2, a
// shader the browser refuses, a lost context — is a reason, and the page shows
// the streamed frames instead (display.js).

const HEADER_WORDS = 12;
/** Sources' words kept (the server's `HELD_SOURCES`: it leaves out only what these hold). */
const HELD_SOURCES = 4;

/**
 * The sources' words of the newest `display-shader` messages, by content key,
 * newest last. Every message that carries them counts, whichever file it is for,
 * as the server counts what it sent — so the page holds whatever it leaves out.
 */
export class HeldSources {
  constructor() {
    this.words = new Map();
  }

  /** Keeps the words each part of `message` carries (decoded once, kept on the part too). */
  take(message) {
    for (const part of [message, ...(message.segments ?? [])]) {
      if (typeof part.sources !== 'string' || !part.sourcesKey) continue;
      const bytes = Uint8Array.from(atob(part.sources), (c) => c.charCodeAt(0));
      part.words = new Uint32Array(bytes.buffer);
      delete part.sources;
      this.words.delete(part.sourcesKey);
      this.words.set(part.sourcesKey, part.words);
      while (this.words.size > HELD_SOURCES) this.words.delete(this.words.keys().next().value);
    }
  }

  get(key) {
    return this.words.get(key) ?? null;
  }
}

export class GlDisplay {
  constructor(canvas) {
    this.canvas = canvas;
    this.gl = null;
    this.message = null;
    this.program = null;
    /** One compiled shader per segment (one for a program without segments). */
    this.scopes = [];
    /** The scope drawn last. */
    this.scope = null;
    this.cameraTexture = null;
    /** The browser camera's <video>, once the user turned it on. */
    this.camera = null;
    /** Sources' textures on the GPU by content key, shared by the scopes reading them: {texture, refs}. */
    this.sourceTextures = new Map();
    /** Sources' words uploaded to the GPU so far (for the test hooks). */
    this.sourceUploads = 0;
    /** The sources' words the page keeps, by content key. */
    this.held = new HeldSources();
    /** Set when a shader named sources the page does not hold (the app asks again). */
    this.missingSources = false;
    /** The `--camera` frame received and not yet uploaded; the one shown; the one asked for and when. */
    this.cameraFrame = null;
    this.cameraShown = -1;
    this.cameraAsked = { index: -1, at: 0 };
    /** Asks the server for a `--camera` frame by index (set by the app). */
    this.askCameraFrame = null;
    /** The page's copy of the live microphone (live-mic.js), once set. */
    this.liveMic = null;
    this.liveTexture = null;
    this.words = null;
    this.floats = null;
    this.reason = 'waiting for the display shader';
    this.lost = false;
    this.framesDrawn = 0;
    this.frameTimes = [];
    this.lastMs = 0;
    this.loadMs = 0;
    this.shownKey = null;
    this.shownAt = 0;
    this.loadedAt = 0;
    canvas.addEventListener('webglcontextlost', (event) => {
      event.preventDefault();
      this.lost = true;
      // Every object of the lost context is gone with it.
      this.program = null;
      this.scopes = [];
      this.scope = null;
      this.cameraTexture = null;
      this.sourceTextures = new Map();
      this.cameraShown = -1;
      this.liveTexture = null;
      this.reason = 'the WebGL2 context was lost; waiting for it to come back';
    });
    canvas.addEventListener('webglcontextrestored', () => {
      this.lost = false;
      this.program = null;
      if (this.message) this.load(this.message);
    });
  }

  /** True while the page draws the display itself. */
  get active() {
    return this.program !== null && !this.lost;
  }

  /** Loads a `display-shader` message; returns null when it draws, else why not. */
  load(message) {
    const started = performance.now();
    /** When the current shader arrived (performance.now()), before its compile. */
    this.loadedAt = started;
    const why = this.compileProgram(message);
    /** How long the browser took to compile and link the last shader, in ms. */
    this.loadMs = performance.now() - started;
    return why;
  }

  compileProgram(message) {
    this.message = message;
    this.program = null;
    if (message.unsupported) return this.fail(message.unsupported);
    const gl = this.context();
    if (!gl) return this.fail('this browser has no WebGL2');
    if (gl.isContextLost()) return this.fail('the WebGL2 context is lost');
    // A program with segments has one shader per segment, chosen by the time.
    const parts = Array.isArray(message.segments) && message.segments.length > 0 ? message.segments : [message];
    const scopes = [];
    for (const part of parts) {
      const scope = this.compileScope(gl, part);
      if (typeof scope === 'string') {
        scopes.forEach((done) => this.release(gl, done));
        return this.fail(parts.length > 1 ? `segment ${scopes.length + 1} of ${parts.length}: ${scope}` : scope);
      }
      scopes.push(scope);
    }
    (this.scopes ?? []).forEach((old) => this.release(gl, old));
    this.scopes = scopes;
    this.scope = scopes[0];
    this.program = scopes[0].program;
    this.words = scopes[0].words;
    this.floats = scopes[0].floats;
    this.reason = null;
    return null;
  }

  /** One shader of the message (the display, or one segment's): compiled, with its uniforms and sources. */
  compileScope(gl, part) {
    const vertex = compile(gl, gl.VERTEX_SHADER, part.vertex);
    const fragment = compile(gl, gl.FRAGMENT_SHADER, part.fragment);
    if (typeof vertex === 'string') return `the browser refused the vertex shader: ${vertex}`;
    if (typeof fragment === 'string') return `the browser refused the shader: ${fragment}`;
    const program = gl.createProgram();
    gl.attachShader(program, vertex);
    gl.attachShader(program, fragment);
    gl.linkProgram(program);
    gl.deleteShader(vertex);
    gl.deleteShader(fragment);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
      const log = gl.getProgramInfoLog(program);
      gl.deleteProgram(program);
      return `the browser refused the shader: ${firstLine(log)}`;
    }
    const block = gl.getUniformBlockIndex(program, part.uniformBlock);
    if (block === gl.INVALID_INDEX) {
      gl.deleteProgram(program);
      return `the shader has no uniform block ${part.uniformBlock}`;
    }
    gl.uniformBlockBinding(program, block, 0);
    const count = HEADER_WORDS + 4 * Math.max(1, part.slotVec4s);
    const buffer = new ArrayBuffer(count * 4);
    const ubo = gl.createBuffer();
    gl.bindBuffer(gl.UNIFORM_BUFFER, ubo);
    gl.bufferData(gl.UNIFORM_BUFFER, buffer.byteLength, gl.DYNAMIC_DRAW);
    // Sources the page already has on the GPU (the same picture, a new
    // expression) are shared, not uploaded again.
    const shared = part.sourcesKey ? this.sourceTextures.get(part.sourcesKey) : null;
    if (shared) shared.refs += 1;
    const texture = shared ? shared.texture : gl.createTexture();
    const scope = {
      program, ubo, texture, part, shared: Boolean(shared),
      words: new Uint32Array(buffer),
      floats: new Float32Array(buffer),
      start: typeof part.start === 'number' ? part.start : 0,
      duration: typeof part.duration === 'number' ? part.duration : Infinity,
    };
    const why = this.upload(gl, scope);
    if (why) {
      this.release(gl, scope);
      return why;
    }
    if (part.sourcesKey && !shared) this.sourceTextures.set(part.sourcesKey, { texture, refs: 1 });
    return scope;
  }

  /** The sources' words as an R32UI texture on unit 0 (a 1×1 one when there are none). */
  upload(gl, scope) {
    const { program, texture, part } = scope;
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 4);
    if (scope.shared) {
      // Its words are in the texture already.
    } else if (part.sourcesKey) {
      const max = gl.getParameter(gl.MAX_TEXTURE_SIZE);
      if (part.sourcesWidth > max || part.sourcesRows > max) return `the sources need a texture larger than ${max}`;
      // Sent with this message, or with an earlier one (the server leaves out what the page holds).
      part.words ??= this.held.get(part.sourcesKey);
      const data = part.words;
      if (!data) {
        this.missingSources = true;
        return 'the sources this shader reads are not held here; asking for them again';
      }
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.R32UI, part.sourcesWidth, part.sourcesRows, 0, gl.RED_INTEGER, gl.UNSIGNED_INT, data);
      this.sourceUploads += 1;
    } else {
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.R32UI, 1, 1, 0, gl.RED_INTEGER, gl.UNSIGNED_INT, new Uint32Array(1));
    }
    if (part.sourcesTexture) {
      gl.useProgram(program);
      gl.uniform1i(gl.getUniformLocation(program, part.sourcesTexture), 0);
    }
    if (part.cameraTexture) {
      if (!this.cameraTexture) {
        this.cameraTexture = gl.createTexture();
        gl.activeTexture(gl.TEXTURE1);
        gl.bindTexture(gl.TEXTURE_2D, this.cameraTexture);
        for (const p of [gl.TEXTURE_MIN_FILTER, gl.TEXTURE_MAG_FILTER]) gl.texParameteri(gl.TEXTURE_2D, p, gl.NEAREST);
        for (const p of [gl.TEXTURE_WRAP_S, gl.TEXTURE_WRAP_T]) gl.texParameteri(gl.TEXTURE_2D, p, gl.CLAMP_TO_EDGE);
        // Black, as the server's camera() without --camera, until the camera is on.
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, 1, 1, 0, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array([0, 0, 0, 255]));
      }
      gl.useProgram(program);
      gl.uniform1i(gl.getUniformLocation(program, part.cameraTexture), 1);
    }
    if (part.liveTexture) {
      if (!this.liveMic) return 'no copy of the live microphone';
      if (!this.liveTexture) {
        this.liveTexture = gl.createTexture();
        gl.activeTexture(gl.TEXTURE2);
        gl.bindTexture(gl.TEXTURE_2D, this.liveTexture);
        for (const p of [gl.TEXTURE_MIN_FILTER, gl.TEXTURE_MAG_FILTER]) gl.texParameteri(gl.TEXTURE_2D, p, gl.NEAREST);
        this.liveMic.upload(gl, true);
      }
      gl.useProgram(program);
      gl.uniform1i(gl.getUniformLocation(program, part.liveTexture), 2);
    }
    return null;
  }

  /** Reads the live microphone's `mic()` from `mirror` (live-mic.js). */
  setLiveMic(mirror) {
    this.liveMic = mirror;
  }

  /** Frees a scope's program and buffer, and its sources' texture once no scope shares it. */
  release(gl, scope) {
    gl.deleteProgram(scope.program);
    gl.deleteBuffer(scope.ubo);
    const key = scope.part.sourcesKey;
    const entry = key ? this.sourceTextures.get(key) : null;
    if (entry && entry.texture === scope.texture) {
      entry.refs -= 1;
      if (entry.refs > 0) return;
      this.sourceTextures.delete(key);
    }
    gl.deleteTexture(scope.texture);
  }

  /** A `WCAM` frame of the `--camera` image or video (protocol.js), drawn while the browser's camera is off. */
  setCameraFrame(frame) {
    this.cameraFrame = frame;
  }

  /**
   * Asks for the `--camera` frame `camera()` shows at `time` (`floor(time · fps)`,
   * clamped, as the server picks it) unless it is shown or was just asked for.
   */
  followCamera(frames, time) {
    const last = Math.max(0, frames.frames - 1);
    const k = frames.fps > 0 ? Math.min(last, Math.max(0, Math.floor(time * frames.fps) || 0)) : 0;
    if (k === this.cameraShown) return;
    const now = performance.now();
    if (k === this.cameraAsked.index && now - this.cameraAsked.at < 250) return;
    this.cameraAsked = { index: k, at: now };
    this.askCameraFrame?.(k);
  }

  /** Reads `camera()` from `video` (the browser's camera) from now on. */
  setCamera(video) {
    this.camera = video;
  }

  fail(reason) {
    this.program = null;
    this.reason = reason;
    return reason;
  }

  context() {
    if (!this.gl) {
      this.gl = this.canvas.getContext('webgl2', {
        alpha: false, antialias: false, depth: false, stencil: false, premultipliedAlpha: false, preserveDrawingBuffer: true,
      });
    }
    return this.gl;
  }

  /**
   * Draws one frame: `clock` gives {time, abstime} (me@time, me@abstime), `slots`
   * the uniform slot values (pointer, tempo, parameters) by slot.
   */
  draw(clock, slots) {
    if (!this.active) return;
    const { canvas, gl, message } = this;
    // Lost, and the event saying so not yet dispatched.
    if (gl.isContextLost()) return;
    const cssWidth = canvas.clientWidth;
    if (cssWidth === 0) return;
    const limit = Math.min(16384, gl.getParameter(gl.MAX_VIEWPORT_DIMS)?.[0] ?? 4096);
    const width = Math.max(1, Math.min(limit, Math.round(cssWidth * (window.devicePixelRatio || 1))));
    const height = Math.max(1, Math.min(limit, Math.round(width * message.height / message.width)));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    // The segment whose range holds the time (past the end: the last), and its
    // own me@time from 0 at its start, wrapped by the loop, as the server does.
    const { scopes } = this;
    let scope = scopes.find((s) => clock.abstime < s.start + s.duration) ?? scopes[scopes.length - 1];
    let time = clock.time;
    if (scopes.length > 1) {
      const local = clock.abstime - scope.start;
      const loop = message.loopLen;
      time = loop > 0 ? local - loop * Math.floor(local / loop) : local;
    } else {
      scope = scopes[0];
    }
    this.scope = scope;
    const { words, floats, part } = scope;
    this.words = words;
    this.floats = floats;
    words[0] = width;
    words[1] = height;
    words[2] = 0;
    words[3] = height;
    floats[4] = time;
    floats[5] = clock.abstime;
    floats[6] = Math.floor(clock.abstime * message.fps);
    words[7] = 0;
    words[8] = 0;
    words[9] = 1; // flip: GL counts rows from the bottom
    words[10] = 0;
    words[11] = 0;
    for (let i = HEADER_WORDS; i < floats.length; i += 1) floats[i] = slots[i - HEADER_WORDS] ?? 0;
    // me@width and me@height are the size drawn at, here the canvas's.
    if (Number.isInteger(message.widthSlot)) floats[HEADER_WORDS + message.widthSlot] = width;
    if (Number.isInteger(message.heightSlot)) floats[HEADER_WORDS + message.heightSlot] = height;
    const started = performance.now();
    gl.viewport(0, 0, width, height);
    gl.useProgram(scope.program);
    gl.bindBufferBase(gl.UNIFORM_BUFFER, 0, scope.ubo);
    gl.bufferSubData(gl.UNIFORM_BUFFER, 0, words);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, scope.texture);
    if (part.cameraTexture && this.cameraTexture) {
      gl.activeTexture(gl.TEXTURE1);
      gl.bindTexture(gl.TEXTURE_2D, this.cameraTexture);
      // The camera's newest frame, rows from the top (as camera() reads them).
      if (this.camera && this.camera.readyState >= this.camera.HAVE_CURRENT_DATA) {
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, this.camera);
      } else if (!this.camera && part.cameraFrames) {
        // The `--camera` file: its frame at this time, asked of the server.
        const f = this.cameraFrame;
        if (f) {
          gl.pixelStorei(gl.UNPACK_ALIGNMENT, 4);
          gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, f.width, f.height, 0, gl.RGBA, gl.UNSIGNED_BYTE, f.pixels);
          this.cameraShown = f.index;
          this.cameraFrame = null;
        }
        this.followCamera(part.cameraFrames, time);
      }
    }
    if (part.liveTexture && this.liveTexture) {
      gl.activeTexture(gl.TEXTURE2);
      gl.bindTexture(gl.TEXTURE_2D, this.liveTexture);
      // The samples the server placed since the last frame.
      this.liveMic.upload(gl, false);
    }
    gl.drawArrays(gl.TRIANGLES, 0, 3);
    this.lastMs = performance.now() - started;
    this.framesDrawn += 1;
    if (this.shownKey !== message.key) {
      this.shownKey = message.key;
      /** When the current shader's first frame was drawn (performance.now()). */
      this.shownAt = started;
    }
    this.frameTimes.push(started);
    while (this.frameTimes.length > 0 && started - this.frameTimes[0] > 1000) this.frameTimes.shift();
  }

  /**
   * The last frame drawn, as RGBA rows from the top (what the canvas shows once
   * composited): read from the drawing buffer itself, which the context keeps.
   */
  read() {
    const { gl, canvas } = this;
    if (!this.active || gl.isContextLost()) return null;
    const { width, height } = canvas;
    const rows = new Uint8Array(width * height * 4);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, rows);
    const top = new Uint8Array(rows.length);
    const stride = width * 4;
    for (let y = 0; y < height; y += 1) top.set(rows.subarray((height - 1 - y) * stride, (height - y) * stride), y * stride);
    return { width, height, data: top };
  }

  /** Frames drawn in the last second. */
  get fps() {
    return this.frameTimes.length;
  }
}

function compile(gl, type, text) {
  const shader = gl.createShader(type);
  gl.shaderSource(shader, text);
  gl.compileShader(shader);
  if (gl.getShaderParameter(shader, gl.COMPILE_STATUS)) return shader;
  const log = gl.getShaderInfoLog(shader);
  gl.deleteShader(shader);
  return firstLine(log) || 'no reason given';
}

function firstLine(text) {
  return String(text ?? '').split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}
