//! Every path weft reads or writes, met with what is not an ordinary file, as real
//! processes: `/dev/zero`, a FIFO, a folder and a too-large (sparse) file as the
//! program, as a `use`, as a `load`, as `--mic` and as `weft dev --camera` are
//! refused promptly with the reason; an output never replaces an input (the
//! program, a file it uses or loads) nor a FIFO or a device; `weft audio` streams
//! to disk within WAV's 4 GiB; `weft graph` prints each wire once.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `weft ARGS` in `dir`; a run that has not ended after a minute is killed
/// and fails the test (a bound against hanging, not a timing assertion).
fn weft(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run weft");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`weft {}` hangs", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code().is_some() && !err.contains("panicked"),
        "`weft {}` crashed:\n{err}",
        args.join(" ")
    );
    out
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo is installed");
    assert!(ok.success());
}

fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

/// A sparse file one byte larger than `limit`.
fn sparse(path: &Path, limit: u64) {
    std::fs::File::create(path)
        .and_then(|f| f.set_len(limit + 1))
        .expect("a sparse file");
}

const PROGRAM_LIMIT: u64 = 16 << 20;
const DATA_LIMIT: u64 = 1 << 30;

/// The hostile inputs: (name, path, reason shown) — each made in `dir`, sized
/// past `limit`.
fn hostile(dir: &Path, limit: u64) -> Vec<(&'static str, PathBuf, &'static str)> {
    let fifo = dir.join("fifo");
    if !fifo.exists() {
        mkfifo(&fifo);
    }
    let folder = dir.join("folder");
    std::fs::create_dir_all(&folder).expect("mkdir");
    let big = dir.join(format!("big-{limit}"));
    sparse(&big, limit);
    vec![
        (
            "/dev/zero",
            PathBuf::from("/dev/zero"),
            "it is a character device, not a regular file",
        ),
        (
            "a FIFO",
            fifo,
            "it is a FIFO (named pipe), not a regular file",
        ),
        ("a folder", folder, "it is a directory, not a file"),
        ("a too-large file", big, "it is larger than"),
    ]
}

fn expect(out: &Output, code: i32, has: &[&str], what: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{what}:\n{err}");
    for h in has {
        assert!(err.contains(h), "{what}: no {h:?} in\n{err}");
    }
}

#[test]
fn a_program_that_is_not_a_regular_file_is_refused_promptly() {
    let dir = tempfile::tempdir().expect("tmp");
    let png = s(&dir.path().join("out.png"));
    for (name, path, reason) in hostile(dir.path(), PROGRAM_LIMIT) {
        let p = s(&path);
        for args in [
            vec!["check", &p],
            vec!["frame", &p, "--size", "4x4", "-o", &png],
            vec!["run", &p],
            vec!["render", &p, "--format", "wav", "--cache", "c"],
        ] {
            let what = format!("{name} as the program of `{}`", args[0]);
            expect(&weft(dir.path(), &args), 3, &["cannot read", reason], &what);
        }
    }
    assert!(!dir.path().join("out.png").exists());
}

#[test]
fn a_use_load_or_mic_that_is_not_a_regular_file_is_refused_promptly() {
    let dir = tempfile::tempdir().expect("tmp");
    let png = s(&dir.path().join("out.png"));
    let mic = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/mic.weft");
    for (limit, role) in [
        (PROGRAM_LIMIT, "use"),
        (DATA_LIMIT, "load"),
        (DATA_LIMIT, "mic"),
    ] {
        for (name, path, reason) in hostile(dir.path(), limit) {
            let what = format!("{name} as `{role}`");
            let out = match role {
                "use" => {
                    let prog = dir.path().join("uses.weft");
                    let text = format!("use \"{}\"\ndisplay(me@x)\n", path.display());
                    std::fs::write(&prog, text).expect("write");
                    let out = weft(dir.path(), &["check", &s(&prog)]);
                    expect(&out, 1, &["error[E0307]", reason], &what);
                    weft(dir.path(), &["frame", &s(&prog), "-o", &png])
                }
                "load" => {
                    let prog = dir.path().join("loads.weft");
                    let text = format!(
                        "img<r, g, b, a> = load(\"{}\")\ndisplay(img@r, img@g, img@b)\n",
                        path.display()
                    );
                    std::fs::write(&prog, text).expect("write");
                    let out = weft(dir.path(), &["check", &s(&prog)]);
                    expect(&out, 1, &["error[E0601]", reason], &what);
                    weft(dir.path(), &["frame", &s(&prog), "-o", &png])
                }
                _ => weft(
                    dir.path(),
                    &[
                        "frame",
                        &s(&mic),
                        "--size",
                        "4x4",
                        "--mic",
                        &s(&path),
                        "-o",
                        &png,
                    ],
                ),
            };
            let code = if role == "use" { "E0307" } else { "E0601" };
            expect(&out, 1, &[&format!("error[{code}]"), reason], &what);
        }
    }
    assert!(!dir.path().join("out.png").exists());
}

