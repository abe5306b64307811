//! Writing an output so that nothing is lost: a temporary file beside the target,
//! renamed over it only when the target is absent or a regular file and is none
//! of the files the command read. A failure (or a drop before the commit) removes
//! the temporary file; a killed process's temporary files are recognised by their
//! name and swept by the next run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Why an output was not written. The text says why, without the path.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The target is one of the files the command reads.
    #[error("it is one of the files this command reads; give another output")]
    IsInput,
    /// The target is a folder.
    #[error("it is a folder; give a file name")]
    Directory,
    /// The target is a FIFO, a device or a socket.
    #[error("it is {0}; weft replaces only regular files")]
    NotRegular(&'static str),
    /// The system refused.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl From<WriteError> for std::io::Error {
    fn from(e: WriteError) -> std::io::Error {
        match e {
            WriteError::Io(e) => e,
            other => std::io::Error::other(other),
        }
    }
}

/// A file's identity: device and inode (symlinks followed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Identity(u64, u64);

fn identity(path: &Path) -> Option<Identity> {
    let md = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(Identity(md.dev(), md.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = md;
        let canon = std::fs::canonicalize(path).ok()?;
        let h = canon
            .to_string_lossy()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
        Some(Identity(0, h))
    }
}

/// True when `a` and `b` name the same existing file (symlinks followed).
pub fn same_file(a: &Path, b: &Path) -> bool {
    matches!((identity(a), identity(b)), (Some(x), Some(y)) if x == y)
}

/// The files a command read (its program, the files it `use`s, its data files):
/// no output may replace one of them.
#[derive(Clone, Debug, Default)]
pub struct ReadFiles {
    paths: Vec<PathBuf>,
}

impl ReadFiles {
    /// No files (outputs of commands that read nothing, such as cache records).
    pub fn none() -> ReadFiles {
        ReadFiles::default()
    }

    /// These files.
    pub fn new<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> ReadFiles {
        ReadFiles {
            paths: paths
                .into_iter()
                .map(|p| p.as_ref().to_path_buf())
                .collect(),
        }
    }

    /// Adds a file.
    pub fn push(&mut self, path: impl Into<PathBuf>) {
        self.paths.push(path.into());
    }

    /// The files, as given.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// True when `path` is one of the files (identities are taken now, so a file
    /// replaced since it was read is compared as it is).
    pub fn contains(&self, path: &Path) -> bool {
        let Some(id) = identity(path) else {
            return false;
        };
        self.paths.iter().any(|p| identity(p) == Some(id))
    }

    /// Refuses a `target` that must not be replaced: a folder, a FIFO, a device, a
    /// socket, or one of these files. Absent or a regular file is fine.
    pub fn check(&self, target: &Path) -> Result<(), WriteError> {
        match std::fs::metadata(target) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(WriteError::Io(e)),
            Ok(md) => {
                let t = md.file_type();
                if t.is_dir() {
                    return Err(WriteError::Directory);
                }
                if !t.is_file() {
                    return Err(WriteError::NotRegular(special_name(&t)));
                }
            }
        }
        if self.contains(target) {
            return Err(WriteError::IsInput);
        }
        Ok(())
    }
}

fn special_name(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    let _ = t;
    "not a regular file"
}

/// An output being written: a temporary path beside the target, renamed over it
/// by [`StagedFile::commit`]; dropped without a commit, the temporary file is
/// removed.
#[derive(Debug)]
pub struct StagedFile {
    target: PathBuf,
    tmp: PathBuf,
    reads: ReadFiles,
    committed: bool,
}

impl StagedFile {
    /// Checks that `target` may be replaced (see [`ReadFiles::check`]) and picks a
    /// temporary path beside it, keeping its extension last (tools such as ffmpeg
    /// look at it).
    pub fn new(target: &Path, reads: &ReadFiles) -> Result<StagedFile, WriteError> {
        reads.check(target)?;
        let ext = target
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(StagedFile {
            target: target.to_path_buf(),
            tmp: temp_path(parent(target), "write", &ext),
            reads: reads.clone(),
            committed: false,
        })
    }

