//! `weft lsp` driven as an editor drives it: the real binary, JSON-RPC over its
//! stdin and stdout. Diagnostics with their codes on a broken buffer (unsaved,
//! across `use`), go to definition into a `use`d file, hover, completion,
//! rename across files, formatting, garbage text, and shutdown/exit. Waits are
//! bounded (a silent server fails the test, it never hangs it).

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    errors: Option<std::thread::JoinHandle<String>>,
    next_id: i64,
}

impl Client {
    fn start(dir: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
            .arg("lsp")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start weft lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        // A panic caught inside the server still prints: the test looks for it.
        let mut stderr = child.stderr.take().expect("stderr");
        let errors = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = None;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; len.expect("a Content-Length header")];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                let v: Value = serde_json::from_slice(&body).expect("a JSON message");
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming,
            errors: Some(errors),
            next_id: 1,
        }
    }

    fn send(&mut self, v: &Value) {
        let body = v.to_string();
        let msg = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.stdin
            .write_all(msg.as_bytes())
            .expect("write to weft lsp");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its response (notifications meanwhile are
    /// dropped).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait(|m| m["id"] == json!(id))
    }

    fn wait(&mut self, mut pred: impl FnMut(&Value) -> bool) -> Value {
        loop {
            match self.incoming.recv_timeout(WAIT) {
                Ok(m) if pred(&m) => return m,
                Ok(_) => {}
                Err(e) => panic!("weft lsp did not answer in time: {e}"),
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let m = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        m["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

fn uri(p: &Path) -> String {
    format!("file://{}", p.display())
}

fn pos(uri: &str, line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
}

const LIB: &str =
    "// A library.\nspindle ring(r) {\n    return r * 2\n}\n// Half of x.\nshade<v> = me@x * 0.5\n";
const BROKEN: &str = "use \"lib.weft\"\nimg<v> = ring(0.3) + nothing@v\ndisplay(img@v)\n";
const MAIN: &str = "use \"lib.weft\"\nimg<v>=ring(0.3)+shade@v\nk<v> = 2 * 3\ndisplay(img@v)\n";

#[test]
fn an_editor_session_over_stdio() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path().canonicalize().expect("canonical folder");
    std::fs::write(dir.join("lib.weft"), LIB).expect("write lib");
    std::fs::write(dir.join("main.weft"), BROKEN).expect("write main");
    let main = uri(&dir.join("main.weft"));
    let lib = uri(&dir.join("lib.weft"));
    let mut c = Client::start(&dir);

    let init = c.request(
        "initialize",
        json!({"capabilities": {}, "rootUri": uri(&dir)}),
    );
    let caps = &init["result"]["capabilities"];
    assert_eq!(caps["hoverProvider"], json!(true), "{init}");
    assert!(
        caps["semanticTokensProvider"]["legend"].is_object(),
        "{init}"
    );
    c.notify("initialized", json!({}));

    // A broken buffer: the same code and place as `weft check`.
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": main, "languageId": "weft", "version": 1, "text": BROKEN}}),
    );
    let d = c.diagnostics(&main);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["code"], "E0301");
    assert_eq!(d[0]["range"]["start"], json!({"line": 1, "character": 21}));

    // Typing fixes it (unsaved): no diagnostics.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": main, "version": 2}, "contentChanges": [{"text": MAIN}]}),
    );
    assert_eq!(c.diagnostics(&main), Vec::<Value>::new());

    // Definition across `use`: `ring` is line 1 of lib.weft.
    let r = c.request("textDocument/definition", pos(&main, 1, 9));
    assert_eq!(r["result"]["uri"], lib, "{r}");
    assert_eq!(
        r["result"]["range"]["start"],
        json!({"line": 1, "character": 8})
    );
    // The `use` string goes to the file.
    let r = c.request("textDocument/definition", pos(&main, 0, 7));
    assert_eq!(r["result"]["uri"], lib, "{r}");

    // Hover: what `shade` is, what it varies over, its prose; a constant's value.
    let r = c.request("textDocument/hover", pos(&main, 1, 19));
    let text = r["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        text.contains("shade<v>") && text.contains("`me@x`") && text.contains("Half of x."),
        "{text}"
    );
    let r = c.request("textDocument/hover", pos(&main, 2, 0));
    let text = r["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(text.contains("`k@v` = 6"), "{text}");
    let r = c.request("textDocument/hover", pos(&main, 1, 10));
    let text = r["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(text.contains("spindle ring(r)"), "{text}");

    // Completion: outputs after `shade@`, coordinates after `me@`, builtins elsewhere.
    let labels = |r: &Value| -> Vec<String> {
        r["result"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["label"].as_str().map(str::to_string))
            .collect()
    };
    let r = c.request("textDocument/completion", pos(&main, 1, 23));
    assert_eq!(labels(&r), ["v"], "{r}");
    c.notify("textDocument/didChange", json!({"textDocument": {"uri": main, "version": 3}, "contentChanges": [{"text": format!("{MAIN}q<v> = me@")}]}));
    c.diagnostics(&main);
    let r = c.request("textDocument/completion", pos(&main, 4, 10));
    assert!(labels(&r).contains(&"time".to_string()), "{r}");
    let r = c.request("textDocument/completion", pos(&main, 2, 6));
    let l = labels(&r);
    assert!(
        l.contains(&"smoothstep".into())
            && l.contains(&"shade".into())
            && l.contains(&"ring".into()),
        "{l:?}"
    );
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": main, "version": 4}, "contentChanges": [{"text": MAIN}]}),
    );
    c.diagnostics(&main);

    // Rename `shade` (defined in lib.weft) from its use in main.weft.
    let r = c.request("textDocument/rename", json!({"textDocument": {"uri": main}, "position": {"line": 1, "character": 19}, "newName": "half"}));
    let changes = &r["result"]["changes"];
    assert_eq!(changes[&main].as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(changes[&lib].as_array().map(Vec::len), Some(1), "{r}");
    let r = c.request("textDocument/rename", json!({"textDocument": {"uri": main}, "position": {"line": 1, "character": 19}, "newName": "2bad"}));
    assert!(r["error"].is_object(), "{r}");

    // References of `ring`: its definition and its call.
    let r = c.request("textDocument/references", json!({"textDocument": {"uri": main}, "position": {"line": 1, "character": 9}, "context": {"includeDeclaration": true}}));
    assert_eq!(r["result"].as_array().map(Vec::len), Some(2), "{r}");

    // From the library itself (opened): references and rename reach main.weft,
    // which uses it.
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": lib, "languageId": "weft", "version": 1, "text": LIB}}),
    );
    c.diagnostics(&lib);
    let r = c.request("textDocument/references", json!({"textDocument": {"uri": lib}, "position": {"line": 5, "character": 1}, "context": {"includeDeclaration": true}}));
    let uris: Vec<&str> = r["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["uri"].as_str())
        .collect();
    assert_eq!(uris, [lib.as_str(), main.as_str()], "{r}");
    let r = c.request("textDocument/rename", json!({"textDocument": {"uri": lib}, "position": {"line": 5, "character": 1}, "newName": "half"}));
    assert_eq!(
        r["result"]["changes"][&main].as_array().map(Vec::len),
        Some(1),
        "{r}"
    );

    // Formatting: one edit with the canonical text.
    let r = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": main}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    assert_eq!(
        r["result"][0]["newText"],
        "use \"lib.weft\"\nimg<v> = ring(0.3) + shade@v\nk<v> = 2 * 3\ndisplay(img@v)\n",
        "{r}"
    );

    // Symbols and semantic tokens answer.
    let r = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": main}}),
    );
    assert_eq!(r["result"].as_array().map(Vec::len), Some(2), "{r}");
    let r = c.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": main}}),
    );
    assert!(
        r["result"]["data"]
            .as_array()
            .is_some_and(|d| !d.is_empty()),
        "{r}"
    );

    // Garbage text, positions past the end, unknown methods, bad parameters:
    // every request gets an answer.
    for (v, text) in [
        "spindle (((",
        "a<<<>>>=@@@",
        "\"",
        "}{",
        "segment s(",
        "é@é",
    ]
    .iter()
    .enumerate()
    {
        c.notify("textDocument/didChange", json!({"textDocument": {"uri": main, "version": 10 + v}, "contentChanges": [{"text": text}]}));
        for method in [
            "textDocument/hover",
            "textDocument/definition",
            "textDocument/completion",
        ] {
            let r = c.request(method, pos(&main, 0, 3));
            assert!(r.get("result").is_some() || r.get("error").is_some(), "{r}");
            let r = c.request(method, pos(&main, 99, 99));
            assert!(r.get("result").is_some() || r.get("error").is_some(), "{r}");
        }
    }
    let r = c.request("textDocument/unknown", json!({}));
    assert!(r["error"].is_object(), "{r}");
    let r = c.request("textDocument/hover", json!({"nonsense": true}));
    assert!(r["error"].is_object(), "{r}");

    let r = c.request("shutdown", Value::Null);
    assert!(r["result"].is_null() && r.get("error").is_none(), "{r}");
    c.notify("exit", Value::Null);
    let status = c.child.wait().expect("weft lsp exits");
    let stderr = c
        .errors
        .take()
        .map(|t| t.join().unwrap_or_default())
        .unwrap_or_default();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(status.success(), "{status}");
}