#[test]
fn a_dev_camera_that_is_not_a_regular_file_is_refused_before_serving() {
    let dir = tempfile::tempdir().expect("tmp");
    let folder = s(dir.path());
    // Streamed by ffmpeg, so no size limit: the too-large file is not hostile here.
    for (name, path, reason) in hostile(dir.path(), DATA_LIMIT)
        .into_iter()
        .filter(|(name, ..)| *name != "a too-large file")
    {
        let args = ["dev", &folder, "--port", "0", "--camera", &s(&path)];
        let what = format!("{name} as `weft dev --camera`");
        expect(
            &weft(dir.path(), &args),
            3,
            &["cannot read the camera", reason],
            &what,
        );
    }
}

#[test]
fn run_on_a_folder_says_it_is_a_folder() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = weft(dir.path(), &["run", "."]);
    expect(
        &out,
        3,
        &["cannot read .: it is a directory, not a file"],
        "weft run .",
    );
}

const USES: &str = "use \"lib.weft\"\nimg<r, g, b, a> = load(\"pic.png\")\ndisplay(shade@v, img@g, 0.5)\nplay(0.1 * sin(me@time * 440))\n";

/// A program that uses `lib.weft` and loads `pic.png`, in `dir`.
fn program_with_inputs(dir: &Path) -> PathBuf {
    std::fs::write(dir.join("lib.weft"), "shade<v> = me@x\n").expect("write");
    image::save_buffer(
        dir.join("pic.png"),
        &[1, 2, 3, 255],
        1,
        1,
        image::ColorType::Rgba8,
    )
    .expect("png");
    let prog = dir.join("piece.weft");
    std::fs::write(&prog, USES).expect("write");
    prog
}

/// The bytes of every input, to check none changed.
fn inputs(dir: &Path) -> Vec<Vec<u8>> {
    ["piece.weft", "lib.weft", "pic.png"]
        .iter()
        .map(|n| std::fs::read(dir.join(n)).expect("an input"))
        .collect()
}

