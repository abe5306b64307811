//! Whole exchanges with `weft dev` as data: every `tests/transcripts/*.txt` is
//! played through real WebSocket clients against a real server on a temporary
//! folder, and every message the server sends is compared with the file. Adding a
//! case is adding a file; `UPDATE_EXPECT=1` rewrites the expected messages (read
//! the diff). The same files are fed to the page's decoding code by
//! `tests/browser/transcripts.test.mjs`, so a server change that would break the
//! page fails there.
//!
//! A transcript is a list of lines, run in order (`#` starts a comment line):
//!
//! - `file PATH` then lines starting with `| `: a file of the served folder
//!   before the server starts;
//! - `save PATH` then `| ` lines: the file saved during the exchange (written
//!   to a temporary file, renamed over); `delete PATH`: removed;
//! - `close NAME`: that client closes its connection (`close` alone: the
//!   unnamed one);
//! - `record TYPE…`: the message types compared from here on (the others are
//!   skipped); by default `hello run-start block-result run-end error
//!   command-result` (those whose order does not depend on timing);
//! - `> JSON` / `NAME> JSON`: a client (`NAME`, or the unnamed one) sends a
//!   message; it connects on first use. A string `"#runN"` in it is replaced by
//!   the server's number of the N-th run seen (see below);
//! - `< JSON` / `NAME< JSON`: the next recorded message that client receives.
//!
//! Received messages are normalized before comparison: run numbers become 1, 2,
//! … in the order they appear (`hello`'s is 0 before any run), block ids `b-1`,
//! `s-1`, … likewise, PNG data is
//! cut to `data:image/png;base64,…`, a waveform's `min`/`max` become their
//! overall minimum and maximum, and `hello`'s version `VERSION`. The served
//! folder is always named `served`.

mod common;

use common::{Client, PATIENCE};
use futures_util::SinkExt;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tokio_tungstenite::tungstenite::Message;
use weft_server::{Server, ServerConfig};

const DEFAULT_RECORD: &[&str] = &[
    "hello",
    "run-start",
    "block-result",
    "run-end",
    "error",
    "command-result",
];

/// One line of a transcript.
#[derive(Debug)]
enum Step {
    File(String, String),
    Save(String, String),
    Delete(String),
    Close(String),
    Record(Vec<String>),
    Send(String, String),
    /// Client, expected JSON, line index in the file.
    Expect(String, String, usize),
}

fn parse(text: &str) -> Result<Vec<Step>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    let body = |i: &mut usize| {
        let mut out = String::new();
        while *i < lines.len() && (lines[*i].starts_with("| ") || lines[*i] == "|") {
            out.push_str(lines[*i].get(2..).unwrap_or(""));
            out.push('\n');
            *i += 1;
        }
        out
    };
    while i < lines.len() {
        let line = lines[i];
        let at = i;
        i += 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(path) = line.strip_prefix("file ") {
            steps.push(Step::File(path.into(), body(&mut i)));
        } else if let Some(path) = line.strip_prefix("save ") {
            steps.push(Step::Save(path.into(), body(&mut i)));
        } else if let Some(path) = line.strip_prefix("delete ") {
            steps.push(Step::Delete(path.into()));
        } else if line == "close" || line.starts_with("close ") {
            steps.push(Step::Close(line[5..].trim().to_string()));
        } else if let Some(types) = line.strip_prefix("record ") {
            steps.push(Step::Record(
                types.split_whitespace().map(str::to_string).collect(),
            ));
        } else if let Some((name, arrow, json)) = message_line(line) {
            if arrow == '>' {
                steps.push(Step::Send(name.into(), json.into()));
            } else {
                steps.push(Step::Expect(name.into(), json.into(), at));
            }
        } else {
            return Err(format!("line {}: cannot read `{line}`", at + 1));
        }
    }
    Ok(steps)
}

