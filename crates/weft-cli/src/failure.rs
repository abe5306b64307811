//! How a command fails, and the exit code each kind gets: 1 for program errors
//! (diagnostics), 2 for usage errors, 3 for I/O errors.

use std::process::ExitCode;

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
                eprint!("{text}");
                if !text.ends_with('\n') {
                    eprintln!();
                }
                ExitCode::from(1)
            }
            Failure::Usage(text) => {
                eprintln!("error: {text}");
                eprintln!("\nFor more information, try '--help'.");
                ExitCode::from(2)
            }
            Failure::Io(text) => {
                eprintln!("error: {text}");
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
