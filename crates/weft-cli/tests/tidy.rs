//! The tidy test: every Rust file of the workspace (outside `target/` and hidden
//! folders) starts with a `//!` doc comment saying what the module is for, and no
//! test is switched off with an ignore attribute. It prints every offending file.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root")
}

/// Every `.rs` file under `dir`, skipping build output and hidden folders.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if p.is_dir() {
            rust_files(&p, out);
        } else if name.ends_with(".rs") {
            out.push(p);
        }
    }
}

/// What is wrong with one file's text, if anything.
fn problems(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    if !first.is_some_and(|l| l.starts_with("//!")) {
        out.push("does not start with a `//!` doc comment".to_string());
    }
    // Spelled in two parts so that this file does not match itself.
    let needle = ["#[", "ignore"].concat();
    for (n, line) in text.lines().enumerate() {
        if line.contains(&needle) {
            out.push(format!("line {}: an ignored test: {}", n + 1, line.trim()));
        }
    }
    out
}

#[test]
fn every_module_is_documented_and_no_test_is_ignored() {
    let root = workspace();
    let mut files = Vec::new();
    for dir in ["crates", "benches", "tests", "examples", "scripts", "xtask"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 20, "only {} Rust files found", files.len());
    let mut bad = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for p in problems(&text) {
            let rel = f.strip_prefix(&root).unwrap_or(f);
            bad.push(format!("{}: {p}", rel.display()));
        }
    }
    for b in &bad {
        eprintln!("{b}");
    }
    assert!(
        bad.is_empty(),
        "{} problem(s) in {} Rust files:\n{}",
        bad.len(),
        files.len(),
        bad.join("\n")
    );
}

#[test]
fn the_checks_catch_what_they_should() {
    assert!(problems("//! A module.\nfn f() {}\n").is_empty());
    assert!(problems("\n\n//! After blank lines.\n").is_empty());
    assert_eq!(problems("/// An item doc.\nfn f() {}\n").len(), 1);
    assert_eq!(problems("").len(), 1);
    let ignored = ["//! Doc.\n", "#[", "ignore]\n#[test]\nfn t() {}\n"].concat();
    assert_eq!(problems(&ignored).len(), 1);
    let with_reason = ["//! Doc.\n", "#[", "ignore = \"slow\"]\n"].concat();
    assert_eq!(problems(&with_reason).len(), 1);
}
