//! Parser tests: fixture snapshots (every `tests/syntax/NAME.weft` is parsed and
//! `dump(tree)` plus the rendered diagnostics is compared with `NAME.txt`; run with
//! `UPDATE_EXPECT=1` to rewrite the `.txt` files), spans and prose, deep nesting on
//! a small stack, and property tests that parsing never panics.

use proptest::prelude::*;
use std::path::{Path, PathBuf};
use weft_diagnostics::{render_all, Code, Diagnostic, FileId, SourceMap};
use weft_lang::ast::{ExprKind, ItemKind, SpindleStmt};
use weft_lang::syntax::{dump, parse, MAX_DEPTH};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/syntax")
}

/// `dump(tree)`, then the diagnostics as the CLI renders them.
fn snapshot(name: &str, text: &str) -> String {
    let mut sources = SourceMap::new();
    let file = sources.add(name, text);
    let (tree, diagnostics) = parse(file, text);
    let mut out = dump(&tree);
    if !diagnostics.is_empty() {
        out.push_str("-- diagnostics --\n");
        out.push_str(&render_all(&diagnostics, &sources));
    }
    out
}

#[test]
fn fixtures() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
        .expect("tests/syntax exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "weft"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 10, "fixtures are missing");
    let mut failures = Vec::new();
    for path in &paths {
        let text = std::fs::read_to_string(path).expect("fixture is UTF-8");
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let actual = snapshot(&name, &text);
        let expect_path = path.with_extension("txt");
        if update {
            std::fs::write(&expect_path, &actual).expect("write expectation");
            continue;
        }
        let expected = std::fs::read_to_string(&expect_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "=== {name}: expected ===\n{expected}\n=== {name}: actual ===\n{actual}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) differ (UPDATE_EXPECT=1 rewrites them):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn diags(text: &str) -> Vec<Diagnostic> {
    parse(FileId(0), text).1
}

fn codes(text: &str) -> Vec<Code> {
    diags(text).iter().map(|d| d.code).collect()
}

#[test]
fn item_span_excludes_prose_and_prose_is_stripped() {
    let text = "// Title\n//  indented\n///triple\nimg<r> = 1\n";
    let (tree, d) = parse(FileId(0), text);
    assert!(d.is_empty(), "{d:?}");
    let item = &tree.items[0];
    assert_eq!(item.prose.as_deref(), Some("Title\n indented\n/triple"));
    assert_eq!(
        &text[item.span.start as usize..item.span.end as usize],
        "img<r> = 1"
    );
}

#[test]
fn prose_needs_no_blank_line_and_a_line_of_its_own() {
    let text = "// far\n\na<v> = 1 // trailing\nb<v> = 2; c<v> = 3\n";
    let (tree, _) = parse(FileId(0), text);
    assert!(tree.items.iter().all(|i| i.prose.is_none()));
}

#[test]
fn crlf_line_endings() {
    let text = "// note\r\na<v> = 1\r\nb<v> = (1,\r\n 2)\r\n";
    let (tree, d) = parse(FileId(0), text);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(tree.items.len(), 2);
    assert_eq!(tree.items[0].prose.as_deref(), Some("note"));
}

#[test]
fn a_leading_byte_order_mark_is_skipped() {
    let text = "\u{feff}// note\na<v> = 1\n";
    let (tree, d) = parse(FileId(0), text);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(tree.items[0].prose.as_deref(), Some("note"));
}

#[test]
fn spans_of_names_and_positional_remap_dims() {
    let text = "x<v> = img@r(me@y, 0.5)";
    let (tree, d) = parse(FileId(0), text);
    assert!(d.is_empty(), "{d:?}");
    let ItemKind::Strand(def) = &tree.items[0].kind else {
        panic!("not a strand: {tree:?}");
    };
    assert_eq!(
        &text[def.name.span.start as usize..def.name.span.end as usize],
        "x"
    );
    let ExprKind::Remap { args, target } = &def.value.kind else {
        panic!("not a remap: {def:?}");
    };
    assert_eq!(
        &text[target.span.start as usize..target.span.end as usize],
        "img@r"
    );
    let dims: Vec<_> = args
        .iter()
        .map(|a| {
            (
                a.dim.name.as_str(),
                &text[a.dim.span.start as usize..a.dim.span.end as usize],
            )
        })
        .collect();
    assert_eq!(dims, [("x", "me@y"), ("y", "0.5")]);
    assert_eq!(
        &text[def.value.span.start as usize..def.value.span.end as usize],
        "img@r(me@y, 0.5)"
    );
}

#[test]
fn assignment_spans_cover_the_statement() {
    let text = "spindle f(a) :: <s> { out s = a + 1 }";
    let (tree, d) = parse(FileId(0), text);
    assert!(d.is_empty(), "{d:?}");
    let ItemKind::Spindle(s) = &tree.items[0].kind else {
        panic!("not a spindle");
    };
    let SpindleStmt::Assign(a) = &s.body[0] else {
        panic!("not an assignment");
    };
    assert_eq!(
        &text[a.span.start as usize..a.span.end as usize],
        "out s = a + 1"
    );
    assert_eq!(
        &text[tree.items[0].span.start as usize..tree.items[0].span.end as usize],
        text
    );
}

#[test]
fn diagnostics_are_sorted_and_inside_the_text() {
    let text = "a<v> = é\nb<v = 1\nc<v> = (1,\n";
    let d = diags(text);
    let starts: Vec<u32> = d.iter().filter_map(|d| d.span.map(|s| s.start)).collect();
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted);
    assert_eq!(
        codes(text),
        [
            Code::UnexpectedChar,
            Code::UnexpectedToken,
            Code::UnclosedDelimiter
        ]
    );
}

// ---- depth ----

/// Runs `f` on a thread with a 256 KiB stack: a parser whose recursion were not
/// bounded would overflow it long before 100,000 levels.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the parser overflowed or panicked");
}

