// The main canvas: draws the `WFRM` display frames (the newest one per animation
// frame, with putImageData at the frame's own size; CSS scales it), and turns
// pointer moves over it into 0…1 coordinates, at most one per animation frame.

export class Display {
  /** canvas: the element; onPointer({x, y}) is called for pointer moves. */
  constructor(canvas, onPointer) {
    this.canvas = canvas;
    this.context = canvas.getContext('2d');
    this.framesReceived = 0;
    this.framesDrawn = 0;
    this.lastFrame = null;
    this.pending = null;
    trackPointer(canvas, onPointer);
  }

  /** One decoded `WFRM` frame (protocol.js). */
  frame(frame) {
    this.framesReceived += 1;
    this.lastFrame = { width: frame.width, height: frame.height, index: frame.index, time: frame.time };
    if (this.pending === null) requestAnimationFrame(() => this.draw());
    this.pending = frame;
  }

  draw() {
    const frame = this.pending;
    this.pending = null;
    if (!frame) return;
    const { canvas } = this;
    if (canvas.width !== frame.width || canvas.height !== frame.height) {
      canvas.width = frame.width;
      canvas.height = frame.height;
      canvas.style.aspectRatio = `${frame.width} / ${frame.height}`;
    }
    this.context.putImageData(new ImageData(frame.pixels, frame.width, frame.height), 0, 0);
    this.framesDrawn += 1;
  }

  /** Black, until the next file's frames come. */
  clear() {
    this.pending = null;
    this.lastFrame = null;
    this.context.fillStyle = '#000';
    this.context.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }
}

/** Calls onPointer({x, y}) (0…1 over `canvas`) for pointer moves, at most once an animation frame. */
export function trackPointer(canvas, onPointer) {
  let pointer = null;
  canvas.addEventListener('pointermove', (event) => {
    const box = canvas.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return;
    const clamp = (v) => Math.min(1, Math.max(0, v));
    const first = pointer === null;
    pointer = { x: clamp((event.clientX - box.left) / box.width), y: clamp((event.clientY - box.top) / box.height) };
    if (first) {
      requestAnimationFrame(() => {
        onPointer(pointer);
        pointer = null;
      });
    }
  });
}
