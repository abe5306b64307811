// The command bar (Ctrl+K / ⌘K): one input that jumps to a file, toggles the pin
// or runs a line of the command language (`play`, `bpm 90`, `set freq 880`,
// `info` …). Suggestions are listed as you type; Enter takes the highlighted one,
// arrows move, Escape closes. The answer of a command is shown under the input.

const COMMAND_WORDS = ['play', 'pause', 'stop', 'reset', 'seek', 'bpm', 'set', 'get', 'ls', 'info', 'help', 'render', 'preview', 'status', 'cancel'];

export class CommandBar {
  /**
   * elements: { backdrop, input, suggestions, output, opener }
   * actions: { files() → [path], pinned() → bool, open(path), togglePin(), run(text) }
   */
  constructor(elements, actions) {
    this.elements = elements;
    this.actions = actions;
    this.items = [];
    this.selected = 0;
    this.returnFocus = null;
    const { backdrop, input, opener } = elements;

    document.addEventListener('keydown', (event) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 'k') {
        event.preventDefault();
        if (this.isOpen) this.close();
        else this.open();
      } else if (event.key === 'Escape' && this.isOpen) {
        event.preventDefault();
        this.close();
      }
    });
    opener.addEventListener('click', () => this.open());
    backdrop.addEventListener('mousedown', (event) => {
      if (event.target === backdrop) this.close();
    });
    input.addEventListener('input', () => {
      this.selected = 0;
      this.suggest();
    });
    input.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        if (this.items.length === 0) return;
        const step = event.key === 'ArrowDown' ? 1 : -1;
        this.selected = (this.selected + step + this.items.length) % this.items.length;
        this.drawSuggestions();
      } else if (event.key === 'Enter') {
        event.preventDefault();
        const item = this.items[this.selected];
        if (item) this.take(item);
      }
    });
  }

  get isOpen() {
    return !this.elements.backdrop.hidden;
  }

  open() {
    const { backdrop, input } = this.elements;
    if (!this.isOpen) this.returnFocus = document.activeElement;
    backdrop.hidden = false;
    input.select();
    input.focus();
    this.suggest();
  }

  close() {
    this.elements.backdrop.hidden = true;
    this.elements.input.blur();
    // Give focus back to where it was (the ⌘K button, a slider …).
    if (this.returnFocus && this.returnFocus !== document.body && this.returnFocus.isConnected) this.returnFocus.focus();
    this.returnFocus = null;
  }

  /** A `command-result`: shown under the input. */
  showResult(message) {
    const { output } = this.elements;
    output.textContent = message.output ?? '';
    output.classList.toggle('failed', message.ok === false);
    output.dataset.ok = String(message.ok !== false);
  }

  suggest() {
    const text = this.elements.input.value.trim();
    const lower = text.toLowerCase();
    const items = [];
    const pinLabel = this.actions.pinned() ? 'Unpin: follow the file that changes' : 'Pin this file';
    const pinMatch = lower !== '' && ['pin', 'unpin', 'toggle pin', 'follow'].some((w) => w.startsWith(lower));
    const firstWord = lower.split(/\s+/)[0];
    const isCommand = COMMAND_WORDS.includes(firstWord);
    const files = lower === '' ? [] : this.actions.files().filter((path) => path.toLowerCase().includes(lower)).slice(0, 8);

    if (pinMatch) items.push({ kind: 'pin', label: pinLabel });
    if (isCommand) items.push({ kind: 'run', label: `Run: ${text}`, text });
    for (const path of files) items.push({ kind: 'file', label: path, path });
    if (text !== '' && !isCommand) items.push({ kind: 'run', label: `Run: ${text}`, text });
    if (lower === '') items.push({ kind: 'pin', label: pinLabel });
    this.items = items;
    if (this.selected >= items.length) this.selected = 0;
    this.drawSuggestions();
  }

  drawSuggestions() {
    const rows = this.items.map((item, index) => {
      const row = document.createElement('li');
      row.setAttribute('role', 'option');
      row.dataset.testid = 'command-suggestion';
      row.dataset.kind = item.kind;
      row.textContent = item.label;
      if (index === this.selected) {
        row.classList.add('selected');
        row.setAttribute('aria-selected', 'true');
      }
      row.addEventListener('mousedown', (event) => {
        event.preventDefault();
        this.take(item);
      });
      return row;
    });
    this.elements.suggestions.replaceChildren(...rows);
  }

  take(item) {
    if (item.kind === 'file') {
      this.actions.open(item.path);
      this.close();
    } else if (item.kind === 'pin') {
      this.actions.togglePin();
      this.close();
    } else {
      this.elements.output.textContent = '…';
      this.elements.output.dataset.ok = '';
      this.actions.run(item.text);
      this.elements.input.select();
    }
  }
}
