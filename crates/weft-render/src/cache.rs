//! The chunk cache: a folder (`.weft-cache/` beside the file by default) or a
//! bucket of an object store (`s3://bucket/prefix`, see [`crate::store`]), holding
//! one entry per chunk key, each written atomically and carrying its key and a
//! blake3 checksum, both verified on every read (a corrupt, truncated or
//! misplaced entry is removed and counts as a miss), bounded in size (least recently used first).
//! Beside the entries: the error each failing chunk gave, and per source file the
//! keys of its last render, so `weft status` can tell dirty from pending.
//!
//! Layout: `chunks/<key>.chunk`, `errors/<key>.json`, `timelines/<file>.json`,
//! `tmp/` (work files of running renders; a dead render's are swept; a bucket's
//! work files are in a local temporary folder).

use crate::atomic;
use crate::bucket::{process_env, Bucket, Env};
use crate::error::RenderError;
use crate::key::ChunkKey;
use crate::store::{Place, ReadFailure, Store};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

// Version 2 stores the entry's key after the magic; a version 1 entry reads as
// "not a weft cache entry" and is rendered again.
const MAGIC: &[u8; 8] = b"WEFTCHK2";
/// Magic, key, metadata length.
const HEAD: usize = 8 + 32 + 4;
/// Largest metadata block an entry may claim (anything larger is garbage).
const MAX_META: usize = 1 << 20;
/// Largest entry read (a chunk of a few seconds of video is far smaller); the
/// cache's own files are read like any input: regular files only.
const ENTRY_LIMIT: weft_files::Limit = weft_files::Limit {
    bytes: 16 << 30,
    what: "a cache entry",
};
/// Largest error or render record read.
const RECORD_LIMIT: weft_files::Limit = weft_files::Limit {
    bytes: 16 << 20,
    what: "a cache record",
};

/// What an entry says about itself (read without reading its data).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EntryMeta {
    /// The segment the chunk belongs to.
    pub segment: String,
    /// The chunk's index in its segment.
    pub chunk: usize,
    /// The source file it was rendered from.
    pub file: String,
    /// Output format (`mp4`, `png`, `wav`).
    pub format: String,
    /// Frames it holds.
    pub frames: u64,
    /// Samples it holds.
    pub samples: u64,
    /// When it was written, seconds since the Unix epoch.
    pub created: u64,
}

/// A cached chunk: its metadata and named blobs (`video.mp4`, `audio.f32`,
/// `frame-000012.png` …).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// What it is.
    pub meta: EntryMeta,
    /// Its data.
    pub blobs: Vec<(String, Vec<u8>)>,
}

impl Entry {
    /// The blob called `name`.
    pub fn blob(&self, name: &str) -> Option<&[u8]> {
        self.blobs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
    }

    /// The entry's bytes, stored under `key`: magic, the key, metadata, blobs,
    /// then the blake3 of all of it.
    pub fn encode(&self, key: &ChunkKey) -> Vec<u8> {
        let meta = serde_json::to_vec(&self.meta).unwrap_or_default();
        let mut out = Vec::with_capacity(
            64 + meta.len()
                + self
                    .blobs
                    .iter()
                    .map(|(n, b)| n.len() + b.len() + 12)
                    .sum::<usize>(),
        );
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&key.0);
        out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
        out.extend_from_slice(&meta);
        out.extend_from_slice(&(self.blobs.len() as u32).to_le_bytes());
        for (name, data) in &self.blobs {
            out.extend_from_slice(&(name.len() as u32).to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&(data.len() as u64).to_le_bytes());
            out.extend_from_slice(data);
        }
        let sum = blake3::hash(&out);
        out.extend_from_slice(sum.as_bytes());
        out
    }

    /// Reads the entry stored under `key`, checking its checksum, every length
    /// and the key it was stored under; the reason when the bytes are not a
    /// whole, intact entry of that key (an entry copied over another's file
    /// passes its checksum but not this).
    pub fn decode(bytes: &[u8], key: &ChunkKey) -> Result<Entry, String> {
        if bytes.len() < HEAD + 4 + 32 {
            return Err(format!("truncated ({} bytes)", bytes.len()));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 32);
        if blake3::hash(body).as_bytes() != sum {
            return Err("checksum mismatch".into());
        }
        let mut r = Reader { bytes: body, at: 0 };
        if r.take(8)? != MAGIC {
            return Err("not a weft cache entry".into());
        }
        let stored = r.take(32)?;
        if stored != key.0 {
            let mut other = [0u8; 32];
            other.copy_from_slice(stored);
            return Err(format!(
                "stored under another key ({}), not {key}",
                ChunkKey(other)
            ));
        }
        let meta = parse_meta(&mut r)?;
        let count = r.u32()? as usize;
        let mut blobs = Vec::new();
        for _ in 0..count {
            let n = r.u32()? as usize;
            let name = String::from_utf8(r.take(n)?.to_vec()).map_err(|_| "bad blob name")?;
            let len = r.u64()?;
            let len = usize::try_from(len).map_err(|_| "bad blob length")?;
            blobs.push((name, r.take(len)?.to_vec()));
        }
        if r.at != body.len() {
            return Err("trailing bytes".into());
        }
        Ok(Entry { meta, blobs })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len());
        let end = end.ok_or_else(|| "truncated".to_string())?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, String> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }
}

