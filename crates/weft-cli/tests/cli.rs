//! End-to-end tests of the built `weft` binary: the command line contract (exit
//! codes, output formats, files written), garbage input, and atomic output.
//!
//! Most cases are data: every `tests/cli/*.cmd` file is one run of the binary, in
//! the folder `tests/cli` (so `programs/x.weft` names a fixture there). Adding a
//! case is adding a file. A case is a list of `key: value` lines (`#` starts a
//! comment line); the value starts after one space, the rest is kept:
//!
//! - `args:` the arguments, split at whitespace (`'…'` keeps spaces; `''` is an
//!   empty argument);
//! - `exit:` the expected exit code;
//! - `stdout:` / `stderr:` a line of the exact output (repeat for several lines;
//!   one empty `stdout:` means nothing at all);
//! - `stdout-has:` / `stderr-has:` a snippet that must appear (repeatable);
//! - `stdout-lacks:` / `stderr-lacks:` a snippet that must not appear;
//! - `exists:` / `absent:` a file in the case's temporary folder after the run;
//! - `env:` `NAME=VALUE`, an environment variable for the run (repeatable).
//!
//! Values may use `{examples}` (the workspace's `examples` folder), `{tmp}` (a
//! fresh temporary folder for the case) and `{version}` (the crate version). Every
//! run, data or Rust, is also checked for what must never happen: a panic (exit
//! 101, `panicked` on stderr), death by a signal (a stack overflow), and a
//! temporary file (`.*.tmp*`) left in the output folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

// ---------------------------------------------------------------- running ----

/// What one run of the binary did.
#[derive(Debug)]
struct Run {
    /// What was run (for messages).
    what: String,
    /// The exit code; `None` when a signal ended the process.
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Panics unless the run ended with `code`; checks for panics first.
    fn expect(&self, code: i32) -> &Run {
        self.no_panic();
        assert_eq!(
            self.code,
            Some(code),
            "`{}` should exit with {code}\nstdout:\n{}\nstderr:\n{}",
            self.what,
            self.stdout,
            clip(&self.stderr)
        );
        self
    }

    /// Panics when the run panicked or was killed by a signal.
    fn no_panic(&self) -> &Run {
        if let Some(e) = panic_problem(self) {
            panic!("{e}");
        }
        self
    }
}

/// Why a run counts as a crash, if it does.
fn panic_problem(run: &Run) -> Option<String> {
    match run.code {
        None => Some(format!(
            "`{}` was killed by a signal (stack overflow?)\nstderr:\n{}",
            run.what,
            clip(&run.stderr)
        )),
        Some(101) => Some(format!(
            "`{}` exited with 101 (a panic)\nstderr:\n{}",
            run.what,
            clip(&run.stderr)
        )),
        _ if run.stderr.contains("panicked") => Some(format!(
            "`{}` printed a panic\nstderr:\n{}",
            run.what,
            clip(&run.stderr)
        )),
        _ => None,
    }
}

/// At most a few thousand characters of a long text (deep-nesting excerpts are
/// 100 kB lines).
fn clip(s: &str) -> String {
    if s.len() <= 4000 {
        return s.to_string();
    }
    let mut end = 4000;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &s[..end], s.len())
}

/// Runs `weft` with `args` in `dir`.
fn weft_in(dir: &Path, args: &[&str]) -> Run {
    weft_env(dir, args, &[])
}

