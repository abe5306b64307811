//! Where a cache's files live: a local folder, or a bucket in an object store
//! (see [`crate::bucket`]). The cache names its files by relative names
//! (`chunks/<key>.chunk`, `errors/<key>.json` …); a store reads, writes, lists
//! and removes them. Every write is atomic: a reader sees the old file, the new
//! one or none, never part of one (a folder stages beside the target and
//! renames; an object store never shows half an object).

use crate::atomic::{self, ReadFiles};
use crate::bucket::Bucket;
use crate::error::RenderError;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Where a cache is, as `--cache` names it: a folder or `s3://bucket/prefix`
/// (`gs://`, `azblob://` likewise).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// A local (or network-mounted) folder.
    Folder(PathBuf),
    /// A bucket of an object store and a prefix inside it.
    Bucket(BucketPlace),
}

/// An object store's service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// Amazon S3 and S3-compatible servers (`s3://`).
    S3,
    /// Google Cloud Storage (`gs://`).
    Gcs,
    /// Azure Blob Storage (`azblob://`; the bucket is the container).
    Azblob,
}

impl Service {
    /// The URL scheme naming it.
    pub fn scheme(self) -> &'static str {
        match self {
            Service::S3 => "s3",
            Service::Gcs => "gs",
            Service::Azblob => "azblob",
        }
    }
}

/// A bucket and the prefix the cache's objects are under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketPlace {
    /// Which object store.
    pub service: Service,
    /// The bucket (container for Azure).
    pub bucket: String,
    /// The prefix, without leading or trailing `/` (empty: the bucket's root).
    pub prefix: String,
}

impl fmt::Display for BucketPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.service.scheme(), self.bucket)?;
        if !self.prefix.is_empty() {
            write!(f, "/{}", self.prefix)?;
        }
        Ok(())
    }
}

impl Place {
    /// Parses a `--cache` value: `scheme://bucket[/prefix]` for an object store,
    /// anything without a scheme as a folder; the reason when it is neither.
    pub fn parse(text: &str) -> Result<Place, String> {
        let Some((scheme, rest)) = split_scheme(text) else {
            if text.is_empty() {
                return Err("an empty cache path".into());
            }
            return Ok(Place::Folder(PathBuf::from(text)));
        };
        let service = match scheme.to_ascii_lowercase().as_str() {
            "s3" => Service::S3,
            "gs" | "gcs" => Service::Gcs,
            "azblob" => Service::Azblob,
            _ => {
                return Err(format!(
                    "`{text}`: unknown cache scheme `{scheme}://`; expected a folder, s3://BUCKET/PREFIX, gs://BUCKET/PREFIX or azblob://CONTAINER/PREFIX"
                ))
            }
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!(
                "`{text}`: no bucket; expected {scheme}://BUCKET/PREFIX"
            ));
        }
        let bucket_ok = bucket
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
        if !bucket_ok {
            return Err(format!("`{text}`: `{bucket}` is not a bucket name"));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|p| p == "." || p == "..") || prefix.contains("//") {
            return Err(format!(
                "`{text}`: the prefix may not hold `.`, `..` or empty parts"
            ));
        }
        Ok(Place::Bucket(BucketPlace {
            service,
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        }))
    }

    /// How it is shown: the folder's path or the bucket's URL.
    pub fn display(&self) -> String {
        match self {
            Place::Folder(dir) => dir.display().to_string(),
            Place::Bucket(b) => b.to_string(),
        }
    }
}

/// `("s3", "bucket/prefix")` for `s3://bucket/prefix`; `None` for a path.
fn split_scheme(text: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = text.split_once("://")?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    let is_scheme = first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    is_scheme.then_some((scheme, rest))
}

/// One file a store listed.
#[derive(Clone, Debug)]
pub(crate) struct Listed {
    /// Its name relative to the store (`chunks/<key>.chunk`).
    pub name: String,
    /// Its size.
    pub bytes: u64,
    /// Last written (a folder: or read).
    pub used: SystemTime,
}

/// Why a file could not be read.
#[derive(Debug)]
pub(crate) enum ReadFailure {
    /// The file is there but is no cache file (too large, not a regular file …):
    /// the reason; it may be removed.
    Bad(String),
    /// The store could not be reached or refused (network, credentials); the
    /// file is left alone.
    Unreachable,
}

/// A cache's storage.
#[derive(Clone, Debug)]
pub(crate) enum Store {
    /// A folder: exactly the files `Cache` always wrote.
    Folder(PathBuf),
    /// An object store through opendal.
    Bucket(Bucket),
}

impl Store {
    /// Where `name` is, for messages and listings (a path or a URL).
    pub fn locate(&self, name: &str) -> PathBuf {
        match self {
            Store::Folder(dir) => dir.join(name),
            Store::Bucket(b) => PathBuf::from(b.url(name)),
        }
    }

