// The parameters panel of the watched file: one widget per control (widgets.js) —
// a slider for each plain `param(…)` and `#slider`, and the widget its pragma names
// for `#color`, `#xy`, `#toggle` and `#curve` (their parameters share
// `control.group` and come in index order) — each with its MIDI learn button
// (midi.js), and the `#badge` chips showing strands' live values.
// A change the user makes calls `onChange(id, value)` once per parameter (app.js
// sends `set-param`); `parameters` redraws the panel, `parameter-changed` moves one
// widget, each `state` redraws the badges.

import { slider, color, xy, toggle, curve, format } from './widgets.js';

export class Params {
  /** form: the element holding the widgets; badges: the one holding the badge chips; onChange(id, value). */
  constructor(form, badges, onChange) {
    this.form = form;
    this.badgeBox = badges;
    this.onChange = onChange;
    /** The MIDI learn side (midi.js), set by app.js: learn, forget, learning, describe. */
    this.midi = null;
    /** id → { ...param } with its value now. */
    this.params = new Map();
    /** id → the widget showing it. */
    this.byId = new Map();
    /** group → { group, kind, ids, widget, learn, forget } in panel order. */
    this.widgets = new Map();
    /** What the panel was drawn for: equal keys keep the widgets. */
    this.shape = '';
    /** name → { chip, output, value } */
    this.badges = new Map();
    form.addEventListener('submit', (event) => event.preventDefault());
  }

  /** `parameters`: the file's parameters with their current values. */
  set(params) {
    const list = Array.isArray(params) ? params : [];
    const shape = JSON.stringify(list.map((p) => [p.id, p.min, p.max, p.control?.kind, p.control?.group, p.control?.label]));
    if (shape === this.shape) {
      for (const p of list) this.update(p.id, p.value);
      return;
    }
    this.shape = shape;
    this.params = new Map(list.map((p) => [p.id, { ...p }]));
    this.byId.clear();
    this.widgets.clear();
    const rows = groups(list).map((g) => this.draw(g));
    this.form.replaceChildren(...rows);
    // A widget that is gone stops learning.
    if (this.midi?.learning && !this.widgets.has(this.midi.learning.group)) this.midi.learning = null;
    this.drawLearn();
  }

  /** `parameter-changed`. */
  update(id, value) {
    const param = this.params.get(id);
    if (!param || typeof value !== 'number') return;
    param.value = value;
    this.byId.get(id)?.update(id, value);
  }

  /** Sets a parameter as if the user moved its widget (MIDI): clamped to its range. */
  setValue(id, value) {
    const param = this.params.get(id);
    if (!param || !Number.isFinite(value)) return;
    const v = Math.min(param.max, Math.max(param.min, value));
    this.update(id, v);
    this.onChange(id, v);
  }

  /** A parameter now: { id, min, max, value, kind } (kind: its widget), or null. */
  info(id) {
    const param = this.params.get(id);
    if (!param) return null;
    return { id, min: param.min, max: param.max, value: param.value, kind: param.control?.kind ?? 'slider' };
  }

  /** id → value, for window.weft. */
  values() {
    return Object.fromEntries([...this.params].map(([id, p]) => [id, p.value]));
  }

  draw({ kind, group, list, label }) {
    const emit = (id, value) => {
      const param = this.params.get(id);
      if (param) param.value = value;
      this.onChange(id, value);
    };
    const widget = kind === 'color' ? color(list, label, group, emit)
      : kind === 'xy' ? xy(list, label, group, emit)
        : kind === 'toggle' ? toggle(list[0], label, group, emit)
          : kind === 'curve' ? curve(list, label, group, emit)
            : slider(list[0], label, emit);
    const row = document.createElement('div');
    row.className = `param param-${kind}`;
    row.dataset.group = group;
    const ids = list.map((p) => p.id);
    const cell = document.createElement('span');
    cell.className = 'midi';
    const learn = document.createElement('button');
    learn.type = 'button';
    learn.className = 'learn';
    learn.dataset.testid = `learn-${group}`;
    learn.addEventListener('click', () => this.midi?.learn(group, ids, kind));
    const forget = document.createElement('button');
    forget.type = 'button';
    forget.className = 'forget';
    forget.dataset.testid = `forget-${group}`;
    forget.textContent = '×';
    forget.title = 'Forget this MIDI binding';
    forget.setAttribute('aria-label', 'Forget the MIDI binding');
    forget.addEventListener('click', () => this.midi?.forget(ids));
    cell.append(learn, forget);
    row.append(...widget.parts, cell);
    const entry = { group, kind, ids, widget, learn, forget };
    this.widgets.set(group, entry);
    for (const id of ids) this.byId.set(id, widget);
    return row;
  }

