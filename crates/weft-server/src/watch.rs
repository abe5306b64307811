//! The dev server's file watcher: watches the served folder recursively and turns the
//! file system's raw, editor-dependent events into one [`Change`] per debounced batch.
//!
//! Events are only hints of *where* to look. Each batch re-reads the touched paths and
//! compares them with a snapshot of the tree (a blake3 hash per regular file, seeded by
//! a scan at start), so what is reported is the state on disk, not the sequence of
//! events that led there. That is what makes every save pattern look the same: an
//! atomic save (temporary file renamed over the original), vim's rename-and-rewrite,
//! JetBrains' `___jb_tmp___` dance, truncate-then-write and in-place writes all end
//! as "this file now has new bytes"; temporary files that come and go inside one
//! debounce window are never seen at all, and a save that writes identical bytes
//! reports nothing.
//!
//! Symlinks are tree entries but are never followed (neither by the scan nor by the
//! OS watch), so a link to a folder outside the root cannot pull that folder in, and a
//! link loop cannot make the scan spin.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache};

/// What changed under the served folder in one debounced batch, after filtering.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// Files whose content changed (created, written, renamed into place) — relative
    /// to the root, with '/' separators, sorted, deduplicated; a file whose bytes are
    /// identical to what was last seen is not listed. Names that are not UTF-8 are
    /// never listed (they cannot be named in WEFT source); they still count for
    /// `tree_changed`.
    pub changed: Vec<String>,
    /// True when files or folders appeared or disappeared (the tree changed).
    pub tree_changed: bool,
}

impl Change {
    /// True when the batch has nothing to report.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && !self.tree_changed
    }
}

/// Why the watcher could not start.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The folder to serve does not exist.
    #[error("cannot watch {}: no such folder", .root.display())]
    RootMissing {
        /// The folder as given.
        root: PathBuf,
    },
    /// The path to serve exists but is a file (or something else), not a folder.
    #[error("cannot watch {}: not a folder", .root.display())]
    NotADirectory {
        /// The path as given.
        root: PathBuf,
    },
    /// The folder exists but could not be resolved (permissions, a broken link, …).
    #[error("cannot watch {}: {source}", .root.display())]
    Unreadable {
        /// The folder as given.
        root: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The watcher's thread could not be started.
    #[error("cannot watch {}: cannot start a thread: {source}", .root.display())]
    Thread {
        /// The folder being watched (resolved).
        root: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The OS watch could not be set up (e.g. the inotify watch limit is reached).
    #[error("cannot watch {}: {source}", .root.display())]
    Notify {
        /// The folder being watched (resolved).
        root: PathBuf,
        /// What notify said.
        source: notify::Error,
    },
}

/// The shortest debounce accepted: the debouncer ticks at a fraction of it, and a zero
/// debounce would make it spin.
const MIN_DEBOUNCE: Duration = Duration::from_millis(20);

/// How many quiet windows a batch may keep growing before it is delivered anyway.
const LONGEST_WAIT: u32 = 10;

/// Watches a folder; dropping it stops watching (a batch already being delivered may
/// still finish, none starts after).
pub struct Watcher {
    root: PathBuf,
    stopped: Arc<AtomicBool>,
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher").field("root", &self.root).finish()
    }
}

