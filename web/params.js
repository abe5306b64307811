// One labelled slider per live parameter of the watched file, with its value shown
// beside it. Moving a slider calls `onChange(id, value)` (app.js sends `set-param`);
// `parameters` redraws the set, `parameter-changed` moves one slider.

const STEPS = 1000;

export class Params {
  /** form: the element holding the sliders; onChange(id, value). */
  constructor(form, onChange) {
    this.form = form;
    this.onChange = onChange;
    /** id → { input, output, param } */
    this.sliders = new Map();
    form.addEventListener('submit', (event) => event.preventDefault());
  }

  /** `parameters`: the file's parameters with their current values. */
  set(params) {
    const list = Array.isArray(params) ? params : [];
    const same = list.length === this.sliders.size && list.every((p) => {
      const slider = this.sliders.get(p.id);
      return slider && slider.param.min === p.min && slider.param.max === p.max;
    });
    if (same) {
      for (const p of list) this.update(p.id, p.value);
      return;
    }
    this.sliders.clear();
    const rows = list.map((param) => this.drawSlider(param));
    this.form.replaceChildren(...rows);
  }

  /** `parameter-changed`. */
  update(id, value) {
    const slider = this.sliders.get(id);
    if (!slider || typeof value !== 'number') return;
    slider.param.value = value;
    // Leave the slider alone while the user drags it; the readout still follows.
    if (document.activeElement !== slider.input || !slider.dragging) slider.input.value = String(value);
    slider.output.textContent = format(value);
  }

  /** id → value, for window.weft. */
  values() {
    return Object.fromEntries([...this.sliders].map(([id, s]) => [id, s.param.value]));
  }

  drawSlider(param) {
    const row = document.createElement('div');
    row.className = 'param';
    const inputId = `param-input-${cssId(param.id)}`;
    const label = document.createElement('label');
    label.htmlFor = inputId;
    label.textContent = param.id;
    const input = document.createElement('input');
    input.type = 'range';
    input.id = inputId;
    input.dataset.testid = `param-${param.id}`;
    input.dataset.param = param.id;
    input.min = String(param.min);
    input.max = String(param.max);
    input.step = String(stepFor(param));
    input.value = String(param.value);
    const output = document.createElement('output');
    output.htmlFor = inputId;
    output.dataset.testid = `param-value-${param.id}`;
    output.textContent = format(param.value);
    const slider = { input, output, param: { ...param }, dragging: false };
    input.addEventListener('pointerdown', () => { slider.dragging = true; });
    input.addEventListener('pointerup', () => { slider.dragging = false; });
    input.addEventListener('input', () => {
      const value = Number(input.value);
      slider.param.value = value;
      output.textContent = format(value);
      this.onChange(param.id, value);
    });
    this.sliders.set(param.id, slider);
    row.append(label, input, output);
    return row;
  }
}

function stepFor({ min, max }) {
  const span = max - min;
  if (!(span > 0)) return 'any';
  return span / STEPS;
}

function format(value) {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}

function cssId(id) {
  return String(id).replace(/[^A-Za-z0-9_-]/g, '_');
}
