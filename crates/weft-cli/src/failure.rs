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
    /// The text it reports (diagnostics as they are, other failures as `error: …`).
    pub fn message(&self) -> String {
        match self {
            Failure::Program(text) => text.clone(),
            Failure::Usage(text) | Failure::Io(text) => format!("error: {text}"),
        }
    }

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

/// Writes `path` atomically through `write` (given a temporary path beside it),
/// never over a folder, a FIFO, a device or a file in `reads` (the command's
/// inputs): a failure leaves `path` as it was and no temporary file.
pub fn write_atomic(
    path: &std::path::Path,
    reads: &weft_files::ReadFiles,
    write: impl FnOnce(&std::path::Path) -> Result<(), String>,
) -> Result<(), Failure> {
    let staged = stage(path, reads)?;
    write(staged.path()).map_err(|e| cannot_write(path, e))?;
    staged
        .commit()
        .map_err(|e| cannot_write(path, e.to_string()))
}

/// Checks that `path` may be written (see [`write_atomic`]) and picks its
/// temporary path; for outputs written while they are computed.
pub fn stage(
    path: &std::path::Path,
    reads: &weft_files::ReadFiles,
) -> Result<weft_files::StagedFile, Failure> {
    weft_files::StagedFile::new(path, reads).map_err(|e| cannot_write(path, e.to_string()))
}

/// The failure of writing `path`.
pub fn cannot_write(path: &std::path::Path, why: String) -> Failure {
    Failure::Io(format!("cannot write {}: {why}", path.display()))
}
