//! The unsaved texts of the files editors hold open (`edit-buffer` from
//! `weft lsp --dev`): builds read a file from here when an editor holds it,
//! from disk otherwise, so the page follows keystrokes without a save. The hub
//! writes (one edit at a time, never per pixel or sample); the build thread
//! reads once per file per build.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use weft_lang::load::{DiskReader, SourceReader};

/// The unsaved texts, by canonical path; cloned handles share one store.
#[derive(Clone, Debug, Default)]
pub struct Buffers {
    texts: Arc<RwLock<HashMap<PathBuf, Arc<[u8]>>>>,
}

impl Buffers {
    /// An empty store.
    pub fn new() -> Buffers {
        Buffers::default()
    }

    /// Holds `text` for the file at `path` (canonical); returns false when the
    /// text is what the file on disk holds, in which case nothing is held (an
    /// undo back to the saved text is not unsaved).
    pub fn set(&self, path: &Path, text: &[u8]) -> bool {
        let on_disk = weft_files::read(path, weft_files::Limit::PROGRAM).ok();
        let mut texts = self.texts.write().unwrap_or_else(|e| e.into_inner());
        if on_disk.as_deref() == Some(text) {
            texts.remove(path);
            return false;
        }
        texts.insert(path.to_path_buf(), Arc::from(text));
        true
    }

    /// Drops the text held for `path`; true when there was one.
    pub fn drop_text(&self, path: &Path) -> bool {
        let mut texts = self.texts.write().unwrap_or_else(|e| e.into_inner());
        texts.remove(path).is_some()
    }

    /// The text held for `path` (as the loader names it: canonicalized when the
    /// plain name is not held).
    pub fn text(&self, path: &Path) -> Option<Arc<[u8]>> {
        let texts = self.texts.read().unwrap_or_else(|e| e.into_inner());
        if texts.is_empty() {
            return None;
        }
        if let Some(t) = texts.get(path) {
            return Some(t.clone());
        }
        let real = path.canonicalize().ok()?;
        texts.get(&real).cloned()
    }

    /// True when a text is held for any of `paths`.
    pub fn holds_any(&self, paths: &[PathBuf]) -> bool {
        paths.iter().any(|p| self.text(p).is_some())
    }

    /// True when no text is held.
    pub fn is_empty(&self) -> bool {
        self.texts.read().map_or(true, |t| t.is_empty())
    }
}

impl SourceReader for Buffers {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        match self.text(path) {
            Some(text) => Ok(text.to_vec()),
            None => DiskReader.read(path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_text_is_read_instead_of_the_disk_and_the_saved_text_is_not_held() {
        let dir = std::env::temp_dir().join(format!("weft-buffers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.weft"), "display(1, 0, 0)\n").unwrap();
        let file = dir.join("a.weft").canonicalize().unwrap();
        let buffers = Buffers::new();
        assert_eq!(buffers.read(&file).unwrap(), b"display(1, 0, 0)\n");
        assert!(buffers.set(&file, b"display(0, 1, 0)\n"));
        assert_eq!(buffers.read(&file).unwrap(), b"display(0, 1, 0)\n");
        // Named another way, as a `use` may name it.
        let other = dir.join(".").join("a.weft");
        assert_eq!(buffers.read(&other).unwrap(), b"display(0, 1, 0)\n");
        assert!(buffers.holds_any(&[other]));
        // Back to what the disk holds: not unsaved.
        assert!(!buffers.set(&file, b"display(1, 0, 0)\n"));
        assert!(buffers.is_empty());
        assert!(buffers.set(&file, b"x"));
        assert!(buffers.drop_text(&file));
        assert!(!buffers.drop_text(&file));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
