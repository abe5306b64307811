//! Rendering a WEFT piece to a file: the timeline of segments cut into chunks,
//! each keyed by a blake3 hash of exactly what its output depends on; a cache of
//! chunk outputs beside the file; parallel rendering of the chunks that are not
//! cached, through the same engine as the live view; encoding with the system
//! `ffmpeg`; and a report per segment.
//!
//! Invariants:
//! - a chunk's key changes exactly when its output could: node hashes of what its
//!   outputs reach, loaded files, parameter values, time range, size, rates,
//!   encoder, weft version — never formatting, comments, or other segments' edits;
//! - every file is written atomically, never over a file the piece was built from
//!   nor over anything but a regular file; a cache entry carries its key and a
//!   blake3 checksum, both verified on every read wherever it is stored (folder
//!   or object store), and a bad or misplaced one is removed and rendered again,
//!   never used;
//! - the cache is shared by many writers without locks: every write is atomic
//!   (rename in a folder, one put in a bucket) and two writers of one key write
//!   identical bytes; work files stay on the local disk;
//! - an MP4's AAC track is cached under the hash of the samples it encodes, so it
//!   is encoded again only when the sound changed;
//! - a finished chunk is in the cache before the next one starts on that worker,
//!   so a killed render keeps its work; a failing chunk stops only itself.

mod atomic;
mod bucket;
pub mod cache;
pub mod chunk;
pub mod encode;
mod error;
pub mod key;
pub mod render;
pub mod report;
pub mod schedule;
pub mod settings;
pub mod shard;
pub mod status;
pub mod store;
pub mod timeline;

pub use bucket::{process_env, Env};
pub use cache::{Cache, DEFAULT_LIMIT};
pub use error::RenderError;
pub use key::ChunkKey;
pub use report::Report;
pub use settings::{Format, Quality, RenderSettings, Request};
pub use status::State;
pub use store::Place;
pub use timeline::{Chunk, Piece, Segment, Timeline};