/// `NAME> JSON` or `NAME< JSON` (NAME may be empty): the name, arrow and JSON.
fn message_line(line: &str) -> Option<(&str, char, &str)> {
    let at = line.find(['<', '>'])?;
    let (name, rest) = line.split_at(at);
    if !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let arrow = rest.chars().next()?;
    Some((name, arrow, rest[1..].strip_prefix(' ')?))
}

/// Maps run numbers and block ids to small stable names, in order of appearance.
#[derive(Default)]
struct Names {
    runs: HashMap<u64, u64>,
    /// Ordinal → the server's number.
    run_of: HashMap<u64, u64>,
    ids: HashMap<String, String>,
    counts: HashMap<char, usize>,
}

impl Names {
    fn run(&mut self, n: u64) -> u64 {
        let next = self.runs.len() as u64 + 1;
        let ord = *self.runs.entry(n).or_insert(next);
        self.run_of.insert(ord, n);
        ord
    }

    fn id(&mut self, id: &str) -> String {
        if let Some(n) = self.ids.get(id) {
            return n.clone();
        }
        let prefix = id.chars().next().unwrap_or('x');
        let count = self.counts.entry(prefix).or_default();
        *count += 1;
        let name = format!("{prefix}-{count}");
        self.ids.insert(id.to_string(), name.clone());
        name
    }

    fn is_id(s: &str) -> bool {
        s.len() > 10
            && (s.starts_with("b-") || s.starts_with("s-"))
            && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
    }

    /// Normalizes a received message in place.
    fn normalize(&mut self, v: &mut Value) {
        let kind = v["type"].as_str().unwrap_or("").to_string();
        if let Some(run) = v.get("run").and_then(Value::as_u64) {
            if matches!(kind.as_str(), "run-start" | "block-result" | "run-end") {
                v["run"] = self.run(run).into();
            }
        }
        if kind == "hello" {
            // The latest run: one seen already, or the counter's start (0).
            let run = v["run"].as_u64().and_then(|r| self.runs.get(&r).copied());
            v["run"] = run.unwrap_or(0).into();
            v["version"] = "VERSION".into();
        }
        self.walk(v);
    }

    fn walk(&mut self, v: &mut Value) {
        match v {
            Value::String(s) if Self::is_id(s) => *s = self.id(s),
            Value::String(s) if s.starts_with("data:image/png;base64,") => {
                *s = "data:image/png;base64,…".into()
            }
            Value::Array(items) => items.iter_mut().for_each(|i| self.walk(i)),
            Value::Object(map) => {
                let wave = map.get("kind").and_then(Value::as_str) == Some("wave");
                for (key, item) in map.iter_mut() {
                    if wave && (key == "min" || key == "max") {
                        let values = item.as_array().cloned().unwrap_or_default();
                        let values = values.iter().filter_map(Value::as_f64);
                        let extreme = if key == "min" {
                            values.fold(f64::INFINITY, f64::min)
                        } else {
                            values.fold(f64::NEG_INFINITY, f64::max)
                        };
                        *item = Value::Array(vec![extreme.into()]);
                    } else {
                        self.walk(item);
                    }
                }
            }
            _ => {}
        }
    }

    /// Replaces `"#runN"` strings in an outgoing message by the server's numbers.
    fn fill(&self, v: &mut Value) {
        match v {
            Value::String(s) if s.starts_with("#run") => {
                let ord: u64 = s[4..].parse().expect("#runN");
                *v = (*self.run_of.get(&ord).expect("that run was seen")).into();
            }
            Value::Array(items) => items.iter_mut().for_each(|i| self.fill(i)),
            Value::Object(map) => map.values_mut().for_each(|i| self.fill(i)),
            _ => {}
        }
    }
}

