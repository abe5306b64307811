//! The hub keeps answering whatever a build or a client does: counters, commands
//! and new connections are served while a build is held in progress, and a client
//! that never reads what it asked for is disconnected with nothing of it left in
//! the hub.

mod common;

use common::{Served, PATIENCE};
use futures_util::SinkExt;
use serde_json::json;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use weft_server::executor::BlockHook;

/// Holds every build before its first block until opened (and opens when
/// dropped, so a failing test never leaves a build thread waiting).
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn hook(&self) -> BlockHook {
        let gate = self.clone();
        BlockHook(Arc::new(move |_| {
            let (open, turned) = &*gate.0;
            let mut open = open.lock().unwrap();
            while !*open {
                open = turned.wait(open).unwrap();
            }
        }))
    }

    fn open(&self) {
        *self.0 .0.lock().unwrap() = true;
        self.0 .1.notify_all();
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.open();
    }
}

const SKETCH: &str = "k<v> = 0.5\ngrad<v> = me@x * k@v\ndisplay(grad@v)\n";

// Several threads, so that a hub stuck on a lock shows as a timeout, not a hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_commands_and_connections_are_answered_while_a_build_runs() {
    let gate = Gate::default();
    let hook = gate.hook();
    let s = Served::with(&[("a.weft", SKETCH)], |c| c.before_block = Some(hook)).await;
    let mut c = s.client().await;
    c.watch("a.weft").await;
    // The run has started and cannot end before the gate opens: the build is in
    // progress for everything below.
    let start = c.until("run-start").await;
    let stats = tokio::time::timeout(PATIENCE, s.server.stats())
        .await
        .expect("the counters are answered during a build");
    assert_eq!(stats.clients, 1);
    let info = tokio::time::timeout(PATIENCE, s.server.command("info"))
        .await
        .expect("a command is answered during a build");
    assert!(!info.is_empty());
    tokio::time::timeout(PATIENCE, s.client())
        .await
        .expect("a new client is greeted during a build");
    gate.open();
    let end = c.until("run-end").await;
    assert_eq!(end["run"], start["run"]);
    assert_eq!(s.server.stats().await.executor.evaluated, 3);
}

/// Sixty statements, each a picture of noise (which does not compress).
fn sixty_pictures() -> String {
    let mut text = String::new();
    for i in 0..60 {
        text.push_str(&format!(
            "n{i}<v> = noise(me@x * 53 + {i}, me@y * 47 - {i})\n"
        ));
    }
    text.push_str("display(n0@v)\n");
    text
}

#[tokio::test]
async fn a_client_that_never_reads_is_disconnected_and_forgotten() {
    let s = Served::new(&[("big.weft", &sixty_pictures())]).await;
    let mut c = s.client().await;
    c.watch("big.weft").await;
    c.run().await;
    assert!(s.server.stats().await.held_blocks >= 60);
    // Ask for every result again and again without ever reading: far more bytes
    // than a client may have waiting, though fewer messages than ever allowed.
    let ask = json!({"type": "request-load", "path": "big.weft", "clientRun": 0}).to_string();
    for _ in 0..60 {
        if c.ws.send(Message::Text(ask.clone().into())).await.is_err() {
            break;
        }
    }
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let stats = s.server.stats().await;
        if stats.clients == 0 {
            assert_eq!(stats.held_blocks, 0, "{stats:?}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the client that never reads is still connected: {stats:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The server goes on serving.
    let mut d = s.client().await;
    d.watch("big.weft").await;
    assert_eq!(d.run().await.full().len(), 61);
}
