//! Editors' unsaved texts in the hub: an `edit-buffer` holds a file's text for
//! the builds (`crate::buffers`) and runs what reads it, as a save would; a
//! `drop-buffer` or the editor's connection closing returns to the disk, and the
//! next run is sent even when unchanged so the page learns it is saved.

use super::Hub;
use std::path::{Path, PathBuf};
use weft_watch::Change;

impl Hub {
    /// An `edit-buffer` (`text`) or `drop-buffer` (`None`) from `conn`.
    pub(super) fn edit_buffer(&mut self, conn: u64, path: &str, text: Option<String>) {
        match (self.dir.resolve_editor_path(path), text) {
            (Ok((rel, abs)), text) => self.buffer_edited(conn, rel, abs, text),
            // Deleted or renamed since: the text held under that name goes.
            (Err(_), None) if self.drop_buffer_named(path) => {}
            (Err(e), _) => self.reply_error(conn, e.code(), &e.to_string()),
        }
    }

    /// `text` is what the editor on `conn` holds of `rel` (`abs`, canonical);
    /// `None`: the editor saved or closed it.
    fn buffer_edited(&mut self, conn: u64, rel: String, abs: PathBuf, text: Option<String>) {
        let was = self.buffer_owners.contains_key(&abs);
        let held = match text {
            Some(text) => self.buffers.set(&abs, text.as_bytes()),
            None => {
                self.buffers.drop_text(&abs);
                false
            }
        };
        if held {
            self.buffer_owners.insert(abs, conn);
        } else {
            self.buffer_owners.remove(&abs);
            if !was {
                // Nothing was held and nothing is: the disk is what runs already.
                return;
            }
            self.resend_readers_of(&abs);
        }
        self.changed(Change {
            changed: vec![rel],
            removed: Vec::new(),
            tree_changed: false,
        });
    }

    /// Drops every unsaved text `conn` sent (its editor went away).
    pub(super) fn drop_buffers_of(&mut self, conn: u64) {
        let mine: Vec<PathBuf> = self
            .buffer_owners
            .iter()
            .filter(|(_, owner)| **owner == conn)
            .map(|(p, _)| p.clone())
            .collect();
        if mine.is_empty() {
            return;
        }
        let mut changed = Vec::new();
        for abs in mine {
            self.buffer_owners.remove(&abs);
            self.buffers.drop_text(&abs);
            self.resend_readers_of(&abs);
            changed.extend(self.dir.relative(&abs));
        }
        self.changed(Change {
            changed,
            removed: Vec::new(),
            tree_changed: false,
        });
    }

    /// Drops the text held under `path` (absolute, or relative to the folder)
    /// when the file is gone; true when one was held.
    fn drop_buffer_named(&mut self, path: &str) -> bool {
        let named = match path.starts_with('/') {
            true => PathBuf::from(path),
            false => match self.dir.normalize(path) {
                Ok(rel) => self.dir.root().join(rel),
                Err(_) => return false,
            },
        };
        if self.buffer_owners.remove(&named).is_none() {
            return false;
        }
        self.buffers.drop_text(&named);
        self.resend_readers_of(&named);
        let changed = self.dir.relative(&named).into_iter().collect();
        self.changed(Change {
            changed,
            removed: Vec::new(),
            tree_changed: false,
        });
        true
    }

    fn resend_readers_of(&mut self, abs: &Path) {
        for f in self.files.values_mut() {
            if f.abs == abs || f.deps.iter().any(|d| d == abs) {
                f.resend = true;
            }
        }
    }
}
