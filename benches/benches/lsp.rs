//! `cargo bench -p weft-bench --bench lsp`: the language server's keystroke
//! latency, measured in one run. A 500-line file is opened in `weft lsp` (the
//! real message loop on an in-memory connection, as `weft lsp` runs it on stdio
//! minus the pipe), then edited 200 times: each `didChange` is timed until its
//! `publishDiagnostics` arrives (p50, p95, max; goal under 10 ms after the first
//! analysis). The baseline, measured in the same run, is what `weft check` does
//! for the same text in-process (build and graph), so the ratio is the server's
//! own overhead: indexing, diagnostics conversion, the message loop.

use lsp_server::{Connection, Message, Notification};
use serde_json::json;
use std::time::{Duration, Instant};

const EDITS: usize = 200;
const LINES: usize = 500;

/// A 500-line program: a spindle, a chain of strands with prose, pictures and a
/// tone; edit `i` changes one constant in the middle.
fn program(i: usize) -> String {
    let mut s = String::from(
        "spindle ring(cx, cy, r) {\n    d<v> = sqrt((me@x - cx)^2 + (me@y - cy)^2)\n    return smoothstep(r + 0.01, r, d@v)\n}\n",
    );
    s.push_str("s0<v> = me@x\n");
    let mut n = 5;
    let mut k = 1;
    while n < LINES - 3 {
        let c = if k == 120 {
            i as f64 * 0.001
        } else {
            k as f64 * 0.01
        };
        s.push_str(&format!("// step {k}\n"));
        s.push_str(&format!(
            "s{k}<v> = mix(s{}@v, ring(0.5, 0.5, {c}), 0.5) + 0.1 * sin(me@time * {k})\n",
            k - 1
        ));
        n += 2;
        k += 1;
    }
    s.push_str(&format!(
        "tone<s> = 0.2 * sin(me@time * tau * 220 * (1 + s{}@v))\n",
        k - 1
    ));
    s.push_str(&format!(
        "display(s{}@v, me@x, me@y)\nplay(tone@s)\n",
        k - 1
    ));
    s
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let dir = std::env::temp_dir().join(format!("weft-bench-lsp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let path = dir.join("piece.weft");
    std::fs::write(&path, program(0)).expect("write the program");
    let uri = format!("file://{}", path.display());
    assert_eq!(program(0).lines().count(), LINES, "the program's length");

    let (server, client) = Connection::memory();
    let thread = std::thread::spawn(move || weft_lsp::serve(server));
    let request = |id: i32, method: &str, params: serde_json::Value| {
        Message::Request(lsp_server::Request::new(id.into(), method.into(), params))
    };
    let notify = |method: &str, params: serde_json::Value| {
        Message::Notification(Notification::new(method.into(), params))
    };
    let send = |m: Message| client.sender.send(m).expect("the server runs");
    let published = || loop {
        match client.receiver.recv_timeout(Duration::from_secs(30)) {
            Ok(Message::Notification(n)) if n.method == "textDocument/publishDiagnostics" => {
                return n.params["diagnostics"].as_array().map_or(0, Vec::len)
            }
            Ok(_) => {}
            Err(e) => panic!("no diagnostics: {e}"),
        }
    };
    send(request(1, "initialize", json!({"capabilities": {}})));
    let _ = client
        .receiver
        .recv_timeout(Duration::from_secs(30))
        .expect("initialized");
    send(notify("initialized", json!({})));
    let t = Instant::now();
    send(notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "weft", "version": 0, "text": program(0)}}),
    ));
    assert_eq!(published(), 0, "the program is clean");
    let first = t.elapsed();

    let mut times = Vec::with_capacity(EDITS);
    for i in 1..=EDITS {
        let text = program(i);
        let t = Instant::now();
        send(notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": i}, "contentChanges": [{"text": text}]}),
        ));
        assert_eq!(published(), 0);
        times.push(t.elapsed());
    }
    send(request(2, "shutdown", serde_json::Value::Null));
    let _ = client.receiver.recv_timeout(Duration::from_secs(30));
    send(notify("exit", serde_json::Value::Null));
    let _ = thread.join();

    // The baseline: `weft check`'s work on the same texts, in-process.
    let mut base = Vec::with_capacity(EDITS);
    for i in 1..=EDITS {
        let text = program(i);
        let t = Instant::now();
        let built = weft_lang::build_source(&path, &text);
        let program = built.program.expect("the program builds");
        let graph = weft_graph::build(&program, weft_graph::Scope::Main).expect("acyclic");
        std::hint::black_box(graph);
        base.push(t.elapsed());
    }
    let _ = std::fs::remove_dir_all(&dir);

    times.sort();
    base.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("lsp: didChange → publishDiagnostics on a {LINES}-line file, {EDITS} edits");
    println!("  first analysis (didOpen)  {:8.3} ms", ms(first));
    for (name, p) in [("p50", 0.5), ("p95", 0.95), ("max", 1.0)] {
        let (a, b) = (percentile(&times, p), percentile(&base, p));
        println!(
            "  {name}  server {:8.3} ms   weft check's build {:8.3} ms   ratio {:5.2}",
            ms(a),
            ms(b),
            a.as_secs_f64() / b.as_secs_f64()
        );
    }
    let p50 = ms(percentile(&times, 0.5));
    println!(
        "  goal: under 10 ms after the first analysis — {}",
        if p50 < 10.0 { "met" } else { "NOT met" }
    );
}
