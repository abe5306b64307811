//! The server's answers as data: every `tests/cases/NAME.weft` is one request on
//! one file, answered by `NAME.expected`. The first line names the request
//! (`// hover`, `// completion`, `// definition`, `// references`,
//! `// rename NEW`, `// symbols`, `// tokens`, `// formatting`) and a blank
//! line follows it (so it is no statement's prose); `$0` marks the cursor and is
//! removed before the file is opened. The answer is written as
//! text: hover's Markdown, completion labels with their details, `line:col`
//! ranges, the renamed text, symbols as an outline, semantic tokens as
//! `line:col text type`. `UPDATE_EXPECT=1` rewrites the expected files.

use lsp_server::{Notification, Request, RequestId};
use serde_json::{json, Value};
use std::fmt::Write;
use std::path::Path;
use weft_lsp::server::Server;

fn answer(
    server: &mut Server,
    uri: &str,
    text: &str,
    first: &str,
    line: usize,
    col: usize,
) -> String {
    let mut words = first.trim_start_matches("//").split_whitespace();
    let what = words.next().unwrap_or_default();
    let at = json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": col}});
    let (method, params) = match what {
        "hover" => ("textDocument/hover", at),
        "completion" => ("textDocument/completion", at),
        "definition" => ("textDocument/definition", at),
        "references" => {
            let mut p = at;
            p["context"] = json!({"includeDeclaration": true});
            ("textDocument/references", p)
        }
        "rename" => {
            let mut p = at;
            p["newName"] = json!(words.next().unwrap_or_default());
            ("textDocument/rename", p)
        }
        "symbols" => (
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri}}),
        ),
        "tokens" => (
            "textDocument/semanticTokens/full",
            json!({"textDocument": {"uri": uri}}),
        ),
        "formatting" => (
            "textDocument/formatting",
            json!({"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": true}}),
        ),
        other => panic!("unknown request `{other}`"),
    };
    let r = server.request(Request::new(RequestId::from(1), method.into(), params));
    if let Some(e) = r.error {
        return format!("error: {}\n", e.message);
    }
    let v = r.result.unwrap_or(Value::Null);
    if v.is_null() {
        return "null\n".into();
    }
    let range = |r: &Value| {
        format!(
            "{}:{}-{}:{}",
            r["start"]["line"], r["start"]["character"], r["end"]["line"], r["end"]["character"]
        )
    };
    let mut out = String::new();
    match what {
        "hover" => out = format!("{}\n", v["contents"]["value"].as_str().unwrap_or_default()),
        "completion" => {
            for i in v.as_array().into_iter().flatten() {
                let _ = writeln!(
                    out,
                    "{} — {}",
                    i["label"].as_str().unwrap_or(""),
                    i["detail"].as_str().unwrap_or("")
                );
            }
        }
        "definition" => out = format!("{}\n", range(&v["range"])),
        "references" => {
            for l in v.as_array().into_iter().flatten() {
                let _ = writeln!(out, "{}", range(&l["range"]));
            }
        }
        "rename" => {
            let mut edits: Vec<(usize, usize, String)> = Vec::new();
            let lines: Vec<&str> = text.split('\n').collect();
            let offset = |p: &Value| -> usize {
                let l = p["line"].as_u64().unwrap_or(0) as usize;
                let c = p["character"].as_u64().unwrap_or(0) as usize;
                lines[..l].iter().map(|s| s.len() + 1).sum::<usize>() + c
            };
            for e in v["changes"][uri].as_array().into_iter().flatten() {
                edits.push((
                    offset(&e["range"]["start"]),
                    offset(&e["range"]["end"]),
                    e["newText"].as_str().unwrap_or("").into(),
                ));
            }
            edits.sort();
            let mut s = text.to_string();
            for (a, b, t) in edits.into_iter().rev() {
                s.replace_range(a..b, &t);
            }
            out = s;
        }
        "symbols" => {
            fn outline(out: &mut String, v: &Value, depth: usize) {
                for s in v.as_array().into_iter().flatten() {
                    let _ = writeln!(
                        out,
                        "{}{} {} {}",
                        "  ".repeat(depth),
                        s["name"].as_str().unwrap_or(""),
                        s["kind"],
                        s["detail"].as_str().unwrap_or("")
                    );
                    outline(out, &s["children"], depth + 1);
                }
            }
            outline(&mut out, &v, 0);
        }
        "tokens" => {
            let legend = weft_lsp::semantic::legend();
            let lines: Vec<Vec<u16>> = text
                .split('\n')
                .map(|l| l.encode_utf16().collect())
                .collect();
            let data: Vec<u64> = v["data"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_u64)
                .collect();
            let (mut line, mut col) = (0usize, 0usize);
            for t in data.chunks(5) {
                if t[0] > 0 {
                    line += t[0] as usize;
                    col = t[1] as usize;
                } else {
                    col += t[1] as usize;
                }
                let word = lines
                    .get(line)
                    .and_then(|l| l.get(col..col + t[2] as usize))
                    .map(String::from_utf16_lossy)
                    .unwrap_or_default();
                let ty = legend
                    .token_types
                    .get(t[3] as usize)
                    .map(|t| t.as_str())
                    .unwrap_or("?");
                let _ = writeln!(
                    out,
                    "{line}:{col} {word} {ty}{}",
                    if t[4] > 0 {
                        format!(" +{}", t[4])
                    } else {
                        String::new()
                    }
                );
            }
        }
        "formatting" => out = v[0]["newText"].as_str().unwrap_or_default().to_string(),
        _ => {}
    }
    out
}

#[test]
fn every_case_gets_its_expected_answer() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let update = std::env::var("UPDATE_EXPECT").as_deref() == Ok("1");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("the cases folder")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "weft"))
        .collect();
    entries.sort();
    assert!(entries.len() >= 8, "cases are missing");
    let mut failures = Vec::new();
    for path in entries {
        let raw = std::fs::read_to_string(&path).expect("read a case");
        let first = raw.lines().next().unwrap_or_default().to_string();
        let at = raw.find("$0");
        let text = raw.replace("$0", "");
        let before = &raw[..at.unwrap_or(0)];
        let line = before.matches('\n').count();
        let col = before
            .rsplit('\n')
            .next()
            .unwrap_or("")
            .encode_utf16()
            .count();
        let mut server = Server::new();
        let uri = format!("file://{}", path.display());
        server.notification(Notification::new(
            "textDocument/didOpen".into(),
            json!({"textDocument": {"uri": uri, "languageId": "weft", "version": 1, "text": text}}),
        ));
        let got = answer(&mut server, &uri, &text, &first, line, col);
        let expected_path = path.with_extension("expected");
        if update {
            std::fs::write(&expected_path, &got).expect("write the expectation");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            failures.push(format!(
                "{}:\n--- got\n{got}--- expected\n{expected}",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
