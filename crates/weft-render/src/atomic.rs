//! Writing files so that a reader never sees half of one: a temporary file in the
//! same folder, then a rename. Temporary names carry the process id, so a later
//! run can tell a dead process's leftovers from a live one's.

use crate::error::RenderError;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh temporary path in `dir` for this process: `.<pid>-<n>.<tag>.tmp`,
/// with `ext` kept last so tools that look at the extension still work.
pub fn temp_path(dir: &Path, tag: &str, ext: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let ext = if ext.is_empty() {
        String::new()
    } else {
        format!(".{ext}")
    };
    dir.join(format!(".{}-{n}.{tag}.tmp{ext}", std::process::id()))
}

/// The folder a path lives in (`.` for a bare name).
pub fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes through `write` to a temporary file beside `path`, then renames it over
/// `path`; on failure the temporary file is removed and `path` is untouched.
pub fn write_with(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), RenderError>,
) -> Result<(), RenderError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = temp_path(parent(path), "write", &ext);
    if let Err(e) = write(&tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        RenderError::io(path, e)
    })
}

/// Writes `bytes` to `path` atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), RenderError> {
    write_with(path, |tmp| {
        let mut f = std::fs::File::create(tmp).map_err(|e| RenderError::io(path, e))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_data())
            .map_err(|e| RenderError::io(path, e))
    })
}

/// The process id a temporary name was made by, if it is one of ours.
pub fn temp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    if !name.contains(".tmp") {
        return None;
    }
    rest.split('-').next()?.parse().ok()
}

/// True when process `pid` is still running (always true where that cannot be
/// told, so nothing of a live process is removed).
pub fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

/// Removes the temporary files in `dir` left by processes that are gone (a render
/// killed with `kill -9`).
pub fn sweep(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = temp_owner(&name) {
            if !alive(pid) {
                let p = e.path();
                if p.is_dir() {
                    let _ = std::fs::remove_dir_all(&p);
                } else {
                    let _ = std::fs::remove_file(&p);
                }
            }
        }
    }
}
