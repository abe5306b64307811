//! The folder watcher (`weft dev`'s) against real files in real folders: one test per way
//! an editor saves (in place, atomic rename, truncate-then-write, vim driven for real,
//! JetBrains' safe write), what must be ignored (swap, build output, caches, git),
//! structure changes (new, deleted, nested, renamed folders) and garbage (a missing
//! root, a file as root, non-UTF-8 names, FIFOs, symlinks leading outside).
//!
//! Every test asserts the whole sequence of reported batches: after acting, batches are
//! collected until none arrives for a quiet window. "Nothing reported" is asserted the
//! same way, by waiting that fixed window, never by measuring elapsed time.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};
use weft_watch::{Change, WatchError, Watcher};

const DEBOUNCE: Duration = Duration::from_millis(200);
/// How long to wait for a first batch before failing.
const FIRST: Duration = Duration::from_secs(5);
/// How long with no batch counts as "nothing more is coming".
const QUIET: Duration = Duration::from_millis(700);

/// One reported batch, with the bytes of each changed file as read when it was
/// reported (what a consumer re-running the file would have seen).
#[derive(Debug)]
struct Seen {
    change: Change,
    contents: BTreeMap<String, Vec<u8>>,
}

/// A watched temporary folder.
struct Served {
    dir: tempfile::TempDir,
    rx: Receiver<Seen>,
    watcher: Option<Watcher>,
}

/// A folder outside the system temporary folder: vim's default 'backupskip' makes no
/// backup for files under /tmp, which would hide its rename-on-save pattern.
fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("watch-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("a scratch folder")
}

/// Starts watching a fresh folder holding `files` (path, content).
fn serve(files: &[(&str, &str)]) -> Served {
    let dir = scratch();
    for (rel, text) in files {
        let p = dir.path().join(rel);
        fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
        fs::write(&p, text).expect("seed file");
    }
    serve_dir(dir)
}

fn serve_dir(dir: tempfile::TempDir) -> Served {
    let (tx, rx) = crossbeam_channel::unbounded();
    let root = dir.path().to_path_buf();
    let watcher = Watcher::start(dir.path(), DEBOUNCE, move |change: Change| {
        let contents = change
            .changed
            .iter()
            .map(|rel| (rel.clone(), fs::read(root.join(rel)).unwrap_or_default()))
            .collect();
        let _ = tx.send(Seen { change, contents });
    })
    .expect("the watcher starts");
    Served {
        dir,
        rx,
        watcher: Some(watcher),
    }
}

fn change(changed: &[&str], tree_changed: bool) -> Change {
    Change {
        changed: changed.iter().map(|s| s.to_string()).collect(),
        removed: Vec::new(),
        tree_changed,
    }
}

impl Served {
    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
        fs::write(p, text).expect("write");
    }

    /// Every batch reported from now until a quiet window passes; at least one.
    fn batches(&self) -> Vec<Seen> {
        let first = self
            .rx
            .recv_timeout(FIRST)
            .unwrap_or_else(|e| panic!("nothing was reported within {FIRST:?} ({e})"));
        let mut all = vec![first];
        while let Ok(more) = self.rx.recv_timeout(QUIET) {
            all.push(more);
        }
        all
    }

    /// The changes reported from now until quiet.
    /// The batches' changes, without the removed files (asserted on their own, in
    /// `removed_files_are_named`).
    fn changes(&self) -> Vec<Change> {
        self.batches()
            .into_iter()
            .map(|s| Change {
                removed: Vec::new(),
                ..s.change
            })
            .collect()
    }

    /// Asserts that nothing is reported during a fixed window after the debounce.
    fn assert_quiet(&self) {
        match self.rx.recv_timeout(DEBOUNCE + QUIET) {
            Ok(seen) => panic!("expected nothing, got {seen:?}"),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
        }
    }
}

/// Asserts that every batch lists exactly `rel` with no tree change, and that the
/// last one saw `final_text`.
fn assert_last_content(batches: &[Seen], rel: &str, final_text: &str) {
    assert!(!batches.is_empty());
    for b in batches {
        assert_eq!(b.change, change(&[rel], false), "in {batches:?}");
    }
    let last = &batches[batches.len() - 1].contents[rel];
    assert_eq!(String::from_utf8_lossy(last), final_text, "in {batches:?}");
}

// --- Save patterns -------------------------------------------------------------

