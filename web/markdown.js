// A small, safe Markdown subset for a statement's prose: paragraphs, bullet and
// numbered lists, *emphasis*, **strong**, `code` and [links](url). It builds DOM
// nodes and sets only textContent, so no text from a file can become HTML; link
// targets are limited to http(s), mailto, relative paths and #fragments.

/** Renders `source` into a DocumentFragment. */
export function renderMarkdown(source) {
  const fragment = document.createDocumentFragment();
  const lines = String(source ?? '').replace(/\r\n?/g, '\n').split('\n');
  let paragraph = [];
  let list = null; // { element, ordered }

  const flushParagraph = () => {
    if (paragraph.length === 0) return;
    const p = document.createElement('p');
    appendInline(p, paragraph.join(' '));
    fragment.append(p);
    paragraph = [];
  };
  const closeList = () => {
    if (list) fragment.append(list.element);
    list = null;
  };

  for (const raw of lines) {
    const line = raw.trim();
    const bullet = /^[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\d+[.)]\s+(.*)$/.exec(line);
    if (line === '') {
      flushParagraph();
      closeList();
    } else if (bullet || numbered) {
      flushParagraph();
      const ordered = Boolean(numbered);
      if (!list || list.ordered !== ordered) {
        closeList();
        list = { element: document.createElement(ordered ? 'ol' : 'ul'), ordered };
      }
      const item = document.createElement('li');
      appendInline(item, (bullet || numbered)[1]);
      list.element.append(item);
    } else if (list && /^\s+/.test(raw)) {
      // An indented line continues the last list item.
      const last = list.element.lastElementChild;
      last.append(' ');
      appendInline(last, line);
    } else {
      closeList();
      paragraph.push(line);
    }
  }
  flushParagraph();
  closeList();
  return fragment;
}

// `code`, **strong**, *em* / _em_, [text](url) — the first match in the text wins.
const INLINE = /`([^`]+)`|\*\*(.+?)\*\*|__(.+?)__|\*([^*\s](?:[^*]*[^*\s])?)\*|\b_([^_\s](?:[^_]*[^_\s])?)_\b|\[([^\]]+)\]\(([^)\s]+)\)/;

function appendInline(parent, text) {
  let rest = text;
  while (rest.length > 0) {
    const match = INLINE.exec(rest);
    if (!match) {
      parent.append(rest);
      return;
    }
    if (match.index > 0) parent.append(rest.slice(0, match.index));
    const [whole, code, strong, strong2, em, em2, linkText, href] = match;
    if (code !== undefined) {
      const element = document.createElement('code');
      element.textContent = code;
      parent.append(element);
    } else if (strong !== undefined || strong2 !== undefined) {
      const element = document.createElement('strong');
      appendInline(element, strong ?? strong2);
      parent.append(element);
    } else if (em !== undefined || em2 !== undefined) {
      const element = document.createElement('em');
      appendInline(element, em ?? em2);
      parent.append(element);
    } else if (linkText !== undefined) {
      if (safeHref(href)) {
        const element = document.createElement('a');
        element.setAttribute('href', href);
        if (/^https?:/i.test(href)) {
          element.setAttribute('target', '_blank');
          element.setAttribute('rel', 'noopener noreferrer');
        }
        appendInline(element, linkText);
        parent.append(element);
      } else {
        parent.append(whole);
      }
    }
    rest = rest.slice(match.index + whole.length);
  }
}

/** True for the link targets prose may use: no `javascript:`, `data:` or other schemes. */
export function safeHref(href) {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(href);
  if (!scheme) return !href.startsWith('//');
  return ['http', 'https', 'mailto'].includes(scheme[1].toLowerCase());
}
