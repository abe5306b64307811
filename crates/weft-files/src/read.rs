//! Reading an input: a regular file only, opened without blocking, never more
//! than a documented number of bytes. Every path weft reads — a program, a file it
//! `use`s, `load`/`sample` data, `--mic`, `--camera` — goes through here.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Path;

/// The most bytes weft reads from one kind of input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Bytes.
    pub bytes: u64,
    /// What is read, for messages ("a program file").
    pub what: &'static str,
}

impl Limit {
    /// A WEFT file (the program or one it `use`s): 16 MiB.
    pub const PROGRAM: Limit = Limit {
        bytes: 16 << 20,
        what: "a program file",
    };
    /// A data file read whole (`load`, `sample`, `--mic`, a `--camera` image):
    /// 1 GiB.
    pub const DATA: Limit = Limit {
        bytes: 1 << 30,
        what: "a data file",
    };
    /// A file another program streams (a `--camera` video, decoded by ffmpeg into
    /// a bounded number of frames): any size.
    pub const STREAMED: Limit = Limit {
        bytes: u64::MAX,
        what: "a streamed file",
    };
}

/// Why an input was not read. The text says why, without the path (the caller
/// names the file).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Nothing at the path.
    #[error("no such file")]
    NotFound,
    /// Not allowed.
    #[error("permission denied")]
    PermissionDenied,
    /// A folder.
    #[error("it is a directory, not a file")]
    Directory,
    /// A FIFO, a device or a socket.
    #[error("it is {0}, not a regular file")]
    NotRegular(&'static str),
    /// Larger than the limit.
    #[error("it is larger than {}, the most weft reads from {}", size(limit.bytes), limit.what)]
    TooLarge {
        /// The limit it broke.
        limit: Limit,
    },
    /// Any other failure of the system.
    #[error("{0}")]
    Io(std::io::Error),
}

impl ReadError {
    fn from_io(e: std::io::Error) -> ReadError {
        match e.kind() {
            std::io::ErrorKind::NotFound => ReadError::NotFound,
            std::io::ErrorKind::PermissionDenied => ReadError::PermissionDenied,
            _ => ReadError::Io(e),
        }
    }
}

impl From<ReadError> for std::io::Error {
    fn from(e: ReadError) -> std::io::Error {
        match e {
            ReadError::Io(e) => e,
            ReadError::NotFound => std::io::Error::new(std::io::ErrorKind::NotFound, e),
            other => std::io::Error::other(other),
        }
    }
}

/// `16 MiB`, `1 GiB`, or bytes.
fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b => format!("{b} bytes"),
    }
}

/// What a file type is, in words, for a refusal.
fn kind_name(md: &Metadata) -> Option<ReadError> {
    let t = md.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some(ReadError::Directory);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let name = if t.is_fifo() {
            "a FIFO (named pipe)"
        } else if t.is_char_device() {
            "a character device"
        } else if t.is_block_device() {
            "a block device"
        } else if t.is_socket() {
            "a socket"
        } else {
            "something else"
        };
        Some(ReadError::NotRegular(name))
    }
    #[cfg(not(unix))]
    Some(ReadError::NotRegular("something else"))
}

/// Refuses what is not a regular file within `limit`.
fn judge(md: &Metadata, limit: Limit) -> Result<(), ReadError> {
    if let Some(refusal) = kind_name(md) {
        return Err(refusal);
    }
    if md.len() > limit.bytes {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(())
}

/// An open input: reads at most its limit, then fails with
/// [`ReadError::TooLarge`] (a file that grew since it was opened).
#[derive(Debug)]
pub struct Input {
    file: File,
    left: u64,
    limit: Limit,
    len: u64,
}

impl Input {
    /// The file's length when it was opened.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for an empty file.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // One byte past the limit tells a file that grew from one that ended.
        let want = (buf.len() as u64).min(self.left.saturating_add(1)) as usize;
        let n = self.file.read(&mut buf[..want])?;
        if n as u64 > self.left {
            return Err(ReadError::TooLarge { limit: self.limit }.into());
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Opens `path` for reading when it is a regular file (symlinks followed) of at
/// most `limit` bytes. Never blocks: the type is checked before opening, and the
/// open itself is non-blocking (a FIFO swapped in meanwhile is refused by the
/// check of the open file).
pub fn open(path: &Path, limit: Limit) -> Result<Input, ReadError> {
    // Before opening: opening a device can have effects of its own, and opening a
    // FIFO for reading blocks until a writer comes.
    judge(&std::fs::metadata(path).map_err(ReadError::from_io)?, limit)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path).map_err(ReadError::from_io)?;
    let md = file.metadata().map_err(ReadError::from_io)?;
    judge(&md, limit)?;
    Ok(Input {
        file,
        left: limit.bytes,
        limit,
        len: md.len(),
    })
}

/// Reads all of `path` (see [`open`] for what is refused).
pub fn read(path: &Path, limit: Limit) -> Result<Vec<u8>, ReadError> {
    let mut input = open(path, limit)?;
    let mut bytes = Vec::with_capacity(input.len() as usize);
    input.read_to_end(&mut bytes).map_err(|e| {
        match e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<ReadError>())
        {
            Some(ReadError::TooLarge { limit }) => ReadError::TooLarge { limit: *limit },
            _ => ReadError::from_io(e),
        }
    })?;
    Ok(bytes)
}

/// Checks that `path` is what [`open`] accepts, for inputs another program reads
/// (a `--camera` video goes to `ffmpeg`).
pub fn check(path: &Path, limit: Limit) -> Result<(), ReadError> {
    open(path, limit).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Limit = Limit {
        bytes: 10,
        what: "a test file",
    };

    #[test]
    fn reads_a_regular_file_up_to_its_limit() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("ten");
        std::fs::write(&p, b"0123456789").expect("write");
        assert_eq!(read(&p, SMALL).expect("read"), b"0123456789");
        std::fs::write(&p, b"0123456789a").expect("write");
        let e = read(&p, SMALL).expect_err("too large");
        assert_eq!(
            e.to_string(),
            "it is larger than 10 bytes, the most weft reads from a test file"
        );
    }

    #[cfg(unix)]
    #[test]
    fn refuses_what_is_not_a_regular_file() {
        let dir = tempfile::tempdir().expect("tmp");
        assert!(matches!(read(dir.path(), SMALL), Err(ReadError::Directory)));
        assert!(matches!(
            read(&dir.path().join("none"), SMALL),
            Err(ReadError::NotFound)
        ));
        let e = read(Path::new("/dev/zero"), Limit::DATA).expect_err("a device");
        assert_eq!(
            e.to_string(),
            "it is a character device, not a regular file"
        );
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().expect("utf-8")).expect("c string");
        // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read(&fifo, SMALL).expect_err("a FIFO");
        assert_eq!(
            e.to_string(),
            "it is a FIFO (named pipe), not a regular file"
        );
    }

    #[test]
    fn a_file_that_grows_past_the_limit_while_read_is_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("grows");
        std::fs::write(&p, b"01234").expect("write");
        let mut input = open(&p, SMALL).expect("open");
        std::fs::write(&p, b"0123456789abcdef").expect("grow");
        let mut out = Vec::new();
        let e = input.read_to_end(&mut out).expect_err("grew");
        assert!(e.to_string().contains("larger than 10 bytes"), "{e}");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(16 << 20), "16 MiB");
        assert_eq!(size(1 << 30), "1 GiB");
        assert_eq!(size(1000), "1000 bytes");
    }
}
