//! `weft cache info | invalidate | clear`, places that cannot be written, and the
//! last-frame preview.

use super::*;

#[test]
fn cache_info_invalidate_and_clear() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("three.weft");
    std::fs::write(&file, THREE).expect("write");
    let f = file.to_str().expect("utf-8");
    let cache = dir.path().join("elsewhere");
    let c = cache.to_str().expect("utf-8");
    let args = [
        "--size", "16x8", "--fps", "4", "--chunk", "0.25", "--cache", c,
    ];
    assert_eq!(n(&render(&file, &args), "rendered"), 6);
    assert!(
        !dir.path().join(".weft-cache").exists(),
        "--cache moves the cache"
    );
    let info: Value =
        serde_json::from_str(&ok(&["cache", "info", "--cache", c, "--json"])).expect("json");
    assert_eq!(n(&info, "entries"), 6);
    let per: Vec<(String, u64)> = info["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .map(|s| {
            (
                s["segment"].as_str().unwrap_or("").to_string(),
                n(s, "entries"),
            )
        })
        .collect();
    assert_eq!(per, [("a".into(), 2), ("b".into(), 2), ("c".into(), 2)]);
    assert!(ok(&["cache", "info", c]).contains("6 entries"));
    assert!(ok(&["cache", "invalidate", "b", "--cache", c]).contains("removed 2 entries"));
    let status = ok(&["status", f, "--cache", c]);
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("b ") && l.contains("○ pending")),
        "{status}"
    );
    let again = render(&file, &args);
    assert_eq!((n(&again, "rendered"), n(&again, "cache_hits")), (2, 4));
    assert_eq!(n(segment(&again, "b"), "rendered"), 2);
    assert!(ok(&["cache", "clear", c]).contains("removed 6 entries"));
    assert!(ok(&["cache", "info", c]).contains(" 0 entries"));
}

#[test]
fn a_cache_or_output_that_cannot_be_written_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("three.weft");
    std::fs::write(&file, THREE).expect("write");
    let f = file.to_str().expect("utf-8");
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, b"x").expect("write");
    let cases: [(&[&str], &str); 3] = [
        (&["--cache", blocker.to_str().expect("utf-8")], "a-file"),
        (&["-o", &format!("{}/out.mp4", blocker.display())], "a-file"),
        (
            &[
                "--format",
                "png",
                "-o",
                &format!("{}/frames", blocker.display()),
            ],
            "a-file",
        ),
    ];
    for (extra, says) in cases {
        let mut args = vec!["render", f, "--size", "16x8", "--fps", "4"];
        args.extend_from_slice(extra);
        let out = run(weft().args(&args));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
        assert!(err.starts_with("error: ") && err.contains(says), "{err}");
        assert!(!dir.path().join("three.mp4").exists());
    }
}

#[test]
fn the_preview_is_the_last_frame_of_every_segment() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("smooth.weft");
    std::fs::write(&file, SMOOTH).expect("write");
    let f = file.to_str().expect("utf-8");
    let out = ok(&["render", f, "--preview", "--size", "20x12", "--fps", "10"]);
    let shown = dir.path().join("smooth-preview");
    assert_eq!(out.lines().count(), 2, "{out}");
    // rise: frames 0..15, its last at 1.4 s; fall: frames 15..25, its last at 2.4 s.
    for (name, t) in [("01-rise.png", "1.4"), ("02-fall.png", "2.4")] {
        let want = dir.path().join("want.png");
        ok(&[
            "frame",
            f,
            "--time",
            t,
            "--size",
            "20x12",
            "-o",
            want.to_str().expect("utf-8"),
        ]);
        assert!(rgb(&shown.join(name)) == rgb(&want), "{name}");
    }
    assert!(
        !dir.path().join(".weft-cache").exists(),
        "a preview needs no cache"
    );
}