fn parse_meta(r: &mut Reader<'_>) -> Result<EntryMeta, String> {
    let n = r.u32()? as usize;
    if n > MAX_META {
        return Err("metadata too large".into());
    }
    serde_json::from_slice(r.take(n)?).map_err(|e| format!("bad metadata: {e}"))
}

/// What a look-up found.
#[derive(Debug)]
pub enum Lookup {
    /// An intact entry.
    Hit(Entry),
    /// No entry.
    Miss,
    /// An entry that failed verification (it was removed); the reason.
    Corrupt(String),
}

/// One entry as `weft cache info` lists it.
#[derive(Clone, Debug)]
pub struct EntryInfo {
    /// Its key, when its file name is one.
    pub key: Option<ChunkKey>,
    /// Its metadata; `None` for a file that is not a readable entry.
    pub meta: Option<EntryMeta>,
    /// Size on disk.
    pub bytes: u64,
    /// Last written or read.
    pub used: SystemTime,
    /// The file.
    pub path: PathBuf,
}

/// The error a failing chunk gave, kept until the chunk renders.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChunkError {
    /// Its segment.
    pub segment: String,
    /// Its index in the segment.
    pub chunk: usize,
    /// What went wrong.
    pub message: String,
}

/// The settings and keys of a file's last render.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RenderRecord {
    /// The file.
    pub file: String,
    /// `quality`, `width`, `height`, `fps`, `rate`, `format`, `chunk`, `duration`.
    pub settings: RecordedSettings,
    /// Per segment in order: its name and its chunks' keys (hex).
    pub segments: Vec<(String, Vec<String>)>,
}

/// The settings of a render, as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedSettings {
    /// Preset name.
    pub quality: String,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Frames per second.
    pub fps: f64,
    /// Samples per second.
    pub rate: u32,
    /// Format name.
    pub format: String,
    /// Chunk seconds.
    pub chunk: f64,
    /// Length of a file without segments.
    pub duration: f64,
}

/// A chunk cache: a folder or a bucket (see [`crate::store`]).
#[derive(Clone, Debug)]
pub struct Cache {
    store: Store,
    limit: u64,
}

/// The default bound on a cache's size: 2 GB.
pub const DEFAULT_LIMIT: u64 = 2_000_000_000;

const TAG: &[u8] = b"Signature: 8a477f597d28d172789f06886806bc55\n# weft's render cache; `weft cache clear` empties it.\n";

impl Cache {
    /// The default cache folder of `file`: `.weft-cache/` beside it.
    pub fn default_dir(file: &Path) -> PathBuf {
        atomic::parent(file).join(".weft-cache")
    }

    /// Opens (creating) the cache at `dir`, bounded to `limit` bytes, and sweeps
    /// what dead renders left in `tmp/`.
    pub fn open(dir: &Path, limit: u64) -> Result<Cache, RenderError> {
        Cache::open_place(&Place::Folder(dir.to_path_buf()), limit, &process_env)
    }

