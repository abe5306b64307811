//! A cache in an object store (S3 and S3-compatible servers, Google Cloud
//! Storage, Azure Blob) through opendal, used blocking: the store owns a small
//! tokio runtime that opendal's blocking operator runs on.
//!
//! Many writers share a bucket safely: a put is atomic (no reader ever sees
//! half an object) and two workers writing one chunk write identical bytes.
//! Nothing is ever evicted here: a bucket shared by the shards of a render
//! would otherwise lose one shard's chunks to another's size bound before the
//! join; its size is the bucket's lifecycle rules' business.
//!
//! Credentials and endpoint come from the environment (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` or
//! `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL` for S3-compatible servers;
//! `GOOGLE_APPLICATION_CREDENTIALS`; `AZURE_STORAGE_ACCOUNT`,
//! `AZURE_STORAGE_KEY`, `AZURE_STORAGE_ENDPOINT`), and where S3 credentials are
//! not set there, from opendal's usual chain (profile files, web identity, the
//! instance's metadata).

use crate::error::RenderError;
use crate::store::{BucketPlace, Listed, ReadFailure, Service};
use opendal::layers::{RetryLayer, TimeoutLayer};
use opendal::{blocking, services, ErrorKind, Operator};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Bounds on one request and on its retries, so an unreachable store fails in
/// about a minute and a half at worst instead of hanging.
const TIMEOUT: Duration = Duration::from_secs(30);
const RETRIES: usize = 2;

/// Reads a variable of the environment the store is configured from.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process's environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A bucket and prefix, connected.
#[derive(Clone)]
pub(crate) struct Bucket {
    place: BucketPlace,
    op: blocking::Operator,
    // Kept alive as long as any clone of the operator that runs on it.
    _runtime: Arc<tokio::runtime::Runtime>,
}

impl fmt::Debug for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bucket({})", self.place)
    }
}

fn failed(place: &BucketPlace, what: impl fmt::Display) -> RenderError {
    RenderError::io(
        PathBuf::from(place.to_string()),
        std::io::Error::other(what.to_string()),
    )
}

