// What the page holds of the watched file's runs: the blocks it shows in document
// order, and every result it holds keyed by block id (ids are content keys, so a
// result the server marks `unchanged` is taken from here). A failed or partial run
// never blanks a block: until its new result arrives, and when the build fails,
// a block shows the last good views of the block it replaces, marked stale.
// Plain data, no DOM: blocks.js draws it.

/**
 * An entry is one block as shown:
 * { id, desc: {kind, name, line, endLine, code, prose}, state, views, error }
 * state: 'ok' (views are its own), 'error' (error, views are the old ones),
 * 'stale' (views and error are the old ones), 'pending' (waiting for its result;
 * views are the old ones).
 */
export class Runs {
  constructor() {
    this.file = null;
    /** The last run of `file` received completely (0: none). */
    this.completeRun = 0;
    /** The error of the last complete run, or null. */
    this.runError = null;
    /** The entries shown, in document order. */
    this.shown = [];
    /** id → entry, for `unchanged`. */
    this.held = new Map();
    /** The run being received: { run, ids, descs, entries }. */
    this.pending = null;
    /** Set when the server said `unchanged` for a block this page does not hold. */
    this.missing = false;
  }

  /** Starts holding another file: nothing shown, nothing pending. */
  reset(file) {
    this.file = file;
    this.completeRun = 0;
    this.runError = null;
    this.shown = [];
    this.pending = null;
    this.missing = false;
  }

  /** `run-start`. Returns false when it is not about the file held. */
  start(message) {
    if (message.file !== this.file) return false;
    const descs = new Map();
    for (const block of message.blocks ?? []) descs.set(block.id, block);
    const ids = Array.isArray(message.blockIds) ? message.blockIds : [...descs.keys()];
    const previous = this.shown;
    const entries = ids.map((id, index) => {
      const desc = descs.get(id) ?? this.held.get(id)?.desc ?? { kind: '', name: '', code: '', prose: null };
      const old = matchPrevious(previous, desc, index);
      return { id, desc, state: 'pending', views: old?.views ?? [], error: null, old };
    });
    this.pending = { run: message.run, ids, descs, entries };
    this.shown = entries;
    return true;
  }

  /** `block-result`. Returns the entry it changed, or null when it is not for the pending run. */
  result(message) {
    const pending = this.pending;
    if (!pending || message.run !== pending.run) return null;
    const index = pending.ids.indexOf(message.block);
    if (index < 0) return null;
    const placeholder = pending.entries[index];
    const desc = pending.descs.get(message.block) ?? placeholder.desc;
    const old = placeholder.old;
    let entry;
    if (message.unchanged) {
      entry = this.held.get(message.block);
      if (!entry) {
        this.missing = true;
        entry = { ...placeholder, state: 'stale' };
      }
    } else if (message.stale) {
      entry = {
        id: message.block,
        desc,
        state: 'stale',
        views: old?.views ?? [],
        error: old?.state === 'ok' ? null : old?.error ?? null,
      };
    } else if (message.ok === false) {
      entry = { id: message.block, desc, state: 'error', views: old?.views ?? [], error: message.error ?? { message: 'failed' } };
    } else {
      entry = { id: message.block, desc, state: 'ok', views: message.result?.views ?? [], error: null };
    }
    delete entry.old;
    this.held.set(entry.id, entry);
    pending.entries[index] = entry;
    this.shown = pending.entries;
    return entry;
  }

  /** `run-end`. Returns 'complete', 'failed', 'cancelled' or null when not for the pending run. */
  end(message) {
    const pending = this.pending;
    if (!pending || message.run !== pending.run) return null;
    this.pending = null;
    if (message.cancelled) return 'cancelled';
    // Blocks that got no result keep their old views, marked stale.
    pending.entries = pending.entries.map((entry) =>
      entry.state === 'pending' ? { ...entry, state: 'stale', old: undefined } : entry);
    this.shown = pending.entries;
    this.completeRun = message.run;
    this.runError = message.error ?? null;
    this.prune();
    return message.error ? 'failed' : 'complete';
  }

  /** Keeps held results bounded: those shown, plus a few hundred recent others. */
  prune() {
    const limit = 512;
    if (this.held.size <= limit) return;
    const keep = new Set(this.shown.map((entry) => entry.id));
    for (const id of this.held.keys()) {
      if (this.held.size <= limit) break;
      if (!keep.has(id)) this.held.delete(id);
    }
  }
}

/** The entry that a new block replaces: same kind and name, else a nameless one of the same kind at the same place. */
function matchPrevious(previous, desc, index) {
  if (desc.name) {
    return previous.find((entry) => entry.desc.name === desc.name && entry.desc.kind === desc.kind) ?? null;
  }
  const at = previous[index];
  return at && at.desc.kind === desc.kind && !at.desc.name ? at : null;
}