#[test]
fn an_in_place_write_reports_the_file_once() {
    let s = serve(&[("main.weft", "out = 1\n"), ("other.weft", "x = 2\n")]);
    // Opened without truncation and overwritten: the inode never changes.
    let mut f = fs::OpenOptions::new()
        .write(true)
        .open(s.path("main.weft"))
        .expect("open");
    f.write_all(b"out = 7\n").expect("write");
    drop(f);
    let batches = s.batches();
    assert_eq!(batches.len(), 1, "{batches:?}");
    assert_last_content(&batches, "main.weft", "out = 7\n");
}

#[test]
fn an_atomic_save_through_a_hidden_temporary_reports_the_original_once() {
    let s = serve(&[("main.weft", "out = 1\n")]);
    fs::write(s.path(".main.weft.tmp"), "out = 2\n").expect("temporary");
    fs::rename(s.path(".main.weft.tmp"), s.path("main.weft")).expect("rename");
    let batches = s.batches();
    assert_eq!(batches.len(), 1, "{batches:?}");
    assert_last_content(&batches, "main.weft", "out = 2\n");
}

#[test]
fn an_atomic_save_through_a_tilde_temporary_reports_the_original_once() {
    let s = serve(&[("main.weft", "out = 1\n")]);
    fs::write(s.path("main.weft~"), "out = 3\n").expect("temporary");
    fs::rename(s.path("main.weft~"), s.path("main.weft")).expect("rename");
    let batches = s.batches();
    assert_eq!(batches.len(), 1, "{batches:?}");
    assert_last_content(&batches, "main.weft", "out = 3\n");
}

#[test]
fn truncate_then_write_ends_on_the_final_content() {
    let s = serve(&[("main.weft", "out = 1\n")]);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(s.path("main.weft"))
        .expect("open");
    f.flush().expect("flush");
    // The empty state lasts a fraction of the debounce.
    std::thread::sleep(DEBOUNCE / 4);
    f.write_all(b"out = 2 * beat\n").expect("write");
    drop(f);
    // Whether or not the empty state was seen, the last report is the final content.
    assert_last_content(&s.batches(), "main.weft", "out = 2 * beat\n");
}

#[test]
fn a_save_with_identical_content_reports_nothing() {
    let s = serve(&[("main.weft", "out = 1\n")]);
    // In place, then atomically, then only the modification time.
    s.write("main.weft", "out = 1\n");
    fs::write(s.path(".main.weft.tmp"), "out = 1\n").expect("temporary");
    fs::rename(s.path(".main.weft.tmp"), s.path("main.weft")).expect("rename");
    let f = fs::File::options()
        .write(true)
        .open(s.path("main.weft"))
        .expect("open");
    f.set_modified(std::time::SystemTime::now() + Duration::from_secs(60))
        .expect("touch");
    drop(f);
    s.assert_quiet();
}

/// Edits `file` with real vim, non-interactively, with `options` set first.
fn vim(file: &Path, options: Option<&str>) {
    let mut cmd = Command::new("vim");
    cmd.args(["-Nu", "NONE", "-n", "-es"]);
    if let Some(o) = options {
        cmd.args(["-c", o]);
    }
    cmd.args(["-c", "%s/foo/bar/", "-c", "wq"])
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let status = cmd.status().expect("vim runs (apt-get install vim)");
    assert!(status.success(), "vim failed: {status}");
}

fn assert_vim_save(options: Option<&str>) {
    let s = serve(&[("main.weft", "out = foo\n"), ("lib.weft", "foo = 1\n")]);
    vim(&s.path("main.weft"), options);
    assert_eq!(
        fs::read_to_string(s.path("main.weft")).expect("read"),
        "out = bar\n",
        "vim did not edit the file"
    );
    let batches = s.batches();
    assert_eq!(batches.len(), 1, "{batches:?}");
    assert_last_content(&batches, "main.weft", "out = bar\n");
    let left: Vec<String> = fs::read_dir(s.dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != "main.weft" && n != "lib.weft")
        .collect();
    assert!(left.is_empty(), "vim left files behind: {left:?}");
}

#[test]
fn vim_renaming_the_original_to_a_backup_reports_the_file_once() {
    // Renames main.weft to main.weft~, writes a new main.weft, deletes the backup.
    assert_vim_save(Some("set nobackup writebackup backupcopy=no"));
}

#[test]
fn vim_copying_a_backup_and_writing_in_place_reports_the_file_once() {
    // Copies main.weft to main.weft~, truncates and rewrites main.weft in place.
    assert_vim_save(Some("set nobackup writebackup backupcopy=yes"));
}

