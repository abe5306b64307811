//! The executor's result cache: block results by id (a content key), bounded in
//! bytes (their size as JSON), the least recently used dropped first, and each
//! remembering the files that use it so forgetting a file drops what only it used.

use crate::protocol::BlockBody;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// One cached result.
pub(super) struct Entry {
    body: Arc<BlockBody>,
    /// Its size as JSON.
    bytes: usize,
    used: u64,
    files: HashSet<String>,
}

/// Block results by id, bounded in bytes.
pub(super) struct ResultCache {
    pub(super) map: HashMap<String, Entry>,
    pub(super) bytes: usize,
    limit: usize,
    clock: u64,
}

impl ResultCache {
    pub(super) fn get(&mut self, id: &str, file: &str) -> Option<Arc<BlockBody>> {
        self.clock += 1;
        let e = self.map.get_mut(id)?;
        e.used = self.clock;
        e.files.insert(file.to_string());
        Some(e.body.clone())
    }

    pub(super) fn insert(&mut self, id: String, body: Arc<BlockBody>, file: &str) {
        self.clock += 1;
        let old_id_len = id.len();
        let bytes = body.json_len();
        self.bytes += bytes + id.len();
        let old = self.map.insert(
            id,
            Entry {
                body,
                bytes,
                used: self.clock,
                files: HashSet::from([file.to_string()]),
            },
        );
        if let Some(old) = old {
            self.bytes -= old.bytes + old_id_len;
        }
        if self.bytes > self.limit {
            // Rare: sort once and drop the oldest until well under the limit, so
            // the next inserts do not sort again.
            let target = self.limit - self.limit / 10;
            let mut by_age: Vec<(u64, String)> =
                self.map.iter().map(|(k, e)| (e.used, k.clone())).collect();
            by_age.sort();
            for (_, k) in by_age {
                if self.bytes <= target {
                    break;
                }
                if let Some(e) = self.map.remove(&k) {
                    self.bytes -= e.bytes + k.len();
                }
            }
        }
    }

    pub(super) fn forget(&mut self, file: &str) {
        let mut gone = Vec::new();
        for (k, e) in self.map.iter_mut() {
            e.files.remove(file);
            if e.files.is_empty() {
                gone.push(k.clone());
            }
        }
        for k in gone {
            if let Some(e) = self.map.remove(&k) {
                self.bytes -= e.bytes + k.len();
            }
        }
    }
}

impl ResultCache {
    /// An empty cache holding at most `limit` bytes.
    pub(super) fn new(limit: usize) -> ResultCache {
        ResultCache {
            map: HashMap::new(),
            bytes: 0,
            limit,
            clock: 0,
        }
    }
}
