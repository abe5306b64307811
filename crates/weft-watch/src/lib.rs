//! The one file watcher of weft: `weft dev` watches its served folder recursively
//! ([`Watcher`]); `weft run`, `weft tui` and `weft render --watch` watch the files
//! one program reads, wherever they are ([`ProgramWatcher`]). Both turn the file
//! system's raw, editor-dependent events into one [`Change`] per debounced batch.
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
//! Invariants: what is reported is the state on disk (a hash per file), never the
//! sequence of events; the same bytes saved again report nothing; a FIFO, device or
//! socket is never opened; nothing is delivered after the watcher is dropped.
//!
//! Symlinks are tree entries but are never followed (neither by the scan nor by the
//! OS watch), so a link to a folder outside the root cannot pull that folder in, and a
//! link loop cannot make the scan spin.

mod ignore;
mod program;
mod snapshot;

pub use ignore::is_ignored;
pub use program::ProgramWatcher;

use snapshot::{Scope, Snapshot};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, RwLock};
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
    /// Files that disappeared (deleted, or renamed away), named as `changed` is.
    pub removed: Vec<String>,
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
        Watcher::start_scoped(root, Scope::Tree, debounce, on_change)
    }

    /// Watches `folder` alone (not its subfolders), following only the files of
    /// the shared set that lie directly in it.
    pub(crate) fn start_files(
        folder: &Path,
        files: Arc<RwLock<BTreeSet<PathBuf>>>,
        debounce: Duration,
        on_change: impl FnMut(Change) + Send + 'static,
    ) -> Result<Watcher, WatchError> {
        Watcher::start_scoped(folder, Scope::Files(files), debounce, on_change)
    }

    fn start_scoped(
        root: &Path,
        scope: Scope,
        debounce: Duration,
        on_change: impl FnMut(Change) + Send + 'static,
    ) -> Result<Watcher, WatchError> {
        let resolved = resolve_root(root)?;
        let mode = match scope {
            Scope::Tree => RecursiveMode::Recursive,
            Scope::Files(_) => RecursiveMode::NonRecursive,
        };
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
        debouncer.watch(&resolved, mode).map_err(notify_error)?;

        // Scanned after the OS watch is in place: whatever changes during the scan is
        // also queued as events, compared with the fresh snapshot once it is done.
        let mut snapshot = Snapshot::new(resolved.clone(), scope);
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
                    hints.add(&snapshot, result);
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
                    if hints.add(&snapshot, result) {
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
    /// The touched paths and whether everything must be compared.
    fn into_parts(self) -> (BTreeSet<PathBuf>, bool) {
        (self.touched, self.rescan)
    }
}

impl Hints {
    fn is_empty(&self) -> bool {
        self.touched.is_empty() && !self.rescan
    }

    /// Adds one debouncer batch; true when it held anything worth a look.
    fn add(&mut self, snapshot: &Snapshot, result: DebounceEventResult) -> bool {
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
                let Ok(rel) = path.strip_prefix(&snapshot.root) else {
                    continue;
                };
                if !snapshot.skips(rel) {
                    self.touched.insert(rel.to_path_buf());
                    any = true;
                }
            }
        }
        any
    }
}

/// The folder to watch, resolved, or why it cannot be watched.
pub(crate) fn resolve_root(root: &Path) -> Result<PathBuf, WatchError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
