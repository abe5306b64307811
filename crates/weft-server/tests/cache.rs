//! The result cache and what the server keeps: results of files nobody watches
//! are forgotten after the grace period, the byte limit holds, and garbage files
//! on disk give an error result instead of a crash.

mod common;

use common::Served;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use weft_server::executor::{Executor, RunEvent};

fn program(k: usize) -> String {
    format!("a<v> = me@x * {k}\nb<v> = me@y + {k}\ndisplay(a@v)\n")
}

#[test]
fn the_byte_limit_drops_the_least_recently_used_results() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.weft");
    let cancel = AtomicBool::new(false);
    let mut sizes = Vec::new();
    // Measure one run's results, then allow about two runs' worth.
    {
        std::fs::write(&path, program(1)).unwrap();
        let mut ex = Executor::new(usize::MAX);
        ex.run("f.weft", &path, &cancel, false, &mut |_| {});
        sizes.push(ex.stats().cache_bytes);
    }
    let limit = sizes[0] * 2 + sizes[0] / 2;
    let mut ex = Executor::new(limit);
    for k in 1..=20 {
        std::fs::write(&path, program(k)).unwrap();
        ex.run("f.weft", &path, &cancel, false, &mut |_| {});
        assert!(ex.stats().cache_bytes <= limit, "{k}: {:?}", ex.stats());
    }
    // The newest results are still there: running them again evaluates nothing.
    let before = ex.stats().evaluated;
    std::fs::write(&path, program(20) + "\n\n// a comment\n").unwrap();
    ex.run("f.weft", &path, &cancel, false, &mut |_| {});
    assert_eq!(ex.stats().evaluated, before);
    // An old program was evicted: it is evaluated again.
    std::fs::write(&path, program(1)).unwrap();
    ex.run("f.weft", &path, &cancel, false, &mut |_| {});
    assert!(ex.stats().evaluated > before);
}

#[test]
fn an_unchanged_file_runs_nothing_and_a_forgotten_one_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.weft");
    std::fs::write(&path, program(3)).unwrap();
    let cancel = AtomicBool::new(false);
    let mut ex = Executor::new(usize::MAX);
    let mut events = 0;
    ex.run("f.weft", &path, &cancel, false, &mut |_| events += 1);
    // Built, start, one result per statement, end.
    assert_eq!(events, 1 + 1 + 3 + 1);
    let mut again = 0;
    ex.run("f.weft", &path, &cancel, false, &mut |_| again += 1);
    assert_eq!(again, 0, "unchanged content sends nothing");
    ex.forget("f.weft");
    assert_eq!(ex.stats().cache_entries, 0);
    assert!(ex.files_of("f.weft").is_empty());
}

#[test]
fn a_cancelled_run_is_finished_by_the_next_one_even_with_the_same_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.weft");
    std::fs::write(&path, program(3)).unwrap();
    let mut ex = Executor::new(usize::MAX);
    let mut ended = Vec::new();
    ex.run("f.weft", &path, &AtomicBool::new(true), false, &mut |e| {
        if let RunEvent::End { cancelled, .. } = e {
            ended.push(cancelled)
        }
    });
    ex.run("f.weft", &path, &AtomicBool::new(false), false, &mut |e| {
        if let RunEvent::End { cancelled, .. } = e {
            ended.push(cancelled)
        }
    });
    assert_eq!(ended, [true, false]);
}

#[tokio::test]
async fn results_of_files_nobody_watches_are_forgotten_after_the_grace_period() {
    let s = Served::with(&[("a.weft", &program(1)), ("b.weft", &program(2))], |c| {
        // Long enough that a loaded machine's runs of b cannot outlast it.
        c.evict_after = Duration::from_secs(2)
    })
    .await;
    let mut c = s.client().await;
    c.watch("a.weft").await;
    c.run().await;
    c.watch("b.weft").await;
    c.run().await;
    assert_eq!(s.server.stats().await.files, ["a.weft", "b.weft"]);
    let mut waited = 0;
    while s.server.stats().await.files != ["b.weft"] {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
        assert!(waited < 200, "{:?}", s.server.stats().await.files);
    }
    // Watching it again runs it again.
    c.watch("a.weft").await;
    let run = c.run().await;
    assert_eq!(run.full().len(), 3);
}

#[tokio::test]
async fn garbage_files_give_an_error_result_and_the_server_goes_on() {
    let mut bytes: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    bytes.extend_from_slice(b"\xff\xfe\x00");
    let deep = format!(
        "x<v> = {}1{}\ndisplay(x@v)\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let s = Served::new(&[("deep.weft", &deep), ("ok.weft", &program(1))]).await;
    std::fs::write(s.path("noise.weft"), &bytes).unwrap();
    std::fs::write(s.path("empty.weft"), "").unwrap();
    let mut c = s.client().await;
    for f in ["noise.weft", "deep.weft"] {
        c.watch(f).await;
        let run = c.run().await;
        assert!(run.end["error"]["message"].is_string(), "{f}: {}", run.end);
    }
    c.watch("empty.weft").await;
    let run = c.run().await;
    assert!(run.results.is_empty());
    c.watch("ok.weft").await;
    assert!(c.run().await.end.get("error").is_none());
}
