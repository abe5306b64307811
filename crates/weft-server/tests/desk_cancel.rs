//! `cancel` from the page stops a running render: a real ffmpeg behind a wrapper
//! holds the first chunk's encode until the test has cancelled, so the render is
//! surely running; the chunks it did not finish stay uncached, and a later
//! `render` completes. (Its own test binary: it sets `WEFT_FFMPEG` for the
//! process.)

mod common;

use common::{Client, Served};
use serde_json::{json, Value};

const PARTS: &str = "segment a(1) {\n    display(me@x, 0.2, 0.4)\n}\nsegment b(1) {\n    display(0.9, me@y, 0.1)\n}\n";

async fn command(c: &mut Client, text: &str) -> Value {
    c.send(json!({"type": "command", "text": text})).await;
    c.until_match(|v: &Value| v["type"] == "command-result" && v["text"] == text)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_a_running_render() {
    let gate = tempfile::tempdir().expect("temp dir");
    let wrapper = gate.path().join("ffmpeg.sh");
    std::fs::write(
        &wrapper,
        "#!/bin/sh\ncase \"$*\" in *rawvideo*)\n  touch \"$(dirname \"$0\")/encoding\"\n  while [ -e \"$(dirname \"$0\")/hold\" ]; do sleep 0.05; done;;\nesac\nexec ffmpeg \"$@\"\n",
    )
    .expect("wrapper");
    let mut perm = std::fs::metadata(&wrapper).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&wrapper, perm).expect("chmod");
    std::fs::write(gate.path().join("hold"), "").expect("hold");
    // SAFETY: this test binary has this one test, and nothing else reads the
    // environment while it is set.
    unsafe { std::env::set_var("WEFT_FFMPEG", &wrapper) };

    let served = Served::new(&[("parts.weft", PARTS)]).await;
    let mut c = served.client().await;
    c.watch("parts.weft").await;
    c.until_match(|v: &Value| v["type"] == "timeline").await;
    assert_eq!(command(&mut c, "render").await["ok"], true);
    while !gate.path().join("encoding").exists() {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let cancel = command(&mut c, "cancel").await;
    assert_eq!(cancel["ok"], true, "{cancel}");
    std::fs::remove_file(gate.path().join("hold")).expect("let go");
    let t = c
        .until_match(|v: &Value| {
            v["type"] == "timeline" && v.get("rendering").is_none() && v["segments"].is_array()
        })
        .await;
    let cached: Vec<u64> = t["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["cached"].as_u64().unwrap())
        .collect();
    assert!(
        cached.iter().sum::<u64>() < 2,
        "the render stopped before its end: {t}"
    );
    assert!(t.get("video").is_none(), "no video from a cancelled render");
    // The next render finishes.
    assert_eq!(command(&mut c, "render").await["ok"], true);
    let t = c
        .until_match(|v: &Value| v["type"] == "timeline" && v.get("video").is_some())
        .await;
    assert_eq!(t["segments"][1]["state"], "cached");
}
