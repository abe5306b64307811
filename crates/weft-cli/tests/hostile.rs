//! Hostile programs, generated here because their files would be large: each runs
//! through `weft check`, `eval`, `frame` and `graph` and must end with the right
//! result or a clear diagnostic (the size budget of `docs/language.md`, "Limits"),
//! never a hang, a crash or one error per level. The small ones are data cases in
//! `tests/cli/hostile-*.cmd`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What one run of the binary did.
struct Run {
    what: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Panics unless the run exited with `code` (and without a panic).
    fn expect(&self, code: i32) -> &Run {
        assert!(
            !self.stderr.contains("panicked"),
            "`{}` panicked:\n{}",
            self.what,
            clip(&self.stderr)
        );
        assert_eq!(
            self.code,
            Some(code),
            "`{}`\nstdout:\n{}\nstderr:\n{}",
            self.what,
            clip(&self.stdout),
            clip(&self.stderr)
        );
        self
    }

    /// The codes of the diagnostics it printed, in order.
    fn codes(&self) -> Vec<&str> {
        self.stderr
            .match_indices("error[")
            .chain(self.stderr.match_indices("warning["))
            .filter_map(|(i, m)| self.stderr.get(i + m.len()..i + m.len() + 5))
            .collect()
    }
}

fn clip(s: &str) -> String {
    let mut end = s.len().min(3000);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{}", &s[..end], if end < s.len() { "…" } else { "" })
}

fn weft(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(args)
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

/// A program in a fresh temporary folder.
struct Program {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Program {
    fn new(text: &str) -> Program {
        let dir = tempfile::Builder::new()
            .prefix("weft-hostile-")
            .tempdir()
            .expect("a temporary folder");
        let path = dir.path().join("p.weft");
        std::fs::write(&path, text).expect("write the program");
        Program { _dir: dir, path }
    }

    fn file(&self) -> &str {
        self.path.to_str().expect("a UTF-8 path")
    }

    fn png(&self) -> String {
        folder(&self.path)
            .join("out.png")
            .to_string_lossy()
            .into_owned()
    }

    /// `check`, `eval img@r`, `frame` and `graph`, in that order.
    fn every_command(&self) -> [Run; 4] {
        let f = self.file();
        [
            weft(&["check", f]),
            weft(&["eval", f, "img@r", "--at", "x=0.5"]),
            weft(&["frame", f, "--size", "4x2", "-o", &self.png()]),
            weft(&["graph", f]),
        ]
    }
}

fn folder(p: &Path) -> &Path {
    p.parent().expect("a folder")
}

/// `a0 = me@x`, then `links - 1` instances each the one before remapped.
fn remap_chain(links: usize, link: impl Fn(usize) -> String) -> String {
    let mut text = String::from("a0<v> = me@x\n");
    for i in 1..links {
        text.push_str(&format!("a{i}<v> = {}\n", link(i - 1)));
    }
    text.push_str(&format!("img<r> = a{}@v\ndisplay(img@r)\n", links - 1));
    text
}

#[test]
fn a_chain_of_4000_remaps_compiles_in_linear_time() {
    // Each link halves the distance to 0.5, so 0.5 stays 0.5. Once 36 s to compile.
    let p = Program::new(&remap_chain(4000, |prev| {
        format!("a{prev}@v[me@x ~ me@x * 0.5 + 0.25]")
    }));
    let [check, eval, frame, graph] = p.every_command();
    check.expect(0);
    assert_eq!(eval.expect(0).stdout, "0.5\n");
    frame.expect(0);
    assert!(graph.expect(0).stdout.contains("a3999"));
}

#[test]
fn code_that_outgrows_a_kernel_meets_the_budget() {
    // Each link reads the one before at two points: its code grows with the square
    // of the chain, past the kernel budget near link 1,000.
    let p = Program::new(&remap_chain(4000, |prev| {
        format!("a{prev}@v[me@x ~ me@x + 0.001] * 0.5 + a{prev}@v * 0.5")
    }));
    let [check, eval, frame, graph] = p.every_command();
    // `check` compiles no kernel.
    check.expect(0);
    for run in [eval, frame, graph] {
        run.expect(1);
        assert_eq!(run.codes(), ["E0801"], "{}", clip(&run.stderr));
        assert!(
            run.stderr
                .contains("needs more than 1000000 operations in one kernel"),
            "{}",
            clip(&run.stderr)
        );
    }
    assert!(!folder(&p.path).join("out.png").exists());
}

#[test]
fn composed_remaps_meet_the_budget_instead_of_growing_exponentially() {
    // a(x) = a'(a'(x)): 2^40 evaluations of a0 if expanded; nothing to share.
    let p = Program::new(&remap_chain(40, |prev| {
        format!("a{prev}@v[me@x ~ a{prev}@v * 0.9 + 0.01]")
    }));
    weft(&["check", p.file()]).expect(0);
    let run = weft(&["eval", p.file(), "img@r", "--at", "x=0.5"]);
    run.expect(1);
    assert_eq!(run.codes(), ["E0801"], "{}", clip(&run.stderr));
}

#[test]
fn doubling_with_fresh_arguments_meets_the_program_budget() {
    // Arguments that never repeat: nothing to share, 2^25 distinct calls.
    let mut text = String::from("spindle f0(a) { return sin(a) }\n");
    for i in 1..=25 {
        text.push_str(&format!(
            "spindle f{i}(a) {{ return f{p}(a * 2) + f{p}(a * 3) }}\n",
            p = i - 1
        ));
    }
    text.push_str("img<r> = f25(me@x)\ndisplay(img@r)\n");
    let p = Program::new(&text);
    for run in [
        weft(&["check", p.file()]),
        weft(&["eval", p.file(), "img@r"]),
    ] {
        run.expect(1);
        assert_eq!(run.codes(), ["E0801"], "{}", clip(&run.stderr));
        assert!(run
            .stderr
            .contains("= note: weft compiles at most 1000000 operations"));
    }
}

#[test]
fn a_chain_of_100000_spindles_is_one_error() {
    let n = 100_000;
    let mut text = String::from("spindle f0(a) { return a }\n");
    for i in 1..n {
        text.push_str(&format!("spindle f{i}(a) {{ return f{}(a) + 1 }}\n", i - 1));
    }
    text.push_str(&format!("img<r> = f{}(me@x)\ndisplay(img@r)\n", n - 1));
    let p = Program::new(&text);
    for run in p.every_command() {
        run.expect(1);
        assert_eq!(run.codes(), ["E0203"], "{}", clip(&run.stderr));
        assert!(run
            .stderr
            .contains("p.weft:65:25: error[E0203]: spindle calls nest deeper than 64 levels"));
    }
}

#[test]
fn a_cycle_of_10000_spindles_is_one_error() {
    let n = 10_000;
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "spindle f{i}(a) {{ return f{}(a) + 1 }}\n",
            (i + 1) % n
        ));
    }
    text.push_str("img<r> = f5(me@x) + f7(me@y)\ndisplay(img@r)\n");
    let p = Program::new(&text);
    let run = weft(&["check", p.file()]);
    run.expect(1);
    assert_eq!(run.codes(), ["E0308"], "{}", clip(&run.stderr));
}

