//! Neovim's own LSP client against `weft lsp`: headless `nvim` runs
//! `tests/nvim/session.lua`, which opens a broken file, receives the diagnostic
//! (with its code), fixes the buffer unsaved, and jumps to a definition in the
//! `use`d file; it writes what happened to a file this test checks. Without
//! `nvim` the test says so and passes, unless `WEFT_REQUIRE_NVIM=1` (set by
//! `scripts/test.sh`, whose set-up installs Neovim), where it fails.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn nvim_found() -> bool {
    Command::new("nvim")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn neovim_gets_the_diagnostic_and_jumps_into_the_used_file() {
    if !nvim_found() {
        assert!(
            std::env::var("WEFT_REQUIRE_NVIM").as_deref() != Ok("1"),
            "WEFT_REQUIRE_NVIM=1 but `nvim` is not installed (scripts/setup.sh installs it)"
        );
        eprintln!("skipped: `nvim` is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path().canonicalize().expect("a canonical folder");
    std::fs::write(
        dir.join("lib.weft"),
        "// A library.\nspindle ring(r) {\n    return r * 2\n}\nshade<v> = me@x * 0.5\n",
    )
    .expect("write lib");
    let main = dir.join("main.weft");
    std::fs::write(
        &main,
        "use \"lib.weft\"\nimg<v> = ring(0.3) + nothing@v\ndisplay(img@v)\n",
    )
    .expect("write main");
    let out = dir.join("out.txt");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/nvim/session.lua");
    let mut child = Command::new("nvim")
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c"])
        .arg(format!("luafile {}", script.display()))
        .env("WEFT_BIN", env!("CARGO_BIN_EXE_weft"))
        .env("WEFT_MAIN", &main)
        .env("WEFT_OUT", &out)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nvim");
    // The script's own waits are bounded; this bounds Neovim itself.
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("poll nvim").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("nvim did not finish");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let report = std::fs::read_to_string(&out).expect("the script's report");
    let lines: Vec<&str> = report.lines().collect();
    assert!(lines.contains(&"diagnostic 1:21 E0301"), "{report}");
    assert!(lines.contains(&"cleared"), "{report}");
    let lib = dir.join("lib.weft");
    assert!(
        lines.contains(&format!("definition {} 2:8", lib.display()).as_str()),
        "{report}"
    );
}
