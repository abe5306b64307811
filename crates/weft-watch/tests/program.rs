//! The program watcher (`weft run`'s, `weft tui`'s) against real files: a program
//! whose root and `use`d library sit in two folders, saved the ways editors save;
//! files next to them that the program does not read; the set replaced after a
//! build; files that appear, disappear, or have names the folder watcher ignores.
//!
//! As in `folder.rs`, "nothing reported" is asserted by waiting a fixed quiet
//! window, never by measuring elapsed time.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};
use weft_watch::ProgramWatcher;

const DEBOUNCE: Duration = Duration::from_millis(150);
const FIRST: Duration = Duration::from_secs(5);
const QUIET: Duration = Duration::from_millis(600);

struct Program {
    dir: tempfile::TempDir,
    rx: Receiver<Vec<PathBuf>>,
    watcher: ProgramWatcher,
}

impl Program {
    /// `piece/main.weft` using `lib/shapes.weft`, with an unrelated file beside each.
    fn new() -> Program {
        let dir = tempfile::tempdir().expect("tempdir");
        for (rel, text) in [
            ("piece/main.weft", "use \"../lib/shapes.weft\"\n"),
            ("piece/notes.txt", "not read\n"),
            ("lib/shapes.weft", "s<v> = 1\n"),
            ("lib/other.weft", "o<v> = 1\n"),
        ] {
            let p = dir.path().join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        }
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut watcher = ProgramWatcher::new(DEBOUNCE, move |files| {
            let _ = tx.send(files);
        });
        let p = Program {
            dir,
            rx,
            watcher: ProgramWatcher::new(DEBOUNCE, |_| {}),
        };
        watcher
            .watch(&[p.path("piece/main.weft"), p.path("lib/shapes.weft")])
            .expect("watches");
        Program { watcher, ..p }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Every report until a quiet window passes, as paths relative to the folder.
    fn reports(&self) -> Vec<Vec<String>> {
        let mut got = Vec::new();
        let mut wait = FIRST;
        loop {
            match self.rx.recv_timeout(wait) {
                Ok(files) => got.push(files.iter().map(|f| self.relative(f)).collect()),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return got,
            }
            wait = DEBOUNCE + QUIET;
        }
    }

    fn assert_quiet(&self) {
        if let Ok(files) = self.rx.recv_timeout(DEBOUNCE + QUIET) {
            panic!("expected nothing, got {files:?}");
        }
    }

    fn relative(&self, f: &Path) -> String {
        let root = fs::canonicalize(self.dir.path()).unwrap();
        f.strip_prefix(&root)
            .unwrap_or(f)
            .to_string_lossy()
            .into_owned()
    }
}

#[test]
fn an_edit_of_the_used_file_in_another_folder_is_reported() {
    let p = Program::new();
    fs::write(p.path("lib/shapes.weft"), "s<v> = 2\n").unwrap();
    assert_eq!(p.reports(), [["lib/shapes.weft"]]);
}

#[test]
fn an_atomic_save_of_the_root_is_reported_once() {
    let p = Program::new();
    let tmp = p.path("piece/.main.weft.tmp-123");
    fs::write(&tmp, "use \"../lib/shapes.weft\"\n// edited\n").unwrap();
    fs::rename(&tmp, p.path("piece/main.weft")).unwrap();
    assert_eq!(p.reports(), [["piece/main.weft"]]);
}

#[test]
fn a_backup_rename_then_rewrite_is_reported_once() {
    // vim with 'backupcopy=no': the original is renamed to a backup, the new
    // content written under the name, the backup removed.
    let p = Program::new();
    let main = p.path("piece/main.weft");
    fs::rename(&main, p.path("piece/main.weft~")).unwrap();
    fs::write(&main, "use \"../lib/shapes.weft\"\n// vim\n").unwrap();
    fs::remove_file(p.path("piece/main.weft~")).unwrap();
    assert_eq!(p.reports(), [["piece/main.weft"]]);
}

#[test]
fn the_same_bytes_saved_again_report_nothing() {
    let p = Program::new();
    fs::write(p.path("lib/shapes.weft"), "s<v> = 1\n").unwrap();
    p.assert_quiet();
}

#[test]
fn files_the_program_does_not_read_are_not_reported() {
    let p = Program::new();
    fs::write(p.path("lib/other.weft"), "o<v> = 2\n").unwrap();
    fs::write(p.path("piece/notes.txt"), "still not read\n").unwrap();
    fs::write(p.path("piece/new.weft"), "n<v> = 1\n").unwrap();
    p.assert_quiet();
}

#[test]
fn a_new_set_is_followed_and_a_dropped_folder_is_not() {
    let mut p = Program::new();
    // An edit removed the `use` and loads a picture that does not exist yet.
    p.watcher
        .watch(&[p.path("piece/main.weft"), p.path("piece/.hidden.png")])
        .expect("watches");
    assert_eq!(p.watcher.folders().count(), 1);
    fs::write(p.path("lib/shapes.weft"), "s<v> = 3\n").unwrap();
    p.assert_quiet();
    // A name the folder watcher would ignore is followed when the program reads it.
    fs::write(p.path("piece/.hidden.png"), "png bytes").unwrap();
    assert_eq!(p.reports(), [["piece/.hidden.png"]]);
}

#[test]
fn a_deleted_file_is_reported() {
    let p = Program::new();
    fs::remove_file(p.path("lib/shapes.weft")).unwrap();
    assert_eq!(p.reports(), [["lib/shapes.weft"]]);
}

#[test]
fn a_folder_that_does_not_exist_is_an_error_and_the_others_are_watched() {
    let p = Program::new();
    let mut w = ProgramWatcher::new(DEBOUNCE, |_| {});
    let err = w
        .watch(&[p.path("nowhere/x.weft"), p.path("piece/main.weft")])
        .expect_err("a missing folder");
    assert!(err.to_string().contains("nowhere"), "{err}");
    assert_eq!(w.folders().count(), 1);
}
