//! `weft dev` as a real process: it prints where it serves, runs every example
//! without an error through a real WebSocket client, answers the command
//! language on stdin, refuses bad arguments, and stops cleanly on SIGTERM.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Dev {
    child: Child,
    lines: mpsc::Receiver<String>,
    url: String,
}

impl Dev {
    fn start(dir: &Path) -> Dev {
        let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
            .args(["dev", "--port", "0"])
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("weft dev starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    return;
                }
            }
        });
        let first = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("weft dev prints where it serves");
        let url = first
            .split(" at ")
            .nth(1)
            .expect("`weft dev: serving DIR at URL`")
            .to_string();
        assert!(first.starts_with("weft dev: serving "), "{first}");
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        Dev { child, lines, url }
    }

    fn line_with(&self, needle: &str) -> String {
        loop {
            let l = self
                .lines
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("no line with `{needle}`"));
            if l.contains(needle) {
                return l;
            }
        }
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn next_run_end(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("a message in time")
            .expect("open")
            .expect("readable");
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v["type"] == "run-end" {
                return v;
            }
        }
    }
}

#[test]
fn every_example_runs_without_an_error_in_weft_dev() {
    let mut dev = Dev::start(&repo().join("examples"));
    let ws_url = format!("{}ws", dev.url.replace("http://", "ws://"));
    let mut files: Vec<String> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".weft"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url).await.unwrap();
        for f in &files {
            ws.send(Message::Text(
                json!({"type": "watch-file", "path": f}).to_string().into(),
            ))
            .await
            .unwrap();
            let end = next_run_end(&mut ws).await;
            assert!(end.get("error").is_none(), "{f}: {end}");
        }
        // The terminal speaks the command language to the file watched last.
        let stdin = dev.child.stdin.as_mut().unwrap();
        writeln!(stdin, "bpm 93").unwrap();
        writeln!(stdin, "info").unwrap();
        stdin.flush().unwrap();
        dev.line_with("93");
    });
}

#[test]
fn a_line_that_is_not_utf8_is_reported_and_the_next_lines_still_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.weft"), "x<v> = me@x\ndisplay(x@v)\n").unwrap();
    let mut dev = Dev::start(dir.path());
    let mut stdin = dev.child.stdin.take().expect("stdin");
    stdin.write_all(b"\xff oops\nhelp\n").unwrap();
    stdin.flush().unwrap();
    dev.line_with("line 1 is not UTF-8 (byte 1 of it); skipped");
    // The next line still reaches the command language.
    dev.line_with("no file is watched yet");
}

#[test]
fn sigterm_stops_it_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.weft"), "x<v> = me@x\ndisplay(x@v)\n").unwrap();
    let mut dev = Dev::start(dir.path());
    let pid = dev.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    dev.line_with("stopping");
    let mut waited = 0;
    let status = loop {
        if let Some(s) = dev.child.try_wait().unwrap() {
            break s;
        }
        waited += 1;
        assert!(waited < 200, "weft dev did not stop within 20 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status}");
}

#[test]
fn bad_arguments_are_refused_with_the_right_exit_code() {
    let weft = env!("CARGO_BIN_EXE_weft");
    let run = |args: &[&str]| Command::new(weft).args(args).output().unwrap();
    let missing = run(&["dev", "/no/such/folder", "--port", "0"]);
    assert_eq!(missing.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no such folder"));
    let file = run(&["dev", "Cargo.toml", "--port", "0"]);
    assert_eq!(file.status.code(), Some(3));
    for args in [
        &["dev", ".", "--port", "abc"][..],
        &["dev", ".", "--port", "70000"],
        &["dev", ".", "--debounce-ms", "0"],
        &["dev", ".", "--debounce-ms", "-5"],
        &["dev", ".", "--cache-mb", "0"],
        &["dev", ".", "--bogus"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let bad_host = run(&["dev", ".", "--host", "not a host", "--port", "0"]);
    assert_eq!(bad_host.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&bad_host.stderr).contains("cannot listen"));
}

/// The first line `weft dev --host HOST` prints on stderr (it is killed after).
fn first_stderr_line(host: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["dev", "--port", "0", "--host", host])
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("weft dev starts");
    // Once it serves (stdout's first line) any warning has been printed.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut serving = String::new();
    stdout.read_line(&mut serving).unwrap();
    assert!(serving.starts_with("weft dev: serving "), "{serving}");
    let _ = child.kill();
    let _ = child.wait();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    line
}

#[test]
fn a_host_other_than_loopback_is_warned_about() {
    let warning = first_stderr_line("0.0.0.0");
    assert!(
        warning.contains("warning") && warning.contains("0.0.0.0"),
        "{warning}"
    );
    assert!(warning.contains("network"), "{warning}");
    assert_eq!(first_stderr_line("127.0.0.1"), "");
    assert_eq!(first_stderr_line("localhost"), "");
}
