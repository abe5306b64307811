// The served folder's tree (from `hello` / `directory-changed`) as nested lists of
// links to `#/path`, and the breadcrumb of the watched file. Also the list of files
// the command bar searches.

/** Draws `tree` into `nav`, marking `current` (a path) as the page's file. */
export function renderTree(nav, tree, current) {
  const list = document.createElement('ul');
  for (const child of tree?.children ?? []) list.append(drawNode(child, current));
  nav.replaceChildren(list);
}

function drawNode(node, current) {
  const item = document.createElement('li');
  if (node.dir) {
    item.className = 'dir';
    const label = document.createElement('span');
    label.className = 'dir-name';
    label.textContent = `${node.name}/`;
    item.append(label);
    const list = document.createElement('ul');
    for (const child of node.children ?? []) list.append(drawNode(child, current));
    item.append(list);
  } else {
    item.className = 'file';
    const link = document.createElement('a');
    link.href = fileHref(node.path);
    link.textContent = node.name;
    link.dataset.testid = 'tree-file';
    link.dataset.path = node.path;
    if (node.path === current) link.setAttribute('aria-current', 'page');
    item.append(link);
  }
  return item;
}

/** Marks the current file without redrawing the tree. */
export function markCurrent(nav, current) {
  for (const link of nav.querySelectorAll('a[data-path]')) {
    if (link.dataset.path === current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/** Every file path in the tree, in order. */
export function filePaths(tree) {
  const paths = [];
  const walk = (node) => {
    if (!node) return;
    if (node.dir) for (const child of node.children ?? []) walk(child);
    else paths.push(node.path);
  };
  walk(tree);
  return paths;
}

/** Root name / folders of `path`, as text; the file name is shown apart. */
export function renderBreadcrumb(nav, root, path) {
  const parts = [];
  const rootPart = document.createElement('a');
  rootPart.href = '#/';
  rootPart.className = 'crumb root';
  rootPart.textContent = root || '.';
  parts.push(rootPart);
  const folders = path ? path.split('/').slice(0, -1) : [];
  for (const folder of folders) {
    const separator = document.createElement('span');
    separator.className = 'separator';
    separator.textContent = '/';
    separator.setAttribute('aria-hidden', 'true');
    const crumb = document.createElement('span');
    crumb.className = 'crumb';
    crumb.textContent = folder;
    parts.push(separator, crumb);
  }
  const separator = document.createElement('span');
  separator.className = 'separator';
  separator.textContent = '/';
  separator.setAttribute('aria-hidden', 'true');
  parts.push(separator);
  nav.replaceChildren(...parts);
}

/** `#/a/b.weft`, each segment URI-encoded. */
export function fileHref(path) {
  return `#/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** The file path in a location hash, or '' when there is none. */
export function pathFromHash(hash) {
  const raw = hash.replace(/^#\/?/, '');
  if (!raw) return '';
  try {
    return raw.split('/').map(decodeURIComponent).join('/');
  } catch {
    return '';
  }
}