    /// Opens (creating) the cache at `place`, with an object store's settings
    /// from `env`; a bucket is reached here (its tag object is written), so a
    /// store that cannot be reached fails before any render.
    pub fn open_place(place: &Place, limit: u64, env: Env<'_>) -> Result<Cache, RenderError> {
        let cache = Cache::connect(place, limit, env)?;
        cache.store.prepare(TAG)?;
        Ok(cache)
    }

    /// The cache at `dir` for reading only: nothing is created (a folder that
    /// does not exist is an empty cache).
    pub fn at(dir: &Path, limit: u64) -> Cache {
        Cache {
            store: Store::Folder(dir.to_path_buf()),
            limit,
        }
    }

    /// The cache at `place` for reading only: nothing is created or requested
    /// (a bucket that cannot be reached reads as empty).
    pub fn connect(place: &Place, limit: u64, env: Env<'_>) -> Result<Cache, RenderError> {
        let store = match place {
            Place::Folder(dir) => Store::Folder(dir.clone()),
            Place::Bucket(b) => Store::Bucket(Bucket::connect(b, env)?),
        };
        Ok(Cache { store, limit })
    }

    /// The folder (a bucket's URL, as a path, for messages).
    pub fn dir(&self) -> PathBuf {
        self.store.root()
    }

    /// True when the cache is in an object store.
    pub fn is_bucket(&self) -> bool {
        self.store.is_bucket()
    }

    /// The size bound in bytes.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Local folder for a running render's work files (always local: see
    /// [`Store::tmp_dir`]).
    pub fn tmp_dir(&self) -> PathBuf {
        self.store.tmp_dir()
    }

    fn entry_name(key: &ChunkKey) -> String {
        format!("chunks/{}.chunk", key.hex())
    }

    fn error_name(key: &ChunkKey) -> String {
        format!("errors/{}.json", key.hex())
    }

    /// True when an entry file exists for `key` (not verified: `get` does that).
    pub fn contains(&self, key: &ChunkKey) -> bool {
        self.store.exists(&Cache::entry_name(key))
    }

    /// Reads and verifies the entry for `key`, marking it used; a corrupt one is
    /// removed. A store that cannot be reached answers a miss (the chunk is
    /// rendered, and storing it reports the store's error).
    pub fn get(&self, key: &ChunkKey) -> Lookup {
        let name = Cache::entry_name(key);
        let bytes = match self.store.read(&name, ENTRY_LIMIT) {
            Ok(Some(b)) => b,
            Ok(None) | Err(ReadFailure::Unreachable) => return Lookup::Miss,
            Err(ReadFailure::Bad(why)) => {
                let _ = self.store.remove(&name);
                return Lookup::Corrupt(why);
            }
        };
        match Entry::decode(&bytes, key) {
            Ok(entry) => {
                self.store.touch(&name);
                Lookup::Hit(entry)
            }
            Err(why) => {
                let _ = self.store.remove(&name);
                Lookup::Corrupt(why)
            }
        }
    }

    /// Stores `entry` under `key` atomically; clears an error recorded for it.
    pub fn put(&self, key: &ChunkKey, entry: &Entry) -> Result<u64, RenderError> {
        let bytes = entry.encode(key);
        self.store.write(&Cache::entry_name(key), &bytes)?;
        let _ = self.store.remove(&Cache::error_name(key));
        Ok(bytes.len() as u64)
    }

    /// Records that the chunk under `key` failed.
    pub fn record_error(&self, key: &ChunkKey, error: &ChunkError) -> Result<(), RenderError> {
        let text = serde_json::to_vec_pretty(error).unwrap_or_default();
        self.store.write(&Cache::error_name(key), &text)
    }

    /// The error recorded for `key`, if any (an unreadable record counts as none).
    pub fn error(&self, key: &ChunkKey) -> Option<ChunkError> {
        let bytes = self
            .store
            .read(&Cache::error_name(key), RECORD_LIMIT)
            .ok()??;
        serde_json::from_slice(&bytes).ok()
    }

    fn record_name(file: &Path) -> String {
        let abs = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
        let h = blake3::hash(abs.to_string_lossy().as_bytes());
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .take(40)
            .collect::<String>();
        format!("timelines/{stem}-{}.json", &h.to_hex()[..16])
    }

    /// Saves the record of `file`'s last render.
    pub fn save_record(&self, file: &Path, record: &RenderRecord) -> Result<(), RenderError> {
        let text = serde_json::to_vec_pretty(record).unwrap_or_default();
        self.store.write(&Cache::record_name(file), &text)
    }

