//! The open documents, keyed by path: the text the editor holds (saved or not)
//! and its version. The build reads through [`Overlay`], so a `use`d file that is
//! open and unsaved is read as the editor has it. Keyed by path (not URI) so that
//! whatever else wants an open buffer's text (a `weft dev` following keystrokes)
//! can ask for a file by the name it knows.

use lsp_types::Url;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use weft_lang::{DiskReader, SourceReader};

/// One open document.
#[derive(Clone, Debug)]
pub struct Document {
    /// The editor's text.
    pub text: String,
    /// The editor's version of it.
    pub version: i32,
}

/// Every open document.
#[derive(Debug, Default)]
pub struct Documents {
    open: HashMap<PathBuf, Document>,
}

impl Documents {
    /// Opens or replaces a document.
    pub fn set(&mut self, path: &Path, text: String, version: i32) {
        self.open.insert(key(path), Document { text, version });
    }

    /// Closes a document (the disk is read again).
    pub fn close(&mut self, path: &Path) {
        self.open.remove(&key(path));
    }

    /// The open document at `path`.
    pub fn get(&self, path: &Path) -> Option<&Document> {
        self.open.get(&key(path))
    }

    /// The paths of the open documents.
    pub fn paths(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = self.open.keys().cloned().collect();
        v.sort();
        v
    }
}

/// Reads open documents from memory and everything else from disk.
pub struct Overlay<'a>(pub &'a Documents);

impl SourceReader for Overlay<'_> {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        match self.0.get(path) {
            Some(doc) => Ok(doc.text.as_bytes().to_vec()),
            None => DiskReader.read(path),
        }
    }
}

/// The one spelling of a path: absolute, `.` and `..` resolved without touching
/// the disk (an unsaved new buffer has no file yet).
pub fn key(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The path of a `file:` URI.
pub fn uri_path(uri: &Url) -> Option<PathBuf> {
    uri.to_file_path().ok().map(|p| key(&p))
}

/// The `file:` URI of a path.
pub fn path_uri(path: &Path) -> Option<Url> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    Url::from_file_path(key(&abs)).ok()
}
