//! What the protocol tests share: a served temporary folder and a real WebSocket
//! client that reads the server's messages in order.

#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use weft_server::{Server, ServerConfig};

/// How long any one expected message may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A server on a temporary folder.
pub struct Served {
    pub dir: tempfile::TempDir,
    pub server: Server,
}

impl Served {
    /// Serves a folder holding `files` (path, text).
    pub async fn new(files: &[(&str, &str)]) -> Served {
        Self::with(files, |_| {}).await
    }

    /// Same, with the configuration adjusted.
    pub async fn with(files: &[(&str, &str)], adjust: impl FnOnce(&mut ServerConfig)) -> Served {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            write(&dir.path().join(path), text);
        }
        let mut config = ServerConfig::new(dir.path());
        config.port = 0;
        adjust(&mut config);
        let server = Server::start(config).await.unwrap();
        Served { dir, server }
    }

    /// A file of the folder.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Saves `text` into `rel` the way most editors do (write, then rename over).
    /// The temporary file is hidden, so a stall between the write and the rename
    /// cannot make it a change of its own.
    pub fn save(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let tmp = p.with_file_name(format!(".{name}.tmp-save"));
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, &p).unwrap();
    }

    /// A connected client that has read its `hello`.
    pub async fn client(&self) -> Client {
        let url = format!("ws://{}/ws", self.server.addr());
        let (ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        let mut c = Client {
            ws,
            binary: Vec::new(),
        };
        let hello = c.next().await;
        assert_eq!(hello["type"], "hello", "{hello}");
        c
    }
}

/// Writes a file, creating folders.
pub fn write(path: &Path, text: &str) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

/// A real WebSocket client.
pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Binary frames received so far (kept while waiting for text).
    pub binary: Vec<Vec<u8>>,
}

/// One run as a client saw it.
#[derive(Debug)]
pub struct Run {
    pub start: Value,
    pub results: Vec<Value>,
    pub end: Value,
}

impl Run {
    /// The run number.
    pub fn number(&self) -> u64 {
        self.start["run"].as_u64().unwrap()
    }
    /// The result of the block whose statement defines `name`.
    pub fn result(&self, name: &str) -> &Value {
        let id = self.id(name);
        self.results
            .iter()
            .find(|r| r["block"] == id)
            .unwrap_or_else(|| panic!("no result for {name}"))
    }
    /// The block id of `name`.
    pub fn id(&self, name: &str) -> String {
        self.start["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["name"] == name)
            .unwrap_or_else(|| panic!("no block {name} in {}", self.start))["id"]
            .as_str()
            .unwrap()
            .to_string()
    }
    /// Names of the blocks that came back in full.
    pub fn full(&self) -> Vec<String> {
        self.named(|r| r.get("unchanged").is_none())
    }
    /// Names of the blocks that came back `unchanged`.
    pub fn unchanged(&self) -> Vec<String> {
        self.named(|r| r.get("unchanged").is_some())
    }
    fn named(&self, keep: impl Fn(&Value) -> bool) -> Vec<String> {
        let blocks = self.start["blocks"].as_array().unwrap();
        self.results
            .iter()
            .filter(|r| keep(r))
            .map(|r| {
                blocks
                    .iter()
                    .find(|b| b["id"] == r["block"])
                    .map(|b| b["name"].as_str().unwrap().to_string())
                    .unwrap()
            })
            .collect()
    }
    /// Names of the dirty blocks.
    pub fn dirty(&self) -> Vec<String> {
        let blocks = self.start["blocks"].as_array().unwrap();
        self.start["dirty"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                blocks.iter().find(|b| b["id"] == *d).unwrap()["name"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }
}

impl Client {
    /// Sends a JSON message.
    pub async fn send(&mut self, v: Value) {
        self.ws
            .send(Message::Text(v.to_string().into()))
            .await
            .unwrap();
    }

    /// Sends raw text.
    pub async fn send_text(&mut self, text: String) {
        self.ws.send(Message::Text(text.into())).await.unwrap();
    }

    /// Watches a file.
    pub async fn watch(&mut self, path: &str) {
        self.send(json!({"type": "watch-file", "path": path, "clientId": "test"}))
            .await;
    }

    /// The next text message (binary ones are kept aside).
    pub async fn next(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("a message in time")
                .expect("the connection is open")
                .expect("a readable message");
            match msg {
                Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
                Message::Binary(b) if self.binary.len() < 4096 => self.binary.push(b.to_vec()),
                _ => {}
            }
        }
    }

    /// Reads until a message of `kind` (skipping others) and returns it.
    pub async fn until(&mut self, kind: &str) -> Value {
        self.until_match(|v| v["type"] == kind).await
    }

    /// Reads until `pred` holds for a message (failing after a while even when
    /// other messages keep coming).
    pub async fn until_match(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + 3 * PATIENCE;
        loop {
            let v = self.next().await;
            if pred(&v) {
                return v;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no such message in time; the last was {v}"
            );
        }
    }

    /// Reads the next whole run (from `run-start` to `run-end`), skipping other
    /// messages.
    pub async fn run(&mut self) -> Run {
        let start = self.until("run-start").await;
        let mut results = Vec::new();
        loop {
            let v = self.next().await;
            match v["type"].as_str() {
                Some("block-result") => {
                    assert_eq!(v["run"], start["run"], "{v}");
                    results.push(v);
                }
                Some("run-end") => {
                    assert_eq!(v["run"], start["run"], "{v}");
                    return Run {
                        start,
                        results,
                        end: v,
                    };
                }
                Some("run-start") => panic!("a run started inside another: {v}"),
                _ => {}
            }
        }
    }

    /// Reads whole runs until one for which `pred` holds, and returns it.
    pub async fn run_where(&mut self, pred: impl Fn(&Run) -> bool) -> Run {
        loop {
            let run = self.run().await;
            if pred(&run) {
                return run;
            }
        }
    }

    /// Reads messages for `window` and returns the text ones.
    pub async fn drain(&mut self, window: Duration) -> Vec<Value> {
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + window;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return out,
                Ok(Some(Ok(Message::Text(t)))) => {
                    out.push(serde_json::from_str(t.as_str()).unwrap())
                }
                Ok(Some(Ok(Message::Binary(b)))) => {
                    if self.binary.len() < 4096 {
                        self.binary.push(b.to_vec());
                    }
                }
                Ok(Some(Ok(_))) => {}
                Ok(_) => return out,
            }
        }
    }
}
