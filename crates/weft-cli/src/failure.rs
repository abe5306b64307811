//! How a command fails, and the exit code each kind gets: 1 for program errors
//! (diagnostics), 2 for usage errors, 3 for I/O errors; and how text reaches the
//! terminal without panicking when a reader has gone away (`weft graph f | head`).

use std::io::Write;
use std::process::ExitCode;

/// Writes `text` to stdout; a closed pipe or other write error is ignored (unlike
/// `print!`, which panics).
pub fn out(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes()).and_then(|()| o.flush());
}

/// Writes `text` to stderr, ignoring write errors (unlike `eprint!`).
pub fn err(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// A failed command; its text is already rendered.
#[derive(Debug)]
pub enum Failure {
    /// The program has errors (rendered diagnostics).
    Program(String),
    /// The command line is wrong.
    Usage(String),
    /// A file could not be read or written.
    Io(String),
}

impl Failure {
    /// Prints the message and returns the exit code.
    pub fn report(self) -> ExitCode {
        match self {
            Failure::Program(text) => {
                err(&text);
                if !text.ends_with('\n') {
                    err("\n");
                }
                ExitCode::from(1)
            }
            Failure::Usage(text) => {
                err(&format!(
                    "error: {text}\n\nFor more information, try '--help'.\n"
                ));
                ExitCode::from(2)
            }
            Failure::Io(text) => {
                err(&format!("error: {text}\n"));
                ExitCode::from(3)
            }
        }
    }
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, then a rename,
/// so a failure never leaves a partial file.
pub fn write_atomic(
    path: &std::path::Path,
    write: impl FnOnce(&std::path::Path) -> Result<(), String>,
) -> Result<(), Failure> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp{ext}", std::process::id()));
    if let Err(e) = write(&tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Failure::Io(format!("cannot write {}: {e}", path.display())));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Failure::Io(format!("cannot write {}: {e}", path.display()))
    })
}