impl Bucket {
    /// Connects to `place` with settings from `env` (nothing is requested yet).
    pub fn connect(place: &BucketPlace, env: Env<'_>) -> Result<Bucket, RenderError> {
        // The HTTP client (reqwest) every service uses; installing it again is a no-op.
        opendal::install_default();
        let root = format!("/{}/", place.prefix);
        let op = match place.service {
            Service::S3 => {
                let mut b = services::S3::default().bucket(&place.bucket).root(&root);
                // S3-compatible servers rarely care; AWS answers a wrong one
                // with a redirect error naming the right one.
                let region = env("AWS_REGION")
                    .or_else(|| env("AWS_DEFAULT_REGION"))
                    .unwrap_or_else(|| "us-east-1".into());
                b = b.region(&region);
                if let Some(url) = env("AWS_ENDPOINT_URL_S3").or_else(|| env("AWS_ENDPOINT_URL")) {
                    b = b.endpoint(&url);
                }
                if let (Some(id), Some(secret)) =
                    (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"))
                {
                    b = b.access_key_id(&id).secret_access_key(&secret);
                    if let Some(token) = env("AWS_SESSION_TOKEN") {
                        b = b.session_token(&token);
                    }
                }
                Operator::new(b)
            }
            Service::Gcs => {
                let mut b = services::Gcs::default().bucket(&place.bucket).root(&root);
                if let Some(path) = env("GOOGLE_APPLICATION_CREDENTIALS") {
                    b = b.credential_path(&path);
                }
                Operator::new(b)
            }
            Service::Azblob => {
                let mut b = services::Azblob::default()
                    .container(&place.bucket)
                    .root(&root);
                let account =
                    env("AZURE_STORAGE_ACCOUNT").or_else(|| env("AZURE_STORAGE_ACCOUNT_NAME"));
                let endpoint = env("AZURE_STORAGE_ENDPOINT").or_else(|| {
                    account
                        .as_ref()
                        .map(|a| format!("https://{a}.blob.core.windows.net"))
                });
                if let Some(e) = endpoint {
                    b = b.endpoint(&e);
                }
                if let Some(a) = &account {
                    b = b.account_name(a);
                }
                if let Some(k) =
                    env("AZURE_STORAGE_KEY").or_else(|| env("AZURE_STORAGE_ACCOUNT_KEY"))
                {
                    b = b.account_key(&k);
                }
                Operator::new(b)
            }
        }
        .map_err(|e| failed(place, format!("cannot configure the store: {e}")))?;
        let op = op
            .layer(
                TimeoutLayer::new()
                    .with_timeout(TIMEOUT)
                    .with_io_timeout(TIMEOUT),
            )
            .layer(
                RetryLayer::new()
                    .with_max_times(RETRIES)
                    .with_min_delay(Duration::from_millis(200))
                    .with_max_delay(Duration::from_secs(2)),
            );
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("weft-cache-io")
            .enable_all()
            .build()
            .map_err(|e| failed(place, format!("cannot start the store's runtime: {e}")))?;
        let op = {
            let _inside = runtime.enter();
            blocking::Operator::new(op).map_err(|e| failed(place, e))?
        };
        Ok(Bucket {
            place: place.clone(),
            op,
            _runtime: Arc::new(runtime),
        })
    }

    /// The URL of the object `name`.
    pub fn url(&self, name: &str) -> String {
        if name.is_empty() {
            self.place.to_string()
        } else {
            format!("{}/{name}", self.place)
        }
    }

    fn error(&self, name: &str, e: opendal::Error) -> RenderError {
        RenderError::io(
            PathBuf::from(self.url(name)),
            std::io::Error::other(e.to_string()),
        )
    }

    pub fn read(
        &self,
        name: &str,
        limit: weft_files::Limit,
    ) -> Result<Option<Vec<u8>>, ReadFailure> {
        match self.op.read(name) {
            Ok(buf) if buf.len() as u64 > limit.bytes => Err(ReadFailure::Bad(format!(
                "{} is larger than {} bytes",
                limit.what, limit.bytes
            ))),
            Ok(buf) => Ok(Some(buf.to_vec())),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(_) => Err(ReadFailure::Unreachable),
        }
    }

    pub fn read_head(&self, name: &str, len: usize) -> Option<Vec<u8>> {
        let options = opendal::options::ReadOptions {
            range: (0..len as u64).into(),
            ..Default::default()
        };
        self.op.read_options(name, options).ok().map(|b| b.to_vec())
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<(), RenderError> {
        self.op
            .write(name, bytes.to_vec())
            .map(|_| ())
            .map_err(|e| self.error(name, e))
    }

    pub fn remove(&self, name: &str) -> Result<(), RenderError> {
        match self.op.delete(name) {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(self.error(name, e)),
            _ => Ok(()),
        }
    }

    pub fn exists(&self, name: &str) -> bool {
        self.op.exists(name).unwrap_or(false)
    }

    pub fn list(&self, dir: &str) -> Vec<Listed> {
        let Ok(entries) = self.op.list(&format!("{dir}/")) else {
            return Vec::new();
        };
        entries
            .into_iter()
            .filter(|e| e.metadata().is_file())
            .filter(|e| !e.name().starts_with('.'))
            .map(|e| Listed {
                name: format!("{dir}/{}", e.name()),
                bytes: e.metadata().content_length(),
                used: e
                    .metadata()
                    .last_modified()
                    .map_or(SystemTime::UNIX_EPOCH, SystemTime::from),
            })
            .collect()
    }

    /// Writes the tag object when it is missing: the first request, so a
    /// store that cannot be reached or written fails here, before any render.
    pub fn prepare(&self, tag: &[u8]) -> Result<(), RenderError> {
        let name = "CACHEDIR.TAG";
        let there = self.op.exists(name).map_err(|e| self.error(name, e))?;
        if !there {
            self.write(name, tag)?;
        }
        let tmp = Bucket::tmp_dir();
        std::fs::create_dir_all(&tmp).map_err(|e| RenderError::io(&tmp, e))?;
        weft_files::sweep(&tmp);
        Ok(())
    }

    /// The local folder for work files of renders into any bucket.
    pub fn tmp_dir() -> PathBuf {
        std::env::temp_dir().join("weft-cache-tmp")
    }
}
