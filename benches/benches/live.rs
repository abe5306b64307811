//! `cargo bench -p weft-bench --bench live`: the dev server, measured in one run.
//! Prints (a) save-to-update latency — a file is saved (written to a temporary
//! file and renamed over), and the time until a connected WebSocket client holds
//! the new run's block results — p50 and p95 over 200 edits of a 20-statement
//! program at preview size, beside the debounce and beside the executor's own time
//! for the same edit measured in-process (the baseline); and (b) the cost of 100
//! clients watching one file against one client: one evaluation, 100 sends.

use futures_util::StreamExt;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use weft_bench::live::{percentile, program, save};
use weft_server::executor::Executor;
use weft_server::{Server, ServerConfig};

const EDITS: usize = 200;
const DEBOUNCE_MS: u64 = 30;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(addr: std::net::SocketAddr, file: &str) -> Ws {
    use futures_util::SinkExt;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .expect("connect");
    let watch =
        json!({"type": "watch-file", "path": file, "preview": {"width": 160, "height": 90}});
    ws.send(Message::Text(watch.to_string().into()))
        .await
        .expect("send");
    ws
}

/// Reads until the end of a complete run (skipping frames and other messages).
async fn run_end(ws: &mut Ws) -> u64 {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("a message in time")
            .expect("open")
            .expect("readable");
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(t.as_str()).expect("json");
            if v["type"] == "run-end" && v.get("cancelled").is_none() {
                return v["run"].as_u64().unwrap_or(0);
            }
        }
    }
}

fn executor_baseline(dir: &Path) -> Vec<f64> {
    let path = dir.join("direct.weft");
    std::fs::write(&path, program(0)).expect("write");
    let mut ex = Executor::new(usize::MAX);
    let cancel = AtomicBool::new(false);
    ex.run("direct.weft", &path, &cancel, false, &mut |_| {});
    let mut times = Vec::new();
    for i in 1..=EDITS {
        std::fs::write(&path, program(i)).expect("write");
        let t = Instant::now();
        ex.run("direct.weft", &path, &cancel, false, &mut |_| {});
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    times
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
    let mut ws = connect(server.addr(), "sketch.weft").await;
    run_end(&mut ws).await;

    let mut times = Vec::new();
    for i in 1..=EDITS {
        // Let the watcher settle so each save is its own batch.
        tokio::time::sleep(Duration::from_millis(DEBOUNCE_MS + 20)).await;
        let t = Instant::now();
        save(&file, &program(i));
        run_end(&mut ws).await;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let direct = executor_baseline(dir.path());
    let (p50, p95) = (percentile(&times, 0.5), percentile(&times, 0.95));
    let (d50, d95) = (percentile(&direct, 0.5), percentile(&direct, 0.95));
    println!("save-to-update over {EDITS} edits of a 20-statement program (thumbnails 96 px, preview 160x90):");
    println!("  debounce            {DEBOUNCE_MS:>8} ms");
    println!("  save to results     p50 {p50:>8.2} ms   p95 {p95:>8.2} ms");
    println!(
        "  beyond the debounce p50 {:>8.2} ms   p95 {:>8.2} ms   (goal: under 20 ms)",
        p50 - DEBOUNCE_MS as f64,
        p95 - DEBOUNCE_MS as f64
    );
    println!("  executor alone      p50 {d50:>8.2} ms   p95 {d95:>8.2} ms   (baseline, same edits in-process)");
    println!(
        "  ratio (beyond debounce / executor) p50 {:.2}",
        (p50 - DEBOUNCE_MS as f64) / d50.max(1e-9)
    );

    // One file, 1 client against 100 clients: one evaluation, N sends.
    let mut fan = Vec::new();
    for clients in [1usize, 100] {
        let name = format!("fan{clients}.weft");
        let path = dir.path().join(&name);
        std::fs::write(&path, program(0)).expect("write");
        let mut conns = Vec::new();
        for _ in 0..clients {
            conns.push(connect(server.addr(), &name).await);
        }
        for c in conns.iter_mut() {
            run_end(c).await;
        }
        let before = server.stats().await.executor.evaluated;
        let mut total = Duration::ZERO;
        const ROUNDS: usize = 10;
        for i in 1..=ROUNDS {
            tokio::time::sleep(Duration::from_millis(DEBOUNCE_MS + 20)).await;
            let t = Instant::now();
            save(&path, &program(clients * 1000 + i));
            for c in conns.iter_mut() {
                run_end(c).await;
            }
            total += t.elapsed();
        }
        let evaluated = server.stats().await.executor.evaluated - before;
        fan.push((
            clients,
            total.as_secs_f64() * 1e3 / ROUNDS as f64,
            evaluated / ROUNDS as u64,
        ));
    }
    println!(
        "clients watching one file (save to every client holding the results, mean of 10 edits):"
    );
    for (clients, ms, evaluated) in &fan {
        println!(
            "  {clients:>3} clients  {ms:>8.2} ms per edit   {evaluated} blocks evaluated per edit"
        );
    }
    println!("  ratio 100 / 1 clients: {:.2}", fan[1].1 / fan[0].1);
    server.shutdown().await;
}