  /** Redraws every learn button: idle, learning, or the bindings it has. */
  drawLearn() {
    const learning = this.midi?.learning ?? null;
    for (const { group, kind, ids, learn, forget } of this.widgets.values()) {
      const bound = this.midi?.describe(ids) ?? '';
      const armed = learning?.group === group;
      // A widget of several values learns them in turn: say which one is next.
      const which = armed && ids.length > 1 ? ` ${learning.next + 1}/${ids.length}` : '';
      learn.textContent = armed ? `learning${which}…` : bound || 'MIDI';
      learn.classList.toggle('learning', armed);
      learn.classList.toggle('bound', Boolean(bound));
      learn.setAttribute('aria-pressed', String(armed));
      learn.dataset.bound = bound;
      const what = kind === 'toggle' ? 'a knob, fader or key (each note flips it)'
        : ids.length > 1 ? `knobs or faders, one for each of its ${ids.length} values in turn` : 'a knob or fader';
      learn.title = armed
        ? `Move ${what} on your MIDI controller; click again to stop.`
        : `MIDI learn: click, then move ${what}.${bound ? ` Bound to ${bound}.` : ''}`;
      forget.hidden = !bound;
    }
  }

  /** `state`'s `badges`: [{ name, label?, value }]; chips come and go with the list. */
  setBadges(list) {
    const badges = Array.isArray(list) ? list : [];
    const names = new Set(badges.map((b) => b.name));
    for (const [name, badge] of this.badges) {
      if (!names.has(name)) {
        badge.chip.remove();
        this.badges.delete(name);
      }
    }
    for (const b of badges) {
      if (typeof b?.name !== 'string') continue;
      let badge = this.badges.get(b.name);
      if (!badge) {
        const chip = document.createElement('span');
        chip.className = 'badge';
        chip.dataset.testid = `badge-${b.name}`;
        chip.title = b.name;
        const label = document.createElement('span');
        label.className = 'badge-label';
        label.textContent = b.label ?? b.name;
        const output = document.createElement('output');
        output.dataset.testid = `badge-value-${b.name}`;
        chip.append(label, output);
        this.badgeBox.append(chip);
        badge = { chip, output, value: null };
        this.badges.set(b.name, badge);
      }
      badge.value = typeof b.value === 'number' ? b.value : null;
      badge.output.textContent = badge.value === null ? '–' : format(badge.value);
      badge.chip.dataset.value = badge.value === null ? '' : String(badge.value);
    }
    this.badgeBox.hidden = this.badges.size === 0;
  }

  /** name → value (null before a picture), for window.weft. */
  badgeValues() {
    return Object.fromEntries([...this.badges].map(([name, b]) => [name, b.value]));
  }
}

/**
 * The parameters as widgets: consecutive parameters of one control's group make
 * one widget; a parameter without a control is a slider labelled with its id.
 */
function groups(list) {
  const out = [];
  for (const param of list) {
    const control = param.control;
    const previous = out[out.length - 1];
    if (control && previous?.control && previous.group === control.group && previous.kind === control.kind) {
      previous.list.push(param);
      continue;
    }
    const kind = control?.kind ?? 'slider';
    const group = control ? control.group : param.id;
    out.push({ kind, group, list: [param], control: Boolean(control), label: control?.label ?? (kind === 'slider' || kind === 'toggle' ? param.id : group) });
  }
  // A control whose parameters do not fit its widget (not expected from the
  // server) shows them as sliders rather than not at all.
  const fits = (g) => (g.kind === 'color' ? g.list.length === 3 : g.kind === 'xy' ? g.list.length === 2
    : g.kind === 'toggle' || g.kind === 'slider' ? g.list.length === 1 : g.kind === 'curve');
  return out.flatMap((g) => (fits(g) ? [g] : g.list.map((p) => ({ kind: 'slider', group: p.id, list: [p], label: p.id }))));
}