#[test]
fn vim_with_its_defaults_reports_the_file_once() {
    // backupcopy=auto: probes the folder with a file named 4913, then renames.
    assert_vim_save(None);
}

#[test]
fn a_jetbrains_safe_write_reports_the_file_once() {
    let s = serve(&[("main.weft", "out = 1\n")]);
    fs::write(s.path("main.weft___jb_tmp___"), "out = 4\n").expect("temporary");
    fs::rename(s.path("main.weft"), s.path("main.weft___jb_old___")).expect("old");
    fs::rename(s.path("main.weft___jb_tmp___"), s.path("main.weft")).expect("new");
    fs::remove_file(s.path("main.weft___jb_old___")).expect("remove old");
    let batches = s.batches();
    assert_eq!(batches.len(), 1, "{batches:?}");
    assert_last_content(&batches, "main.weft", "out = 4\n");
}

#[test]
fn a_burst_of_writes_within_the_debounce_ends_on_the_last_one() {
    let s = serve(&[("main.weft", "out = 0\n")]);
    for i in 1..=20 {
        s.write("main.weft", &format!("out = {i}\n"));
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_last_content(&s.batches(), "main.weft", "out = 20\n");
}

#[test]
fn a_folder_that_never_goes_quiet_does_not_hold_back_edits() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let s = serve(&[("main.weft", "out = 1\n")]);
    // Something writes new files into the folder far more often than the debounce,
    // for long (a render saving frames).
    let done = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (done, stop) = (Arc::clone(&done), Arc::clone(&stop));
        let frames = s.path("frames");
        fs::create_dir(&frames).expect("mkdir");
        std::thread::spawn(move || {
            for i in 0..1000 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                fs::write(frames.join(format!("{i:04}.raw")), [0u8; 64]).expect("frame");
                std::thread::sleep(DEBOUNCE / 10);
            }
            done.store(true, Ordering::Relaxed);
        })
    };
    s.write("main.weft", "out = 2\n");
    let mut seen_main = false;
    while !seen_main {
        let seen =
            s.rx.recv_timeout(FIRST)
                .expect("a batch while the log grows");
        seen_main = seen.change.changed.iter().any(|c| c == "main.weft");
    }
    let finished_first = done.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("writer");
    assert!(
        !finished_first,
        "main.weft was only reported once the writer stopped"
    );
}

// --- What is ignored -----------------------------------------------------------

#[test]
fn swap_lock_and_backup_files_alone_report_nothing() {
    let s = serve(&[("main.weft", "out = 1\n")]);
    for name in [
        ".main.weft.swp",
        ".main.weft.swx",
        "main.weft.swo",
        "#main.weft#",
        "main.weft~",
        "4913",
        "main.weft.tmp",
        "main.weft___jb_old___",
    ] {
        s.write(name, "junk");
    }
    // Emacs' lock file is a dangling symlink.
    std::os::unix::fs::symlink("user@host.1234:1", s.path(".#main.weft")).expect("lock");
    s.assert_quiet();
    s.write(".main.weft.swp", "more junk");
    fs::remove_file(s.path("#main.weft#")).expect("remove");
    fs::remove_file(s.path(".#main.weft")).expect("remove");
    s.assert_quiet();
}

#[test]
fn build_output_caches_and_git_report_nothing() {
    let s = serve(&[("main.weft", "out = 1\n"), (".git/HEAD", "ref\n")]);
    s.write("target/debug/build.log", "x");
    s.write("sub/target/gen.weft", "x = 1\n");
    s.write(".weft-cache/ab/cdef", "cached");
    s.write(".git/objects/ab/cdef", "blob");
    s.write(".git/HEAD", "other\n");
    s.write("sub/.hidden.weft", "x = 1\n");
    fs::remove_dir_all(s.path(".git")).expect("remove .git");
    // `sub/` itself is a new visible folder: that one tree change is expected.
    assert_eq!(s.changes(), [change(&[], true)]);
    s.write("target/debug/build.log", "y");
    s.write("sub/target/gen.weft", "x = 2\n");
    s.assert_quiet();
}

// --- Structure -----------------------------------------------------------------

#[test]
fn a_new_file_changes_the_tree_and_is_listed() {
    let s = serve(&[("main.weft", "out = 1\n")]);
    s.write("lfo.weft", "lfo = sin(t)\n");
    assert_eq!(s.changes(), [change(&["lfo.weft"], true)]);
}

