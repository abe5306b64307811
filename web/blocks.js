// Draws the watched file as blocks: each statement's prose (Markdown), its code and
// its result — a thumbnail per picture output, a waveform per sound output, a
// number per constant, or the error with its line and column. Every text from the
// file goes in through textContent (or markdown.js, which does the same).

import { renderMarkdown } from './markdown.js';

/** entry → its element, so an unchanged block is not redrawn (no image reloads). */
const drawn = new WeakMap();

/** Shows `entries` (runs.js) in `container`, reusing the elements of entries already drawn. */
export function renderBlocks(container, entries) {
  const elements = entries.map((entry) => {
    let element = drawn.get(entry);
    if (!element) {
      element = drawBlock(entry);
      drawn.set(entry, element);
    }
    return element;
  });
  // Touch the DOM only where something changed: one block at a time when the
  // list keeps its length (a result arrived), else the whole list.
  const current = [...container.children];
  if (current.length === elements.length) {
    const changed = elements.filter((element, i) => element !== current[i]);
    if (changed.every((element) => element.parentNode !== container)) {
      elements.forEach((element, i) => {
        if (element !== current[i]) current[i].replaceWith(element);
      });
      return;
    }
  }
  container.replaceChildren(...elements);
}

function drawBlock(entry) {
  const { desc } = entry;
  const article = document.createElement('article');
  article.className = `block kind-${cssWord(desc.kind)} state-${entry.state}`;
  article.dataset.testid = 'block';
  article.dataset.blockId = entry.id;
  article.dataset.name = desc.name ?? '';
  article.dataset.kind = desc.kind ?? '';
  article.dataset.state = entry.state;
  const stale = entry.state === 'stale' || entry.state === 'error';
  if (stale) article.classList.add('stale');

  const text = document.createElement('div');
  text.className = 'block-text';
  if (desc.prose) {
    const prose = document.createElement('div');
    prose.className = 'prose';
    prose.dataset.testid = 'block-prose';
    prose.append(renderMarkdown(desc.prose));
    text.append(prose);
  }
  const code = document.createElement('pre');
  code.className = 'code';
  code.dataset.testid = 'block-code';
  if (desc.line) {
    const line = document.createElement('span');
    line.className = 'line-number';
    line.textContent = desc.endLine && desc.endLine !== desc.line ? `${desc.line}–${desc.endLine}` : String(desc.line);
    line.setAttribute('aria-label', `line ${desc.line}`);
    code.append(line);
  }
  const codeText = document.createElement('code');
  codeText.textContent = desc.code ?? '';
  code.append(codeText);
  text.append(code);

  if (entry.error) {
    const error = document.createElement('div');
    error.className = 'error';
    error.dataset.testid = 'block-error';
    error.setAttribute('role', 'alert');
    error.textContent = describeError(entry.error);
    if (entry.error.rendered) {
      const rendered = document.createElement('pre');
      rendered.className = 'rendered';
      rendered.textContent = entry.error.rendered;
      error.append(rendered);
    }
    text.append(error);
  }
  article.append(text);

  const result = document.createElement('div');
  result.className = 'block-result';
  result.dataset.testid = 'block-result';
  if (entry.state === 'pending') result.classList.add('pending');
  if (stale) result.classList.add('stale');
  if (stale && (entry.views ?? []).length > 0) result.title = 'Stale: the last good result, the file does not build';
  for (const view of entry.views ?? []) result.append(drawView(view));
  article.append(result);
  return article;
}

/** "line 9, column 14: unknown name `pulze` [E0201]" */
export function describeError(error) {
  const where = error.line ? `line ${error.line}${error.column ? `, column ${error.column}` : ''}: ` : '';
  const code = error.code ? ` [${error.code}]` : '';
  return `${where}${error.message ?? 'error'}${code}`;
}

function drawView(view) {
  const figure = document.createElement('figure');
  figure.className = `view view-${cssWord(view.kind)}`;
  figure.dataset.output = view.output ?? '';
  const caption = document.createElement('figcaption');
  caption.textContent = view.output ?? '';

  if (view.kind === 'image') {
    const img = document.createElement('img');
    img.dataset.testid = 'view-image';
    img.alt = `${view.output ?? 'output'} over x and y`;
    if (typeof view.png === 'string' && view.png.startsWith('data:image/png;base64,')) img.src = view.png;
    if (view.width) img.width = view.width;
    if (view.height) img.height = view.height;
    figure.append(img);
  } else if (view.kind === 'wave') {
    const canvas = document.createElement('canvas');
    canvas.dataset.testid = 'view-wave';
    canvas.width = 160;
    canvas.height = 48;
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `${view.output ?? 'output'} over ${view.seconds ?? '?'} s`);
    drawWave(canvas, view);
    figure.append(canvas);
  } else if (view.kind === 'number') {
    const number = document.createElement('span');
    number.className = 'number';
    number.dataset.testid = 'view-number';
    number.textContent = formatNumber(view.value);
    figure.append(number);
  } else {
    const other = document.createElement('span');
    other.textContent = String(view.kind ?? '?');
    figure.append(other);
  }
  figure.append(caption);
  return figure;
}

function drawWave(canvas, view) {
  const context = canvas.getContext('2d');
  const min = Array.isArray(view.min) ? view.min : [];
  const max = Array.isArray(view.max) ? view.max : [];
  const count = Math.min(min.length, max.length);
  const { width, height } = canvas;
  context.fillStyle = '#10141c';
  context.fillRect(0, 0, width, height);
  context.strokeStyle = '#2a3344';
  context.beginPath();
  context.moveTo(0, height / 2);
  context.lineTo(width, height / 2);
  context.stroke();
  if (count === 0) return;
  let peak = 1;
  for (let i = 0; i < count; i++) peak = Math.max(peak, Math.abs(min[i]), Math.abs(max[i]));
  const y = (v) => height / 2 - (v / peak) * (height / 2 - 1);
  context.fillStyle = '#7fd1b9';
  for (let i = 0; i < count; i++) {
    const x0 = Math.floor((i / count) * width);
    const x1 = Math.max(x0 + 1, Math.floor(((i + 1) / count) * width));
    const top = y(max[i]);
    const bottom = y(min[i]);
    context.fillRect(x0, top, x1 - x0, Math.max(1, bottom - top));
  }
}

export function formatNumber(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

function cssWord(text) {
  return String(text ?? '').replace(/[^a-z0-9-]/gi, '') || 'none';
}