impl Watcher {
    /// Watches `root` recursively with `debounce` (at least 20 ms); calls `on_change`
    /// from the watcher's thread for every non-empty [`Change`]. A batch is delivered
    /// once the folder has been quiet for about `debounce` (a folder that never goes
    /// quiet still gets one about every seven debounces; a single file written without
    /// pause is only seen once it pauses). The tree is scanned before this returns, so
    /// every later edit is compared with the content at start.
    pub fn start(
        root: &Path,
        debounce: Duration,
        on_change: impl FnMut(Change) + Send + 'static,
    ) -> Result<Watcher, WatchError> {
        let resolved = resolve_root(root)?;
        let debounce = debounce.max(MIN_DEBOUNCE);
        // notify-debouncer-full releases each event `timeout` after it happened, path
        // by path, so one burst of saves can come out as several batches a tick apart.
        // Its batches are therefore merged here until none came for `window`:
        // timeout + window = debounce, and a tick of half the timeout keeps the split
        // rare (bursts with gaps under about half the debounce always merge).
        let timeout = debounce / 3;
        let tick = timeout / 2;
        let window = debounce - timeout;

        let (sender, batches) = mpsc::channel::<DebounceEventResult>();
        let notify_error = |source| WatchError::Notify {
            root: resolved.clone(),
            source,
        };
        // Symlinked folders are not followed: one leading outside the root must not be
        // watched (and a link loop must not be walked).
        let config = notify::Config::default().with_follow_symlinks(false);
        let mut debouncer =
            notify_debouncer_full::new_debouncer_opt::<_, RecommendedWatcher, RecommendedCache>(
                timeout,
                Some(tick),
                move |result| {
                    // The receiver is gone only when the watcher is being dropped.
                    let _ = sender.send(result);
                },
                RecommendedCache::new(),
                config,
            )
            .map_err(notify_error)?;
        debouncer
            .watch(&resolved, RecursiveMode::Recursive)
            .map_err(notify_error)?;

        // Scanned after the OS watch is in place: whatever changes during the scan is
        // also queued as events, compared with the fresh snapshot once it is done.
        let mut snapshot = Snapshot::new(resolved.clone());
        snapshot.rescan();

        let stopped = Arc::new(AtomicBool::new(false));
        let thread_stopped = Arc::clone(&stopped);
        std::thread::Builder::new()
            .name("weft-watch".to_string())
            .spawn(move || deliver(snapshot, &batches, window, &thread_stopped, on_change))
            .map_err(|source| WatchError::Thread {
                root: resolved.clone(),
                source,
            })?;

        Ok(Watcher {
            root: resolved,
            stopped,
            _debouncer: debouncer,
        })
    }

    /// The watched folder, resolved (absolute, symlinks in it followed).
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        // The debouncer's thread stops at its next tick, and with it the channel to
        // the delivering thread, which then ends; until then nothing is delivered.
        self.stopped.store(true, Ordering::Release);
    }
}

/// The watcher's thread: merges the debouncer's batches until a quiet `window`
/// passes, compares what they touched with the disk, and delivers the Change. Ends
/// when the debouncer is dropped.
fn deliver(
    mut snapshot: Snapshot,
    batches: &mpsc::Receiver<DebounceEventResult>,
    window: Duration,
    stopped: &AtomicBool,
    mut on_change: impl FnMut(Change),
) {
    loop {
        let mut hints = Hints::default();
        // Batches of nothing but reads (the watcher's own hashing among them) neither
        // start nor extend a batch.
        while hints.is_empty() {
            match batches.recv() {
                Ok(result) => {
                    hints.add(&snapshot.root, result);
                }
                Err(_) => return,
            }
        }
        // A folder that never goes quiet (a render or a log written into it) must not
        // hold back the edits made meanwhile: a batch waits at most `LONGEST_WAIT`
        // windows.
        let latest = Instant::now() + window * LONGEST_WAIT;
        let mut quiet_until = Instant::now() + window;
        loop {
            let left = quiet_until.saturating_duration_since(Instant::now());
            match batches.recv_timeout(left) {
                Ok(result) => {
                    if hints.add(&snapshot.root, result) {
                        quiet_until = (Instant::now() + window).min(latest);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
        let change = snapshot.apply(hints);
        if stopped.load(Ordering::Acquire) {
            return;
        }
        if !change.is_empty() {
            on_change(change);
        }
    }
}

/// Where to look, gathered from events: relative paths, or everything.
#[derive(Default)]
struct Hints {
    touched: BTreeSet<PathBuf>,
    rescan: bool,
}

impl Hints {
    fn is_empty(&self) -> bool {
        self.touched.is_empty() && !self.rescan
    }

    /// Adds one debouncer batch; true when it held anything worth a look.
    fn add(&mut self, root: &Path, result: DebounceEventResult) -> bool {
        let events = match result {
            Ok(events) => events,
            // Events may have been lost (watch limit, read error): the disk is the
            // truth, so compare all of it.
            Err(_) => {
                self.rescan = true;
                return true;
            }
        };
        let mut any = false;
        for event in &events {
            if event.need_rescan() {
                self.rescan = true;
                any = true;
                continue;
            }
            if !is_hint(&event.kind) {
                continue;
            }
            for path in &event.paths {
                let Ok(rel) = path.strip_prefix(root) else {
                    continue;
                };
                if !is_ignored(rel) {
                    self.touched.insert(rel.to_path_buf());
                    any = true;
                }
            }
        }
        any
    }
}

/// The folder to watch, resolved, or why it cannot be watched.
fn resolve_root(root: &Path) -> Result<PathBuf, WatchError> {
    let resolved = fs::canonicalize(root).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => WatchError::RootMissing {
            root: root.to_path_buf(),
        },
        _ => WatchError::Unreadable {
            root: root.to_path_buf(),
            source,
        },
    })?;
    match fs::metadata(&resolved) {
        Ok(m) if m.is_dir() => Ok(resolved),
        Ok(_) => Err(WatchError::NotADirectory {
            root: root.to_path_buf(),
        }),
        Err(source) => Err(WatchError::Unreadable {
            root: root.to_path_buf(),
            source,
        }),
    }
}

/// True for paths the watcher ignores (relative to the root): a path is ignored when
/// any of its components is. Ignored components are hidden names (`.git`,
/// `.weft-cache`, `.name.swp`, `.#name`, …), `target`, and editors' temporary, swap
/// and backup files: `*.sw?` (vim's swap series), `*~`, vim's write probe `4913` (and
/// the numbers vim tries after it), `#name#`, `*___jb_tmp___`, `*___jb_old___`,
/// `*.tmp`. Applying the rule to every component keeps files inside an ignored folder
/// ignored however they are reached.
pub fn is_ignored(relative: &Path) -> bool {
    relative.components().any(|c| match c {
        Component::Normal(name) => is_ignored_name(&name.to_string_lossy()),
        // `..` would leave the root: nothing there is ours to report.
        Component::ParentDir => true,
        Component::CurDir | Component::RootDir | Component::Prefix(_) => false,
    })
}

fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name == "target"
        || name.ends_with('~')
        || is_vim_probe(name)
        || (name.len() >= 2 && name.starts_with('#') && name.ends_with('#'))
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
        || name.ends_with(".tmp")
        || is_vim_swap(name)
}

/// Vim's swap files run `.swp`, `.swo`, `.swn`, … down to `.swa` (then `.svz`, …,
/// never reached in practice), and `.swx` is its probe for a writable swap folder.
fn is_vim_swap(name: &str) -> bool {
    match name.rsplit_once('.') {
        Some((stem, ext)) => {
            !stem.is_empty()
                && ext.len() == 3
                && ext.starts_with("sw")
                && ext.as_bytes()[2].is_ascii_lowercase()
        }
        None => false,
    }
}

/// Before writing, vim checks that it may create files in the folder by creating a
/// file named `4913`; if that name is taken it tries 4913 + 123, + 246, and so on.
fn is_vim_probe(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 9
        && name.bytes().all(|b| b.is_ascii_digit())
        && name
            .parse::<u64>()
            .is_ok_and(|n| n >= 4913 && (n - 4913) % 123 == 0)
}

/// What the watcher last saw at one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// A regular file and the hash of its bytes (`None`: it could not be read yet).
    File(Option<blake3::Hash>),
    Dir,
    /// A symlink, FIFO, socket or device: part of the tree, never read.
    Other,
}