#[test]
fn a_deleted_file_changes_the_tree_only() {
    let s = serve(&[("main.weft", "out = 1\n"), ("lfo.weft", "lfo = 1\n")]);
    fs::remove_file(s.path("lfo.weft")).expect("remove");
    assert_eq!(s.changes(), [change(&[], true)]);
}

#[test]
fn removed_files_are_named() {
    let s = serve(&[
        ("main.weft", "out = 1\n"),
        ("lfo.weft", "lfo = 1\n"),
        ("scenes/deep/b.weft", "b = 1\n"),
    ]);
    fs::remove_file(s.path("lfo.weft")).expect("remove");
    fs::remove_dir_all(s.path("scenes")).expect("remove");
    let removed: Vec<Vec<String>> = s.batches().into_iter().map(|b| b.change.removed).collect();
    assert_eq!(removed, [["lfo.weft", "scenes/deep/b.weft"]]);
    fs::rename(s.path("main.weft"), s.path("renamed.weft")).expect("rename");
    let seen: Vec<Change> = s.batches().into_iter().map(|b| b.change).collect();
    assert_eq!(
        seen,
        [Change {
            changed: vec!["renamed.weft".into()],
            removed: vec!["main.weft".into()],
            tree_changed: true,
        }]
    );
}

#[test]
fn several_files_in_one_batch_are_listed_sorted() {
    let s = serve(&[("b.weft", "b = 1\n")]);
    s.write("c.weft", "c = 1\n");
    s.write("b.weft", "b = 2\n");
    s.write("a/z.weft", "z = 1\n");
    s.write("a.weft", "a = 1\n");
    assert_eq!(
        s.changes(),
        [change(&["a.weft", "a/z.weft", "b.weft", "c.weft"], true)]
    );
}

#[test]
fn files_in_new_nested_folders_are_seen_and_then_watched() {
    let s = serve(&[("main.weft", "out = 1\n")]);
    fs::create_dir_all(s.path("scenes/act1/parts")).expect("mkdir");
    fs::write(s.path("scenes/act1/parts/intro.weft"), "x = 1\n").expect("write");
    fs::write(s.path("scenes/act1/outro.weft"), "y = 1\n").expect("write");
    assert_eq!(
        s.changes(),
        [change(
            &["scenes/act1/outro.weft", "scenes/act1/parts/intro.weft"],
            true
        )]
    );
    // The new folders are watched too.
    s.write("scenes/act1/parts/intro.weft", "x = 2\n");
    assert_eq!(
        s.changes(),
        [change(&["scenes/act1/parts/intro.weft"], false)]
    );
}

#[test]
fn a_renamed_folder_moves_its_files_and_stays_watched() {
    let s = serve(&[
        ("scenes/a.weft", "a = 1\n"),
        ("scenes/deep/b.weft", "b = 1\n"),
    ]);
    fs::rename(s.path("scenes"), s.path("acts")).expect("rename");
    assert_eq!(
        s.changes(),
        [change(&["acts/a.weft", "acts/deep/b.weft"], true)]
    );
    s.write("acts/deep/b.weft", "b = 2\n");
    assert_eq!(s.changes(), [change(&["acts/deep/b.weft"], false)]);
}

#[test]
fn a_deleted_folder_changes_the_tree_only() {
    let s = serve(&[
        ("main.weft", "out = 1\n"),
        ("scenes/deep/b.weft", "b = 1\n"),
    ]);
    fs::remove_dir_all(s.path("scenes")).expect("remove");
    assert_eq!(s.changes(), [change(&[], true)]);
}

#[test]
fn a_folder_replaced_by_a_file_of_the_same_name_is_seen() {
    let s = serve(&[("scenes/a.weft", "a = 1\n")]);
    fs::remove_dir_all(s.path("scenes")).expect("remove");
    s.write("scenes", "now a file\n");
    assert_eq!(s.changes(), [change(&["scenes"], true)]);
}

#[test]
fn files_moved_in_and_out_of_the_folder_are_seen() {
    let elsewhere = scratch();
    let s = serve(&[("main.weft", "out = 1\n"), ("old.weft", "o = 1\n")]);
    // An editor that writes its temporary outside the folder, then renames it in.
    fs::write(elsewhere.path().join("tmp"), "out = 5\n").expect("write");
    fs::rename(elsewhere.path().join("tmp"), s.path("main.weft")).expect("move in");
    assert_eq!(s.changes(), [change(&["main.weft"], false)]);
    fs::write(elsewhere.path().join("new"), "n = 1\n").expect("write");
    fs::rename(elsewhere.path().join("new"), s.path("new.weft")).expect("move in");
    assert_eq!(s.changes(), [change(&["new.weft"], true)]);
    fs::rename(s.path("old.weft"), elsewhere.path().join("old.weft")).expect("move out");
    assert_eq!(s.changes(), [change(&[], true)]);
}

