//! What a render reuses, and only when it may: `--param` values are part of every
//! chunk's key; the MP4's AAC track is encoded once and then taken from the cache
//! until the sound changes.

use super::*;

const LEVEL: &str = "level<v> = param(0.5, 0, 1)\ndisplay(level@v)\n";

fn refs(a: &[String]) -> Vec<&str> {
    a.iter().map(String::as_str).collect()
}

/// The first frame of a PNG render into `dir/frames`.
fn first_pixel(dir: &Path) -> u8 {
    image::open(dir.join("frames/frame-000000.png"))
        .expect("a frame")
        .to_rgb8()
        .get_pixel(0, 0)
        .0[0]
}

#[test]
fn param_values_are_part_of_the_chunk_keys() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("level.weft");
    std::fs::write(&file, LEVEL).expect("write");
    let frames = dir.path().join("frames");
    let o = frames.to_str().expect("utf-8");
    let base = [
        "--format",
        "png",
        "-o",
        o,
        "--size",
        "4x2",
        "--fps",
        "2",
        "--duration",
        "1",
    ];
    let args = |v: &str| -> Vec<String> {
        let mut a: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        a.extend(["--param".to_string(), format!("level={v}")]);
        a
    };

    let quarter = render(&file, &refs(&args("0.25")));
    assert_eq!(n(&quarter, "rendered"), 1);
    assert_eq!(first_pixel(dir.path()), 64);
    let three = render(&file, &refs(&args("0.75")));
    assert_eq!(
        (n(&three, "rendered"), n(&three, "cache_hits")),
        (1, 0),
        "another value is another key"
    );
    assert_eq!(first_pixel(dir.path()), 191);
    // Clamped to the range, like `weft frame --param`.
    render(&file, &refs(&args("7")));
    assert_eq!(first_pixel(dir.path()), 255);
    let again = render(&file, &refs(&args("0.25")));
    assert_eq!((n(&again, "rendered"), n(&again, "cache_hits")), (0, 1));
    assert_eq!(first_pixel(dir.path()), 64);
    let mut status = vec!["status", file.to_str().expect("utf-8")];
    let a = args("0.75");
    status.extend(refs(&a));
    status.retain(|s| !["-o", o].contains(s));
    assert!(ok(&status).contains("✓ cached"));
    let out = run(weft().args(["render", file.to_str().expect("utf-8"), "--param", "nope=1"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no parameter `nope`"));
}

/// An `ffmpeg` that logs its arguments, one run a line, then runs the real one.
fn logging_ffmpeg(dir: &Path) -> (PathBuf, PathBuf) {
    let script = dir.join("logging-ffmpeg");
    let log = dir.join("ffmpeg.log");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nexec ffmpeg \"$@\"\n",
            log.display()
        ),
    )
    .expect("write script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    (script, log)
}

/// How many `ffmpeg` runs of the log encoded AAC.
fn aac_encodes(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("-c:a aac"))
        .count()
}

#[test]
fn the_aac_track_is_encoded_once_until_the_sound_changes() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("smooth.weft");
    std::fs::write(&file, SMOOTH).expect("write");
    let (ffmpeg, log) = logging_ffmpeg(dir.path());
    let f = file.to_str().expect("utf-8");
    let args = [
        "render", f, "--size", "16x8", "--fps", "4", "--jobs", "1", "--json",
    ];
    let go = || {
        let out = run(weft().args(args).env("WEFT_FFMPEG", &ffmpeg));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    go();
    assert_eq!(aac_encodes(&log), 1);
    let mp4 = dir.path().join("smooth.mp4");
    let streams = probe(&mp4);
    assert_eq!(field(&streams, "codec_name"), ["h264", "aac"]);
    go();
    assert_eq!(aac_encodes(&log), 1, "nothing changed: the track is reused");
    assert_eq!(field(&probe(&mp4), "codec_name"), ["h264", "aac"]);
    // A picture-only edit keeps the track; a sound edit encodes it again.
    std::fs::write(&file, SMOOTH.replace("0.3)", "0.4)")).expect("write");
    go();
    assert_eq!(aac_encodes(&log), 1, "only the picture changed");
    std::fs::write(&file, SMOOTH.replace("220", "230")).expect("write");
    go();
    assert_eq!(aac_encodes(&log), 2, "the sound changed");
}
