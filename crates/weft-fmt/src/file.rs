//! Formatting a file in place: read through `weft-files`' bounded reader, written
//! back through its atomic write path (a temporary file beside it, renamed over
//! it), so an interrupted or refused format leaves the file as it was.

use crate::{format, FmtError};
use std::io::Write;
use std::path::{Path, PathBuf};
use weft_diagnostics::SourceMap;

/// What formatting a file did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Already in the canonical layout.
    Unchanged,
    /// Not in the canonical layout: rewritten (or, when checking, would be).
    Changed,
}

/// Why a file was not formatted; the file is untouched.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// It could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: weft_files::ReadError,
    },
    /// It is not UTF-8.
    #[error("{}: the file is not valid UTF-8", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
    },
    /// It does not parse (or would change meaning); `sources` renders the
    /// diagnostics.
    #[error("{}: {error}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// The file's text, for rendering diagnostics.
        sources: SourceMap,
        /// Why.
        error: FmtError,
    },
    /// The formatted text could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: weft_files::WriteError,
    },
}

/// Formats the file at `path`; writes it back only when `write` is set and the
/// layout changed.
pub fn format_path(path: &Path, write: bool) -> Result<Outcome, FileError> {
    let bytes =
        weft_files::read(path, weft_files::Limit::PROGRAM).map_err(|source| FileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    let text = String::from_utf8(bytes).map_err(|_| FileError::NotUtf8 {
        path: path.to_path_buf(),
    })?;
    let mut sources = SourceMap::new();
    let id = sources.add(path, text.as_str());
    let formatted = match format(id, &text) {
        Ok(f) => f,
        Err(error) => {
            return Err(FileError::Format {
                path: path.to_path_buf(),
                sources,
                error,
            })
        }
    };
    if formatted == text {
        return Ok(Outcome::Unchanged);
    }
    if write {
        write_in_place(path, formatted.as_bytes()).map_err(|source| FileError::Write {
            path: path.to_path_buf(),
            source,
        })?;
    }
    Ok(Outcome::Changed)
}

/// Replaces the file (the one a symlink points to, so the link stays) keeping
/// its permissions.
fn write_in_place(path: &Path, bytes: &[u8]) -> Result<(), weft_files::WriteError> {
    let target = std::fs::canonicalize(path)?;
    let permissions = std::fs::metadata(&target)?.permissions();
    let staged = weft_files::StagedFile::new(&target, &weft_files::ReadFiles::none())?;
    let mut f = std::fs::File::create(staged.path())?;
    f.write_all(bytes)?;
    f.sync_data()?;
    drop(f);
    std::fs::set_permissions(staged.path(), permissions)?;
    staged.commit()
}