    /// Where to write.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// The file it will replace.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the written file over the target, checking the target again.
    pub fn commit(mut self) -> Result<(), WriteError> {
        self.reads.check(&self.target)?;
        std::fs::rename(&self.tmp, &self.target)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `bytes` to `target` atomically (synced before the rename).
pub fn write_bytes(target: &Path, reads: &ReadFiles, bytes: &[u8]) -> Result<(), WriteError> {
    let staged = StagedFile::new(target, reads)?;
    let mut f = std::fs::File::create(staged.path())?;
    f.write_all(bytes)?;
    f.sync_data()?;
    drop(f);
    staged.commit()
}

/// The folder a path lives in (`.` for a bare name).
pub fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// A fresh temporary path in `dir` for this process: `.<pid>-<n>.<tag>.tmp`, then
/// `.<ext>` when `ext` is not empty.
pub fn temp_path(dir: &Path, tag: &str, ext: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let ext = if ext.is_empty() {
        String::new()
    } else {
        format!(".{ext}")
    };
    dir.join(format!(".{}-{n}.{tag}.tmp{ext}", std::process::id()))
}

/// The process id a temporary name was made by, when the name is exactly one
/// [`temp_path`] makes.
pub fn temp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let (pid, rest) = rest.split_once('-')?;
    let (n, rest) = rest.split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(pid) || !digits(n) {
        return None;
    }
    let (tag, rest) = rest.split_once('.')?;
    let tail = rest.strip_prefix("tmp")?;
    if tag.is_empty() || !(tail.is_empty() || tail.starts_with('.')) {
        return None;
    }
    pid.parse().ok()
}

/// True when process `pid` is still running (always true where that cannot be
/// told, so nothing of a live process is removed).
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

/// Removes the temporary files (and folders) in `dir` left by processes that are
/// gone (a render killed with `kill -9`); nothing else is touched.
pub fn sweep(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = temp_owner(&name) {
            if !alive(pid) {
                let p = e.path();
                // Not followed: a symlink is removed, never what it points to.
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    let _ = std::fs::remove_dir_all(&p);
                } else {
                    let _ = std::fs::remove_file(&p);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_recognised_exactly() {
        let p = temp_path(Path::new("/x"), "write", "mp4");
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        assert_eq!(temp_owner(&name), Some(std::process::id()));
        assert_eq!(temp_owner(".12-3.join.tmp"), Some(12));
        for other in [
            ".12-3.join",
            "12-3.join.tmp",
            ".a-3.join.tmp",
            ".12-.join.tmp",
            ".12-3..tmp",
            ".12-3.join.tmpx",
            ".bashrc",
            ".x.tmp",
        ] {
            assert_eq!(temp_owner(other), None, "{other}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn an_output_never_replaces_an_input_a_folder_or_a_special_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let input = dir.path().join("in.weft");
        std::fs::write(&input, "display(me@x)\n").expect("write");
        let link = dir.path().join("link.weft");
        std::os::unix::fs::symlink(&input, &link).expect("symlink");
        let reads = ReadFiles::new([&input]);
        for target in [&input, &link] {
            let e = write_bytes(target, &reads, b"mp4").expect_err("an input");
            assert!(matches!(e, WriteError::IsInput), "{e}");
        }
        assert_eq!(
            std::fs::read_to_string(&input).expect("read"),
            "display(me@x)\n"
        );
        let e = write_bytes(Path::new("/dev/null"), &reads, b"x").expect_err("a device");
        assert_eq!(
            e.to_string(),
            "it is a character device; weft replaces only regular files"
        );
        let e = write_bytes(dir.path(), &reads, b"x").expect_err("a folder");
        assert!(matches!(e, WriteError::Directory));
        let out = dir.path().join("out.bin");
        write_bytes(&out, &reads, b"ok").expect("write");
        write_bytes(&out, &reads, b"again").expect("replace a regular file");
        assert_eq!(std::fs::read(&out).expect("read"), b"again");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp"))
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }

    #[test]
    fn a_staged_file_dropped_without_commit_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tmp");
        let target = dir.path().join("o.png");
        let staged = StagedFile::new(&target, &ReadFiles::none()).expect("stage");
        std::fs::write(staged.path(), b"half").expect("write");
        let tmp = staged.path().to_path_buf();
        drop(staged);
        assert!(!tmp.exists() && !target.exists());
    }

    #[test]
    fn sweep_removes_only_dead_processes_temporary_files() {
        let dir = tempfile::tempdir().expect("tmp");
        // No process has pid 0x7fff_fff0 on Linux (pid_max is at most 2^22).
        let dead = dir
            .path()
            .join(format!(".{}-0.write.tmp.mp4", 0x7fff_fff0u32));
        let live = temp_path(dir.path(), "write", "mp4");
        let other = dir.path().join(".notes.tmp.mp4");
        for p in [&dead, &live, &other] {
            std::fs::write(p, b"x").expect("write");
        }
        sweep(dir.path());
        assert!(!dead.exists());
        assert!(live.exists() && other.exists());
    }
}
