//! `weft fmt FILE…`: formats files in place (`--check`: lists those that would
//! change, exit 1); `-` formats stdin to stdout. The formatter is `weft-fmt`.

use crate::failure::{self, Failure};
use std::io::Read;
use std::path::PathBuf;
use weft_diagnostics::{render_all, FileId, SourceMap};
use weft_fmt::{FileError, FmtError, Outcome};

/// Arguments of `weft fmt`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The files to format in place (`-`: stdin to stdout).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Change nothing: list the files that are not formatted and exit 1 if any.
    #[arg(long)]
    check: bool,
}

/// Formats each file; exit 1 when one does not parse (or, with `--check`, is not
/// formatted), 3 when one cannot be read or written.
pub fn run(args: Args) -> Result<(), Failure> {
    let mut program_error = false;
    let mut io = false;
    let mut unformatted = false;
    for path in &args.files {
        if path.as_os_str() == "-" {
            match stdin(args.check) {
                Ok(Outcome::Changed) => unformatted |= args.check,
                Ok(Outcome::Unchanged) => {}
                Err(f @ Failure::Io(_)) => return Err(f),
                Err(Failure::Program(text) | Failure::Usage(text)) => {
                    failure::err(&text);
                    program_error = true;
                }
            }
            continue;
        }
        match weft_fmt::format_path(path, !args.check) {
            Ok(Outcome::Changed) if args.check => {
                failure::out(&format!("{}\n", path.display()));
                unformatted = true;
            }
            Ok(_) => {}
            Err(FileError::Format {
                sources,
                error: FmtError::Parse(diagnostics),
                ..
            }) => {
                failure::err(&render_all(&diagnostics, &sources));
                program_error = true;
            }
            Err(e @ (FileError::Format { .. } | FileError::NotUtf8 { .. })) => {
                failure::err(&format!("error: {e}\n"));
                program_error = true;
            }
            Err(e @ (FileError::Read { .. } | FileError::Write { .. })) => {
                failure::err(&format!("error: {e}\n"));
                io = true;
            }
        }
    }
    if io {
        Err(Failure::Io(
            "some files could not be formatted (see above)".into(),
        ))
    } else if program_error || unformatted {
        Err(Failure::Program(String::new()))
    } else {
        Ok(())
    }
}

/// Formats stdin to stdout (with `--check`, prints nothing).
fn stdin(check: bool) -> Result<Outcome, Failure> {
    let limit = weft_files::Limit::PROGRAM.bytes;
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::Io(format!("cannot read stdin: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(Failure::Io(format!("stdin is larger than {limit} bytes")));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::Program("error: <stdin> is not valid UTF-8\n".into()))?;
    let mut sources = SourceMap::new();
    let id: FileId = sources.add("<stdin>", text.as_str());
    match weft_fmt::format(id, &text) {
        Ok(out) => {
            if !check {
                failure::out(&out);
            }
            Ok(if out == text {
                Outcome::Unchanged
            } else {
                Outcome::Changed
            })
        }
        Err(FmtError::Parse(d)) => Err(Failure::Program(render_all(&d, &sources))),
        Err(e) => Err(Failure::Program(format!("error: <stdin>: {e}\n"))),
    }
}
