//! Half-typed text: every prefix of every conformance program (of a long one,
//! every line and an even spread of the rest), opened in the server as an
//! editor would send it, gets diagnostics and an answer (a result,
//! never an error or a panic) to every request at the cursor (the end of the
//! prefix).

use lsp_server::{Notification, Request, RequestId};
use serde_json::json;
use std::path::{Path, PathBuf};
use weft_lsp::server::Server;

fn programs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance");
    let mut out = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("the conformance folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "weft") {
                out.push(path);
            }
        }
    }
    out.sort();
    assert!(out.len() > 50, "the corpus is missing");
    out
}

/// The line and UTF-16 column of the end of `text`.
fn end_of(text: &str) -> (usize, usize) {
    let line = text.matches('\n').count();
    let last = text.rsplit('\n').next().unwrap_or("");
    (line, last.encode_utf16().count())
}

/// Prefixes per file beyond which a long file is sampled.
const PREFIXES: usize = 100;

const AT_CURSOR: &[&str] = &[
    "textDocument/hover",
    "textDocument/definition",
    "textDocument/completion",
    "textDocument/references",
];

#[test]
fn every_prefix_of_every_conformance_program_gets_answers() {
    let mut server = Server::new();
    let mut id = 0;
    for path in programs() {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let path = path.canonicalize().expect("a canonical path");
        let uri = format!("file://{}", path.display());
        let mut ends: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        ends.push(text.len());
        // Long files: every line end and an even spread of the other prefixes,
        // about `PREFIXES` in all, so the test stays quick.
        if ends.len() > PREFIXES {
            let step = ends.len() / PREFIXES + 1;
            ends = ends
                .into_iter()
                .enumerate()
                .filter(|&(k, i)| k % step == 0 || text[i..].starts_with('\n'))
                .map(|(_, i)| i)
                .collect();
        }
        for end in ends {
            let prefix = &text[..end];
            let out = server.notification(Notification::new(
                "textDocument/didOpen".into(),
                json!({"textDocument": {"uri": uri, "languageId": "weft", "version": 1, "text": prefix}}),
            ));
            assert!(
                !out.is_empty(),
                "{}: no diagnostics for {end} bytes",
                path.display()
            );
            let (line, col) = end_of(prefix);
            for method in AT_CURSOR {
                id += 1;
                let mut params = json!({
                    "textDocument": {"uri": uri},
                    "position": {"line": line, "character": col},
                });
                if *method == "textDocument/references" {
                    params["context"] = json!({"includeDeclaration": true});
                }
                let r = server.request(Request::new(
                    RequestId::from(id),
                    method.to_string(),
                    params,
                ));
                assert!(
                    r.error.is_none(),
                    "{}[..{end}] {method}: {:?}",
                    path.display(),
                    r.error
                );
            }
        }
        // Whole-document requests on the whole text.
        for method in [
            "textDocument/semanticTokens/full",
            "textDocument/documentSymbol",
            "textDocument/formatting",
        ] {
            id += 1;
            let params = json!({"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": true}});
            let r = server.request(Request::new(
                RequestId::from(id),
                method.to_string(),
                params,
            ));
            assert!(
                r.error.is_none(),
                "{} {method}: {:?}",
                path.display(),
                r.error
            );
        }
    }
}
