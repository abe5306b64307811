//! What watchers of a file are told when the file goes away or cannot be read
//! (a clear error, the last results kept, recovery when it comes back), that the
//! tree lists only files a client may open, and that a file's player renders at
//! the largest preview its remaining watchers ask for.

mod common;

use common::{Client, Run, Served};
use serde_json::{json, Value};
use std::time::Duration;

const SKETCH: &str = "k<v> = 0.5\ngrad<v> = me@x * k@v\ndisplay(grad@v)\n";

/// Checks a run that reports `a.weft` gone or unreadable: every block of the
/// last good run is still listed (same names, in order), marked stale, and the
/// run ends with an error that says what happened.
fn assert_kept_with_error(run: &Run, good: &Run, says: &str) {
    let names = |r: &Run| -> Vec<String> {
        r.start["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(run), names(good));
    for r in &run.results {
        assert_eq!(
            (r["ok"].as_bool(), r["stale"].as_bool()),
            (Some(true), Some(true)),
            "{r}"
        );
    }
    let message = run.end["error"]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("a.weft") && message.contains(says),
        "{}",
        run.end
    );
}

#[tokio::test]
async fn a_deleted_watched_file_says_so_keeps_its_results_and_comes_back() {
    let s = Served::new(&[("a.weft", SKETCH)]).await;
    let mut c = s.client().await;
    c.watch("a.weft").await;
    let good = c.run().await;
    std::fs::remove_file(s.path("a.weft")).unwrap();
    let gone = c.run().await;
    assert_kept_with_error(&gone, &good, "deleted");
    // The player keeps the last program and reports why.
    let state = c
        .until_match(|m| m["type"] == "state" && !m["lastError"].is_null())
        .await;
    assert!(
        state["lastError"].as_str().unwrap().contains("deleted"),
        "{state}"
    );
    // The same content comes back: results in full, no error.
    s.save("a.weft", SKETCH);
    let back = c.run().await;
    assert!(back.end.get("error").is_none(), "{}", back.end);
    assert_eq!(back.full().len(), 3);
    assert_eq!(back.id("grad"), good.id("grad"));
}

#[tokio::test]
async fn a_watched_file_that_cannot_be_read_says_so_and_recovers() {
    let s = Served::new(&[("a.weft", SKETCH)]).await;
    let mut c = s.client().await;
    c.watch("a.weft").await;
    let good = c.run().await;
    // Replaced by something that is not a file (root reads anything, so a
    // permission bit would not do).
    std::fs::remove_file(s.path("a.weft")).unwrap();
    std::fs::create_dir(s.path("a.weft")).unwrap();
    let run = c
        .run_where(|r| {
            r.end["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("cannot be read"))
        })
        .await;
    assert_kept_with_error(&run, &good, "cannot be read");
    std::fs::remove_dir(s.path("a.weft")).unwrap();
    s.save("a.weft", &SKETCH.replace("0.5", "0.25"));
    let back = c.run_where(|r| r.end.get("error").is_none()).await;
    assert_eq!(back.result("k")["result"]["views"][0]["value"], 0.25);
}

#[tokio::test]
async fn the_tree_lists_only_files_a_client_may_open() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.weft"), SKETCH).unwrap();
    let s = Served::new(&[("a.weft", SKETCH)]).await;
    std::os::unix::fs::symlink(outside.path().join("secret.weft"), s.path("out.weft")).unwrap();
    std::os::unix::fs::symlink(s.path("a.weft"), s.path("in.weft")).unwrap();
    std::os::unix::fs::symlink(s.path("nowhere.weft"), s.path("dangling.weft")).unwrap();
    let mut c = s.client().await;
    let hello_tree = {
        // A fresh client's greeting carries the tree.
        let url = format!("ws://{}/ws", s.server.addr());
        let (ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        let mut fresh = Client {
            ws,
            binary: Vec::new(),
        };
        fresh.next().await["tree"].clone()
    };
    let listed = |tree: &Value| -> Vec<String> {
        tree["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["path"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(listed(&hello_tree), ["a.weft", "in.weft"]);
    // Every file listed can be watched.
    for path in listed(&hello_tree) {
        c.send(json!({"type": "watch-file", "path": path})).await;
        assert_eq!(c.run().await.start["file"], path.as_str());
    }
}

/// The size of the newest `WFRM` frame `c` holds.
fn newest_frame_size(c: &Client) -> Option<(u32, u32)> {
    let f = c.binary.iter().rev().find(|b| b.starts_with(b"WFRM"))?;
    Some((
        u32::from_le_bytes(f[4..8].try_into().unwrap()),
        u32::from_le_bytes(f[8..12].try_into().unwrap()),
    ))
}

/// Reads until the newest frame `c` received is of `size`.
async fn until_frame_of(c: &mut Client, size: (u32, u32)) {
    c.binary.clear();
    for _ in 0..400 {
        c.drain(Duration::from_millis(50)).await;
        if newest_frame_size(c) == Some(size) {
            return;
        }
        let keep = c.binary.len().saturating_sub(1);
        c.binary.drain(..keep);
    }
    panic!("no frame of {size:?}; newest {:?}", newest_frame_size(c));
}

#[tokio::test]
async fn the_player_shrinks_when_the_watcher_that_wanted_more_leaves() {
    let s = Served::new(&[("m.weft", "img<v> = me@x\ndisplay(img@v)\n")]).await;
    let mut small = s.client().await;
    let mut big = s.client().await;
    small
        .send(
            json!({"type": "watch-file", "path": "m.weft", "preview": {"width": 32, "height": 16}}),
        )
        .await;
    small.run().await;
    until_frame_of(&mut small, (32, 16)).await;
    big.send(
        json!({"type": "watch-file", "path": "m.weft", "preview": {"width": 64, "height": 32}}),
    )
    .await;
    big.run().await;
    until_frame_of(&mut small, (64, 32)).await;
    // The big one leaves by unwatching: back to what the small one asked for.
    big.send(json!({"type": "unwatch-file", "path": "m.weft"}))
        .await;
    until_frame_of(&mut small, (32, 16)).await;
    // And by disconnecting.
    big.send(
        json!({"type": "watch-file", "path": "m.weft", "preview": {"width": 64, "height": 32}}),
    )
    .await;
    until_frame_of(&mut small, (64, 32)).await;
    drop(big);
    until_frame_of(&mut small, (32, 16)).await;
}
