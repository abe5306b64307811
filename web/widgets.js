// The widgets of the parameters panel, one per control (params.js groups the
// parameters): a slider (plain `param(…)` and `#slider`), a colour picker (`#color`,
// three parameters 0…1 as one `<input type=color>`), a pad (`#xy`, dragged in two
// dimensions, y growing downwards as `me@y` does), a switch (`#toggle`, 0 or 1) and
// a curve (`#curve`, its points evenly spaced over 0…1, each dragged up and down).
// Each widget is `{ parts: [label, control, readout], update(id, value) }`: `parts`
// fill three cells of the panel's grid, `update` shows a value the server sent
// (ignored by a pad or curve while the user drags it: the echoes lag the pointer).
// Every change the user makes calls `emit(id, value)` once per parameter.

const STEPS = 1000;
const SVG = 'http://www.w3.org/2000/svg';
/** The curve's drawing, in CSS pixels: its size and the margin around the points. */
const CURVE = { width: 160, height: 64, margin: 6 };

export function format(value) {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}

export function cssId(id) {
  return String(id).replace(/[^A-Za-z0-9_-]/g, '_');
}

const clamp01 = (v) => (v < 0 ? 0 : v > 1 ? 1 : Number.isFinite(v) ? v : 0);
/** A parameter's value as 0…1 of its range, and back. */
const toUnit = (p, v) => (p.max > p.min ? clamp01((v - p.min) / (p.max - p.min)) : 0);
const fromUnit = (p, u) => p.min + clamp01(u) * (p.max - p.min);

function labelFor(text, control) {
  const label = document.createElement('label');
  label.textContent = text;
  if (control.id) label.htmlFor = control.id;
  return label;
}

/** A text label for an element that is not a form control (the pad, the curve). */
function nameFor(text, control, group) {
  const label = document.createElement('span');
  label.className = 'param-label';
  label.id = `control-label-${cssId(group)}`;
  label.textContent = text;
  control.setAttribute('aria-labelledby', label.id);
  return label;
}

function readout(testid) {
  const output = document.createElement('output');
  if (testid) output.dataset.testid = testid;
  return output;
}

/** A range input for one parameter (`param-<id>`, its value in `param-value-<id>`). */
export function slider(param, text, emit) {
  const input = document.createElement('input');
  input.type = 'range';
  input.id = `param-input-${cssId(param.id)}`;
  input.dataset.testid = `param-${param.id}`;
  input.dataset.param = param.id;
  input.min = String(param.min);
  input.max = String(param.max);
  const span = param.max - param.min;
  input.step = span > 0 ? String(span / STEPS) : 'any';
  input.value = String(param.value);
  const output = readout(`param-value-${param.id}`);
  output.htmlFor = input.id;
  output.textContent = format(param.value);
  let dragging = false;
  input.addEventListener('pointerdown', () => { dragging = true; });
  input.addEventListener('pointerup', () => { dragging = false; });
  input.addEventListener('input', () => {
    const value = Number(input.value);
    output.textContent = format(value);
    emit(param.id, value);
  });
  return {
    parts: [labelFor(text, input), input, output],
    update(id, value) {
      // Leave the slider alone while the user drags it; the readout still follows.
      if (!(dragging && document.activeElement === input)) input.value = String(value);
      output.textContent = format(value);
    },
  };
}

/** `#color`: one colour input for the red, green and blue parameters (in index order). */
export function color(params, text, group, emit) {
  const input = document.createElement('input');
  input.type = 'color';
  input.id = `control-input-${cssId(group)}`;
  input.dataset.testid = `control-${group}`;
  const output = readout(`control-value-${group}`);
  const values = params.map((p) => p.value);
  const draw = () => {
    const hex = `#${params.map((p, i) => Math.round(toUnit(p, values[i]) * 255).toString(16).padStart(2, '0')).join('')}`;
    input.value = hex;
    output.textContent = hex;
  };
  draw();
  input.addEventListener('input', () => {
    const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(input.value);
    if (!match) return;
    params.forEach((p, i) => {
      const value = fromUnit(p, parseInt(match[i + 1], 16) / 255);
      values[i] = value;
      emit(p.id, value);
    });
    output.textContent = input.value;
  });
  return {
    parts: [labelFor(text, input), input, output],
    update(id, value) {
      const i = params.findIndex((p) => p.id === id);
      if (i < 0) return;
      values[i] = value;
      draw();
    },
  };
}

