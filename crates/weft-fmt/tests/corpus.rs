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

/// The blanks between tokens changed: single spaces widened to tabs and runs of
/// spaces, line breaks added inside brackets (where the parser ignores them).
fn respaced(text: &str, seed: u64) -> String {
    let mut rng = seed | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut out = String::new();
    let mut depth = 0i32;
    let mut pos = 0;
    for tok in weft_lang::syntax::tokens(text) {
        let (start, end) = (tok.start as usize, tok.end as usize);
        let gap = &text[pos..start];
        if !gap.is_empty() && gap.chars().all(|c| c == ' ') {
            out.push_str(match next() % 4 {
                0 if depth > 0 => "\n        ",
                1 => "\t",
                2 => "   ",
                _ => " ",
            });
        } else if gap.is_empty() && depth > 0 && next() % 8 == 0 {
            out.push_str("\n  ");
        } else {
            out.push_str(gap);
        }
        match tok.kind {
            weft_lang::syntax::Tok::LParen | weft_lang::syntax::Tok::LBracket => depth += 1,
            weft_lang::syntax::Tok::RParen | weft_lang::syntax::Tok::RBracket => depth -= 1,
            _ => {}
        }
        out.push_str(&text[start..end]);
        pos = end.max(pos);
    }
    out
}

#[test]
fn the_layout_depends_on_the_tokens_not_on_the_blanks_between_them() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for path in programs() {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let Ok(canonical) = format(FileId(0), &text) else {
            continue;
        };
        // Comments inside brackets keep the author's breaks, by design.
        let keeps_breaks = text
            .lines()
            .any(|l| l.contains("//") && l.trim_end().ends_with(','));
        if keeps_breaks {
            continue;
        }
        for seed in [7, 1234567] {
            let messy = respaced(&text, seed);
            match format(FileId(0), &messy) {
                Ok(out) if out == canonical => checked += 1,
                Ok(out) => failures.push(format!(
                    "{} (seed {seed}):\n{out}\n--- want\n{canonical}",
                    path.display()
                )),
                Err(FmtError::Parse(_)) => {} // a break landed where it means something
                Err(e) => failures.push(format!("{} (seed {seed}): {e}", path.display())),
            }
        }
    }
    assert!(checked > 100, "only {checked} respaced programs checked");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
