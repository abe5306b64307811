//! The browser client's end-to-end tests, run from cargo: `node --test tests/browser/`
//! (the scripts start this crate's `weft dev` on temporary folders and drive Debian's
//! Chromium through playwright-core). It fails with node's output when a test fails,
//! and with a clear message when the set-up (`./scripts/setup.sh`) has not been run.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root")
}

const SETUP: &str = "run ./scripts/setup.sh (it installs node, npm, chromium and \
                     the test package with `npm ci --prefix tests/browser`)";

#[test]
fn browser_client_end_to_end() {
    let root = workspace();
    let package = root.join("tests/browser");
    assert!(
        package.join("node_modules/playwright-core").is_dir(),
        "tests/browser/node_modules is missing: {SETUP}"
    );
    let chromium = std::env::var("WEFT_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "no Chromium at {chromium}: {SETUP}"
    );
    let output = Command::new("node")
        .args([
            "--test",
            "--test-reporter=spec",
            "--test-timeout=120000",
            "tests/browser/",
        ])
        .current_dir(&root)
        .env("WEFT_BIN", env!("CARGO_BIN_EXE_weft"))
        .env("WEFT_CHROMIUM", &chromium)
        .output()
        .unwrap_or_else(|e| panic!("cannot run node ({e}): {SETUP}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser tests failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    // Shown with `cargo test -- --nocapture`.
    println!("{stdout}{stderr}");
}
