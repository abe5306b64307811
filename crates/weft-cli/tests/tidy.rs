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

/// The paths `ARCHITECTURE.md` names: every backticked token that looks like a
/// path of the repository (it holds a `/`), with `{a,b}` expanded.
fn named_paths(doc: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, part) in doc.split('`').enumerate() {
        // Odd parts are inside backticks.
        if i % 2 == 0 || part.contains(' ') || !part.contains('/') {
            continue;
        }
        if ![
            "crates/",
            "web/",
            "tests/",
            "benches/",
            "docs/",
            "scripts/",
            "examples/",
        ]
        .iter()
        .any(|p| part.starts_with(p))
        {
            continue;
        }
        out.extend(expand(part));
    }
    out
}

/// `a/{b,c}.rs` → `a/b.rs`, `a/c.rs` (one brace group, which is all the map uses).
fn expand(token: &str) -> Vec<String> {
    match (token.find('{'), token.find('}')) {
        (Some(open), Some(close)) if open < close => token[open + 1..close]
            .split(',')
            .map(|alt| format!("{}{}{}", &token[..open], alt, &token[close + 1..]))
            .collect(),
        _ => vec![token.to_string()],
    }
}

/// Every file of the source folders the map must name: each crate's `src/` and the
/// browser client.
fn source_files(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for p in entries.flatten().map(|e| e.path()) {
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    if let Ok(crates) = std::fs::read_dir(root.join("crates")) {
        for c in crates.flatten() {
            walk(&c.path().join("src"), &mut files);
        }
    }
    walk(&root.join("web"), &mut files);
    let mut names: Vec<String> = files
        .iter()
        .filter_map(|f| f.strip_prefix(root).ok())
        .map(|f| f.to_string_lossy().replace('\\', "/"))
        .collect();
    names.sort();
    names
}

#[test]
fn the_architecture_map_names_every_source_file_and_nothing_that_is_gone() {
    let root = workspace();
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let named = named_paths(&doc);
    // A pattern (`tests/golden/*.png`) names its folder.
    let exists = |p: &str| match p.find('*') {
        Some(star) => root.join(&p[..p[..star].rfind('/').unwrap_or(0)]).is_dir(),
        None => root.join(p.trim_end_matches('/')).exists(),
    };
    let missing: Vec<&String> = named.iter().filter(|p| !exists(p)).collect();
    let unnamed: Vec<String> = source_files(&root)
        .into_iter()
        .filter(|f| !named.contains(f))
        .collect();
    assert!(
        missing.is_empty() && unnamed.is_empty(),
        "ARCHITECTURE.md names paths that do not exist:\n{}\nand does not name these source files:\n{}",
        missing.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"),
        unnamed.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"),
    );
}

#[test]
fn the_map_reader_expands_and_filters_tokens() {
    let doc = "see `crates/a/src/{b,c}.rs` and `web/x.js`, not `a b/c` or `sin`";
    assert_eq!(
        named_paths(doc),
        ["crates/a/src/b.rs", "crates/a/src/c.rs", "web/x.js"]
    );
}
