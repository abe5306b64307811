//! The file system boundary every weft crate crosses the same way: reading an
//! input ([`read`], [`open`], [`check`]) and writing an output ([`StagedFile`],
//! [`write_bytes`]).
//!
//! Invariants:
//! - an input is read only when it is a regular file (symlinks followed) no larger
//!   than its [`Limit`]; a directory, a FIFO, a device or a socket is refused before
//!   a byte is read, and opening never blocks (a FIFO swapped in between the check
//!   and the open is opened non-blocking and refused);
//! - an output is written to a temporary file beside it, then renamed over it; the
//!   rename happens only when the target is absent or a regular file and is none of
//!   the files the command read (same device and inode, symlinks followed);
//! - a temporary name carries the id of the process that made it
//!   (`.<pid>-<n>.<tag>.tmp[.<ext>]`), so [`sweep`] can remove what a killed
//!   process left without touching a live one's work.

mod read;
mod write;

pub use read::{check, open, read, Input, Limit, ReadError};
pub use write::{
    parent, same_file, sweep, temp_owner, temp_path, write_bytes, ReadFiles, StagedFile, WriteError,
};
