//! Only what changed renders again; corrupt entries are rendered again; a killed
//! render resumes; a failing chunk marks its segment; a missing ffmpeg is named.

use super::*;

#[test]
fn editing_one_of_eight_segments_renders_exactly_its_chunks_again() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("eight.weft");
    std::fs::write(&file, eight(&[])).expect("write");
    let cold = render(&file, SMALL);
    assert_eq!(
        (
            n(&cold, "chunks"),
            n(&cold, "rendered"),
            n(&cold, "cache_hits")
        ),
        (16, 16, 0)
    );
    assert!(dir.path().join("eight.mp4").is_file());

    // Comments and spacing change nothing.
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(
        &file,
        text.replace("segment s3(1) {", "// three\nsegment   s3( 1 ) {"),
    )
    .expect("write");
    let same = render(&file, SMALL);
    assert_eq!((n(&same, "rendered"), n(&same, "cache_hits")), (0, 16));

    // One segment's body: its two chunks, nothing else.
    std::fs::write(&file, eight(&[(5, "0.75")])).expect("write");
    let status = ok(&["status", file.to_str().expect("utf-8")]);
    let line = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} in\n{status}"))
            .to_string()
    };
    assert!(line("s5").contains("● dirty"), "{status}");
    for other in ["s1", "s2", "s3", "s4", "s6", "s7", "s8"] {
        assert!(line(other).contains("✓ cached"), "{status}");
    }
    let warm = render(&file, SMALL);
    assert_eq!((n(&warm, "rendered"), n(&warm, "cache_hits")), (2, 14));
    assert_eq!(n(segment(&warm, "s5"), "rendered"), 2);
    assert_eq!(n(segment(&warm, "s4"), "rendered"), 0);
    assert!(
        ok(&["status", file.to_str().expect("utf-8")])
            .matches("✓ cached")
            .count()
            == 8
    );

    // A strand every segment reads: all sixteen.
    std::fs::write(
        &file,
        eight(&[(5, "0.75")]).replace("me@x * 0.5", "me@x * 0.6"),
    )
    .expect("write");
    assert_eq!(n(&render(&file, SMALL), "rendered"), 16);
}

#[test]
fn corrupt_entries_are_detected_and_rendered_again() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("eight.weft");
    std::fs::write(&file, eight(&[])).expect("write");
    render(&file, SMALL);
    let cache = dir.path().join(".weft-cache");
    let list = entries(&cache);
    assert_eq!(list.len(), 16);
    let bytes = std::fs::read(&list[0]).expect("read");
    std::fs::write(&list[0], &bytes[..bytes.len() / 2]).expect("truncate");
    let mut flipped = std::fs::read(&list[1]).expect("read");
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x10;
    std::fs::write(&list[1], flipped).expect("flip");
    std::fs::write(&list[2], b"garbage").expect("garbage");
    std::fs::write(cache.join("chunks").join("stray.chunk"), b"\0\0\0").expect("stray");
    for sub in ["timelines", "errors"] {
        std::fs::write(cache.join(sub).join("junk.json"), b"{not json").expect("junk");
    }
    let again = render(&file, SMALL);
    assert_eq!(
        (
            n(&again, "corrupt"),
            n(&again, "rendered"),
            n(&again, "cache_hits")
        ),
        (3, 3, 13)
    );
    assert_eq!(
        field(&probe(&dir.path().join("eight.mp4")), "nb_read_frames")[0],
        "64"
    );
    assert_eq!(
        entries(&cache).len(),
        16,
        "the stray file is gone, every chunk is back"
    );
}

#[test]
fn a_render_killed_mid_way_resumes_from_its_finished_chunks() {
    // kill -9, and Ctrl-C (SIGINT, which a terminal sends to the whole group).
    for signal in ["KILL", "INT"] {
        killed_and_resumed(signal);
    }
}

