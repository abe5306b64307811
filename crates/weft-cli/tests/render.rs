//! `weft render`, `weft status` and `weft cache` as real processes on real files,
//! with the real `ffmpeg` and `ffprobe`: exactly the edited segment's chunks render
//! again; the video's streams, duration and frames (decoded and compared with
//! `weft frame` at the same times); PNG and WAV outputs equal to `weft frame` and
//! `weft audio`; corrupt entries; a render killed with SIGKILL resumes from its
//! cached chunks; a failing chunk; a missing ffmpeg.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn weft() -> Command {
    Command::new(env!("CARGO_BIN_EXE_weft"))
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.stdin(Stdio::null()).output().expect("running weft");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "weft panicked:\n{err}");
    out
}

/// Runs `weft ARGS`, expecting success; its stdout.
fn ok(args: &[&str]) -> String {
    let out = run(weft().args(args));
    assert!(
        out.status.success(),
        "weft {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Renders with `--json` and returns the report.
fn render(file: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["render", file.to_str().expect("utf-8"), "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&ok(&args)).expect("the report is JSON")
}

fn n(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} in {v}"))
}

fn segment<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["segments"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("segment {name} in {report}"))
}

/// Eight one-second segments; each body names its own colour.
fn eight(shade: &[(usize, &str)]) -> String {
    let mut s = String::from("// Eight parts.\nbase<v> = me@x * 0.5\n");
    for i in 1..=8 {
        let blue = shade
            .iter()
            .find(|(k, _)| *k == i)
            .map_or("0.25", |(_, v)| v);
        s.push_str(&format!(
            "segment s{i}(1) {{\n    c{i}<v> = base@v + me@time * 0.{i}\n    display(c{i}@v, me@y, {blue})\n}}\n"
        ));
    }
    s
}

const SMALL: &[&str] = &[
    "--size", "32x18", "--fps", "8", "--chunk", "0.5", "--jobs", "2",
];

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

fn probe(path: &Path) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-show_entries"])
        .arg("stream=codec_type,codec_name,pix_fmt,width,height,nb_read_frames,channels,sample_rate:format=duration")
        .args(["-of", "default=nw=1"])
        .arg(path)
        .output()
        .expect("ffprobe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn field<'a>(probe: &'a str, key: &str) -> Vec<&'a str> {
    probe
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{key}=")))
        .collect()
}

fn rgb(path: &Path) -> Vec<u8> {
    image::open(path).expect("an image").to_rgb8().into_raw()
}

/// Mean absolute difference per channel.
fn mean_diff(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| x.abs_diff(*y) as f64)
        .sum::<f64>()
        / a.len() as f64
}

const SMOOTH: &str = "// Smooth colour that changes over time, and a tone.
segment rise(1.5) {
    display(me@x, me@y * me@time / 1.5, 0.3)
    play(0.2 * sin(me@time * tau * 220))
}
segment fall(1) {
    display(1 - me@time, me@x, me@y)
    play(0.1 * sin(me@time * tau * 330), 0.1 * sin(me@time * tau * 440))
}
";

#[test]
fn the_video_has_its_streams_length_and_frames_and_shows_what_weft_frame_shows() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("smooth.weft");
    std::fs::write(&file, SMOOTH).expect("write");
    let out = dir.path().join("smooth.mp4");
    let o = out.to_str().expect("utf-8");
    let report = render(
        &file,
        &[
            "--quality",
            "high",
            "--size",
            "64x36",
            "--fps",
            "10",
            "-o",
            o,
        ],
    );
    assert_eq!(n(&report, "failed"), 0);
    let p = probe(&out);
    assert_eq!(field(&p, "codec_name"), ["h264", "aac"], "{p}");
    assert_eq!(field(&p, "pix_fmt"), ["yuv420p"], "{p}");
    assert_eq!(field(&p, "width"), ["64"], "{p}");
    assert_eq!(field(&p, "nb_read_frames")[0], "25", "{p}");
    assert_eq!(field(&p, "channels"), ["2"], "{p}");
    let duration: f64 = field(&p, "duration")[0].parse().expect("a duration");
    assert!((duration - 2.5).abs() < 0.05, "duration {duration}");
    // Frames decoded from the video against `weft frame` at the same times; and a
    // frame against the wrong time, which must differ clearly.
    let mut diffs = Vec::new();
    for k in [0u32, 9, 14, 15, 24] {
        let decoded = dir.path().join(format!("decoded-{k}.png"));
        let status = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-i", o, "-vf"])
            .arg(format!("select=eq(n\\,{k})"))
            .args(["-frames:v", "1"])
            .arg(&decoded)
            .status()
            .expect("ffmpeg");
        assert!(status.success());
        let frame = |t: f64, name: &str| {
            let p = dir.path().join(name);
            ok(&[
                "frame",
                file.to_str().expect("utf-8"),
                "--time",
                &t.to_string(),
                "--size",
                "64x36",
                "-o",
                p.to_str().expect("utf-8"),
            ]);
            rgb(&p)
        };
        let want = frame(k as f64 / 10.0, "want.png");
        let got = rgb(&decoded);
        diffs.push((k, mean_diff(&got, &want)));
        let wrong = frame((k as f64 / 10.0 + 1.2) % 2.5, "wrong.png");
        assert!(
            mean_diff(&got, &wrong) > 8.0,
            "frame {k} also matches another time"
        );
    }
    eprintln!("mean differences per frame: {diffs:?}");
    assert!(
        diffs.iter().all(|(_, d)| *d < 4.0),
        "mean differences per frame: {diffs:?}"
    );
}

