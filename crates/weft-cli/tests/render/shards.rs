//! Render past one machine: `weft render --shard I/N` workers at once on one
//! cache folder, then the join (a plain `weft render`) renders nothing and its
//! video equals a single-process render's; a worker killed mid-chunk and its
//! shard run again; `weft status --shards N` shows what each has left.

use super::*;
use std::process::Child;

/// Eight segments of 1 s, 2 chunks each: 16 chunks, with sound.
fn piece() -> String {
    let mut s = eight(&[]);
    s = s.replace(
        "    display(c1@v, me@y, 0.25)\n",
        "    display(c1@v, me@y, 0.25)\n    play(0.2 * sin(me@time * tau * 220))\n",
    );
    s
}

const ARGS: &[&str] = &[
    "--size", "32x18", "--fps", "8", "--chunk", "0.5", "--jobs", "1",
];
/// The same settings for `weft status` (shards write no record of theirs).
const STATUS: &[&str] = &["--size", "32x18", "--fps", "8", "--chunk", "0.5"];

fn status(file: &Path, shards: &str) -> String {
    let mut args = vec!["status", file.to_str().expect("utf-8"), "--shards", shards];
    args.extend_from_slice(STATUS);
    ok(&args)
}

fn spawn_shard(file: &Path, shard: &str, extra_env: Option<(&str, &Path)>) -> Child {
    let mut c = weft();
    c.args([
        "render",
        file.to_str().expect("utf-8"),
        "--json",
        "--shard",
        shard,
    ])
    .args(ARGS)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    if let Some((k, v)) = extra_env {
        c.env(k, v);
    }
    c.spawn().expect("a worker starts")
}

/// Decoded RGB frames and PCM samples of a video.
fn decoded(video: &Path) -> (Vec<u8>, Vec<u8>) {
    let frames = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(video)
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .expect("ffmpeg");
    let sound = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(video)
        .args(["-vn", "-f", "s16le", "-"])
        .output()
        .expect("ffmpeg");
    (frames.stdout, sound.stdout)
}

#[test]
fn four_workers_at_once_then_the_join_renders_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("piece.weft");
    std::fs::write(&file, piece()).expect("write");
    let workers: Vec<Child> = (0..4)
        .map(|i| spawn_shard(&file, &format!("{i}/4"), None))
        .collect();
    let mut rendered = 0;
    let mut assigned = 0;
    for w in workers {
        let out = w.wait_with_output().expect("a worker ends");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
        assert!(report["output"].is_null(), "a worker writes no video");
        rendered += n(&report, "rendered");
        assigned += n(&report, "chunks");
        // Balanced: 16 chunks of equal length, 4 each.
        assert_eq!(n(&report, "chunks"), 4);
    }
    assert_eq!(
        (assigned, rendered),
        (16, 16),
        "every chunk rendered exactly once"
    );
    assert!(!dir.path().join("piece.mp4").exists());

    let joined = render(&file, ARGS);
    assert_eq!(n(&joined, "rendered"), 0, "the join renders nothing");
    assert_eq!(n(&joined, "cache_hits"), 16);
    let video = dir.path().join("piece.mp4");
    assert!(video.is_file());

    // The same piece in one process, on its own cache.
    let single_dir = tempfile::tempdir().expect("tmp");
    let single = single_dir.path().join("piece.weft");
    std::fs::write(&single, piece()).expect("write");
    let one = render(&single, ARGS);
    assert_eq!(n(&one, "rendered"), 16);
    let (a, b) = (
        decoded(&video),
        decoded(&single_dir.path().join("piece.mp4")),
    );
    assert!(!a.0.is_empty() && !a.1.is_empty());
    assert!(a.0 == b.0, "the decoded frames are equal");
    assert!(a.1 == b.1, "the decoded sound is equal");

    let status = status(&file, "4");
    assert!(
        status.contains("shard 0/4: done") && status.contains("shard 3/4: done"),
        "{status}"
    );
}

#[test]
fn a_killed_worker_and_its_shard_run_again() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("piece.weft");
    std::fs::write(&file, piece()).expect("write");
    // An ffmpeg that holds the second chunk encode it is asked for.
    let script = dir.path().join("slow-ffmpeg");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncase \"$*\" in *rawvideo*)\n  echo x >> '{d}/count'\n  if [ \"$(wc -l < '{d}/count')\" -eq 2 ]; then echo $$ > '{d}/pid'; touch '{d}/held'; exec sleep 600; fi;;\nesac\nexec ffmpeg \"$@\"\n",
            d = dir.path().display()
        ),
    )
    .expect("script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut worker = spawn_shard(&file, "0/2", Some(("WEFT_FFMPEG", &script)));
    while !dir.path().join("held").exists() {
        assert!(
            worker.try_wait().expect("wait").is_none(),
            "the worker ended early"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    worker.kill().expect("kill");
    let _ = worker.wait();
    // The held encoder too (its pid, written before it turned into `sleep`).
    let pid = std::fs::read_to_string(dir.path().join("pid")).expect("pid");
    let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
    let status = status(&file, "2");
    let line = status
        .lines()
        .find(|l| l.starts_with("shard 0/2:"))
        .expect("shard 0's line");
    assert!(
        line.contains("7 left"),
        "one chunk of shard 0 finished before the kill: {status}"
    );
    assert!(status.contains("shard 1/2: 8 left"), "{status}");

    let again = spawn_shard(&file, "0/2", None)
        .wait_with_output()
        .expect("runs");
    assert!(again.status.success());
    let report: Value = serde_json::from_slice(&again.stdout).expect("JSON");
    assert_eq!((n(&report, "rendered"), n(&report, "cache_hits")), (7, 1));
    let other = spawn_shard(&file, "1/2", None)
        .wait_with_output()
        .expect("runs");
    assert!(other.status.success());
    let joined = render(&file, ARGS);
    assert_eq!(n(&joined, "rendered"), 0);
    assert_eq!(
        n(&joined, "corrupt"),
        0,
        "the killed chunk left nothing half-written"
    );
}

#[test]
fn bad_shards_are_usage_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("piece.weft");
    std::fs::write(&file, piece()).expect("write");
    for (shard, why) in [
        ("4/4", "the worker index is from 0 to 3 for 4 workers"),
        ("1/0", "expected I/N"),
        ("x/2", "expected I/N"),
        ("-1/2", "expected I/N"),
        ("1/100001", "expected I/N"),
    ] {
        let out = run(weft().args([
            "render",
            file.to_str().unwrap(),
            &format!("--shard={shard}"),
        ]));
        assert_eq!(out.status.code(), Some(2), "{shard}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{shard}: {err}");
    }
    let out = run(weft().args([
        "render",
        file.to_str().unwrap(),
        "--shard",
        "0/2",
        "-o",
        "x.mp4",
    ]));
    assert_eq!(out.status.code(), Some(2));
}