#[test]
fn a_folder_moved_out_of_a_hidden_folder_appears_with_its_files() {
    let s = serve(&[(".staging/scene/a.weft", "a = 1\n")]);
    fs::rename(s.path(".staging/scene"), s.path("scene")).expect("rename");
    assert_eq!(s.changes(), [change(&["scene/a.weft"], true)]);
    fs::rename(s.path("scene"), s.path(".staging/scene")).expect("hide again");
    assert_eq!(s.changes(), [change(&[], true)]);
}

// --- Garbage -------------------------------------------------------------------

#[test]
fn a_missing_root_is_a_clear_error() {
    let dir = scratch();
    let missing = dir.path().join("nowhere");
    let err = Watcher::start(&missing, DEBOUNCE, |_| {}).expect_err("must fail");
    assert!(matches!(err, WatchError::RootMissing { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("nowhere") && text.contains("no such folder"),
        "{text}"
    );
}

#[test]
fn a_file_as_root_is_a_clear_error() {
    let dir = scratch();
    let file = dir.path().join("main.weft");
    fs::write(&file, "out = 1\n").expect("write");
    let err = Watcher::start(&file, DEBOUNCE, |_| {}).expect_err("must fail");
    assert!(matches!(err, WatchError::NotADirectory { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("main.weft") && text.contains("not a folder"),
        "{text}"
    );
}

#[test]
fn non_utf8_names_change_the_tree_without_being_listed() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = scratch();
    // One present at start (the seed scan), one created while watching.
    fs::write(dir.path().join(OsStr::from_bytes(b"old\xff.weft")), "x").expect("write");
    let s = serve_dir(dir);
    fs::write(s.dir.path().join(OsStr::from_bytes(b"new\xfe.weft")), "y").expect("write");
    assert_eq!(s.changes(), [change(&[], true)]);
    fs::write(s.dir.path().join(OsStr::from_bytes(b"new\xfe.weft")), "z").expect("write");
    s.assert_quiet();
    // Still alive.
    s.write("ok.weft", "ok = 1\n");
    assert_eq!(s.changes(), [change(&["ok.weft"], true)]);
}

#[test]
fn a_fifo_is_part_of_the_tree_but_never_read() {
    let s = serve(&[("main.weft", "out = 1\n")]);
    let status = Command::new("mkfifo")
        .arg(s.path("pipe"))
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    assert_eq!(s.changes(), [change(&[], true)]);
    // Reading the FIFO would have blocked the watcher: it still answers.
    s.write("main.weft", "out = 2\n");
    assert_eq!(s.changes(), [change(&["main.weft"], false)]);
}

#[test]
fn symlinked_folders_are_not_followed() {
    let outside = scratch();
    fs::write(outside.path().join("shared.weft"), "s = 1\n").expect("write");
    let dir = scratch();
    fs::write(dir.path().join("main.weft"), "out = 1\n").expect("write");
    std::os::unix::fs::symlink(outside.path(), dir.path().join("shared")).expect("link");
    // A loop back to the root must not make the scan or the watch spin.
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).expect("loop");
    let s = serve_dir(dir);
    fs::write(outside.path().join("shared.weft"), "s = 2\n").expect("write");
    fs::write(outside.path().join("new.weft"), "n = 1\n").expect("write");
    s.assert_quiet();
    // A new link is a tree change; nothing behind it is read.
    std::os::unix::fs::symlink(outside.path(), s.path("more")).expect("link");
    assert_eq!(s.changes(), [change(&[], true)]);
    s.write("main.weft", "out = 2\n");
    assert_eq!(s.changes(), [change(&["main.weft"], false)]);
}

#[test]
fn dropping_the_watcher_stops_reports() {
    let mut s = serve(&[("main.weft", "out = 1\n")]);
    s.write("main.weft", "out = 2\n");
    assert_eq!(s.changes(), [change(&["main.weft"], false)]);
    drop(s.watcher.take());
    s.write("main.weft", "out = 3\n");
    s.assert_quiet();
}