#[test]
fn frame_and_audio_never_write_over_an_input_a_fifo_or_a_device() {
    let dir = tempfile::tempdir().expect("tmp");
    let prog = s(&program_with_inputs(dir.path()));
    let before = inputs(dir.path());
    let fifo = dir.path().join("fifo.png");
    mkfifo(&fifo);
    let null = dir.path().join("null.wav");
    std::os::unix::fs::symlink("/dev/null", &null).expect("symlink");
    let link = dir.path().join("link.weft");
    std::os::unix::fs::symlink("piece.weft", &link).expect("symlink");
    for out in ["piece.weft", "lib.weft", "pic.png", "link.weft"] {
        for cmd in ["frame", "audio"] {
            let args = match cmd {
                "frame" => vec!["frame", &prog, "--size", "2x2", "-o", out],
                _ => vec!["audio", &prog, "--duration", "0.01", "-o", out],
            };
            let what = format!("weft {cmd} -o {out}");
            expect(
                &weft(dir.path(), &args),
                3,
                &["one of the files this command reads"],
                &what,
            );
        }
    }
    let out = weft(
        dir.path(),
        &["frame", &prog, "--size", "2x2", "-o", "fifo.png"],
    );
    expect(&out, 3, &["FIFO"], "weft frame -o a FIFO");
    let out = weft(
        dir.path(),
        &["audio", &prog, "--duration", "0.01", "-o", "null.wav"],
    );
    expect(
        &out,
        3,
        &["character device"],
        "weft audio -o a link to /dev/null",
    );
    assert_eq!(inputs(dir.path()), before, "an input changed");
    assert!(is_fifo(&fifo), "the FIFO was replaced");
    assert_eq!(
        std::fs::read_link(&null).expect("still a link"),
        Path::new("/dev/null")
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(names.is_empty(), "temporary files left: {names:?}");
}

#[test]
fn render_never_writes_over_an_input_a_fifo_or_a_device() {
    let dir = tempfile::tempdir().expect("tmp");
    let prog = s(&program_with_inputs(dir.path()));
    let before = inputs(dir.path());
    let fifo = dir.path().join("fifo.mp4");
    mkfifo(&fifo);
    let small = [
        "--size",
        "16x8",
        "--fps",
        "4",
        "--duration",
        "0.5",
        "--jobs",
        "1",
    ];
    for (format, out) in [
        ("mp4", "piece.weft"),
        ("mp4", "lib.weft"),
        ("wav", "pic.png"),
        ("wav", "piece.weft"),
        ("mp4", "fifo.mp4"),
    ] {
        let mut args = vec!["render", &prog, "--format", format, "-o", out];
        args.extend_from_slice(&small);
        let out_run = weft(dir.path(), &args);
        let want = if out == "fifo.mp4" {
            "FIFO"
        } else {
            "one of the files this command reads"
        };
        expect(
            &out_run,
            3,
            &[want],
            &format!("weft render --format {format} -o {out}"),
        );
    }
    // A PNG folder whose frame names the program reads: the frame is refused.
    std::fs::create_dir(dir.path().join("frames")).expect("mkdir");
    std::fs::copy(
        dir.path().join("pic.png"),
        dir.path().join("frames/frame-000000.png"),
    )
    .expect("copy");
    let text = USES.replace("pic.png", "frames/frame-000000.png");
    std::fs::write(dir.path().join("framed.weft"), text).expect("write");
    let mut args = vec!["render", "framed.weft", "--format", "png", "-o", "frames"];
    args.extend_from_slice(&small);
    expect(
        &weft(dir.path(), &args),
        3,
        &["one of the files this command reads"],
        "weft render --format png into the folder of an input",
    );
    assert_eq!(
        std::fs::read(dir.path().join("frames/frame-000000.png")).expect("read"),
        before[2]
    );
    assert_eq!(inputs(dir.path()), before, "an input changed");
    assert!(is_fifo(&fifo), "the FIFO was replaced");
}

#[test]
fn graph_prints_each_wire_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let prog = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/programs/shared-read.weft");
    let out = weft(dir.path(), &["graph", &s(&prog)]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let wire = "env@v: visual batch 1 -> audio batch 2 via value getter";
    assert_eq!(text.matches(wire).count(), 1, "{text}");
}

/// The peak resident memory of `weft ARGS`, in KiB (from `wait4`).
// Reaped by `wait4`, which also gives its peak memory (`Child::wait` does not).
#[allow(clippy::zombie_processes)]
fn peak_kib(dir: &Path, args: &[&str]) -> (i32, i64) {
    let child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run weft");
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value of the plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pid is our own child, not yet waited for; the pointers are to
    // live locals.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32);
    (libc::WEXITSTATUS(status), usage.ru_maxrss)
}

#[test]
fn a_long_audio_render_streams_to_disk() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("sine.weft"),
        "play(0.5 * sin(me@time * tau * 440))\n",
    )
    .expect("write");
    // 1000 s at 48 kHz, mono: 192 MB of samples.
    let (code, kib) = peak_kib(
        dir.path(),
        &[
            "audio",
            "sine.weft",
            "--duration",
            "1000",
            "--rate",
            "48000",
            "-o",
            "long.wav",
        ],
    );
    assert_eq!(code, 0);
    let len = std::fs::metadata(dir.path().join("long.wav"))
        .expect("written")
        .len();
    assert!(len > 192_000_000, "{len} bytes");
    assert!(
        kib < 120 * 1024,
        "peak memory {} MiB: the samples were held in memory",
        kib / 1024
    );
}