    /// The record of `file`'s last render; `None` when there is none or it is not
    /// readable (a garbage record is as good as none).
    pub fn record(&self, file: &Path) -> Option<RenderRecord> {
        let bytes = self
            .store
            .read(&Cache::record_name(file), RECORD_LIMIT)
            .ok()??;
        serde_json::from_slice(&bytes).ok()
    }

    /// Every file in `chunks/` with what its header says (the data is not
    /// read), and its name in the store.
    fn listed(&self) -> Vec<(String, EntryInfo)> {
        self.store
            .list("chunks")
            .into_iter()
            .map(|l| {
                let file = l.name.rsplit('/').next().unwrap_or_default();
                let key = file.strip_suffix(".chunk").and_then(ChunkKey::from_hex);
                let info = EntryInfo {
                    key,
                    meta: self.read_meta(&l.name),
                    bytes: l.bytes,
                    used: l.used,
                    path: self.store.locate(&l.name),
                };
                (l.name, info)
            })
            .collect()
    }

    /// Every file in `chunks/`, with what its header says (the data is not read).
    pub fn entries(&self) -> Vec<EntryInfo> {
        self.listed().into_iter().map(|(_, info)| info).collect()
    }

    /// Removes least recently used entries until the cache fits its bound (and
    /// files in `chunks/` that are not entries at all); how many were removed.
    /// A bucket is never evicted from (see [`crate::bucket`]): 0.
    pub fn evict(&self) -> usize {
        if self.store.is_bucket() {
            return 0;
        }
        let mut entries = self.listed();
        let mut removed = 0;
        entries.retain(|(name, e)| {
            if e.key.is_none() || e.meta.is_none() {
                removed += self.store.remove(name).is_ok() as usize;
                false
            } else {
                true
            }
        });
        let mut total: u64 = entries.iter().map(|(_, e)| e.bytes).sum();
        entries.sort_by_key(|(_, e)| e.used);
        for (name, e) in entries {
            if total <= self.limit {
                break;
            }
            if self.store.remove(&name).is_ok() {
                total -= e.bytes;
                removed += 1;
            }
        }
        removed
    }

    /// Removes every entry, error and record; entries and bytes removed.
    pub fn clear(&self) -> Result<(usize, u64), RenderError> {
        let entries = self.entries();
        let bytes = entries.iter().map(|e| e.bytes).sum();
        let count = entries.len();
        for sub in ["chunks", "errors", "timelines"] {
            for l in self.store.list(sub) {
                self.store.remove(&l.name)?;
            }
        }
        Ok((count, bytes))
    }

    /// Removes every entry (and error) of the segment called `name`; how many
    /// entries. No such segment in the cache is an error.
    pub fn invalidate(&self, name: &str) -> Result<usize, RenderError> {
        let mut removed = 0;
        let mut known = false;
        for (file, e) in self.listed() {
            if e.meta.as_ref().is_some_and(|m| m.segment == name) {
                known = true;
                self.store.remove(&file)?;
                removed += 1;
            }
        }
        for l in self.store.list("errors") {
            let matches = self
                .store
                .read(&l.name, RECORD_LIMIT)
                .ok()
                .flatten()
                .and_then(|b| serde_json::from_slice::<ChunkError>(&b).ok())
                .is_some_and(|c| c.segment == name);
            if matches {
                known = true;
                let _ = self.store.remove(&l.name);
            }
        }
        if !known {
            return Err(RenderError::UnknownSegment(name.to_string()));
        }
        Ok(removed)
    }

    /// The metadata at the head of the entry `name`, without reading its data.
    fn read_meta(&self, name: &str) -> Option<EntryMeta> {
        let head = self.store.read_head(name, HEAD, ENTRY_LIMIT)?;
        if head.len() < HEAD || &head[..8] != MAGIC {
            return None;
        }
        let n = u32::from_le_bytes([head[40], head[41], head[42], head[43]]) as usize;
        if n > MAX_META {
            return None;
        }
        let all = self.store.read_head(name, HEAD + n, ENTRY_LIMIT)?;
        serde_json::from_slice(all.get(HEAD..HEAD + n)?).ok()
    }
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
