//! Every WEFT program of the repository (`tests/conformance/`, `examples/`):
//! formatting is idempotent and never changes meaning (the graph hashes of every
//! scope, or the diagnostics of a program that does not build, are the same
//! before and after); a file that does not parse is refused; and every prefix of
//! every program (half-typed text) gets an answer, never a panic.

use std::path::{Path, PathBuf};
use weft_diagnostics::FileId;
use weft_fmt::{format, FmtError};

fn programs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    let mut dirs = vec![root.join("tests/conformance"), root.join("examples")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a corpus folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "weft") {
                out.push(path);
            }
        }
    }
    out.sort();
    assert!(
        out.len() > 50,
        "the corpus is missing ({} files)",
        out.len()
    );
    out
}

/// What a program means: each scope's node names and hashes, or its diagnostics.
fn meaning(path: &Path, text: &str) -> Vec<String> {
    let built = weft_lang::build_source(path, text);
    let Some(program) = &built.program else {
        return built
            .diagnostics
            .iter()
            .map(|d| format!("{:?} {}", d.code, d.message))
            .collect();
    };
    let mut out = Vec::new();
    for scope in weft_graph::Scope::all(program) {
        match weft_graph::build(program, scope) {
            Ok(graph) => out.extend(
                graph
                    .nodes
                    .iter()
                    .map(|n| format!("{} {:?}", n.name, n.hash)),
            ),
            Err(errors) => out.extend(errors.iter().map(|e| e.to_diagnostic().message)),
        }
    }
    out
}

#[test]
fn formatting_every_program_is_idempotent_and_keeps_its_meaning() {
    let mut formatted = 0;
    let mut failures = Vec::new();
    for path in programs() {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let parses = !weft_diagnostics::has_errors(&weft_lang::parse(FileId(0), &text).1);
        match format(FileId(0), &text) {
            Ok(once) => {
                formatted += 1;
                match format(FileId(0), &once) {
                    Ok(twice) if twice == once => {}
                    Ok(twice) => failures.push(format!(
                        "{}: not idempotent\n--- once\n{once}\n--- twice\n{twice}",
                        path.display()
                    )),
                    Err(e) => failures.push(format!("{}: second pass: {e}", path.display())),
                }
                if meaning(&path, &text) != meaning(&path, &once) {
                    failures.push(format!("{}: the meaning changed", path.display()));
                }
            }
            Err(FmtError::Parse(_)) if !parses => {}
            Err(e) => failures.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(formatted > 50, "only {formatted} programs formatted");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_prefix_of_every_program_gets_an_answer() {
    for path in programs() {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for (i, _) in text.char_indices() {
            // Ok or a refusal; a panic fails the test.
            let _ = format(FileId(0), &text[..i]);
        }
    }
}

#[test]
fn garbage_never_panics() {
    let garbage = [
        "\u{feff}",
        "<<<<>>>>",
        "a<<b>>",
        ";;;;",
        "}}}{{{",
        "))))((((",
        "spindle spindle spindle",
        "/* /* */ */",
        "a<v> = 1 // \r\n\r\r",
        "\0\0\0",
        "é<v> = 1",
    ];
    for g in garbage {
        let _ = format(FileId(0), g);
    }
}
