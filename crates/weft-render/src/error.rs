//! Why a render, a cache operation or a chunk failed; rendered once, by the CLI.

use std::path::PathBuf;

/// A failed render or cache operation.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Settings no render can honour (a usage error).
    #[error("{0}")]
    Settings(String),
    /// The program cannot be rendered as asked (no `display` for a video …).
    #[error("{0}")]
    Program(String),
    /// The engine could not compile a scope.
    #[error("{0}")]
    Engine(String),
    /// `ffmpeg` is not installed.
    #[error("`{0}` was not found: weft encodes video with the system ffmpeg; install it with `apt-get install ffmpeg` (or set WEFT_FFMPEG to its path)")]
    MissingFfmpeg(String),
    /// `ffmpeg` ran and failed.
    #[error("ffmpeg failed ({what}): {message}")]
    Ffmpeg {
        /// What it was doing.
        what: String,
        /// Its last lines of output.
        message: String,
    },
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Some chunks failed; every other chunk finished and is cached.
    #[error("{failed} chunk(s) failed: {}", messages.join("; "))]
    Chunks {
        /// How many chunks failed.
        failed: usize,
        /// One line per failing segment: `name: message`.
        messages: Vec<String>,
    },
    /// A newer save made the chunk stale while it rendered (`--watch`).
    #[error("cancelled: a newer save made this chunk stale")]
    Cancelled,
    /// No segment of that name is in the cache.
    #[error("no cached segment named `{0}`")]
    UnknownSegment(String),
}

impl RenderError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> RenderError {
        RenderError::Io {
            path: path.into(),
            source,
        }
    }
}
