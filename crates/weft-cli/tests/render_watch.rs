//! `weft render --watch` driven as a user would: a real process, real saves, a
//! real ffmpeg behind a wrapper that counts every chunk encode (and, to make a
//! save land during a render, holds the first encode until the test lets it go).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Watching {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Watching {
    fn start(dir: &Path, ffmpeg: &Path) -> Watching {
        let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
            .args([
                "render",
                "piece.weft",
                "-o",
                "piece.mp4",
                "--size",
                "256x144",
                "--fps",
                "4",
                "--chunk",
                "1",
                "--jobs",
                "1",
                "--watch",
            ])
            .env("WEFT_FFMPEG", ffmpeg)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("weft render starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    return;
                }
            }
        });
        Watching { child, lines }
    }

    /// The next line containing `want` (lines before it are skipped).
    fn expect(&self, want: &str) -> String {
        let mut seen = String::new();
        loop {
            match self.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(l) if l.contains(want) => return l,
                Ok(l) => {
                    seen.push_str(&l);
                    seen.push('\n');
                }
                Err(_) => panic!("`{want}` never came; output so far:\n{seen}"),
            }
        }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Eight one-second segments, each its own colour.
fn piece(colours: &[f64; 8]) -> String {
    let mut text = String::new();
    for (i, c) in colours.iter().enumerate() {
        text.push_str(&format!(
            "segment s{}(1) {{\n    display({c}, 0.5, 0.5)\n}}\n",
            i + 1
        ));
    }
    text
}

/// An ffmpeg that appends a line to `encodes` for every chunk encode and, while
/// `hold` exists in the folder, waits before the first one.
fn wrapper(dir: &Path) -> PathBuf {
    let path = dir.join("ffmpeg-wrapper.sh");
    std::fs::write(
        &path,
        "#!/bin/sh\ncase \"$*\" in *rawvideo*)\n  echo encode >> \"$(dirname \"$0\")/encodes\"\n  touch \"$(dirname \"$0\")/encoding\"\n  while [ -e \"$(dirname \"$0\")/hold\" ]; do sleep 0.05; done;;\nesac\nexec ffmpeg \"$@\"\n",
    )
    .expect("wrapper");
    let mut perm = std::fs::metadata(&path).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&path, perm).expect("chmod");
    path
}

fn encodes(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("encodes"))
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

/// An editor's atomic save.
fn save(dir: &Path, text: &str) {
    let tmp = dir.join(".piece.weft.tmp");
    std::fs::write(&tmp, text).expect("write");
    std::fs::rename(&tmp, dir.join("piece.weft")).expect("rename");
}

/// The red of the video's frame at `seconds` (middle pixel).
fn red_at(video: &Path, seconds: f64) -> u8 {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-ss", &seconds.to_string(), "-i"])
        .arg(video)
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .expect("ffmpeg decodes");
    let px = (72 * 256 + 128) * 3;
    out.stdout.get(px).copied().expect("a frame")
}

#[test]
fn editing_one_segment_of_eight_renders_its_chunk_and_joins_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ffmpeg = wrapper(dir.path());
    let mut colours = [0.1; 8];
    std::fs::write(dir.path().join("piece.weft"), piece(&colours)).expect("write");
    let w = Watching::start(dir.path(), &ffmpeg);
    let first = w.expect("round 1:");
    assert!(
        first.contains("rendered 8 chunk(s)") && first.contains("wrote piece.mp4"),
        "{first}"
    );
    assert_eq!(encodes(dir.path()), 8);
    let video = dir.path().join("piece.mp4");
    assert!(red_at(&video, 4.5).abs_diff(26) <= 3);

    colours[4] = 0.9;
    save(dir.path(), &piece(&colours));
    assert_eq!(w.expect("changed;"), "piece.weft changed; dirty: s5");
    let second = w.expect("round 2:");
    assert!(
        second.contains("rendered 1 chunk(s) of s5 (1), 7 cached")
            && second.contains("wrote piece.mp4"),
        "{second}"
    );
    assert_eq!(encodes(dir.path()), 9, "exactly one more chunk encoded");
    assert!(
        red_at(&video, 4.5).abs_diff(230) <= 3,
        "the new colour is in the video"
    );
    assert!(
        red_at(&video, 2.5).abs_diff(26) <= 3,
        "the others are as they were"
    );

    // A broken save keeps the last video and renders nothing.
    save(dir.path(), "segment s1(1) {\n    display(nope)\n}\n");
    let before = std::fs::read(&video).expect("video");
    colours[4] = 0.5;
    save(dir.path(), &piece(&colours));
    assert_eq!(w.expect("changed;"), "piece.weft changed; dirty: s5");
    let third = w.expect("round 3:");
    assert!(
        third.contains("rendered 1 chunk(s) of s5 (1), 7 cached"),
        "{third}"
    );
    assert_ne!(std::fs::read(&video).expect("video"), before);
}

#[test]
fn a_save_during_a_render_cancels_only_the_stale_chunks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ffmpeg = wrapper(dir.path());
    let mut colours = [0.1; 8];
    std::fs::write(dir.path().join("piece.weft"), piece(&colours)).expect("write");
    std::fs::write(dir.path().join("hold"), "").expect("hold");
    let w = Watching::start(dir.path(), &ffmpeg);
    // The first chunk (s1) is being encoded and held.
    for _ in 0..1200 {
        if dir.path().join("encoding").exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        dir.path().join("encoding").exists(),
        "the first encode started"
    );
    // s1 (running) and s8 (queued) become stale; s2 … s7 stay wanted.
    colours[0] = 0.9;
    colours[7] = 0.9;
    save(dir.path(), &piece(&colours));
    assert_eq!(w.expect("changed;"), "piece.weft changed; dirty: s1, s8");
    std::fs::remove_file(dir.path().join("hold")).expect("let go");
    let first = w.expect("round 1:");
    assert!(
        first.contains("rendered 6 chunk(s)") && first.contains("2 stale chunk(s) cancelled"),
        "{first}"
    );
    let second = w.expect("round 2:");
    assert!(
        second.contains("rendered 2 chunk(s)")
            && second.contains("6 cached")
            && second.contains("wrote piece.mp4"),
        "{second}"
    );
    // s1 started before the save (cancelled mid-chunk), s8 never did.
    assert_eq!(encodes(dir.path()), 7 + 2);
    let video = dir.path().join("piece.mp4");
    assert!(red_at(&video, 0.5).abs_diff(230) <= 3);
    assert!(red_at(&video, 7.5).abs_diff(230) <= 3);
    assert!(red_at(&video, 3.5).abs_diff(26) <= 3);
}