fn count(d: &[Diagnostic], code: Code) -> usize {
    d.iter().filter(|d| d.code == code).count()
}

/// Parses `text` on a small stack and checks that exactly one `TooDeep` is
/// reported, with few diagnostics overall.
fn assert_too_deep(text: String) {
    on_small_stack(move || {
        let (tree, d) = parse(FileId(0), &text);
        let _ = dump(&tree);
        assert_eq!(count(&d, Code::TooDeep), 1, "{d:?}");
        assert!(d.len() <= 3, "{d:?}");
    });
}

const N: usize = 100_000;

#[test]
fn deep_parentheses() {
    assert_too_deep(format!("a<v> = {}1{}", "(".repeat(N), ")".repeat(N)));
    assert_too_deep(format!("a<v> = {}", "(".repeat(N)));
}

#[test]
fn deep_unary_chains() {
    assert_too_deep(format!("a<v> = {}x", "-".repeat(N)));
    assert_too_deep(format!("a<v> = {}x", "!".repeat(N)));
    assert_too_deep(format!("a<v> = {}x", "not ".repeat(N)));
    assert_too_deep(format!("a<v> = {}x", "- ! not ".repeat(N / 3)));
}

#[test]
fn deep_power_and_parenthesized_chains() {
    // `^` associates to the right: each one nests.
    assert_too_deep(format!("a<v> = {}2", "2^".repeat(N)));
    assert_too_deep(format!("a<v> = {}2", "2^-".repeat(N)));
    // Parentheses close a run, so `((1 + 1) + 1) + …` nests.
    assert_too_deep(format!("a<v> = {}1{}", "(".repeat(N), " + 1)".repeat(N)));
    assert_too_deep(format!("a<v> = {}1", "1 + (".repeat(N)));
}

#[test]
fn flat_operator_chains_are_not_nesting() {
    // 257 terms was "nested too deeply" once; a run of one level is one level.
    for n in [257, N] {
        for (op, name) in [("+", "+"), ("||", "||"), ("and", "&&"), ("<", "<")] {
            let text = format!("a<v> = {}1", format!("1 {op} ").repeat(n));
            on_small_stack(move || {
                let (tree, d) = parse(FileId(0), &text);
                assert!(d.is_empty(), "{n} terms of {op}: {:?}", d.first());
                // Nested as it associates: n `(+ ` before the first operand.
                let dumped = dump(&tree);
                let head = format!("({name} ").repeat(n);
                assert!(dumped.starts_with(&format!("(strand a (v) {head}1 1)")));
            });
        }
    }
    // Runs of different levels interleave without nesting deeper.
    let text = format!("a<v> = {}1", "1 * 2 + ".repeat(N));
    on_small_stack(move || {
        let (_, d) = parse(FileId(0), &text);
        assert!(d.is_empty(), "{:?}", d.first());
    });
}

