//! Editors' unsaved texts (`edit-buffer`, `drop-buffer`) through real WebSocket
//! clients, at the edges the transcript (`transcripts/buffers.txt`) does not
//! reach: a large text, one over the limit, a burst of keystrokes, a used file
//! held unsaved, and an editor that goes away in the middle of a burst.

mod common;

use common::{Client, Served};
use serde_json::json;

const SKETCH: &str = "k<v> = 0.5\ndisplay(me@x * k@v, 0, 0)\n";

fn sketch(k: &str) -> String {
    format!("k<v> = {k}\ndisplay(me@x * k@v, 0, 0)\n")
}

async fn edit(c: &mut Client, path: &str, text: &str) {
    c.send(json!({"type": "edit-buffer", "path": path, "text": text}))
        .await;
}

/// The value `name` shows in `run` (NaN when the run has no result for it: a
/// run a newer keystroke cancelled, or a failed one).
fn value_of(run: &common::Run, name: &str) -> f64 {
    let Some(id) = run.start["blocks"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["name"] == name))
        .map(|b| b["id"].clone())
    else {
        return f64::NAN;
    };
    run.results
        .iter()
        .find(|r| r["block"] == id)
        .and_then(|r| r["result"]["views"][0]["value"].as_f64())
        .unwrap_or(f64::NAN)
}

fn k_of(run: &common::Run) -> f64 {
    value_of(run, "k")
}

#[tokio::test]
async fn a_large_unsaved_text_runs_and_one_over_a_programs_limit_is_refused() {
    let s = Served::new(&[("sketch.weft", SKETCH)]).await;
    let mut page = s.client().await;
    page.watch("sketch.weft").await;
    page.run().await;
    let mut ed = s.client().await;
    // 4 MiB of comment lines: far over the 64 KiB of other messages.
    let text = format!(
        "{}{}",
        "// a comment line\n".repeat(4 << 16),
        sketch("0.75")
    );
    edit(&mut ed, "sketch.weft", &text).await;
    let run = page.run_where(|r| r.start["unsaved"] == true).await;
    assert_eq!(k_of(&run), 0.75);
    // Over 16 MiB: refused with a reason; the connection stays, nothing changes.
    let huge = format!("{}{}", "/".repeat(16 << 20), sketch("0.25"));
    edit(&mut ed, "sketch.weft", &huge).await;
    let e = ed.until("error").await;
    assert_eq!(e["code"], "too-large", "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("program file"),
        "{e}"
    );
    edit(&mut ed, "sketch.weft", &sketch("0.125")).await;
    let run = page.run_where(|r| k_of(r) == 0.125).await;
    assert_eq!(run.start["unsaved"], true);
    assert_eq!(
        std::fs::read_to_string(s.path("sketch.weft")).unwrap(),
        SKETCH
    );
}

#[tokio::test]
async fn a_burst_of_keystrokes_ends_on_the_last_text() {
    let s = Served::new(&[("sketch.weft", SKETCH)]).await;
    let mut page = s.client().await;
    page.watch("sketch.weft").await;
    page.run().await;
    let mut ed = s.client().await;
    for i in 1..=60 {
        edit(&mut ed, "sketch.weft", &sketch(&format!("0.{i:03}"))).await;
    }
    let last = page.run_where(|r| k_of(r) == 0.060).await;
    assert_eq!(last.start["unsaved"], true);
    // The build guard folded the burst: far fewer runs than keystrokes.
    let runs = s.server.stats().await.executor.runs["sketch.weft"];
    assert!(runs < 60, "{runs} runs for 60 keystrokes");
}

#[tokio::test]
async fn an_unsaved_used_file_reruns_what_uses_it_and_its_editor_going_away_returns_to_disk() {
    let lib = "shade<v> = 0.5\n";
    let user = "use \"lib/shade.weft\"\nimg<v> = shade@v + 0.25\ndisplay(img@v)\n";
    let s = Served::new(&[("lib/shade.weft", lib), ("user.weft", user)]).await;
    let mut page = s.client().await;
    page.watch("user.weft").await;
    let first = page.run().await;
    assert_eq!(first.start["unsaved"], false);
    let mut ed = s.client().await;
    let abs = s.path("lib/shade.weft");
    edit(&mut ed, abs.to_str().unwrap(), "shade<v> = 0.125\n").await;
    let run = page.run_where(|r| value_of(r, "img") == 0.375).await;
    assert_eq!(run.start["unsaved"], true);
    // The editor goes away in the middle of typing: back to the disk (a run
    // the next change cancelled may come between).
    edit(&mut ed, abs.to_str().unwrap(), "shade<v> = 0.0625\n").await;
    drop(ed);
    // Back on the disk's text: the block of the first run (its id is its
    // content key), in a run that was not cancelled.
    let img = first.id("img");
    let back = page
        .run_where(|r| r.start["unsaved"] == false && r.end.get("cancelled").is_none())
        .await;
    assert_eq!(back.id("img"), img);
    assert_eq!(back.end.get("error"), None);
}
