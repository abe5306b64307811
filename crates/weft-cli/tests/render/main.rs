//! `weft render`, `weft status` and `weft cache` as real processes on real files,
//! with the real `ffmpeg` and `ffprobe`: exactly the edited segment's chunks render
//! again; the video's streams, duration and frames (decoded and compared with
//! `weft frame` at the same times); PNG and WAV outputs equal to `weft frame` and
//! `weft audio`; corrupt entries; a render killed with SIGKILL resumes from its
//! cached chunks and leaves no temporary file; a failing chunk; a missing ffmpeg;
//! `--param` in the keys; the AAC track reused.
//!
//! The cases are split by theme: `video.rs` (outputs against `weft frame` /
//! `weft audio`), `recovery.rs` (edits, corrupt entries, kill and resume, failing
//! chunks, a missing ffmpeg), `commands.rs` (`weft cache`, unwritable places,
//! previews), `reuse.rs` (`--param` values and the cached AAC track). This file
//! holds the shared helpers.

mod commands;
mod recovery;
mod reuse;
mod shards;
mod video;

pub use serde_json::Value;
pub use std::path::{Path, PathBuf};
pub use std::process::{Command, Output, Stdio};

pub fn weft() -> Command {
    Command::new(env!("CARGO_BIN_EXE_weft"))
}

pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.stdin(Stdio::null()).output().expect("running weft");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "weft panicked:\n{err}");
    out
}

/// Runs `weft ARGS`, expecting success; its stdout.
pub fn ok(args: &[&str]) -> String {
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
pub fn render(file: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["render", file.to_str().expect("utf-8"), "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&ok(&args)).expect("the report is JSON")
}

pub fn n(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} in {v}"))
}

pub fn segment<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["segments"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("segment {name} in {report}"))
}

/// Eight one-second segments; each body names its own colour.
pub fn eight(shade: &[(usize, &str)]) -> String {
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

pub const SMALL: &[&str] = &[
    "--size", "32x18", "--fps", "8", "--chunk", "0.5", "--jobs", "2",
];

pub fn probe(path: &Path) -> String {
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

pub fn field<'a>(probe: &'a str, key: &str) -> Vec<&'a str> {
    probe
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{key}=")))
        .collect()
}

pub fn rgb(path: &Path) -> Vec<u8> {
    image::open(path).expect("an image").to_rgb8().into_raw()
}

/// Mean absolute difference per channel.
pub fn mean_diff(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| x.abs_diff(*y) as f64)
        .sum::<f64>()
        / a.len() as f64
}

pub const SMOOTH: &str = "// Smooth colour that changes over time, and a tone.
segment rise(1.5) {
    display(me@x, me@y * me@time / 1.5, 0.3)
    play(0.2 * sin(me@time * tau * 220))
}
segment fall(1) {
    display(1 - me@time, me@x, me@y)
    play(0.1 * sin(me@time * tau * 330), 0.1 * sin(me@time * tau * 440))
}
";

/// Every file in the cache's `chunks/`, sorted.
fn chunk_files(cache: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(cache.join("chunks"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// A chunk being written is staged beside its entry under a hidden name
/// (`.PID-N.write.tmp.chunk`): not an entry until it is renamed.
fn is_staged(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// The cache's entries: its `*.chunk` files, not those being staged.
pub fn entries(cache: &Path) -> Vec<PathBuf> {
    chunk_files(cache)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "chunk") && !is_staged(p))
        .collect()
}

/// The chunks being staged in the cache (or left behind by a killed render).
pub fn staged(cache: &Path) -> Vec<PathBuf> {
    chunk_files(cache)
        .into_iter()
        .filter(|p| is_staged(p))
        .collect()
}

pub const THREE: &str = "segment a(0.5) {\n    display(me@x)\n}\nsegment b(0.5) {\n    display(me@y)\n}\nsegment c(0.5) {\n    display(0.5)\n}\n";

/// An `ffmpeg` that fails its second encoding and runs the real one otherwise.
pub fn flaky_ffmpeg(dir: &Path) -> PathBuf {
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