/// Runs `weft` with `args` in `dir` with extra environment variables.
fn weft_env(dir: &Path, args: &[&str], env: &[(String, String)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run the weft binary");
    Run {
        what: format!("weft {}", args.join(" ")),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `weft` with `args` in the case folder.
fn weft(args: &[&str]) -> Run {
    weft_in(&cases_dir(), args)
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .canonicalize()
        .expect("the examples folder")
}

fn example(name: &str) -> String {
    examples().join(name).to_string_lossy().into_owned()
}

fn fixture(name: &str) -> String {
    cases_dir()
        .join("programs")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("weft-cli-")
        .tempdir()
        .expect("a temporary folder")
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Temporary files (`.NAME.PID.tmp…`) left in `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with('.') && n.contains(".tmp"))
                .collect()
        })
        .unwrap_or_default()
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list a folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// ------------------------------------------------------------- data cases ----

/// One `.cmd` file.
#[derive(Debug, Default)]
struct Case {
    args: Option<String>,
    exit: Option<i32>,
    stdout: Option<Vec<String>>,
    stderr: Option<Vec<String>>,
    stdout_has: Vec<String>,
    stderr_has: Vec<String>,
    stdout_lacks: Vec<String>,
    stderr_lacks: Vec<String>,
    exists: Vec<String>,
    absent: Vec<String>,
    env: Vec<(String, String)>,
}

fn parse_case(text: &str) -> Result<Case, String> {
    let mut c = Case::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| format!("line {}: expected `key: value`", n + 1))?;
        let value = value.strip_prefix(' ').unwrap_or(value).to_string();
        match key {
            "args" => c.args = Some(value),
            "exit" => {
                c.exit = Some(
                    value
                        .trim()
                        .parse()
                        .map_err(|_| format!("line {}: `{value}` is not an exit code", n + 1))?,
                )
            }
            "stdout" => c.stdout.get_or_insert_with(Vec::new).push(value),
            "stderr" => c.stderr.get_or_insert_with(Vec::new).push(value),
            "stdout-has" => c.stdout_has.push(value),
            "stderr-has" => c.stderr_has.push(value),
            "stdout-lacks" => c.stdout_lacks.push(value),
            "stderr-lacks" => c.stderr_lacks.push(value),
            "exists" => c.exists.push(value),
            "absent" => c.absent.push(value),
            "env" => {
                let (k, v) = value
                    .split_once('=')
                    .ok_or_else(|| format!("line {}: expected `env: NAME=VALUE`", n + 1))?;
                c.env.push((k.to_string(), v.to_string()));
            }
            other => return Err(format!("line {}: unknown key `{other}`", n + 1)),
        }
    }
    if c.args.is_none() || c.exit.is_none() {
        return Err("a case needs `args:` and `exit:`".into());
    }
    Ok(c)
}

/// Splits at whitespace; `'…'` keeps what is inside as one argument.
fn split_args(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut started = false;
    for ch in s.chars() {
        match ch {
            '\'' => {
                quoted = !quoted;
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                if started {
                    out.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            c => {
                cur.push(c);
                started = true;
            }
        }
    }
    if started {
        out.push(cur);
    }
    out
}

/// The exact text a list of `stdout:` lines stands for.
fn exact(lines: &[String]) -> String {
    if lines.len() == 1 && lines[0].is_empty() {
        String::new()
    } else {
        lines.iter().map(|l| format!("{l}\n")).collect()
    }
}

/// Runs one case; returns what went wrong.
fn run_case(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("read a case");
    let case = match parse_case(&text) {
        Ok(c) => c,
        Err(e) => return vec![e],
    };
    let tmp = tempdir();
    let subst = |v: &str| {
        v.replace("{examples}", &s(&examples()))
            .replace("{tmp}", &s(tmp.path()))
            .replace("{version}", env!("CARGO_PKG_VERSION"))
    };
    let args: Vec<String> = split_args(case.args.as_deref().unwrap_or_default())
        .iter()
        .map(|a| subst(a))
        .collect();
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = weft_env(&cases_dir(), &arg_refs, &case.env);
    let mut errors = Vec::new();
    if let Some(p) = panic_problem(&run) {
        errors.push(p);
    }
    if run.code != case.exit {
        errors.push(format!(
            "exit code {:?}, expected {:?}",
            run.code,
            case.exit.unwrap_or_default()
        ));
    }
    for (name, got, want, has, lacks) in [
        (
            "stdout",
            &run.stdout,
            &case.stdout,
            &case.stdout_has,
            &case.stdout_lacks,
        ),
        (
            "stderr",
            &run.stderr,
            &case.stderr,
            &case.stderr_has,
            &case.stderr_lacks,
        ),
    ] {
        if let Some(lines) = want {
            let lines: Vec<String> = lines.iter().map(|l| subst(l)).collect();
            let want = exact(&lines);
            if *got != want {
                errors.push(format!("{name} is {got:?}, expected {want:?}"));
            }
        }
        for snippet in has {
            let snippet = subst(snippet);
            if !got.contains(&snippet) {
                errors.push(format!("{name} lacks {snippet:?}"));
            }
        }
        for snippet in lacks {
            let snippet = subst(snippet);
            if got.contains(&snippet) {
                errors.push(format!("{name} contains {snippet:?}"));
            }
        }
    }
    for f in &case.exists {
        if !tmp.path().join(subst(f)).is_file() {
            errors.push(format!("{f} was not written"));
        }
    }
    for f in &case.absent {
        if tmp.path().join(subst(f)).exists() {
            errors.push(format!("{f} exists, but should not"));
        }
    }
    let left = leftovers(tmp.path());
    if !left.is_empty() {
        errors.push(format!("temporary files left behind: {left:?}"));
    }
    if !errors.is_empty() {
        errors.push(format!(
            "(ran `{}`)\nstdout:\n{}\nstderr:\n{}",
            run.what,
            clip(&run.stdout),
            clip(&run.stderr)
        ));
    }
    errors
}

#[test]
fn data_cases() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/cli")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "cmd"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 50, "only {} cases found", paths.len());
    let mut failed = Vec::new();
    for p in &paths {
        let errors = run_case(p);
        if !errors.is_empty() {
            failed.push(format!(
                "--- {}\n{}",
                p.file_name().unwrap_or_default().to_string_lossy(),
                errors.join("\n")
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} cases failed:\n{}",
        failed.len(),
        paths.len(),
        failed.join("\n\n")
    );
}

/// The subcommands `weft --help` lists (without `help` itself).
fn subcommands() -> Vec<String> {
    let run = weft(&["--help"]);
    run.expect(0);
    run.stdout
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn every_subcommand_has_help() {
    let subs = subcommands();
    for want in ["check", "eval", "frame", "audio", "graph"] {
        assert!(
            subs.iter().any(|s| s == want),
            "{want} missing from {subs:?}"
        );
        // Its options are checked by a data case.
        let p = cases_dir().join(format!("help-{want}.cmd"));
        assert!(p.is_file(), "missing {}", p.display());
    }
    for sub in &subs {
        let run = weft(&[sub, "--help"]);
        run.expect(0);
        assert!(
            run.stdout.contains(&format!("Usage: weft {sub}")) && run.stdout.contains("--help"),
            "`weft {sub} --help`:\n{}",
            run.stdout
        );
        assert!(run.stderr.is_empty(), "{}", run.stderr);
    }
}

#[test]
fn case_args_split_like_a_shell() {
    assert_eq!(split_args("a  b\tc"), ["a", "b", "c"]);
    assert_eq!(split_args("-o '' x"), ["-o", "", "x"]);
    assert_eq!(split_args("'a b' c"), ["a b", "c"]);
    assert!(split_args("").is_empty());
}

// ------------------------------------------------------------------ frame ----

/// `floor(clamp(v, 0, 1) * 255 + 0.5)`, NaN as 0.
fn channel(v: f64) -> u8 {
    if v.is_nan() {
        return 0;
    }
    (v.clamp(0.0, 1.0) * 255.0 + 0.5).floor() as u8
}

fn render(args: &[&str]) -> image::RgbaImage {
    let tmp = tempdir();
    let out = tmp.path().join("out.png");
    let mut all: Vec<&str> = vec!["frame"];
    all.extend_from_slice(args);
    let o = s(&out);
    all.extend(["-o", &o]);
    weft(&all).expect(0);
    let img = image::open(&out).expect("a readable PNG").to_rgba8();
    assert_eq!(listing(tmp.path()), ["out.png"]);
    img
}

#[test]
fn frame_samples_pixel_centres() {
    let (w, h) = (7u32, 5u32);
    let img = render(&[&example("gradient.weft"), "--time", "0.5", "--size", "7x5"]);
    assert_eq!(img.dimensions(), (w, h));
    for j in 0..h {
        for i in 0..w {
            let x = (i as f64 + 0.5) / w as f64;
            let y = (j as f64 + 0.5) / h as f64;
            let want = [channel(x), channel(y), channel(0.5), 255];
            assert_eq!(img.get_pixel(i, j).0, want, "pixel ({i}, {j})");
        }
    }
    // Red grows to the right, green downwards.
    assert_eq!(img.get_pixel(0, 0).0, [18, 26, 128, 255]);
    assert_eq!(img.get_pixel(6, 4).0, [237, 230, 128, 255]);
}

#[test]
fn frame_size_defaults_to_program_then_640x360() {
    let img = render(&[&fixture("settings.weft")]);
    assert_eq!(img.dimensions(), (4, 3));
    let row: Vec<u8> = (0..4).map(|i| img.get_pixel(i, 1).0[0]).collect();
    assert_eq!(row, [32, 96, 159, 223]);
    // Gray: `display(v)` writes v to red, green and blue.
    assert_eq!(img.get_pixel(1, 1).0, [96, 96, 96, 255]);
    let img = render(&[&example("gradient.weft")]);
    assert_eq!(img.dimensions(), (640, 360));
}

#[test]
fn frame_renders_at_the_exact_time_and_clamps() {
    let tmp = tempdir();
    let prog = tmp.path().join("t.weft");
    std::fs::write(
        &prog,
        "c<r, g, b> = (fract(me@time), 2 * me@time, -me@time)\ndisplay(c@r, c@g, c@b)\n",
    )
    .expect("write a program");
    let img = render(&[&s(&prog), "--time", "0.3", "--size", "2x2"]);
    // 0.3 -> 76.5 + 0.5 -> 77; 0.6 -> 153.5 -> 153; a negative value clamps to 0.
    assert_eq!(img.get_pixel(1, 1).0, [channel(0.3), channel(0.6), 0, 255]);
    assert_eq!(img.get_pixel(1, 1).0, [77, 153, 0, 255]);
}

#[test]
fn frame_param_is_used_and_clamped() {
    let tmp = tempdir();
    let prog = tmp.path().join("p.weft");
    std::fs::write(&prog, "level<v> = param(0.5, 0, 0.8)\ndisplay(level@v)\n")
        .expect("write a program");
    let p = s(&prog);
    assert_eq!(render(&[&p, "--size", "1x1"]).get_pixel(0, 0).0[0], 128);
    let img = render(&[&p, "--size", "1x1", "--param", "level=0.25"]);
    assert_eq!(img.get_pixel(0, 0).0[0], 64);
    let img = render(&[&p, "--size", "1x1", "--param", "level=7"]);
    assert_eq!(img.get_pixel(0, 0).0[0], channel(0.8));
}

// ------------------------------------------------------------------ audio ----

struct Wav {
    spec: hound::WavSpec,
    samples: Vec<f32>,
}

fn render_wav(args: &[&str]) -> Wav {
    let tmp = tempdir();
    let out = tmp.path().join("out.wav");
    let mut all: Vec<&str> = vec!["audio"];
    all.extend_from_slice(args);
    let o = s(&out);
    all.extend(["-o", &o]);
    weft(&all).expect(0);
    let mut r = hound::WavReader::open(&out).expect("a readable WAV");
    let spec = r.spec();
    let samples = r
        .samples::<f32>()
        .collect::<Result<Vec<f32>, _>>()
        .expect("float samples");
    assert_eq!(listing(tmp.path()), ["out.wav"]);
    Wav { spec, samples }
}

fn assert_float_wav(w: &Wav, channels: u16, rate: u32, frames: usize) {
    assert_eq!(w.spec.channels, channels, "channels");
    assert_eq!(w.spec.sample_rate, rate, "rate");
    assert_eq!(w.spec.bits_per_sample, 32, "bits");
    assert_eq!(w.spec.sample_format, hound::SampleFormat::Float, "format");
    assert_eq!(w.samples.len(), frames * channels as usize, "sample count");
}

fn close(got: f32, want: f64, what: &str) {
    assert!(
        (got as f64 - want).abs() < 1e-6,
        "{what}: got {got}, expected {want}"
    );
}

#[test]
fn audio_mono_for_one_value() {
    let w = render_wav(&[
        &fixture("sine.weft"),
        "--duration",
        "0.01",
        "--rate",
        "8000",
    ]);
    assert_float_wav(&w, 1, 8000, 80);
    for (n, v) in w.samples.iter().enumerate() {
        let t = n as f64 / 8000.0;
        close(
            *v,
            0.5 * (t * std::f64::consts::TAU * 440.0).sin(),
            &format!("sample {n}"),
        );
    }
    assert!(w.samples.iter().any(|v| v.abs() > 0.4), "not silent");
}

/// The tone example's two channels at sample `n`.
fn tone(n: usize, rate: f64, freq: f64) -> (f64, f64) {
    use std::f64::consts::TAU;
    let t = n as f64 / rate;
    let trem = 0.6 + 0.4 * (t * TAU * 0.5).sin();
    (
        0.2 * trem * (t * TAU * freq).sin(),
        0.2 * trem * (t * TAU * freq * 1.5).sin(),
    )
}

#[test]
fn audio_stereo_for_two_values() {
    let w = render_wav(&[
        &example("tone.weft"),
        "--duration",
        "0.01",
        "--rate",
        "8000",
    ]);
    assert_float_wav(&w, 2, 8000, 80);
    for n in 0..80 {
        let (l, r) = tone(n, 8000.0, 220.0);
        close(w.samples[2 * n], l, &format!("left {n}"));
        close(w.samples[2 * n + 1], r, &format!("right {n}"));
    }
}

#[test]
fn audio_param_sets_the_frequency() {
    let w = render_wav(&[
        &example("tone.weft"),
        "--duration",
        "0.005",
        "--rate",
        "8000",
        "--param",
        "freq=440",
    ]);
    assert_float_wav(&w, 2, 8000, 40);
    for n in 0..40 {
        let (l, r) = tone(n, 8000.0, 440.0);
        close(w.samples[2 * n], l, &format!("left {n}"));
        close(w.samples[2 * n + 1], r, &format!("right {n}"));
    }
}

#[test]
fn audio_clamps_and_silences_nan() {
    let w = render_wav(&[
        &fixture("clamp.weft"),
        "--duration",
        "0.01",
        "--rate",
        "8000",
    ]);
    assert_float_wav(&w, 2, 8000, 80);
    for n in 0..80 {
        let t = n as f64 / 8000.0;
        let want = (4.0 * (t * std::f64::consts::TAU * 440.0).sin()).clamp(-1.0, 1.0);
        close(w.samples[2 * n], want, &format!("left {n}"));
        assert_eq!(w.samples[2 * n + 1], 0.0, "right {n} (NaN) is 0");
    }
    assert!(w.samples.contains(&1.0) && w.samples.contains(&-1.0));
}

#[test]
fn audio_rate_defaults_to_program() {
    let w = render_wav(&[&fixture("settings.weft"), "--duration", "0.01"]);
    assert_float_wav(&w, 1, 1000, 10);
    assert!(w.samples.iter().all(|v| *v == 0.25));
    let w = render_wav(&[&example("tone.weft"), "--duration", "0.001"]);
    assert_float_wav(&w, 2, 48000, 48);
}

#[test]
fn audio_segments_play_in_order() {
    let w = render_wav(&[&fixture("segments.weft"), "--rate", "8000"]);
    assert_float_wav(&w, 1, 8000, 6000);
    use std::f64::consts::TAU;
    for n in (0..4000).step_by(37) {
        let t = n as f64 / 8000.0;
        close(
            w.samples[n],
            0.5 * (t * TAU * 110.0).sin(),
            &format!("low {n}"),
        );
    }
    for k in (0..2000).step_by(41) {
        let t = k as f64 / 8000.0;
        close(
            w.samples[4000 + k],
            0.5 * (t * TAU * 220.0).sin(),
            &format!("high {k}"),
        );
    }
}

#[test]
fn audio_zero_duration_is_an_empty_wav() {
    let w = render_wav(&[&example("tone.weft"), "--duration", "0", "--rate", "8000"]);
    assert_float_wav(&w, 2, 8000, 0);
}

// ------------------------------------------------------------------ graph ----

#[test]
fn graph_prints_nodes_backends_batches_and_wiring() {
    let run = weft(&["graph", &example("taste.weft")]);
    run.expect(0);
    let out = &run.stdout;
    for want in [
        "== main",
        "nodes (in run order):",
        "batches:",
        "wiring:",
        "1 visual [pulse, img, display]",
        "2 audio  [tone, play]",
        "pulse@v: visual batch 1 -> audio batch 2 via value getter",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    // Every node line names its owner and its hash.
    for node in ["pulse", "img", "display", "tone", "play"] {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{node} ")))
            .unwrap_or_else(|| panic!("no line for {node} in\n{out}"));
        assert!(line.contains("owner ") && line.contains("hash "), "{line}");
    }
}

// --------------------------------------------------------- garbage inputs ----

/// Every command that takes a program, with `file` as the program.
fn every_command(file: &str, out: &Path) -> Vec<Vec<String>> {
    let png = s(&out.join("out.png"));
    let wav = s(&out.join("out.wav"));
    let f = file.to_string();
    let v = |a: &[&str]| a.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        v(&["check", &f]),
        v(&["eval", &f, "img@r", "--at", "x=0.5"]),
        v(&["frame", &f, "--size", "8x8", "-o", &png]),
        v(&[
            "audio",
            &f,
            "--duration",
            "0.001",
            "--rate",
            "8000",
            "-o",
            &wav,
        ]),
        v(&["graph", &f]),
        v(&["fmt", "--check", &f]),
    ]
}

/// Runs every command on `file`; returns (command, run) pairs, all checked for
/// crashes and leftover temporary files.
fn run_everything(file: &Path) -> Vec<(String, Run)> {
    let tmp = tempdir();
    let mut out = Vec::new();
    for args in every_command(&s(file), tmp.path()) {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = weft(&refs);
        run.no_panic();
        assert!(
            leftovers(tmp.path()).is_empty(),
            "`{}` left {:?}",
            run.what,
            leftovers(tmp.path())
        );
        out.push((args[0].clone(), run));
    }
    out
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_bytes_are_diagnosed() {
    let tmp = tempdir();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..4 {
        let len = [1, 17, 600, 5000][round];
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let file = tmp.path().join(format!("random{round}.weft"));
        std::fs::write(&file, &bytes).expect("write random bytes");
        for (cmd, run) in run_everything(&file) {
            let ok: &[i32] = match cmd.as_str() {
                "check" | "graph" | "fmt" => &[0, 1],
                _ => &[1, 2],
            };
            assert!(
                run.code.is_some_and(|c| ok.contains(&c)),
                "`{}` on {len} random bytes: exit {:?}\n{}",
                run.what,
                run.code,
                clip(&run.stderr)
            );
        }
    }
    // Invalid UTF-8 is E0101 with a position.
    let file = tmp.path().join("latin1.weft");
    std::fs::write(&file, b"a<v> = 1 // caf\xe9\ndisplay(a@v)\n").expect("write");
    let run = weft(&["check", &s(&file)]);
    run.expect(1);
    assert!(
        run.stderr.contains("latin1.weft:1:16: error[E0101]"),
        "{}",
        run.stderr
    );
}

#[test]
fn token_soup_never_crashes() {
    const TOKENS: &[&str] = &[
        "a",
        "b",
        "img",
        "me",
        "@",
        ".",
        "x",
        "y",
        "time",
        "<",
        ">",
        "v",
        "r",
        "=",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        "~",
        "+",
        "-",
        "*",
        "/",
        "%",
        "^",
        "==",
        "&&",
        "||",
        "!",
        "1",
        "0.5",
        ".5",
        "1e3",
        "1e",
        "\"s\"",
        "\"",
        "sin",
        "load",
        "mic",
        "camera",
        "param",
        "spindle",
        "return",
        "segment",
        "use",
        "display",
        "play",
        "osc",
        "if",
        "then",
        "else",
        "::",
        "out",
        "let",
        "+=",
        "me<width>",
        "<<",
        ">>",
        "\n",
        "\n",
        ";",
        "//",
        "/*",
        "*/",
        "for",
        "render",
        "tau",
        "pi",
    ];
    let tmp = tempdir();
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for round in 0..25 {
        let n = 5 + rng.below(60);
        let mut text = String::new();
        for _ in 0..n {
            text.push_str(TOKENS[rng.below(TOKENS.len())]);
            text.push(' ');
        }
        let file = tmp.path().join(format!("soup{round}.weft"));
        std::fs::write(&file, &text).expect("write a program");
        for (cmd, run) in run_everything(&file) {
            assert!(
                run.code.is_some_and(|c| (0..=3).contains(&c)),
                "`{cmd}` on {text:?}: exit {:?}\n{}",
                run.code,
                clip(&run.stderr)
            );
        }
    }
}

#[test]
fn empty_file() {
    let tmp = tempdir();
    let file = tmp.path().join("empty.weft");
    std::fs::write(&file, "").expect("write");
    for (cmd, run) in run_everything(&file) {
        let want = match cmd.as_str() {
            "check" | "graph" | "fmt" => 0,
            "eval" => 2,
            _ => 1,
        };
        run.expect(want);
        if want == 1 {
            assert!(run.stderr.contains("error[E0506]"), "{}", run.stderr);
        }
    }
}

#[test]
fn directory_as_file_is_an_io_error() {
    let tmp = tempdir();
    for (_, run) in run_everything(tmp.path()) {
        run.expect(3);
    }
}

#[test]
fn deep_nesting_is_e0203_not_a_stack_overflow() {
    let tmp = tempdir();
    let n = 100_000;
    let programs = [
        ("parens", "(".repeat(n)),
        (
            "balanced",
            format!(
                "img<r> = {}1{}\ndisplay(img@r)\n",
                "(".repeat(n),
                ")".repeat(n)
            ),
        ),
        ("minus", format!("img<r> = {}1\n", "-".repeat(n))),
        ("not", format!("img<r> = {}1\n", "!".repeat(n))),
        ("power", format!("img<r> = {}1\n", "2^".repeat(n))),
        // (A flat sum is one level however long: `tests/hostile.rs`.)
        (
            "parenthesized sum",
            format!("img<r> = {}1{}\n", "(".repeat(n), "+1)".repeat(n)),
        ),
        (
            "calls",
            format!("img<r> = {}1{}\n", "sin(".repeat(n), ")".repeat(n)),
        ),
        (
            "remaps",
            format!(
                "w<v> = me@x\nimg<r> = {}1{}\n",
                "w@v[me@x ~ ".repeat(n),
                "]".repeat(n)
            ),
        ),
        (
            "bundles",
            format!("img<r> = {}1{}\n", "<".repeat(n), ">".repeat(n)),
        ),
        (
            "ifs",
            format!(
                "img<r> = {}1{}\n",
                "if 1 then ".repeat(n),
                " else 0".repeat(n)
            ),
        ),
    ];
    for (name, text) in &programs {
        let file = tmp.path().join(format!("{name}.weft"));
        std::fs::write(&file, text).expect("write");
        for (cmd, run) in run_everything(&file) {
            run.expect(1);
            assert!(
                run.stderr.contains("error[E0203]"),
                "`{cmd}` on {name}: no E0203\n{}",
                clip(&run.stderr)
            );
        }
    }
    // Unclosed brackets of the other kinds are reported, not recursed into.
    for (name, text) in [("brackets", "[".repeat(n)), ("braces", "{".repeat(n))] {
        let file = tmp.path().join(format!("{name}.weft"));
        std::fs::write(&file, text).expect("write");
        let run = weft(&["check", &s(&file)]);
        run.expect(1);
        assert!(run.stderr.contains("error[E0202]"), "{}", clip(&run.stderr));
    }
}

#[test]
fn nesting_below_the_limit_is_fine() {
    let tmp = tempdir();
    let file = tmp.path().join("ok.weft");
    std::fs::write(
        &file,
        format!(
            "img<r> = {}me@x{}\ndisplay(img@r)\n",
            "(".repeat(200),
            ")".repeat(200)
        ),
    )
    .expect("write");
    let run = weft(&["eval", &s(&file), "img@r", "--at", "x=0.25"]);
    run.expect(0);
    assert_eq!(run.stdout, "0.25\n");
}

#[test]
fn long_dependency_chain_runs() {
    // 20,000 instances, each reading the previous one: no recursion per link.
    let tmp = tempdir();
    let file = tmp.path().join("chain.weft");
    let n = 20_000;
    let mut text = String::from("a0<v> = me@x\n");
    for i in 1..n {
        text.push_str(&format!("a{i}<v> = a{}@v + 1\n", i - 1));
    }
    text.push_str(&format!("display(a{}@v * 0)\n", n - 1));
    std::fs::write(&file, text).expect("write");
    let run = weft(&["eval", &s(&file), &format!("a{}@v", n - 1), "--at", "x=0.5"]);
    run.expect(0);
    assert_eq!(run.stdout, format!("{}\n", n as f64 - 1.0 + 0.5));
}

#[test]
fn closed_pipes_are_not_a_panic() {
    // A reader that goes away (`weft graph big.weft | head -1`) must not make
    // `weft` panic on the failed write.
    let tmp = tempdir();
    let file = tmp.path().join("big.weft");
    std::fs::write(&file, "(".repeat(100_000)).expect("write");
    let mut graph = String::from("a0<v> = me@x\n");
    for i in 1..3000 {
        graph.push_str(&format!("a{i}<v> = a{}@v + 1\n", i - 1));
    }
    graph.push_str("display(a2999@v)\n");
    let prog = tmp.path().join("graph.weft");
    std::fs::write(&prog, graph).expect("write");
    for args in [
        vec!["check".to_string(), s(&file)],
        vec!["graph".to_string(), s(&prog)],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn weft");
        // Close both read ends at once: every write fails with a broken pipe.
        drop(child.stdout.take());
        drop(child.stderr.take());
        let status = child.wait().expect("wait for weft");
        assert!(
            status.code().is_some_and(|c| c != 101),
            "`weft {}` with closed pipes: {status}",
            args.join(" ")
        );
    }
}

// ---------------------------------------------------------- atomic output ----

#[test]
fn failed_render_keeps_the_old_file_and_leaves_no_temporary() {
    let tmp = tempdir();
    let png = tmp.path().join("out.png");
    let wav = tmp.path().join("out.wav");
    std::fs::write(&png, "old picture").expect("write");
    std::fs::write(&wav, "old sound").expect("write");
    let bad = fixture("undefined.weft");
    weft(&["frame", &bad, "-o", &s(&png)]).expect(1);
    weft(&["audio", &bad, "--duration", "0.01", "-o", &s(&wav)]).expect(1);
    // No output of that kind: also a failure before writing.
    weft(&["frame", &example("tone.weft"), "-o", &s(&png)]).expect(1);
    weft(&[
        "audio",
        &example("gradient.weft"),
        "--duration",
        "0.01",
        "-o",
        &s(&wav),
    ])
    .expect(1);
    assert_eq!(std::fs::read_to_string(&png).expect("read"), "old picture");
    assert_eq!(std::fs::read_to_string(&wav).expect("read"), "old sound");
    assert_eq!(listing(tmp.path()), ["out.png", "out.wav"]);
}

#[test]
fn successful_render_replaces_the_old_file() {
    let tmp = tempdir();
    let png = tmp.path().join("out.png");
    std::fs::write(&png, "old picture").expect("write");
    weft(&[
        "frame",
        &example("gradient.weft"),
        "--size",
        "3x2",
        "-o",
        &s(&png),
    ])
    .expect(0);
    let img = image::open(&png).expect("a PNG").to_rgba8();
    assert_eq!(img.dimensions(), (3, 2));
    assert_eq!(listing(tmp.path()), ["out.png"]);
}

#[test]
fn write_errors_leave_no_temporary_file() {
    let tmp = tempdir();
    // The output path is a folder: the rename fails after the temporary file
    // was written, and the temporary file must go too.
    let target = tmp.path().join("taken.png");
    std::fs::create_dir(&target).expect("mkdir");
    std::fs::write(target.join("keep"), "x").expect("write");
    let run = weft(&[
        "frame",
        &example("gradient.weft"),
        "--size",
        "4x4",
        "-o",
        &s(&target),
    ]);
    run.expect(3);
    assert!(run.stderr.contains("taken.png"), "{}", run.stderr);
    let wav = tmp.path().join("taken.wav");
    std::fs::create_dir(&wav).expect("mkdir");
    let run = weft(&[
        "audio",
        &example("tone.weft"),
        "--duration",
        "0.01",
        "-o",
        &s(&wav),
    ]);
    run.expect(3);
    assert_eq!(listing(tmp.path()), ["taken.png", "taken.wav"]);
    assert_eq!(listing(&target), ["keep"]);
    // A folder that does not exist.
    let missing = tmp.path().join("missing").join("out.png");
    weft(&[
        "frame",
        &example("gradient.weft"),
        "--size",
        "4x4",
        "-o",
        &s(&missing),
    ])
    .expect(3);
    assert!(!tmp.path().join("missing").exists());
    assert_eq!(listing(tmp.path()), ["taken.png", "taken.wav"]);
}

#[test]
fn relative_output_in_the_working_folder() {
    // `-o out.png` with no folder part writes into the working folder.
    let tmp = tempdir();
    weft_in(
        tmp.path(),
        &[
            "frame",
            &example("gradient.weft"),
            "--size",
            "2x2",
            "-o",
            "out.png",
        ],
    )
    .expect(0);
    assert_eq!(listing(tmp.path()), ["out.png"]);
}