fn killed_and_resumed(signal: &str) {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("long.weft");
    std::fs::write(&file, eight(&[]).replace("(1) {", "(2) {")).expect("write");
    let cache = dir.path().join(".weft-cache");
    let args = [
        "render",
        file.to_str().expect("utf-8"),
        "--size",
        "320x180",
        "--fps",
        "24",
        "--chunk",
        "0.5",
        "--jobs",
        "1",
    ];
    let mut child = weft()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // Wait for the first finished chunk (or the end), then the signal.
    while entries(&cache).is_empty() && child.try_wait().expect("wait").is_none() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let _ = child.wait();
    let kept = entries(&cache).len() as u64;
    eprintln!("SIG{signal}: {kept} of 32 chunks finished before it");
    assert!(kept >= 1);
    if kept < 32 {
        assert!(
            !dir.path().join("long.mp4").exists(),
            "no output from a killed render"
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files beside the output: {leftovers:?}"
    );
    let mut rest = vec!["--json"];
    rest.extend_from_slice(&args[2..]);
    let resumed = render(&file, &rest[1..]);
    assert_eq!(n(&resumed, "chunks"), 32);
    assert_eq!(
        n(&resumed, "cache_hits"),
        kept,
        "every finished chunk is reused"
    );
    assert_eq!(n(&resumed, "rendered"), 32 - kept);
    // A chunk the killed render was staging is swept, not kept as an entry.
    let left = staged(&cache);
    assert!(left.is_empty(), "staged chunks left behind: {left:?}");
    assert_eq!(
        field(&probe(&dir.path().join("long.mp4")), "nb_read_frames")[0],
        "384"
    );
}

/// An `ffmpeg` that joins the chunks into its temporary output, then says so in
/// `ready` and sleeps (its pid in `pid`) until killed: a render killed then
/// leaves its temporary MP4 beside the output.
fn stalling_ffmpeg(dir: &Path) -> PathBuf {
    let script = dir.join("stalling-ffmpeg");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh
case \"$*\" in *concat*)
  ffmpeg \"$@\"
  echo $$ > '{d}/pid'; touch '{d}/ready'; exec sleep 600;;
esac
exec ffmpeg \"$@\"
",
            d = dir.display()
        ),
    )
    .expect("write script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    script
}

fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect()
}

#[test]
fn a_render_killed_while_writing_the_output_leaves_nothing_the_next_one_keeps() {
    let work = tempfile::tempdir().expect("tmp");
    let out_dir = work.path().join("out");
    std::fs::create_dir(&out_dir).expect("mkdir");
    let file = work.path().join("three.weft");
    std::fs::write(&file, THREE).expect("write");
    let out = out_dir.join("three.mp4");
    let args = [
        "render",
        file.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
        "--size",
        "16x8",
        "--fps",
        "4",
        "--jobs",
        "1",
    ];
    let mut child = weft()
        .args(args)
        .env("WEFT_FFMPEG", stalling_ffmpeg(work.path()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let ready = work.path().join("ready");
    while !ready.exists() {
        assert!(
            child.try_wait().expect("wait").is_none(),
            "the render ended before joining"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let pid = std::fs::read_to_string(work.path().join("pid")).expect("pid");
    for p in [child.id().to_string(), pid.trim().to_string()] {
        assert!(Command::new("kill")
            .args(["-KILL", &p])
            .status()
            .expect("kill")
            .success());
    }
    let _ = child.wait();
    assert!(!out.exists(), "no output from a killed render");
    let left = temporaries(&out_dir);
    assert_eq!(left.len(), 1, "the killed join's temporary MP4: {left:?}");
    let resumed = render(&file, &args[2..]);
    assert_eq!(n(&resumed, "rendered"), 0, "every chunk was cached");
    assert!(out.is_file());
    assert_eq!(
        temporaries(&out_dir),
        Vec::<String>::new(),
        "the stale one is removed"
    );
}

#[test]
fn a_failing_chunk_marks_its_segment_and_the_others_stay_cached() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("three.weft");
    std::fs::write(&file, THREE).expect("write");
    let f = file.to_str().expect("utf-8");
    let args = ["render", f, "--size", "16x8", "--fps", "4", "--jobs", "1"];
    let out = run(weft()
        .args(args)
        .env("WEFT_FFMPEG", flaky_ffmpeg(dir.path())));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("segment b") && err.contains("simulated encoder failure"),
        "{err}"
    );
    assert!(
        !dir.path().join("three.mp4").exists(),
        "no output from a failed render"
    );
    let status = ok(&["status", f]);
    assert!(
        status.contains("a ") && status.matches("✓ cached").count() == 2,
        "{status}"
    );
    assert!(status.contains("✗ error: ffmpeg failed"), "{status}");
    let again = render(&file, &args[2..]);
    assert_eq!(
        (
            n(&again, "rendered"),
            n(&again, "cache_hits"),
            n(&again, "failed")
        ),
        (1, 2, 0)
    );
    assert!(dir.path().join("three.mp4").is_file());
    assert_eq!(ok(&["status", f]).matches("✓ cached").count(), 3);
}

#[test]
fn a_missing_ffmpeg_is_a_clear_error_naming_the_install() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("three.weft");
    std::fs::write(&file, THREE).expect("write");
    let f = file.to_str().expect("utf-8");
    for (key, value) in [
        ("WEFT_FFMPEG", "/nonexistent/ffmpeg"),
        ("PATH", "/nonexistent"),
    ] {
        let mut cmd = weft();
        cmd.args(["render", f, "--size", "16x8"])
            .env_remove("WEFT_FFMPEG")
            .env(key, value);
        let out = run(&mut cmd);
        assert_eq!(out.status.code(), Some(3), "{key}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("apt-get install ffmpeg"), "{err}");
        assert!(!dir.path().join("three.mp4").exists());
    }
}