#[test]
fn a_sum_of_100000_terms_is_not_nesting() {
    let text = format!(
        "img<r> = {}me@x\ndisplay(img@r)\n",
        "me@x + ".repeat(99_999)
    );
    let p = Program::new(&text);
    let [check, eval, frame, graph] = p.every_command();
    check.expect(0);
    assert_eq!(eval.expect(0).stdout, "50000\n");
    frame.expect(0);
    graph.expect(0);
}

#[test]
fn a_5_mb_line_is_clipped_in_the_excerpt() {
    let pad = "1.5 * 2 + ".repeat(260_000);
    let text = format!("img<r> = {pad}pulze + {pad}1\ndisplay(img@r)\n");
    assert!(text.len() > 5_000_000);
    let p = Program::new(&text);
    let run = weft(&["check", p.file()]);
    run.expect(1);
    assert_eq!(run.codes(), ["E0301"]);
    assert!(
        run.stderr.len() < 1000,
        "{} bytes:\n{}",
        run.stderr.len(),
        clip(&run.stderr)
    );
    assert!(run.stderr.contains("| …1.5 * 2 + "), "{}", run.stderr);
    let excerpt = run.stderr.lines().nth(2).unwrap_or_default();
    let carets = run.stderr.lines().nth(3).unwrap_or_default();
    let at = carets.find('^').expect("carets");
    let under: String = excerpt.chars().skip(at).take(5).collect();
    assert_eq!(under, "pulze", "{excerpt}\n{carets}");
}

/// A component-wise definition copies its value once per output: 2,000 outputs
/// of a 2,000-term sum would be 4,000,000 operations, refused before copying.
#[test]
fn a_componentwise_spread_meets_the_budget() {
    let n = 2000;
    let outs: Vec<String> = (0..n).map(|i| format!("o{i}")).collect();
    let ones = vec!["1"; n].join(",");
    let sum = vec!["img"; n].join("+");
    let text = format!(
        "img<{o}> = ({ones})\nc<{o}> = {sum}\ndisplay(c@o1)\n",
        o = outs.join(",")
    );
    let p = Program::new(&text);
    for run in p.every_command() {
        run.expect(1);
        assert_eq!(run.codes(), ["E0801"], "{}", clip(&run.stderr));
        assert!(
            run.stderr.contains("spreads a value of"),
            "{}",
            clip(&run.stderr)
        );
    }
}

/// A multi-call of 64 copies of a long argument is 64 calls, not an explosion;
/// a count past 64 is an error.
#[test]
fn a_multi_call_is_bounded() {
    let arg = vec!["me@x"; 5000].join("+");
    let outs: Vec<String> = (0..64).map(|i| format!("o{i}")).collect();
    let text = format!(
        "max<64>({arg}, 0.5)::m<{}>\nmax<65>(1, 2)::n<v>\ndisplay(m@o3)\n",
        outs.join(",")
    );
    let p = Program::new(&text);
    for run in p.every_command() {
        run.expect(1);
        assert_eq!(run.codes(), ["E0401"], "{}", clip(&run.stderr));
    }
}