#[test]
fn png_frames_and_wav_samples_equal_weft_frame_and_weft_audio() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("smooth.weft");
    std::fs::write(&file, SMOOTH).expect("write");
    let f = file.to_str().expect("utf-8");
    let frames = dir.path().join("frames");
    render(
        &file,
        &[
            "--format",
            "png",
            "--size",
            "24x16",
            "--fps",
            "4",
            "-o",
            frames.to_str().expect("utf-8"),
        ],
    );
    let mut names: Vec<String> = std::fs::read_dir(&frames)
        .expect("frames")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 10, "{names:?}");
    for (k, name) in names.iter().enumerate() {
        assert_eq!(name, &format!("frame-{k:06}.png"));
        let want = dir.path().join("want.png");
        ok(&[
            "frame",
            f,
            "--time",
            &(k as f64 / 4.0).to_string(),
            "--size",
            "24x16",
            "-o",
            want.to_str().expect("utf-8"),
        ]);
        assert!(
            rgb(&frames.join(name)) == rgb(&want),
            "frame {k} differs from weft frame"
        );
    }
    let wav = dir.path().join("out.wav");
    let want = dir.path().join("want.wav");
    render(
        &file,
        &[
            "--format",
            "wav",
            "--rate",
            "8000",
            "--chunk",
            "0.3",
            "-o",
            wav.to_str().expect("utf-8"),
        ],
    );
    ok(&[
        "audio",
        f,
        "--rate",
        "8000",
        "-o",
        want.to_str().expect("utf-8"),
    ]);
    let read = |p: &Path| -> (u16, Vec<f32>) {
        let mut r = hound::WavReader::open(p).expect("a wav");
        let ch = r.spec().channels;
        (
            ch,
            r.samples::<f32>().map(|s| s.expect("a sample")).collect(),
        )
    };
    let (got, want) = (read(&wav), read(&want));
    assert_eq!(got.0, 2);
    assert_eq!(got.1.len(), 2 * 20_000);
    assert!(got == want, "the WAV differs from weft audio");
}

fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(cache.join("chunks"))
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "chunk"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
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
    // Wait for the first finished chunk (or the end), then SIGKILL.
    while entries(&cache).is_empty() && child.try_wait().expect("wait").is_none() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let kept = entries(&cache).len() as u64;
    eprintln!("{kept} of 32 chunks finished before the kill");
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
    assert_eq!(
        field(&probe(&dir.path().join("long.mp4")), "nb_read_frames")[0],
        "384"
    );
}

const THREE: &str = "segment a(0.5) {\n    display(me@x)\n}\nsegment b(0.5) {\n    display(me@y)\n}\nsegment c(0.5) {\n    display(0.5)\n}\n";

/// An `ffmpeg` that fails its second encoding and runs the real one otherwise.
fn flaky_ffmpeg(dir: &Path) -> PathBuf {
    let script = dir.join("flaky-ffmpeg");
    let count = dir.join("count");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncase \"$*\" in *rawvideo*)\n  n=$(cat '{c}' 2>/dev/null || echo 0); n=$((n + 1)); echo $n > '{c}'\n  if [ $n -eq 2 ]; then echo 'simulated encoder failure' >&2; exit 1; fi;;\nesac\nexec ffmpeg \"$@\"\n",
            c = count.display()
        ),
    )
    .expect("write script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    script
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