#[test]
fn deep_brackets_braces_and_bundles() {
    assert_too_deep(format!("a<v> = {}b", "b[me@x ~ ".repeat(N)));
    assert_too_deep(format!("a<v> = b{}", "[me@x ~ 1]".repeat(N)));
    assert_too_deep(format!("a<v> = {}1", "<".repeat(N)));
    assert_too_deep(format!("a<v> = {}1", "< ".repeat(N)));
    assert_too_deep(format!("a<v> = {}1", "f(".repeat(N)));
    assert_too_deep(format!("a<v> = {}1", "if 1 then ".repeat(N)));
    assert_too_deep(format!("a<v> = {}1", "b@c(".repeat(N)));
    // Raw openers are not expressions: no `TooDeep`, but no overflow and few errors.
    for opener in ["[", "{", "(", "<"] {
        for prefix in ["", "spindle f() ", "segment s(1) ", "a<v> = 1 + "] {
            let text = format!("{prefix}{}", opener.repeat(N));
            on_small_stack(move || {
                let (tree, d) = parse(FileId(0), &text);
                let _ = dump(&tree);
                assert!(!d.is_empty() && d.len() <= 3, "{d:?}");
            });
        }
    }
}

#[test]
fn nesting_below_the_limit_is_fine() {
    let depth = (MAX_DEPTH - 10) as usize;
    for text in [
        format!("a<v> = {}1{}", "(".repeat(depth), ")".repeat(depth)),
        format!("a<v> = {}x", "-".repeat(depth)),
        format!("a<v> = {}1", "1 + ".repeat(depth)),
        format!("a<v> = {}2", "2^".repeat(depth)),
    ] {
        on_small_stack(move || {
            let (_, d) = parse(FileId(0), &text);
            assert!(d.is_empty(), "{d:?}");
        });
    }
}

// ---- never panics ----

const TOKENS: &[&str] = &[
    "a",
    "me",
    "img",
    "x",
    "spindle",
    "return",
    "segment",
    "use",
    "if",
    "then",
    "else",
    "not",
    "and",
    "or",
    "let",
    "out",
    "for",
    "in",
    "to",
    "display",
    "render",
    "play",
    "osc",
    "load",
    "compute",
    "data",
    "midi",
    "render_3d",
    "1",
    "0.5",
    ".5",
    "1e-3",
    "1e",
    "\"s\"",
    "\"a\\q",
    "||",
    "&&",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "<<",
    ">>",
    "<<=",
    ">>=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "!",
    "^",
    "~",
    "@",
    ".",
    ",",
    ";",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "=",
    "::",
    "+=",
    "-=",
    "*=",
    "/=",
    "//c\n",
    "/*",
    "*/",
    "é",
    "#",
    ":",
    "\n",
    "\r\n",
];

fn check_never_panics(text: &str) {
    let mut sources = SourceMap::new();
    let file = sources.add("p.weft", text);
    let (tree, d) = parse(file, text);
    let _ = dump(&tree);
    let _ = render_all(&d, &sources);
    for diag in &d {
        let span = diag.span.expect("parser diagnostics have spans");
        assert!(span.start <= span.end && span.end as usize <= text.len());
        assert!(text.is_char_boundary(span.start as usize));
        assert!(text.is_char_boundary(span.end as usize));
    }
    assert_eq!(parse(file, text), (tree, d), "parsing is deterministic");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check_never_panics(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn never_panics_on_token_soup(
        toks in prop::collection::vec(
            (prop::sample::select(TOKENS), prop::sample::select(&[" ", "", "\n"][..])),
            0..80,
        )
    ) {
        let text: String = toks.iter().flat_map(|(t, s)| [*t, *s]).collect();
        check_never_panics(&text);
    }
}
