//! `weft fmt` on real files: in place and atomic (no temporary file left, the
//! permissions kept, a symlink still a symlink), a file that does not parse left
//! byte for byte as it was, `--check` changing nothing, stdin to stdout.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn weft(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run weft");
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().expect("wait for weft");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    out
}

const UGLY: &str = "// prose\na<v>=me@x*2 // why\ndisplay( a@v )\n";
const PRETTY: &str = "// prose\na<v> = me@x * 2 // why\ndisplay(a@v)\n";

#[test]
fn formats_in_place_atomically_keeping_permissions() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("a.weft");
    std::fs::write(&file, UGLY).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    }
    let out = weft(dir.path(), &["fmt", "a.weft"], "");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&file).expect("read"), PRETTY);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640);
    }
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["a.weft"], "a temporary file was left");
    // Again: nothing to do.
    let out = weft(dir.path(), &["fmt", "--check", "a.weft"], "");
    assert_eq!(out.status.code(), Some(0));
}

#[cfg(unix)]
#[test]
fn a_symlink_stays_a_link_to_the_formatted_file() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("real.weft"), UGLY).expect("write");
    std::os::unix::fs::symlink("real.weft", dir.path().join("link.weft")).expect("symlink");
    let out = weft(dir.path(), &["fmt", "link.weft"], "");
    assert_eq!(out.status.code(), Some(0));
    let link = std::fs::symlink_metadata(dir.path().join("link.weft")).expect("metadata");
    assert!(link.file_type().is_symlink());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("real.weft")).expect("read"),
        PRETTY
    );
}

#[test]
fn a_broken_file_is_left_untouched_and_check_changes_nothing() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let broken = "a<v>=me@x*\ndisplay( a@v )\n";
    std::fs::write(dir.path().join("broken.weft"), broken).expect("write");
    std::fs::write(dir.path().join("ugly.weft"), UGLY).expect("write");
    let out = weft(dir.path(), &["fmt", "broken.weft"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[E0201]"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("broken.weft")).expect("read"),
        broken
    );
    let out = weft(dir.path(), &["fmt", "--check", "ugly.weft"], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ugly.weft\n");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ugly.weft")).expect("read"),
        UGLY
    );
}

#[test]
fn a_dash_formats_stdin_to_stdout() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = weft(dir.path(), &["fmt", "-"], UGLY);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), PRETTY);
    let out = weft(dir.path(), &["fmt", "--check", "-"], UGLY);
    assert_eq!(out.status.code(), Some(1));
    let out = weft(dir.path(), &["fmt", "-"], "a<v> = (");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("<stdin>:1:"));
    let out = weft(dir.path(), &["fmt", "-"], "\u{0}\u{1}\u{ff}");
    assert_eq!(out.status.code(), Some(1));
}
