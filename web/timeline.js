// The timeline strip under the picture: the watched file's segments as the
// server's `timeline` message describes them (docs/protocol.md), one cell per
// segment, as wide as its duration, with its state (cached ✓, dirty ●, pending ○,
// rendering with a progress bar, error ✗ with the message), its thumbnail, the
// Render and Cancel buttons, the render's progress, and the joined video once a
// whole render finished. Clicking a cell asks for its preview. Every action is a
// line of the command language, sent like the command bar's.

const MARKS = { cached: '✓', dirty: '●', pending: '○', rendering: '◐', error: '✗' };
const WORDS = {
  cached: 'cached',
  dirty: 'changed since the last render',
  pending: 'never rendered',
  rendering: 'rendering',
  error: 'failed',
};

function element(tag, className, testid) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (testid) node.dataset.testid = testid;
  return node;
}

/** A finite number, or `fallback`. */
function num(value, fallback = 0) {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export class Timeline {
  /**
   * elements: { root, settings, status, render, cancel, note, message, cells, video }
   * actions: { run(text) → bool (false when the command could not be sent) }
   */
  constructor(elements, actions) {
    this.elements = elements;
    this.actions = actions;
    /** The last `timeline` message of the watched file, or null. */
    this.message = null;
    /** name → the cell's parts, reused across messages. */
    this.cells = new Map();
    /** Commands this strip sent (text → how many answers are due), whose `command-result` it shows. */
    this.sent = new Map();
    /** A `render` was sent and its answer has not come: the button waits. */
    this.starting = false;
    this.videoUrl = null;
    elements.render.addEventListener('click', () => {
      this.starting = true;
      elements.render.disabled = true;
      this.run('render');
      // Should the answer never come (a dropped connection), the button comes back.
      clearTimeout(this.startingTimer);
      this.startingTimer = setTimeout(() => {
        this.starting = false;
        this.draw();
      }, 5000);
    });
    elements.cancel.addEventListener('click', () => this.run('cancel'));
  }

  /** Sends one line of the command language; says so when it could not. */
  run(text) {
    if (this.actions.run(text)) {
      this.sent.set(text, (this.sent.get(text) ?? 0) + 1);
      this.showMessage(true, '');
    } else {
      if (text === 'render') this.starting = false;
      this.showMessage(false, 'not connected to weft dev; reconnecting…');
      this.draw();
    }
  }

  /** A `command-result`: shown under the strip when this strip sent it and it failed. */
  commandResult(message) {
    const due = this.sent.get(message.text) ?? 0;
    if (due === 0) return;
    if (due === 1) this.sent.delete(message.text);
    else this.sent.set(message.text, due - 1);
    if (message.text === 'render') {
      this.starting = false;
      this.draw();
    }
    this.showMessage(message.ok !== false, message.ok === false ? message.output ?? '' : '');
  }

  showMessage(ok, text) {
    const { message } = this.elements;
    message.textContent = text;
    message.hidden = text === '';
    message.classList.toggle('failed', !ok);
  }

  /** Another file is watched (or none): nothing to show until its timeline comes. */
  reset() {
    this.message = null;
    this.sent.clear();
    this.starting = false;
    this.showMessage(true, '');
    this.draw();
  }

  /** A `timeline` message for the watched file. */
  set(message) {
    this.message = message;
    this.draw();
  }

  draw() {
    const m = this.message;
    const { root, settings, status, render, cancel, note, cells, video } = this.elements;
    const segments = Array.isArray(m?.segments) ? m.segments.filter((s) => s && typeof s.name === 'string') : [];
    const unavailable = typeof m?.unavailable === 'string' ? m.unavailable : null;
    // `failed`: the last render or preview failed as a whole; the strip stays.
    const failed = typeof m?.failed === 'string' ? m.failed : null;
    root.hidden = segments.length === 0 && unavailable === null;
    root.dataset.state = unavailable !== null ? 'unavailable' : m?.rendering ? 'rendering' : 'idle';

    note.hidden = unavailable === null && failed === null;
    note.textContent = unavailable ?? failed ?? '';

    const strip = segments.length > 0;
    cells.hidden = !strip;
    render.hidden = !strip;
    settings.textContent = strip && typeof m.settings === 'string' ? m.settings : '';

    const rendering = strip && m.rendering && typeof m.rendering === 'object' ? m.rendering : null;
    cancel.hidden = !rendering;
    render.disabled = Boolean(rendering) || this.starting;
    status.hidden = !rendering;
    if (rendering) {
      const what = typeof rendering.what === 'string' ? rendering.what : 'render';
      const count = `${num(rendering.done)}/${num(rendering.total)}`;
      status.textContent = what === 'render' || what === 'render all' ? `rendering ${count}` : `rendering ${count} (${what})`;
    } else {
      status.textContent = '';
    }

    this.drawCells(segments);

    const url = strip && typeof m.video === 'string' ? m.video : null;
    if (url !== null && url !== this.videoUrl) {
      this.videoUrl = url;
      video.src = url;
    }
    if (url === null && !video.paused) video.pause();
    video.hidden = url === null;
  }

  drawCells(segments) {
    const names = new Set(segments.map((s) => s.name));
    for (const [name, cell] of this.cells) {
      if (!names.has(name)) {
        cell.node.remove();
        this.cells.delete(name);
      }
    }
    const order = [];
    for (const segment of segments) {
      let cell = this.cells.get(segment.name);
      if (!cell) {
        cell = this.makeCell(segment.name);
        this.cells.set(segment.name, cell);
      }
      this.drawCell(cell, segment);
      order.push(cell.node);
    }
    // Keep the document order of the segments, moving only what moved.
    const { cells } = this.elements;
    order.forEach((node, index) => {
      if (cells.children[index] !== node) cells.insertBefore(node, cells.children[index] ?? null);
    });
  }

  makeCell(name) {
    const node = element('button', 'timeline-cell', 'timeline-cell');
    node.type = 'button';
    node.dataset.name = name;
    const thumb = element('img', 'cell-thumb', 'timeline-thumb');
    thumb.alt = '';
    thumb.hidden = true;
    const head = element('span', 'cell-head');
    const mark = element('span', 'cell-mark', 'timeline-mark');
    mark.setAttribute('aria-hidden', 'true');
    const label = element('span', 'cell-name');
    label.textContent = name;
    head.append(mark, label);
    const progress = element('span', 'cell-progress', 'timeline-progress');
    const bar = element('span', 'cell-progress-bar');
    progress.append(bar);
    const error = element('span', 'cell-error', 'timeline-error');
    node.append(thumb, head, progress, error);
    node.addEventListener('click', () => this.run(`preview ${name}`));
    const cell = { node, thumb, mark, progress, bar, error, preview: null, broken: false };
    // A thumbnail that does not load shows nothing rather than a broken image.
    thumb.addEventListener('error', () => {
      cell.broken = true;
      thumb.hidden = true;
    });
    thumb.addEventListener('load', () => {
      cell.broken = false;
      thumb.hidden = cell.preview === null;
    });
    return cell;
  }

  drawCell(cell, segment) {
    const state = Object.hasOwn(MARKS, segment.state) ? segment.state : 'pending';
    const { node, thumb, mark, progress, bar, error } = cell;
    node.dataset.state = state;
    // Width in proportion to the duration (CSSOM, which the page's CSP allows).
    node.style.flexGrow = String(Math.max(num(segment.duration, 1), 0.001));
    mark.textContent = MARKS[state];

    const seconds = num(segment.duration);
    const chunks = `${num(segment.cached)}/${num(segment.chunks)} chunks cached`;
    const when = `${num(segment.start)}–${num(segment.start) + seconds} s`;
    let title = `${segment.name} (${when}): ${WORDS[state]}, ${chunks}`;

    const isRendering = state === 'rendering';
    progress.hidden = !isRendering;
    if (isRendering) {
      const part = Math.min(1, Math.max(0, num(segment.progress)));
      bar.style.width = `${Math.round(part * 100)}%`;
      progress.setAttribute('role', 'progressbar');
      progress.setAttribute('aria-valuemin', '0');
      progress.setAttribute('aria-valuemax', '100');
      progress.setAttribute('aria-valuenow', String(Math.round(part * 100)));
      title += ` — ${Math.round(part * 100)}%`;
    }

    const message = state === 'error' && typeof segment.error === 'string' ? segment.error : '';
    error.hidden = message === '';
    error.textContent = message;
    if (message) title += `\n${message}`;

    const preview = typeof segment.preview === 'string' ? segment.preview : null;
    if (preview !== cell.preview) {
      cell.preview = preview;
      cell.broken = false;
      if (preview) thumb.src = preview;
      else thumb.removeAttribute('src');
    }
    thumb.hidden = preview === null || cell.broken;
    node.title = `${title}\nClick for its preview.`;
    node.setAttribute('aria-label', `${segment.name}: ${WORDS[state]}${message ? ` — ${message}` : ''}. Show its preview.`);
  }

  /** The last `timeline` message of the watched file (a copy), or null. */
  snapshot() {
    return this.message ? structuredClone(this.message) : null;
  }
}
