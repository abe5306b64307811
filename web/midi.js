// MIDI learn (Web MIDI): a controller's knobs, faders and keys steer parameters.
// Click a widget's learn button, then move a knob: its control change (status
// 0xB0…0xBF, any channel) is bound to the widget's parameter, and from then on
// moves it linearly from the parameter's min (0) to its max (127). A toggle learns
// a note too (note-on, 0x90…0x9F with velocity > 0): each press flips it; a knob
// bound to a toggle turns it on at 64 and above.
// A widget of several parameters (#color, #xy, #curve) learns them in index order:
// the first knob moved binds r (x, the first point), the next *other* knob g (y,
// the second point), and so on; learning stops after the last one, or when the
// learn button is clicked again (what was bound so far stays).
// A knob drives one parameter and a parameter has one binding: binding again
// replaces the old one. "×" forgets a widget's bindings.
// Bindings are kept per file in localStorage (`weft.midi:<served folder>:<file>`),
// so they survive reloads. The page asks for MIDI access when learn is first
// clicked, or at once for a file that has bindings; `receive(bytes)` is the one
// path every message takes (window.weft.midi feeds it where no device exists).

const PREFIX = 'weft.midi:';

export class Midi {
  /**
   * host: { param(id) → { min, max, value, kind } | null, set(id, value), changed() }
   * — params.js reads and moves parameters; changed() redraws the learn buttons.
   */
  constructor(host) {
    this.host = host;
    /** [{ type: 'cc' | 'note', channel: 0…15, number: 0…127, id }] */
    this.bindings = [];
    /** The widget learning: { group, ids, kind, next, bound: Map(message key → id) }, or null. */
    this.learning = null;
    this.key = null;
    /** 'none' (not asked), 'pending', 'granted', 'unavailable' (no Web MIDI) or 'denied'. */
    this.access = 'none';
    this.inputs = 0;
    this.received = 0;
  }

  /** The watched file changed (or the served folder became known): its bindings. */
  setFile(root, file) {
    const key = file ? `${PREFIX}${root}:${file}` : null;
    if (key === this.key) return;
    this.key = key;
    this.learning = null;
    this.bindings = key ? load(key) : [];
    if (this.bindings.length > 0) this.requestAccess();
    this.host.changed();
  }

  /** Arms learn for a widget (`ids` in index order); clicking the armed one again stops. */
  learn(group, ids, kind) {
    if (this.learning?.group === group) {
      this.learning = null;
    } else {
      this.learning = { group, ids: [...ids], kind, next: 0, bound: new Map() };
      this.requestAccess();
    }
    this.host.changed();
  }

  /** Forgets the bindings of these parameters. */
  forget(ids) {
    const set = new Set(ids);
    this.bindings = this.bindings.filter((b) => !set.has(b.id));
    if (this.learning && this.learning.ids.some((id) => set.has(id))) this.learning = null;
    this.save();
    this.host.changed();
  }

  /** The bindings of these parameters, in their order, as text ('' when none). */
  describe(ids) {
    return ids
      .map((id) => this.bindings.find((b) => b.id === id))
      .filter(Boolean)
      .map(describe)
      .join(', ');
  }

  /** One MIDI message (3 bytes); what it did: 'bound', 'set', or null (ignored). */
  receive(bytes) {
    if (!bytes || bytes.length < 3) return null;
    const [status, number, data] = [bytes[0], bytes[1] & 0x7f, bytes[2] & 0x7f];
    const type = (status & 0xf0) === 0xb0 ? 'cc' : (status & 0xf0) === 0x90 && data > 0 ? 'note' : null;
    if (!type) return null;
    this.received += 1;
    const channel = status & 0x0f;
    const key = `${type}:${channel}:${number}`;
    const learning = this.learning;
    // Notes bind to toggles only; while another widget learns they do what they did.
    if (learning && (type === 'cc' || learning.kind === 'toggle')) {
      let id = learning.bound.get(key);
      if (!id) {
        id = learning.ids[learning.next];
        learning.next += 1;
        learning.bound.set(key, id);
        this.bind({ type, channel, number, id });
        if (learning.next >= learning.ids.length) this.learning = null;
        this.host.changed();
      }
      this.apply(type, data, id);
      return 'bound';
    }
    const binding = this.bindings.find((b) => `${b.type}:${b.channel}:${b.number}` === key);
    if (!binding) return null;
    return this.apply(type, data, binding.id) ? 'set' : null;
  }

  bind(binding) {
    const key = (b) => `${b.type}:${b.channel}:${b.number}`;
    this.bindings = this.bindings.filter((b) => b.id !== binding.id && key(b) !== key(binding));
    this.bindings.push(binding);
    this.save();
  }

  apply(type, data, id) {
    const p = this.host.param(id);
    if (!p) return false;
    const middle = (p.min + p.max) / 2;
    let value;
    if (type === 'note') value = p.value >= middle ? p.min : p.max;
    else if (p.kind === 'toggle') value = data >= 64 ? p.max : p.min;
    else value = p.min + (data / 127) * (p.max - p.min);
    this.host.set(id, value);
    return true;
  }

  save() {
    if (!this.key) return;
    try {
      if (this.bindings.length === 0) localStorage.removeItem(this.key);
      else localStorage.setItem(this.key, JSON.stringify(this.bindings));
    } catch {
      // Storage may be disabled: the bindings last for this visit.
    }
  }

  /** Asks the browser for MIDI input once; every input's messages go to `receive`. */
  requestAccess() {
    if (this.access !== 'none') return;
    if (typeof navigator.requestMIDIAccess !== 'function') {
      this.access = 'unavailable';
      return;
    }
    this.access = 'pending';
    navigator.requestMIDIAccess({ sysex: false }).then(
      (access) => {
        this.access = 'granted';
        const hook = () => {
          let n = 0;
          for (const input of access.inputs.values()) {
            input.onmidimessage = (event) => this.receive(event.data);
            n += 1;
          }
          this.inputs = n;
        };
        hook();
        access.onstatechange = hook;
      },
      () => { this.access = 'denied'; },
    );
  }

  /** For window.weft: access, inputs, the widget learning and the bindings. */
  status() {
    return {
      access: this.access,
      inputs: this.inputs,
      received: this.received,
      learning: this.learning ? this.learning.group : null,
      bindings: this.bindings.map((b) => ({ ...b })),
    };
  }
}

function describe(b) {
  const channel = b.channel === 0 ? '' : `ch${b.channel + 1} `;
  return b.type === 'cc' ? `${channel}CC${b.number}` : `${channel}note ${b.number}`;
}

function load(key) {
  try {
    const list = JSON.parse(localStorage.getItem(key) ?? '[]');
    if (!Array.isArray(list)) return [];
    return list.filter((b) => b && (b.type === 'cc' || b.type === 'note') && Number.isInteger(b.channel)
      && Number.isInteger(b.number) && typeof b.id === 'string');
  } catch {
    return [];
  }
}