/** `#xy`: a square pad with a dot; dragging sets x (left → right) and y (top → bottom). */
export function xy(params, text, group, emit) {
  const [px, py] = params;
  const pad = document.createElement('div');
  pad.className = 'pad';
  pad.tabIndex = 0;
  pad.dataset.testid = `control-${group}`;
  pad.title = 'Drag to set x and y (arrow keys: small steps)';
  const dot = document.createElement('span');
  dot.className = 'pad-dot';
  pad.append(dot);
  const output = readout(`control-value-${group}`);
  const values = [px.value, py.value];
  let dragging = false;
  const draw = () => {
    const ux = toUnit(px, values[0]);
    const uy = toUnit(py, values[1]);
    dot.style.left = `${ux * 100}%`;
    dot.style.top = `${uy * 100}%`;
    output.textContent = `${values[0].toFixed(2)}, ${values[1].toFixed(2)}`;
    pad.setAttribute('aria-valuetext', output.textContent);
  };
  const set = (ux, uy) => {
    values[0] = fromUnit(px, ux);
    values[1] = fromUnit(py, uy);
    draw();
    emit(px.id, values[0]);
    emit(py.id, values[1]);
  };
  const fromPointer = (event) => {
    const rect = pad.getBoundingClientRect();
    set((event.clientX - rect.left) / rect.width, (event.clientY - rect.top) / rect.height);
  };
  pad.addEventListener('pointerdown', (event) => {
    dragging = true;
    pad.setPointerCapture?.(event.pointerId);
    pad.focus();
    fromPointer(event);
    event.preventDefault();
  });
  pad.addEventListener('pointermove', (event) => { if (dragging) fromPointer(event); });
  for (const type of ['pointerup', 'pointercancel', 'lostpointercapture']) {
    pad.addEventListener(type, () => { dragging = false; });
  }
  pad.addEventListener('keydown', (event) => {
    const step = event.shiftKey ? 0.1 : 0.01;
    const move = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[event.key];
    if (!move) return;
    event.preventDefault();
    set(toUnit(px, values[0]) + move[0], toUnit(py, values[1]) + move[1]);
  });
  draw();
  return {
    parts: [nameFor(text, pad, group), pad, output],
    update(id, value) {
      const i = params.findIndex((p) => p.id === id);
      if (i < 0 || dragging) return;
      values[i] = value;
      draw();
    },
  };
}

/** `#toggle`: a switch, its parameter at its max when on and its min when off. */
export function toggle(param, text, group, emit) {
  const input = document.createElement('input');
  input.type = 'checkbox';
  input.setAttribute('role', 'switch');
  input.className = 'switch';
  input.id = `param-input-${cssId(param.id)}`;
  input.dataset.testid = `param-${param.id}`;
  input.dataset.param = param.id;
  const output = readout(`param-value-${param.id}`);
  const draw = (value) => {
    input.checked = value >= (param.min + param.max) / 2;
    output.textContent = input.checked ? 'on' : 'off';
  };
  draw(param.value);
  input.addEventListener('change', () => {
    output.textContent = input.checked ? 'on' : 'off';
    emit(param.id, input.checked ? param.max : param.min);
  });
  const label = labelFor(text, input);
  return { parts: [label, input, output], update: (id, value) => draw(value) };
}

/** `#curve`: its points left to right; dragging moves the nearest point up or down. */
export function curve(params, text, group, emit) {
  const { width, height, margin } = CURVE;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'curve');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('tabindex', '0');
  svg.setAttribute('role', 'group');
  svg.dataset.testid = `control-${group}`;
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('class', 'curve-line');
  svg.append(line);
  const dots = params.map((p, i) => {
    const dot = document.createElementNS(SVG, 'circle');
    dot.setAttribute('r', '4');
    dot.setAttribute('class', 'curve-point');
    dot.dataset.testid = 'curve-point';
    dot.dataset.param = p.id;
    dot.dataset.index = String(i);
    svg.append(dot);
    return dot;
  });
  const output = readout(`control-value-${group}`);
  const values = params.map((p) => p.value);
  const last = Math.max(1, params.length - 1);
  let active = 0;
  let dragging = false;
  const px = (i) => margin + (i / last) * (width - 2 * margin);
  const py = (i) => margin + (1 - toUnit(params[i], values[i])) * (height - 2 * margin);
  const draw = () => {
    line.setAttribute('points', params.map((_, i) => `${px(i)},${py(i)}`).join(' '));
    dots.forEach((dot, i) => {
      dot.setAttribute('cx', String(px(i)));
      dot.setAttribute('cy', String(py(i)));
      dot.classList.toggle('active', i === active);
    });
    output.textContent = `#${active + 1} ${format(values[active])}`;
  };
  const set = (i, unit) => {
    active = i;
    values[i] = fromUnit(params[i], unit);
    draw();
    emit(params[i].id, values[i]);
  };
  const local = (event) => {
    const rect = svg.getBoundingClientRect();
    return { x: ((event.clientX - rect.left) / rect.width) * width, y: ((event.clientY - rect.top) / rect.height) * height };
  };
  const unitY = (y) => 1 - (y - margin) / (height - 2 * margin);
  svg.addEventListener('pointerdown', (event) => {
    const { x, y } = local(event);
    dragging = true;
    svg.setPointerCapture?.(event.pointerId);
    svg.focus();
    active = Math.round(clamp01((x - margin) / (width - 2 * margin)) * last);
    set(active, unitY(y));
    event.preventDefault();
  });
  svg.addEventListener('pointermove', (event) => { if (dragging) set(active, unitY(local(event).y)); });
  for (const type of ['pointerup', 'pointercancel', 'lostpointercapture']) {
    svg.addEventListener(type, () => { dragging = false; });
  }
  svg.addEventListener('keydown', (event) => {
    const step = event.shiftKey ? 0.1 : 0.01;
    if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') {
      active = Math.min(params.length - 1, Math.max(0, active + (event.key === 'ArrowLeft' ? -1 : 1)));
      draw();
    } else if (event.key === 'ArrowUp' || event.key === 'ArrowDown') {
      set(active, toUnit(params[active], values[active]) + (event.key === 'ArrowUp' ? step : -step));
    } else {
      return;
    }
    event.preventDefault();
  });
  draw();
  return {
    parts: [nameFor(text, svg, group), svg, output],
    update(id, value) {
      const i = params.findIndex((p) => p.id === id);
      if (i < 0 || dragging) return;
      values[i] = value;
      draw();
    },
  };
}
