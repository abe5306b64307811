//! `weft check FILE…`: report every diagnostic of every file.

use crate::failure::Failure;
use std::path::PathBuf;
use weft_diagnostics::{has_errors, render_all, Code};
use weft_graph::Scope;
use weft_sources::{SourceOptions, SourceSet};

/// Arguments of `weft check`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The files to check.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// Checks each file; exit 0 when all are clean, 1 on program errors, 3 when a file
/// cannot be read.
pub fn run(args: Args) -> Result<(), Failure> {
    let mut errors = false;
    let mut io: Option<String> = None;
    for path in &args.files {
        let built = match weft_lang::build_program(path, &weft_lang::BuildOptions) {
            Ok(b) => b,
            Err(e) => {
                crate::failure::err(&format!("error: {e}\n"));
                io.get_or_insert(e.to_string());
                continue;
            }
        };
        let mut diagnostics = built.diagnostics;
        if let Some(program) = &built.program {
            if let Err(cycles) = weft_graph::build(program, Scope::Main) {
                diagnostics.extend(cycles.iter().map(|c| c.to_diagnostic()));
            } else {
                let (_, found) = SourceSet::load(program, &SourceOptions::default());
                // Without --mic/--camera the fallback warnings say nothing about the file.
                diagnostics.extend(
                    found
                        .into_iter()
                        .filter(|d| !matches!(d.code, Code::MicFallback | Code::CameraFallback)),
                );
            }
        }
        errors |= has_errors(&diagnostics);
        if !diagnostics.is_empty() {
            crate::failure::err(&render_all(&diagnostics, &built.sources));
        }
    }
    match (io, errors) {
        (Some(_), _) => Err(Failure::Io(
            "some files could not be read (see above)".into(),
        )),
        (None, true) => Err(Failure::Program(String::new())),
        (None, false) => Ok(()),
    }
}
