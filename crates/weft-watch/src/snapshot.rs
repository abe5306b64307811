//! The tree as the watcher last saw it: a blake3 hash per regular file, compared
//! with the disk where events hint that something changed. Reporting the state on
//! disk rather than the events is what makes every editor's save pattern read the
//! same.

use crate::ignore::is_ignored;
use crate::Change;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, RwLock};

/// Which paths under the root a snapshot follows.
#[derive(Clone, Debug)]
pub(crate) enum Scope {
    /// Everything under the root, recursively, but what the ignore rules leave out.
    Tree,
    /// Only these files (absolute paths) directly in the root, whatever their names:
    /// the files of one program. Shared, so the set can change while watching.
    Files(Arc<RwLock<BTreeSet<PathBuf>>>),
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
pub(crate) struct Snapshot {
    pub(crate) root: PathBuf,
    scope: Scope,
    /// Ordered so that a folder's descendants are contiguous right after it.
    entries: BTreeMap<PathBuf, Entry>,
}

/// A Change being built.
#[derive(Default)]
struct Batch {
    changed: BTreeSet<String>,
    removed: BTreeSet<String>,
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
            removed: self.removed.into_iter().collect(),
            tree_changed: self.tree_changed,
        }
    }
}

impl Snapshot {
    pub(crate) fn new(root: PathBuf, scope: Scope) -> Self {
        Snapshot {
            root,
            scope,
            entries: BTreeMap::new(),
        }
    }

    /// True for a path (relative to the root) the snapshot does not follow.
    pub(crate) fn skips(&self, rel: &Path) -> bool {
        match &self.scope {
            Scope::Tree => is_ignored(rel),
            Scope::Files(files) => {
                rel.components().count() != 1
                    || !files
                        .read()
                        .unwrap_or_else(|e| e.into_inner())
                        .contains(&self.root.join(rel))
            }
        }
    }

    /// Compares the whole tree with the disk.
    pub(crate) fn rescan(&mut self) -> Change {
        let mut batch = Batch::default();
        self.refresh(Path::new(""), &mut batch);
        batch.finish()
    }

    /// Compares what one batch of events touched with the disk.
    pub(crate) fn apply(&mut self, hints: crate::Hints) -> Change {
        let (touched, rescan) = hints.into_parts();
        if rescan {
            return self.rescan();
        }
        let touched: BTreeSet<PathBuf> = touched
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
            if self.skips(&child) {
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
            match self.entries.remove(&p) {
                Some(Entry::File(_)) => {
                    batch.tree_changed = true;
                    if let Some(name) = slash_path(&p) {
                        batch.removed.insert(name);
                    }
                }
                Some(_) => batch.tree_changed = true,
                None => {}
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

/// The hash of a regular file's bytes, or `None` when it cannot be read (permissions,
/// removed meanwhile, swapped for a FIFO or a device): such files are skipped
/// quietly. Opened through `weft-files`, so nothing here ever blocks on a FIFO.
pub(crate) fn hash_file(path: &Path) -> Option<blake3::Hash> {
    let input = weft_files::open(path, weft_files::Limit::STREAMED).ok()?;
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(input).ok()?;
    Some(hasher.finalize())
}

/// `rel` with '/' separators, or `None` when a component is not UTF-8.
pub(crate) fn slash_path(rel: &Path) -> Option<String> {
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
    fn hashing_a_missing_file_or_a_folder_gives_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(hash_file(&dir.path().join("missing")), None);
        assert_eq!(hash_file(dir.path()), None);
        // A FIFO (no writer ever comes) and a device: refused at once, never opened
        // for a blocking read.
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        assert_eq!(hash_file(&fifo), None);
        assert_eq!(hash_file(Path::new("/dev/zero")), None);
    }

    #[test]
    fn descendants_are_exactly_the_paths_under_a_folder() {
        let mut s = Snapshot::new(PathBuf::from("/r"), Scope::Tree);
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
