//! The live protocol through a real WebSocket client against a real server on a
//! temporary folder: runs, incremental evaluation, targeting, cancellation,
//! reconnection, paths, garbage, parameters, transport, frames and sound.

mod common;

use common::{Client, Served};
use serde_json::json;
use std::time::Duration;

const SKETCH: &str = "\
// A constant.
k<v> = 0.5
// A gradient scaled by **k**.
grad<v> = me@x * k@v
// A tone.
tone<s> = 0.25 * sin(me@time * tau * 3)
bright<v> = grad@v + 0.1
display(bright@v)
";

#[tokio::test]
async fn watching_a_file_sends_every_block_with_its_result() {
    let s = Served::new(&[("sketch.weft", SKETCH)]).await;
    let mut c = s.client().await;
    c.watch("sketch.weft").await;
    let run = c.run().await;
    assert_eq!(run.start["file"], "sketch.weft");
    let names: Vec<&str> = run.start["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["k", "grad", "tone", "bright", "display"]);
    assert_eq!(
        run.start["blocks"][1]["prose"],
        "A gradient scaled by **k**."
    );
    assert_eq!(run.start["blocks"][1]["line"], 4);
    assert_eq!(run.start["blocks"][1]["code"], "grad<v> = me@x * k@v");
    assert_eq!(run.start["blockIds"].as_array().unwrap().len(), 5);
    assert_eq!(run.start["dirty"].as_array().unwrap().len(), 5);
    let k = &run.result("k")["result"]["views"][0];
    assert_eq!(
        (k["kind"].as_str(), k["value"].as_f64()),
        (Some("number"), Some(0.5))
    );
    let grad = &run.result("grad")["result"]["views"][0];
    assert_eq!(grad["kind"], "image");
    assert!(grad["png"]
        .as_str()
        .unwrap()
        .starts_with("data:image/png;base64,"));
    let tone = &run.result("tone")["result"]["views"][0];
    assert_eq!(tone["kind"], "wave");
    let max = tone["max"].as_array().unwrap();
    let peak = max.iter().map(|v| v.as_f64().unwrap()).fold(0.0, f64::max);
    assert!((peak - 0.25).abs() < 0.01, "peak {peak}");
    assert_eq!(run.result("display")["result"]["views"], json!([]));
    assert!(run.end.get("error").is_none() && run.end.get("cancelled").is_none());
}

#[tokio::test]
async fn an_edit_evaluates_only_the_changed_statement_and_its_dependents() {
    let s = Served::new(&[("sketch.weft", SKETCH)]).await;
    let mut c = s.client().await;
    c.watch("sketch.weft").await;
    let first = c.run().await;
    let before = s.server.stats().await.executor.evaluated;
    s.save("sketch.weft", &SKETCH.replace("me@x * k@v", "me@y * k@v"));
    let second = c.run().await;
    assert!(second.number() > first.number());
    assert_eq!(second.dirty(), ["grad", "bright", "display"]);
    assert_eq!(second.full(), ["grad", "bright", "display"]);
    assert_eq!(second.unchanged(), ["k", "tone"]);
    assert_eq!(second.id("k"), first.id("k"));
    assert_ne!(second.id("grad"), first.id("grad"));
    assert_eq!(s.server.stats().await.executor.evaluated - before, 3);
    // Formatting and comments change no key: nothing is evaluated.
    s.save(
        "sketch.weft",
        &SKETCH
            .replace("me@x * k@v", "me@y   *   k@v // reformatted")
            .replace("// A tone.", "// A tone, described anew."),
    );
    let third = c.run().await;
    assert!(third.dirty().is_empty(), "{:?}", third.dirty());
    assert_eq!(third.unchanged().len(), 5);
    assert_eq!(s.server.stats().await.executor.evaluated - before, 3);
}

#[tokio::test]
async fn unwatched_files_are_never_executed_and_sends_are_targeted() {
    let s = Served::new(&[("a.weft", SKETCH), ("b.weft", SKETCH), ("c.weft", SKETCH)]).await;
    let mut a = s.client().await;
    let mut b = s.client().await;
    a.watch("a.weft").await;
    b.watch("b.weft").await;
    a.run().await;
    b.run().await;
    s.save("c.weft", &SKETCH.replace("0.5", "0.7"));
    s.save("a.weft", &SKETCH.replace("0.5", "0.6"));
    let run = a.run().await;
    assert_eq!(run.start["file"], "a.weft");
    // b hears about no run of a.weft (only the change notices everyone gets).
    for m in b.drain(Duration::from_millis(400)).await {
        assert!(
            !matches!(
                m["type"].as_str(),
                Some("run-start" | "block-result" | "run-end")
            ),
            "{m}"
        );
    }
    let runs = s.server.stats().await.executor.runs;
    assert_eq!(runs.get("a.weft"), Some(&2));
    assert_eq!(runs.get("b.weft"), Some(&1));
    assert_eq!(runs.get("c.weft"), None, "{runs:?}");
}

#[tokio::test]
async fn editing_a_library_reruns_exactly_the_watched_files_that_use_it() {
    let lib = "shade<v> = me@x * 0.5\n";
    let user = "use \"lib/shade.weft\"\nimg<v> = shade@v + 0.1\ndisplay(img@v)\n";
    let other = "img<v> = me@y\ndisplay(img@v)\n";
    let s = Served::new(&[
        ("lib/shade.weft", lib),
        ("user.weft", user),
        ("other.weft", other),
        ("unwatched.weft", user),
    ])
    .await;
    let mut u = s.client().await;
    let mut o = s.client().await;
    u.watch("user.weft").await;
    o.watch("other.weft").await;
    let first = u.run().await;
    o.run().await;
    s.save("lib/shade.weft", "shade<v> = me@x * 0.25\n");
    let second = u.run().await;
    assert_ne!(second.id("img"), first.id("img"));
    assert_eq!(second.full(), ["lib/shade.weft", "img", "display"]);
    let runs = s.server.stats().await.executor.runs;
    assert_eq!(runs.get("user.weft"), Some(&2));
    assert_eq!(runs.get("other.weft"), Some(&1));
    assert_eq!(runs.get("unwatched.weft"), None);
}

#[tokio::test]
async fn run_numbers_are_shared_and_only_grow() {
    let s = Served::new(&[("a.weft", SKETCH), ("b.weft", SKETCH)]).await;
    let mut a = s.client().await;
    let mut b = s.client().await;
    a.watch("a.weft").await;
    let r1 = a.run().await.number();
    b.watch("b.weft").await;
    let r2 = b.run().await.number();
    s.save("a.weft", &SKETCH.replace("0.5", "0.4"));
    let r3 = a.run().await.number();
    s.save("b.weft", &SKETCH.replace("0.5", "0.3"));
    let r4 = b.run().await.number();
    assert!(r1 < r2 && r2 < r3 && r3 < r4, "{r1} {r2} {r3} {r4}");
    // Counted from the server's start time, so a restarted server never reuses one.
    assert!(r1 > 1_600_000_000_000, "{r1}");
}

#[tokio::test]
async fn a_newer_change_cancels_the_run_in_flight() {
    // Many slow blocks, so the first run is still going when the second save lands.
    let mut slow = String::new();
    for i in 0..300 {
        slow.push_str(&format!(
            "s{i}<v> = noise(me@x * {i} + 1, me@y * 7) * noise(me@y * {i}, me@x * 3 + {i})\n"
        ));
    }
    slow.push_str("display(s0@v)\n");
    let s = Served::new(&[("slow.weft", &slow)]).await;
    let mut c = s.client().await;
    c.watch("slow.weft").await;
    let start = c.until("run-start").await;
    // Wait for a few results, then save: the run is mid-way.
    c.until("block-result").await;
    s.save("slow.weft", &slow.replace("display(s0@v)", "display(s1@v)"));
    let end = c.until("run-end").await;
    assert_eq!(end["run"], start["run"]);
    assert_eq!(end["cancelled"], true, "{end}");
    let next = c.run().await;
    assert!(next.number() > start["run"].as_u64().unwrap());
    assert!(next.end.get("cancelled").is_none(), "{}", next.end);
}

#[tokio::test]
async fn a_client_that_reconnects_gets_unchanged_or_full_results() {
    let s = Served::new(&[("sketch.weft", SKETCH)]).await;
    let mut c = s.client().await;
    c.watch("sketch.weft").await;
    let run = c.run().await;
    drop(c);
    // Holding the latest complete run: every block comes back unchanged.
    let mut again = s.client().await;
    again
        .send(json!({"type": "watch-file", "path": "sketch.weft", "clientId": "test", "clientRun": run.number()}))
        .await;
    let replay = again.run().await;
    assert_eq!(replay.number(), run.number());
    assert_eq!(replay.unchanged().len(), 5);
    // An older run: everything in full.
    let mut old = s.client().await;
    old.send(json!({"type": "watch-file", "path": "sketch.weft", "clientRun": run.number() - 1}))
        .await;
    assert_eq!(old.run().await.full().len(), 5);
    // request-load asks again on the same connection.
    old.send(json!({"type": "request-load", "path": "sketch.weft", "clientRun": run.number()}))
        .await;
    assert_eq!(old.run().await.unchanged().len(), 5);
    old.send(json!({"type": "request-load", "path": "sketch.weft", "clientRun": 0}))
        .await;
    assert_eq!(old.run().await.full().len(), 5);
}

async fn expect_error(c: &mut Client, code: &str) {
    let e = c.until("error").await;
    assert_eq!(e["code"], code, "{e}");
    assert!(!e["message"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn paths_outside_the_folder_are_refused_and_the_connection_stays() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.weft"), SKETCH).unwrap();
    let s = Served::new(&[("sketch.weft", SKETCH)]).await;
    std::os::unix::fs::symlink(outside.path(), s.path("link")).unwrap();
    let mut c = s.client().await;
    for bad in [
        "../secret.weft",
        "/etc/passwd",
        "%2e%2e/secret.weft",
        "..%2fsecret.weft",
        "link/secret.weft",
        "a/../../secret.weft",
        "sketch.weft\u{0}",
        "..\\secret.weft",
    ] {
        c.send(json!({"type": "watch-file", "path": bad})).await;
        expect_error(&mut c, "path").await;
    }
    c.send(json!({"type": "watch-file", "path": "missing.weft"}))
        .await;
    expect_error(&mut c, "not-found").await;
    c.send(json!({"type": "request-load", "path": "../x.weft", "clientRun": 0}))
        .await;
    expect_error(&mut c, "path").await;
    c.watch("sketch.weft").await;
    assert_eq!(c.run().await.start["file"], "sketch.weft");
}

#[tokio::test]
async fn garbage_messages_get_an_error_and_the_connection_stays() {
    let s = Served::new(&[("sketch.weft", SKETCH)]).await;
    let mut c = s.client().await;
    let cases: Vec<(String, &str)> = vec![
        ("".into(), "malformed"),
        ("not json".into(), "malformed"),
        ("[]".into(), "malformed"),
        ("{\"type\": 7}".into(), "malformed"),
        ("{\"type\": \"launch-missiles\"}".into(), "unknown-type"),
        (
            "{\"type\": \"set-param\", \"id\": 3, \"value\": 1}".into(),
            "malformed",
        ),
        (
            "{\"type\": \"set-param\", \"id\": \"k\", \"value\": \"NaN\"}".into(),
            "malformed",
        ),
        (
            "{\"type\": \"pointer\", \"x\": null, \"y\": 1}".into(),
            "malformed",
        ),
        ("{\"type\": \"watch-file\"}".into(), "malformed"),
        (
            format!(
                "{{\"type\":\"command\",\"text\":\"{}\"}}",
                "x".repeat(100_000)
            ),
            "too-large",
        ),
        (
            "{\"type\": \"command\", \"text\": \"play\"}".into(),
            "not-watching",
        ),
        (
            "{\"type\": \"unwatch-file\", \"path\": \"sketch.weft\"}".into(),
            "not-watching",
        ),
        (
            String::from_utf8_lossy(&[0xff, 0xfe, 0x00, 0x7b]).into_owned(),
            "malformed",
        ),
    ];
    for (text, code) in cases {
        c.send_text(text).await;
        expect_error(&mut c, code).await;
    }
    use futures_util::SinkExt;
    c.ws.send(tokio_tungstenite::tungstenite::Message::Binary(
        vec![1, 2, 3].into(),
    ))
    .await
    .unwrap();
    expect_error(&mut c, "malformed").await;
    // Deeply nested JSON is refused by the parser, not the stack.
    c.send_text(format!("{}{}", "[".repeat(20_000), "]".repeat(20_000)))
        .await;
    expect_error(&mut c, "malformed").await;
    c.watch("sketch.weft").await;
    assert_eq!(c.run().await.full().len(), 5);
}

#[tokio::test]
async fn file_changed_only_when_exactly_one_file_changed() {
    let s = Served::new(&[("a.weft", SKETCH), ("b.weft", SKETCH)]).await;
    let mut c = s.client().await;
    c.watch("a.weft").await;
    c.run().await;
    s.save("b.weft", &SKETCH.replace("0.5", "0.9"));
    let m = c.until("file-changed").await;
    assert_eq!(m["path"], "b.weft");
    assert_eq!(m["watched"], false);
    s.save("a.weft", &SKETCH.replace("0.5", "0.8"));
    let m = c.until("file-changed").await;
    assert_eq!(
        (m["path"].as_str(), m["watched"].as_bool()),
        (Some("a.weft"), Some(true))
    );
    // Two files in one window: no file-changed (the watched one still runs).
    std::fs::write(s.path("a.weft"), SKETCH.replace("0.5", "0.2")).unwrap();
    std::fs::write(s.path("b.weft"), SKETCH.replace("0.5", "0.1")).unwrap();
    let seen = c.drain(Duration::from_millis(1200)).await;
    assert!(seen.iter().any(|m| m["type"] == "run-end"), "{seen:?}");
    assert!(
        !seen.iter().any(|m| m["type"] == "file-changed"),
        "{seen:?}"
    );
}

#[tokio::test]
async fn directory_changed_when_files_appear_or_disappear() {
    let s = Served::new(&[("a.weft", SKETCH)]).await;
    let mut c = s.client().await;
    std::fs::write(s.path("new.weft"), SKETCH).unwrap();
    let m = c.until("directory-changed").await;
    let paths: Vec<&str> = m["tree"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["a.weft", "new.weft"]);
    std::fs::remove_file(s.path("a.weft")).unwrap();
    let m = c.until("directory-changed").await;
    assert_eq!(m["tree"]["children"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn parameters_are_shared_kept_across_edits_and_refused_out_of_range() {
    let text = "gain<v> = param(0.5, 0, 1)\nimg<v> = me@x * gain@v\ndisplay(img@v)\n";
    let s = Served::new(&[("p.weft", text)]).await;
    let mut a = s.client().await;
    let mut b = s.client().await;
    a.watch("p.weft").await;
    b.watch("p.weft").await;
    let params = a
        .until_match(|m| m["type"] == "parameters" && !m["params"].as_array().unwrap().is_empty())
        .await;
    assert_eq!(params["params"][0]["id"], "gain");
    assert_eq!(params["params"][0]["value"], 0.5);
    a.send(json!({"type": "set-param", "id": "gain", "value": 0.75}))
        .await;
    for c in [&mut a, &mut b] {
        let m = c.until("parameter-changed").await;
        assert_eq!(
            (m["id"].as_str(), m["value"].as_f64()),
            (Some("gain"), Some(0.75))
        );
    }
    a.send(json!({"type": "set-param", "id": "gain", "value": 7}))
        .await;
    let e = a.until("error").await;
    assert!(
        e["message"].as_str().unwrap().contains("out of range"),
        "{e}"
    );
    a.send(json!({"type": "set-param", "id": "nope", "value": 1}))
        .await;
    let e = a.until("error").await;
    assert!(e["message"].as_str().unwrap().contains("gain"), "{e}");
    // Another statement changes: the program is swapped, the value stays.
    s.save("p.weft", &text.replace("me@x", "me@y"));
    let m = a
        .until_match(|m| m["type"] == "parameters" && m["params"][0]["value"] == 0.75)
        .await;
    assert_eq!(m["file"], "p.weft");
}

#[tokio::test]
async fn commands_steer_the_player_and_answer() {
    let s = Served::new(&[("sketch.weft", SKETCH)]).await;
    let mut c = s.client().await;
    c.watch("sketch.weft").await;
    c.run().await;
    // A command's result and the `state` it changes may come in either order:
    // each result is awaited by its text.
    let result_of = |text: &'static str| {
        move |m: &serde_json::Value| m["type"] == "command-result" && m["text"] == text
    };
    c.send(json!({"type": "command", "text": "bpm 90"})).await;
    let r = c.until_match(result_of("bpm 90")).await;
    assert_eq!(r["ok"].as_bool(), Some(true), "{r}");
    c.until_match(|m| m["type"] == "state" && m["bpm"] == 90.0)
        .await;
    c.send(json!({"type": "command", "text": "pause"})).await;
    c.until_match(|m| m["type"] == "state" && m["transport"] == "paused")
        .await;
    c.send(json!({"type": "command", "text": "info"})).await;
    let r = c.until_match(result_of("info")).await;
    assert!(r["output"].as_str().unwrap().contains("90"), "{r}");
    c.send(json!({"type": "command", "text": "sek 1"})).await;
    let r = c.until_match(result_of("sek 1")).await;
    assert_eq!(r["ok"], false);
    assert!(
        r["output"].as_str().unwrap().contains("unknown command"),
        "{r}"
    );
    assert!(s.server.command("get nope").await.contains("no parameter"));
}

fn frames(c: &Client) -> Vec<&Vec<u8>> {
    c.binary.iter().filter(|b| b.starts_with(b"WFRM")).collect()
}

#[tokio::test]
async fn frames_stream_at_the_preview_size_and_follow_the_pointer() {
    let s = Served::new(&[("m.weft", "img<v> = mouse@x\ndisplay(img@v)\n")]).await;
    let mut c = s.client().await;
    c.send(json!({"type": "watch-file", "path": "m.weft", "preview": {"width": 32, "height": 16}}))
        .await;
    c.run().await;
    c.send(json!({"type": "pointer", "x": 1.0, "y": 0.0})).await;
    let mut tries = 0;
    loop {
        c.drain(Duration::from_millis(100)).await;
        let last = frames(&c).last().map(|f| f.to_vec());
        if let Some(f) = last {
            let w = u32::from_le_bytes(f[4..8].try_into().unwrap());
            let h = u32::from_le_bytes(f[8..12].try_into().unwrap());
            assert_eq!((w, h), (32, 16));
            assert_eq!(f.len(), 20 + 32 * 16 * 4);
            if f[20] == 255 {
                break;
            }
        }
        tries += 1;
        assert!(tries < 100, "no frame showed the pointer");
    }
}

#[tokio::test]
async fn sound_streams_as_pcm_with_meters() {
    let s = Served::new(&[(
        "t.weft",
        "tone<s> = 0.5 * sin(me@time * tau * 440)\nplay(tone@s)\n",
    )])
    .await;
    let mut c = s.client().await;
    c.watch("t.weft").await;
    c.run().await;
    let meter = c.until("meter").await;
    assert!(meter["peakL"].as_f64().unwrap() > 0.4, "{meter}");
    let pcm: Vec<&Vec<u8>> = c.binary.iter().filter(|b| b.starts_with(b"WPCM")).collect();
    assert!(!pcm.is_empty());
    let p = pcm[0];
    assert_eq!(u32::from_le_bytes(p[4..8].try_into().unwrap()), 48_000);
    assert_eq!(u32::from_le_bytes(p[8..12].try_into().unwrap()), 2);
    let frames = u32::from_le_bytes(p[12..16].try_into().unwrap()) as usize;
    assert_eq!(p.len(), 16 + frames * 8);
}

#[tokio::test]
async fn a_broken_edit_shows_the_error_and_keeps_the_program() {
    let s = Served::new(&[("sketch.weft", SKETCH)]).await;
    let mut c = s.client().await;
    c.watch("sketch.weft").await;
    c.run().await;
    let version = c
        .until_match(|m| m["type"] == "state" && m["programVersion"].as_u64() > Some(0))
        .await["programVersion"]
        .clone();
    s.save(
        "sketch.weft",
        &SKETCH.replace("grad@v + 0.1", "grad@v + pulze@v"),
    );
    let run = c.run().await;
    let err = &run.end["error"];
    assert_eq!(err["line"], 7, "{err}");
    assert!(err["message"].as_str().unwrap().contains("pulze"), "{err}");
    let bright = run.result("bright");
    assert_eq!(bright["ok"], false);
    assert_eq!(bright["error"]["line"], 7);
    assert!(bright["error"]["column"].as_u64().unwrap() > 1);
    assert_eq!(run.result("k")["stale"], true);
    // The player keeps the last good program and reports the error.
    let state = c
        .until_match(|m| m["type"] == "state" && !m["lastError"].is_null())
        .await;
    assert_eq!(state["programVersion"], version);
    // Saving the same broken content again builds nothing.
    let runs = s.server.stats().await.executor.runs["sketch.weft"];
    s.save(
        "sketch.weft",
        &(SKETCH.replace("grad@v + 0.1", "grad@v + pulze@v") + "\n"),
    );
    c.drain(Duration::from_millis(500)).await;
    // (the file's bytes changed by a newline, so it is built once, then never again)
    let after = s.server.stats().await.executor.runs["sketch.weft"];
    assert!(after <= runs + 1);
    // The fix comes back with full results.
    s.save("sketch.weft", SKETCH);
    let fixed = c.run().await;
    assert!(fixed.end.get("error").is_none());
}

#[tokio::test]
async fn the_page_and_its_modules_are_served() {
    let s = Served::new(&[]).await;
    let body = http_get(s.server.addr(), "/").await;
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(body.to_lowercase().contains("<!doctype html"), "{body}");
    let missing = http_get(s.server.addr(), "/app/../../Cargo.toml").await;
    assert!(!missing.starts_with("HTTP/1.1 200"), "{missing}");
    let nothing = http_get(s.server.addr(), "/app/nope.js").await;
    assert!(nothing.starts_with("HTTP/1.1 404"), "{nothing}");
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_file_edited_while_nobody_watched_it_is_run_again_when_watched() {
    let s = Served::new(&[("a.weft", SKETCH), ("b.weft", SKETCH)]).await;
    let mut c = s.client().await;
    c.watch("b.weft").await;
    let old = c.run().await;
    c.watch("a.weft").await;
    c.run().await;
    s.save("b.weft", &SKETCH.replace("k<v> = 0.5", "k<v> = 0.25"));
    c.until("file-changed").await;
    c.watch("b.weft").await;
    let new = c.run().await;
    assert!(new.number() > old.number());
    assert_eq!(new.result("k")["result"]["views"][0]["value"], 0.25);
}

#[tokio::test]
async fn the_only_watcher_reloading_keeps_parameters_and_transport() {
    let text = "gain<v> = param(0.5, 0, 1)\nimg<v> = me@x * gain@v\ndisplay(img@v)\n";
    let s = Served::new(&[("p.weft", text)]).await;
    let mut c = s.client().await;
    c.watch("p.weft").await;
    // The first parameters message already lists the program's parameters.
    let first = c.until("parameters").await;
    assert_eq!(first["params"][0]["id"], "gain", "{first}");
    c.send(json!({"type": "set-param", "id": "gain", "value": 0.9}))
        .await;
    c.until("parameter-changed").await;
    c.send(json!({"type": "command", "text": "bpm 77"})).await;
    c.until_match(|m| m["type"] == "state" && m["bpm"] == 77.0)
        .await;
    drop(c);
    let mut again = s.client().await;
    again.watch("p.weft").await;
    let p = again.until("parameters").await;
    assert_eq!(p["params"][0]["value"], 0.9, "{p}");
    again
        .until_match(|m| m["type"] == "state" && m["bpm"] == 77.0)
        .await;
}

#[tokio::test]
async fn diagnostics_name_files_relative_to_the_served_folder() {
    let s = Served::new(&[("sub/bad.weft", "x<v> = nope@v\ndisplay(x@v)\n")]).await;
    let mut c = s.client().await;
    c.watch("sub/bad.weft").await;
    let run = c.run().await;
    let rendered = run.end["error"]["rendered"].as_str().unwrap();
    assert!(rendered.starts_with("sub/bad.weft:1:"), "{rendered}");
}

#[tokio::test]
async fn a_broken_file_watched_again_gets_its_error_again() {
    let broken = "x<v> = nope@v\ndisplay(x@v)\n";
    let s = Served::new(&[("bad.weft", broken), ("ok.weft", SKETCH)]).await;
    let mut c = s.client().await;
    c.watch("bad.weft").await;
    assert!(c.run().await.end["error"].is_object());
    c.watch("ok.weft").await;
    c.run().await;
    // The folder changes while nobody watches bad.weft (its results are dropped).
    std::fs::write(s.path("new.weft"), SKETCH).unwrap();
    c.until("directory-changed").await;
    c.watch("bad.weft").await;
    let again = c.run().await;
    assert!(
        again.end["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nope"),
        "{}",
        again.end
    );
}

#[tokio::test]
async fn a_moved_error_is_sent_again_not_as_unchanged() {
    let s = Served::new(&[("e.weft", "k<v> = 1\nx<v> = nope@v\ndisplay(x@v)\n")]).await;
    let mut c = s.client().await;
    c.watch("e.weft").await;
    let first = c.run().await;
    assert_eq!(first.result("x")["error"]["line"], 2);
    s.save(
        "e.weft",
        "k<v> = 1\n// a comment above\nx<v> = nope@v\ndisplay(x@v)\n",
    );
    let second = c.run().await;
    let x = second.result("x");
    assert!(x.get("unchanged").is_none(), "{x}");
    assert_eq!(x["error"]["line"], 3);
}

#[tokio::test]
async fn deleting_a_used_file_reruns_its_users() {
    let s = Served::new(&[
        ("lib.weft", "shade<v> = me@x\n"),
        (
            "user.weft",
            "use \"lib.weft\"\nimg<v> = shade@v\ndisplay(img@v)\n",
        ),
    ])
    .await;
    let mut c = s.client().await;
    c.watch("user.weft").await;
    assert!(c.run().await.end.get("error").is_none());
    std::fs::remove_file(s.path("lib.weft")).unwrap();
    let run = c.run().await;
    assert!(run.end["error"].is_object(), "{}", run.end);
}

#[tokio::test]
async fn a_deleted_file_can_be_unwatched() {
    let s = Served::new(&[("gone.weft", SKETCH), ("b.weft", SKETCH)]).await;
    let mut c = s.client().await;
    c.watch("gone.weft").await;
    c.run().await;
    std::fs::remove_file(s.path("gone.weft")).unwrap();
    c.until("directory-changed").await;
    c.send(json!({"type": "unwatch-file", "path": "gone.weft"}))
        .await;
    c.send(json!({"type": "command", "text": "info"})).await;
    let e = c.until("error").await;
    assert_eq!(e["code"], "not-watching", "{e}");
    assert!(s.server.stats().await.playing.is_empty());
}

#[tokio::test]
async fn only_weft_files_are_served_as_programs() {
    let s = Served::new(&[("notes.txt", "x<v> = 1\n")]).await;
    let mut c = s.client().await;
    c.send(json!({"type": "watch-file", "path": "notes.txt"}))
        .await;
    let e = c.until("error").await;
    assert_eq!(e["code"], "not-found", "{e}");
}
