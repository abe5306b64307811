//! Watching the files one program reads — its root, every file reached by `use`,
//! the data files it loads — wherever they lie: one flat watch per folder holding
//! any of them, following only those files, whatever their names. The set is
//! replaced after every build, so a `use` added by an edit is watched from then on.

use crate::{Change, WatchError, Watcher};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

type Files = Arc<RwLock<BTreeSet<PathBuf>>>;
type OnChange = Arc<dyn Fn(Vec<PathBuf>) + Send + Sync>;

/// Watches a program's files; dropping it stops watching.
pub struct ProgramWatcher {
    debounce: Duration,
    on_change: OnChange,
    /// Per watched folder (resolved): its watcher and the files followed in it.
    folders: BTreeMap<PathBuf, (Watcher, Files)>,
}

impl std::fmt::Debug for ProgramWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgramWatcher")
            .field("folders", &self.folders.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ProgramWatcher {
    /// A watcher of no files yet: `on_change` is called from a watcher thread with
    /// the files (resolved paths) whose content changed or that disappeared, once
    /// per debounced batch.
    pub fn new(
        debounce: Duration,
        on_change: impl Fn(Vec<PathBuf>) + Send + Sync + 'static,
    ) -> ProgramWatcher {
        ProgramWatcher {
            debounce,
            on_change: Arc::new(on_change),
            folders: BTreeMap::new(),
        }
    }

    /// Follows exactly `files` from now on (a file that does not exist yet is
    /// followed too, and reported when it appears). Folders no longer needed stop
    /// being watched. A folder that cannot be watched (it does not exist, the OS
    /// refuses) is an error naming it; the others are watched all the same.
    pub fn watch(&mut self, files: &[PathBuf]) -> Result<(), WatchError> {
        let mut wanted: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
        let mut first_error = None;
        for f in files {
            match resolve(f) {
                Ok((folder, file)) => {
                    wanted.entry(folder).or_default().insert(file);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        self.folders.retain(|folder, _| wanted.contains_key(folder));
        for (folder, set) in wanted {
            if let Some((_, files)) = self.folders.get(&folder) {
                *files.write().unwrap_or_else(|e| e.into_inner()) = set;
                continue;
            }
            let shared: Files = Arc::new(RwLock::new(set));
            let on_change = Arc::clone(&self.on_change);
            let root = folder.clone();
            let started = Watcher::start_files(
                &folder,
                Arc::clone(&shared),
                self.debounce,
                move |change: Change| {
                    let touched: Vec<PathBuf> = change
                        .changed
                        .iter()
                        .chain(&change.removed)
                        .map(|name| root.join(name))
                        .collect();
                    if !touched.is_empty() {
                        on_change(touched);
                    }
                },
            );
            match started {
                Ok(w) => {
                    self.folders.insert(folder, (w, shared));
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// The folders watched now (resolved).
    pub fn folders(&self) -> impl Iterator<Item = &Path> {
        self.folders.keys().map(PathBuf::as_path)
    }
}

/// The resolved folder of `file` and the file's path in it (the file itself need
/// not exist; its folder must).
fn resolve(file: &Path) -> Result<(PathBuf, PathBuf), WatchError> {
    let folder = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = file.file_name().ok_or_else(|| WatchError::NotADirectory {
        root: file.to_path_buf(),
    })?;
    let resolved = crate::resolve_root(folder)?;
    let file = resolved.join(name);
    Ok((resolved, file))
}
