//! The renderer's writes go through `weft-files` (a temporary file beside the
//! target, renamed over it only when the target is absent or a regular file and
//! none of the render's inputs); this maps its refusals into [`RenderError`].

use crate::error::RenderError;
use std::path::Path;
pub use weft_files::{parent, sweep, temp_path, ReadFiles};

fn refused(path: &Path, e: weft_files::WriteError) -> RenderError {
    RenderError::io(path, e.into())
}

/// Writes `path` through `write` (given the temporary path), never over one of
/// `reads`, a folder or a special file; on failure `path` is untouched.
pub fn write_with(
    path: &Path,
    reads: &ReadFiles,
    write: impl FnOnce(&Path) -> Result<(), RenderError>,
) -> Result<(), RenderError> {
    let staged = weft_files::StagedFile::new(path, reads).map_err(|e| refused(path, e))?;
    write(staged.path())?;
    staged.commit().map_err(|e| refused(path, e))
}

/// Writes `bytes` to `path` atomically (`reads`: files it must not replace).
pub fn write_bytes(path: &Path, reads: &ReadFiles, bytes: &[u8]) -> Result<(), RenderError> {
    weft_files::write_bytes(path, reads, bytes).map_err(|e| refused(path, e))
}

/// Refuses, before any work, an output that may not be replaced.
pub fn check(path: &Path, reads: &ReadFiles) -> Result<(), RenderError> {
    reads.check(path).map_err(|e| refused(path, e))
}