/// The tree as last seen, relative to the root (the root itself is not an entry).
struct Snapshot {
    root: PathBuf,
    /// Ordered so that a folder's descendants are contiguous right after it.
    entries: BTreeMap<PathBuf, Entry>,
}

/// A Change being built.
#[derive(Default)]
struct Batch {
    changed: BTreeSet<String>,
    tree_changed: bool,
}

impl Batch {
    fn content_changed(&mut self, relative: &Path) {
        if let Some(name) = slash_path(relative) {
            self.changed.insert(name);
        }
    }

    fn finish(self) -> Change {
        Change {
            changed: self.changed.into_iter().collect(),
            tree_changed: self.tree_changed,
        }
    }
}

impl Snapshot {
    fn new(root: PathBuf) -> Self {
        Snapshot {
            root,
            entries: BTreeMap::new(),
        }
    }

    /// Compares the whole tree with the disk.
    fn rescan(&mut self) -> Change {
        let mut batch = Batch::default();
        self.refresh(Path::new(""), &mut batch);
        batch.finish()
    }

    /// Compares what one batch of events touched with the disk.
    fn apply(&mut self, hints: Hints) -> Change {
        if hints.rescan {
            return self.rescan();
        }
        let touched: BTreeSet<PathBuf> = hints
            .touched
            .iter()
            .map(|rel| self.outermost_unknown(rel))
            .collect();
        let mut batch = Batch::default();
        // Sorted, a refreshed folder is followed by its descendants: they were just
        // compared, so they are skipped rather than read twice.
        let mut covered: Option<PathBuf> = None;
        for rel in touched {
            if covered.as_ref().is_some_and(|c| rel.starts_with(c)) {
                continue;
            }
            if self.refresh(&rel, &mut batch) {
                covered = Some(rel);
            }
        }
        batch.finish()
    }

