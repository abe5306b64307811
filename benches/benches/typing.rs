//! `cargo bench -p weft-bench --bench typing`: live as you type, measured in one
//! run. A real `weft dev` (in-process, on a port) serves a 20-statement program
//! to a watching WebSocket client (the page's side of the socket); `weft lsp
//! --dev` (the real message loop on an in-memory connection, its link to `weft
//! dev` a real WebSocket) gets 200 `didChange`s, each timed until the watching
//! client holds the new run's block results (p50, p95, max; goal under 50 ms,
//! the link's 8 ms debounce included). The baseline, measured in the same run,
//! is a save of the same edits to disk (the watcher's 30 ms debounce included),
//! so the ratio says what typing gains over saving.

use futures_util::{SinkExt, StreamExt};
use lsp_server::{Connection, Message as LspMessage, Notification, Request};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use weft_bench::live::{percentile, program, save};
use weft_server::{Server, ServerConfig};

const EDITS: usize = 200;
const DEBOUNCE_MS: u64 = 30;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Reads until the end of a complete run; returns whether it read unsaved text.
async fn run_end(ws: &mut Ws) -> bool {
    let mut unsaved = false;
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("a message in time")
            .expect("open")
            .expect("readable");
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(t.as_str()).expect("json");
            if v["type"] == "run-start" {
                unsaved = v["unsaved"] == true;
            }
            if v["type"] == "run-end" && v.get("cancelled").is_none() {
                return unsaved;
            }
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("sketch.weft");
    std::fs::write(&file, program(0)).expect("write");
    let mut config = ServerConfig::new(dir.path());
    config.port = 0;
    config.debounce = Duration::from_millis(DEBOUNCE_MS);
    let server = Server::start(config).await.expect("start");
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", server.addr()))
        .await
        .expect("connect");
    let watch = json!({"type": "watch-file", "path": "sketch.weft", "preview": {"width": 160, "height": 90}});
    ws.send(Message::Text(watch.to_string().into()))
        .await
        .expect("send");
    run_end(&mut ws).await;

    // The language server, linked to the dev server.
    let (lsp, editor) = Connection::memory();
    let options = weft_lsp::Options {
        dev: Some(server.addr().to_string()),
    };
    let thread = std::thread::spawn(move || weft_lsp::serve_with(lsp, options));
    let send = |m: LspMessage| editor.sender.send(m).expect("the language server runs");
    let note = |method: &str, params: Value| {
        LspMessage::Notification(Notification::new(method.into(), params))
    };
    send(LspMessage::Request(Request::new(
        1.into(),
        "initialize".into(),
        json!({"capabilities": {}}),
    )));
    send(note("initialized", json!({})));
    let uri = format!(
        "file://{}",
        file.canonicalize().expect("canonical").display()
    );
    send(note(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "weft", "version": 0, "text": program(0)}}),
    ));
    let mut typed = Vec::with_capacity(EDITS);
    for i in 1..=EDITS {
        let t = Instant::now();
        send(note(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": i}, "contentChanges": [{"text": program(i)}]}),
        ));
        assert!(run_end(&mut ws).await, "the run read the unsaved text");
        typed.push(t.elapsed().as_secs_f64() * 1e3);
        // Drain what the language server published meanwhile.
        while editor.receiver.try_recv().is_ok() {}
    }
    send(note(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    ));
    assert!(!run_end(&mut ws).await, "closed: back to the disk");
    send(LspMessage::Request(Request::new(
        2.into(),
        "shutdown".into(),
        Value::Null,
    )));
    send(note("exit", Value::Null));
    let _ = thread.join();

    // The baseline: the same edits saved to disk.
    let mut saved = Vec::with_capacity(EDITS);
    for i in 1..=EDITS {
        tokio::time::sleep(Duration::from_millis(DEBOUNCE_MS + 20)).await;
        let t = Instant::now();
        save(&file, &program(EDITS + i));
        run_end(&mut ws).await;
        saved.push(t.elapsed().as_secs_f64() * 1e3);
    }
    server.shutdown().await;

    typed.sort_by(f64::total_cmp);
    saved.sort_by(f64::total_cmp);
    println!("typing: didChange in weft lsp --dev → block results at a watching client, {EDITS} edits of a 20-statement program");
    for (name, p) in [("p50", 0.5), ("p95", 0.95), ("max", 1.0)] {
        let (a, b) = (percentile(&typed, p), percentile(&saved, p));
        println!(
            "  {name}  typed {a:8.2} ms   saved (baseline, {DEBOUNCE_MS} ms debounce) {b:8.2} ms   ratio {:5.2}",
            a / b
        );
    }
    let p50 = percentile(&typed, 0.5);
    println!(
        "  goal: under 50 ms, the 8 ms debounce included — {}",
        if p50 < 50.0 { "met" } else { "NOT met" }
    );
}