    /// The whole file `name`; `None` when there is none.
    pub fn read(
        &self,
        name: &str,
        limit: weft_files::Limit,
    ) -> Result<Option<Vec<u8>>, ReadFailure> {
        match self {
            Store::Folder(dir) => match weft_files::read(&dir.join(name), limit) {
                Ok(b) => Ok(Some(b)),
                Err(weft_files::ReadError::NotFound) => Ok(None),
                Err(e) => Err(ReadFailure::Bad(e.to_string())),
            },
            Store::Bucket(b) => b.read(name, limit),
        }
    }

    /// The first `len` bytes of `name` (fewer when it is shorter); `None` when
    /// it cannot be read.
    pub fn read_head(&self, name: &str, len: usize, limit: weft_files::Limit) -> Option<Vec<u8>> {
        match self {
            Store::Folder(dir) => {
                use std::io::Read;
                let f = weft_files::open(&dir.join(name), limit).ok()?;
                let mut head = Vec::with_capacity(len);
                f.take(len as u64).read_to_end(&mut head).ok()?;
                Some(head)
            }
            Store::Bucket(b) => b.read_head(name, len),
        }
    }

    /// Writes `bytes` as `name` atomically.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<(), RenderError> {
        match self {
            Store::Folder(dir) => atomic::write_bytes(&dir.join(name), &ReadFiles::none(), bytes),
            Store::Bucket(b) => b.write(name, bytes),
        }
    }

    /// Removes `name`; one that is not there is no error.
    pub fn remove(&self, name: &str) -> Result<(), RenderError> {
        match self {
            Store::Folder(dir) => {
                let path = dir.join(name);
                match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        Err(RenderError::io(path, e))
                    }
                    _ => Ok(()),
                }
            }
            Store::Bucket(b) => b.remove(name),
        }
    }

    /// True when `name` exists (not read).
    pub fn exists(&self, name: &str) -> bool {
        match self {
            Store::Folder(dir) => dir.join(name).is_file(),
            Store::Bucket(b) => b.exists(name),
        }
    }

    /// Marks `name` used now, for least-recently-used eviction (a folder sets
    /// the file's time; an object cannot be touched, and buckets do not evict).
    pub fn touch(&self, name: &str) {
        if let Store::Folder(dir) = self {
            if let Ok(f) = std::fs::File::options().append(true).open(dir.join(name)) {
                let _ = f.set_modified(SystemTime::now());
            }
        }
    }

    /// The files directly in the folder `dir` (`chunks` …), sorted by name;
    /// hidden and non-regular ones skipped. A store that cannot be listed lists
    /// nothing.
    pub fn list(&self, dir: &str) -> Vec<Listed> {
        let mut out = match self {
            Store::Folder(root) => list_folder(root, dir),
            Store::Bucket(b) => b.list(dir),
        };
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// Makes the store ready for writing: a folder's subfolders and tag, a
    /// bucket's tag object (which proves it reachable and writable). Sweeps what
    /// dead renders left in a folder.
    pub fn prepare(&self, tag: &[u8]) -> Result<(), RenderError> {
        match self {
            Store::Folder(dir) => {
                for sub in ["chunks", "errors", "timelines", "tmp"] {
                    let p = dir.join(sub);
                    std::fs::create_dir_all(&p).map_err(|e| RenderError::io(&p, e))?;
                }
                let path = dir.join("CACHEDIR.TAG");
                if !path.exists() {
                    atomic::write_bytes(&path, &ReadFiles::none(), tag)?;
                }
                atomic::sweep(&dir.join("tmp"));
                atomic::sweep(&dir.join("chunks"));
                Ok(())
            }
            Store::Bucket(b) => b.prepare(tag),
        }
    }

    /// The local folder for a running render's work files (ffmpeg's input and
    /// output): inside a folder cache, or under the system's temporary folder
    /// for a bucket (work files never go to the object store).
    pub fn tmp_dir(&self) -> PathBuf {
        match self {
            Store::Folder(dir) => dir.join("tmp"),
            Store::Bucket(_) => Bucket::tmp_dir(),
        }
    }

    /// The folder, or the bucket's URL as a path (for messages).
    pub fn root(&self) -> PathBuf {
        match self {
            Store::Folder(dir) => dir.clone(),
            Store::Bucket(b) => PathBuf::from(b.url("")),
        }
    }

    /// True for an object store.
    pub fn is_bucket(&self) -> bool {
        matches!(self, Store::Bucket(_))
    }
}

fn list_folder(root: &Path, dir: &str) -> Vec<Listed> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
        return out;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let Ok(md) = e.metadata() else { continue };
        if !md.is_file() {
            continue;
        }
        out.push(Listed {
            name: format!("{dir}/{name}"),
            bytes: md.len(),
            used: md.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        });
    }
    out
}