    /// `rel`, or its outermost ancestor not known as a folder: a file can be reported
    /// inside a folder whose own creation was never seen (it was created before the OS
    /// watch reached it), and then that whole folder has to be scanned.
    fn outermost_unknown(&self, rel: &Path) -> PathBuf {
        let mut ancestors: Vec<&Path> = rel
            .ancestors()
            .skip(1)
            .filter(|a| !a.as_os_str().is_empty())
            .collect();
        ancestors.reverse();
        for a in ancestors {
            if self.entries.get(a) != Some(&Entry::Dir) {
                return a.to_path_buf();
            }
        }
        rel.to_path_buf()
    }

    /// Brings the snapshot of `rel` (and, for a folder, everything under it) in line
    /// with the disk, noting what changed. Returns true when `rel` was scanned as a
    /// folder.
    fn refresh(&mut self, rel: &Path, batch: &mut Batch) -> bool {
        let abs = self.root.join(rel);
        match fs::symlink_metadata(&abs) {
            Err(_) => {
                self.forget_under(rel, true, batch);
                false
            }
            Ok(m) if m.is_dir() => {
                let before: Vec<PathBuf> = self.descendants(rel).cloned().collect();
                let mut seen = HashSet::new();
                self.scan_dir(rel, &mut seen, batch);
                for gone in before.into_iter().filter(|p| !seen.contains(p)) {
                    self.entries.remove(&gone);
                    batch.tree_changed = true;
                }
                true
            }
            Ok(m) => {
                // A folder replaced by a file: what was under it is gone.
                self.forget_under(rel, false, batch);
                self.update_leaf(rel, m.file_type(), batch);
                false
            }
        }
    }

    /// Records the folder `rel` and everything under it, noting every path seen.
    fn scan_dir(&mut self, rel: &Path, seen: &mut HashSet<PathBuf>, batch: &mut Batch) {
        if !rel.as_os_str().is_empty() {
            seen.insert(rel.to_path_buf());
            if self.entries.insert(rel.to_path_buf(), Entry::Dir) != Some(Entry::Dir) {
                batch.tree_changed = true;
            }
        }
        let Ok(listing) = fs::read_dir(self.root.join(rel)) else {
            // Unreadable folder: keep what was known under it rather than report it
            // all as deleted.
            seen.extend(self.descendants(rel).cloned());
            return;
        };
        for entry in listing.flatten() {
            let child = rel.join(entry.file_name());
            if is_ignored(&child) {
                continue;
            }
            // `DirEntry::file_type` does not follow symlinks.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                self.scan_dir(&child, seen, batch);
            } else {
                seen.insert(child.clone());
                self.update_leaf(&child, kind, batch);
            }
        }
    }

    /// Records a non-folder at `rel`: hashes regular files, notes appearances.
    fn update_leaf(&mut self, rel: &Path, kind: fs::FileType, batch: &mut Batch) {
        let now = if kind.is_file() {
            Entry::File(hash_file(&self.root.join(rel)))
        } else {
            Entry::Other
        };
        let before = self.entries.get(rel).copied();
        let record = match (before, now) {
            (Some(Entry::File(old)), Entry::File(new)) => {
                if new.is_some() && new != old {
                    batch.content_changed(rel);
                    now
                } else {
                    // Unreadable now: keep the last hash, so that the same bytes
                    // becoming readable again are not reported.
                    Entry::File(old.or(new))
                }
            }
            (Some(Entry::Other), Entry::Other) => now,
            (_, Entry::File(new)) => {
                batch.tree_changed = true;
                if new.is_some() {
                    batch.content_changed(rel);
                }
                now
            }
            (_, _) => {
                batch.tree_changed = true;
                now
            }
        };
        self.entries.insert(rel.to_path_buf(), record);
    }

    /// Forgets everything under `rel` (and `rel` itself when `itself`).
    fn forget_under(&mut self, rel: &Path, itself: bool, batch: &mut Batch) {
        let mut gone: Vec<PathBuf> = self.descendants(rel).cloned().collect();
        if itself && !rel.as_os_str().is_empty() {
            gone.push(rel.to_path_buf());
        }
        for p in gone {
            if self.entries.remove(&p).is_some() {
                batch.tree_changed = true;
            }
        }
    }

    /// The known paths strictly under `rel`.
    fn descendants<'a>(&'a self, rel: &'a Path) -> impl Iterator<Item = &'a PathBuf> + 'a {
        self.entries
            .range::<Path, _>((std::ops::Bound::Excluded(rel), std::ops::Bound::Unbounded))
            .map(|(p, _)| p)
            .take_while(move |p| p.starts_with(rel))
    }
}