/// Plays one transcript; returns its text with the messages received, and the
/// differences found.
async fn play(path: &Path) -> (String, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap();
    let steps = parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("served");
    std::fs::create_dir(&root).unwrap();
    for step in &steps {
        if let Step::File(p, body) = step {
            common::write(&root.join(p), body);
        }
    }
    let mut config = ServerConfig::new(&root);
    config.port = 0;
    let server = Server::start(config).await.unwrap();
    let mut clients: HashMap<String, Client> = HashMap::new();
    let mut names = Names::default();
    let mut record: Vec<String> = DEFAULT_RECORD.iter().map(|s| s.to_string()).collect();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut problems = Vec::new();
    for step in steps {
        match step {
            Step::File(..) => {}
            Step::Save(p, body) => {
                let target = root.join(&p);
                // Hidden, so a stall before the rename is not a change of its own.
                let name = target.file_name().unwrap().to_string_lossy().into_owned();
                let tmp = target.with_file_name(format!(".{name}.transcript-save"));
                std::fs::write(&tmp, body).unwrap();
                std::fs::rename(&tmp, &target).unwrap();
            }
            Step::Delete(p) => std::fs::remove_file(root.join(p)).unwrap(),
            Step::Close(name) => {
                if let Some(mut c) = clients.remove(&name) {
                    let _ = c.ws.close(None).await;
                }
            }
            Step::Record(types) => record = types,
            Step::Send(name, json) => {
                let mut v: Value = serde_json::from_str(&json)
                    .unwrap_or_else(|e| panic!("{}: `{json}`: {e}", path.display()));
                names.fill(&mut v);
                let c = client(&mut clients, &server, &name).await;
                c.ws.send(Message::Text(v.to_string().into()))
                    .await
                    .unwrap();
            }
            Step::Expect(name, json, at) => {
                let c = client(&mut clients, &server, &name).await;
                let deadline = tokio::time::Instant::now() + PATIENCE;
                let mut got = loop {
                    let v = c.next().await;
                    if record.iter().any(|r| v["type"] == r.as_str()) {
                        break v;
                    }
                    assert!(
                        tokio::time::Instant::now() < deadline,
                        "{}:{}: nothing recorded came for `{json}`; the last message was {v}",
                        path.display(),
                        at + 1
                    );
                };
                names.normalize(&mut got);
                let expected: Option<Value> = serde_json::from_str(&json).ok();
                if expected.as_ref() != Some(&got) {
                    problems.push(format!(
                        "{}:{}: expected\n  {json}\ngot\n  {got}",
                        path.display(),
                        at + 1
                    ));
                }
                let arrow = if name.is_empty() {
                    "< ".to_string()
                } else {
                    format!("{name}< ")
                };
                lines[at] = format!("{arrow}{}", type_first(&got));
            }
        }
    }
    server.shutdown().await;
    let mut updated = lines.join("\n");
    updated.push('\n');
    (updated, problems)
}

/// A message as one line, its `type` first (then the other fields, sorted).
fn type_first(v: &Value) -> String {
    let Some(map) = v.as_object() else {
        return v.to_string();
    };
    let mut out = format!(
        "{{\"type\":{}",
        map.get("type").cloned().unwrap_or(Value::Null)
    );
    for (key, value) in map.iter().filter(|(k, _)| *k != "type") {
        out.push_str(&format!(",{}:{value}", Value::String(key.clone())));
    }
    out.push('}');
    out
}

/// The client called `name`, connected on first use (its greeting is kept for
/// the transcript to read).
async fn client<'a>(
    clients: &'a mut HashMap<String, Client>,
    server: &Server,
    name: &str,
) -> &'a mut Client {
    if !clients.contains_key(name) {
        let url = format!("ws://{}/ws", server.addr());
        let (ws, _) = tokio::time::timeout(PATIENCE, tokio_tungstenite::connect_async(&url))
            .await
            .expect("connected in time")
            .unwrap();
        clients.insert(
            name.to_string(),
            Client {
                ws,
                binary: Vec::new(),
            },
        );
    }
    clients.get_mut(name).expect("just inserted")
}

fn transcripts() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transcript_plays_as_written() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let files = transcripts();
    assert!(files.len() >= 6, "{files:?}");
    let mut problems = Vec::new();
    for path in files {
        let (updated, found) = play(&path).await;
        if update {
            std::fs::write(&path, updated).unwrap();
        } else {
            problems.extend(found);
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