/// Whether an event can mean that something changed on disk. Opening and reading a
/// file (the watcher's own hashing included) is not a change; closing a file that was
/// open for writing is.
fn is_hint(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

/// The hash of a regular file's bytes, or `None` when it cannot be read (permissions,
/// removed meanwhile): such files are skipped quietly.
fn hash_file(path: &Path) -> Option<blake3::Hash> {
    let file = fs::File::open(path).ok()?;
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(file).ok()?;
    Some(hasher.finalize())
}

/// `rel` with '/' separators, or `None` when a component is not UTF-8.
fn slash_path(rel: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = rel
        .components()
        .map(|c| match c {
            Component::Normal(name) => name.to_str(),
            _ => None,
        })
        .collect();
    parts.map(|p| p.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_paths() {
        let table: &[(&str, bool)] = &[
            // Sources and ordinary folders are watched.
            ("main.weft", false),
            ("scenes/intro.weft", false),
            ("a/b/c/deep.weft", false),
            ("media/loop.wav", false),
            ("README", false),
            ("weft.toml", false),
            ("targets/x.weft", false),
            ("my-target.weft", false),
            ("4912", false),
            ("4914", false),
            ("49130", false),
            ("tmp/x.weft", false),
            ("x.tmpl", false),
            ("a#b.weft", false),
            ("#", false),
            ("x.sw", false),
            ("x.swpx", false),
            ("swp", false),
            ("", false),
            // Hidden files and folders, anywhere.
            (".git/HEAD", true),
            (".git", true),
            ("a/.hidden/b.weft", true),
            (".weft-cache/abc", true),
            (".weft-cache", true),
            (".env", true),
            // Build output, anywhere.
            ("target", true),
            ("target/debug/x", true),
            ("sub/target/x.weft", true),
            // Vim: swap files, backups, the write probe.
            (".main.weft.swp", true),
            (".main.weft.swo", true),
            (".main.weft.swx", true),
            ("main.weft.swp", true),
            ("main.weft.swn", true),
            ("main.weft~", true),
            ("sub/main.weft~", true),
            ("4913", true),
            ("5036", true),
            ("sub/4913", true),
            // Emacs: lock and autosave files.
            (".#main.weft", true),
            ("#main.weft#", true),
            ("sub/#main.weft#", true),
            // JetBrains safe write.
            ("main.weft___jb_tmp___", true),
            ("main.weft___jb_old___", true),
            // Generic temporaries.
            ("main.weft.tmp", true),
            (".main.weft.tmp", true),
            // Anything inside an ignored folder.
            ("backup~/x.weft", true),
            ("../outside.weft", true),
        ];
        let wrong: Vec<String> = table
            .iter()
            .filter(|(p, want)| is_ignored(Path::new(p)) != *want)
            .map(|(p, want)| format!("{p:?}: expected ignored={want}"))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn slash_paths_join_components_and_refuse_non_utf8() {
        assert_eq!(
            slash_path(Path::new("a/b/c.weft")).as_deref(),
            Some("a/b/c.weft")
        );
        assert_eq!(slash_path(Path::new("x.weft")).as_deref(), Some("x.weft"));
        #[cfg(unix)]
        {
            use std::ffi::OsStr;
            use std::os::unix::ffi::OsStrExt;
            let bad = Path::new(OsStr::from_bytes(b"a/b\xff.weft"));
            assert_eq!(slash_path(bad), None);
        }
    }

    #[test]
    fn only_writes_and_structure_are_hints() {
        use notify::event::{CreateKind, DataChange, ModifyKind};
        assert!(is_hint(&EventKind::Create(CreateKind::File)));
        assert!(is_hint(&EventKind::Modify(ModifyKind::Data(
            DataChange::Any
        ))));
        assert!(is_hint(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(!is_hint(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(!is_hint(&EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
    }

    #[test]
    fn hashing_a_missing_file_or_a_folder_gives_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(hash_file(&dir.path().join("missing")), None);
        assert_eq!(hash_file(dir.path()), None);
    }

    #[test]
    fn descendants_are_exactly_the_paths_under_a_folder() {
        let mut s = Snapshot::new(PathBuf::from("/r"));
        for p in ["a", "a/x", "a/y/z", "a.weft", "a0", "ab/c", "b"] {
            s.entries.insert(PathBuf::from(p), Entry::Other);
        }
        let under_a: Vec<&str> = s
            .descendants(Path::new("a"))
            .map(|p| p.to_str().expect("utf-8"))
            .collect();
        assert_eq!(under_a, ["a/x", "a/y/z"]);
        assert_eq!(s.descendants(Path::new("")).count(), 7);
    }
}
