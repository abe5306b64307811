//! `weft tui` driven in a real pseudo-terminal (tmux): the segment list with
//! states, `R` renders everything, an edit to the file shows its segment dirty,
//! `p` previews, `r` renders the selected segment, `q` quits; build warnings show
//! in the status area, never printed over the screen.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of our own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    fn screen(&self) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-p", "-t", "tui"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &str) {
        assert!(self
            .cmd()
            .args(["send-keys", "-t", "tui", keys])
            .status()
            .expect("tmux")
            .success());
    }

    fn alive(&self) -> bool {
        self.cmd()
            .args(["has-session", "-t", "tui"])
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// Waits until `ready` holds for the screen; fails with the screen after a
    /// minute (a bound against hanging, not a timing assertion).
    fn wait(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let s = self.screen();
            if ready(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "never saw {what}; the screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}

fn line<'a>(screen: &'a str, name: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(&format!(" {name} ")) && l.contains('s'))
        .unwrap_or("")
}

const THREE: &str = "segment alpha(0.5) {\n    display(me@x)\n}\nsegment beta(0.5) {\n    display(me@y)\n}\nsegment gamma(0.5) {\n    display(0.5)\n}\n";

#[test]
fn the_tui_lists_renders_follows_edits_previews_and_quits() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("three.weft");
    std::fs::write(&file, THREE).expect("write");
    let tmux = Tmux {
        socket: format!("weft-tui-test-{}", std::process::id()),
    };
    let command = format!(
        "cd '{}' && '{}' tui three.weft --size 16x8 --fps 4 --jobs 1; echo exited $? > '{}'; sleep 30",
        dir.path().display(),
        env!("CARGO_BIN_EXE_weft"),
        dir.path().join("exit").display()
    );
    session(&tmux, &command);
    let s = tmux.wait("three pending segments", |s| s.matches("○").count() == 3);
    assert!(line(&s, "alpha").contains("0.50s"), "{s}");

    tmux.keys("R");
    tmux.wait("every segment cached", |s| {
        s.matches("✓").count() == 3 && s.contains("wrote")
    });
    assert!(dir.path().join("three.mp4").is_file());

    std::fs::write(&file, THREE.replace("display(me@y)", "display(1 - me@y)")).expect("edit");
    let s = tmux.wait("beta dirty after the edit", |s| {
        line(s, "beta").contains("●")
    });
    assert!(
        line(&s, "alpha").contains("✓") && line(&s, "gamma").contains("✓"),
        "{s}"
    );

    tmux.keys("Down");
    tmux.keys("p");
    let s = tmux.wait("the preview", |s| s.contains("preview: last frame of beta"));
    assert!(s.contains("▀"), "the preview draws half blocks:\n{s}");

    tmux.keys("r");
    tmux.wait("beta cached again", |s| {
        s.matches("✓").count() == 3 && s.contains("1 rendered")
    });

    tmux.keys("q");
    let exit = dir.path().join("exit");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !exit.exists() {
        assert!(
            Instant::now() < deadline && tmux.alive(),
            "weft tui did not quit"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        std::fs::read_to_string(&exit).expect("exit").trim(),
        "exited 0"
    );
    check_terminal_restored(&tmux, dir.path());
}

#[test]
fn an_edit_of_a_used_file_marks_the_segment_dirty() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(dir.path().join("lib")).expect("mkdir");
    let lib = dir.path().join("lib/look.weft");
    std::fs::write(&lib, "look<v> = me@x\n").expect("write");
    std::fs::write(
        dir.path().join("one.weft"),
        "use \"lib/look.weft\"\nsegment solo(0.5) {\n    display(look@v)\n}\n",
    )
    .expect("write");
    let tmux = Tmux {
        socket: format!("weft-tui-use-test-{}", std::process::id()),
    };
    let command = format!(
        "cd '{}' && '{}' tui one.weft --size 16x8 --fps 4 --jobs 1; sleep 30",
        dir.path().display(),
        env!("CARGO_BIN_EXE_weft"),
    );
    session(&tmux, &command);
    tmux.wait("one pending segment", |s| line(s, "solo").contains("○"));
    tmux.keys("R");
    tmux.wait("the segment cached", |s| line(s, "solo").contains("✓"));
    std::fs::write(&lib, "look<v> = 1 - me@x\n").expect("edit the library");
    tmux.wait("solo dirty after the library's edit", |s| {
        line(s, "solo").contains("●")
    });
    tmux.keys("q");
}

/// Runs `command` in a new 110×24 tmux session named `tui`.
fn session(tmux: &Tmux, command: &str) {
    let started = tmux
        .cmd()
        .args([
            "new-session",
            "-d",
            "-s",
            "tui",
            "-x",
            "110",
            "-y",
            "24",
            command,
        ])
        .env_remove("TMUX")
        .status()
        .expect("tmux is installed (scripts/setup.sh)");
    assert!(started.success());
}

fn start(tmux: &Tmux, dir: &Path, file: &str) {
    let command = format!(
        "cd '{}' && '{}' tui {file} --size 16x8 --fps 4 --jobs 1 --duration 1; sleep 30",
        dir.display(),
        env!("CARGO_BIN_EXE_weft"),
    );
    session(tmux, &command);
}

#[test]
fn build_warnings_show_in_the_status_area_not_over_the_screen() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("mic.weft"),
        "voice<s> = mic()\ndisplay(me@x)\nplay(voice@s)\n",
    )
    .expect("write");
    let tmux = Tmux {
        socket: format!("weft-tui-warn-{}", std::process::id()),
    };
    start(&tmux, dir.path(), "mic.weft");
    tmux.wait("the segment list", |s| s.contains("main"));
    // A preview builds the program again, with its warning.
    tmux.keys("p");
    let s = tmux.wait("the preview", |s| s.contains("preview: last frame of main"));
    let warning = s
        .lines()
        .find(|l| l.contains("warning[W0601]"))
        .unwrap_or_else(|| panic!("the warning is not shown:\n{s}"));
    assert!(warning.contains("mic.weft:1:"), "{warning}");
    assert!(
        !s.contains("^^^^") && !s.contains("= mic()"),
        "diagnostic text printed over the screen:\n{s}"
    );
}

/// After quitting, the shell's screen is back (the alternate screen is left).
fn check_terminal_restored(tmux: &Tmux, _dir: &Path) {
    let s = tmux.screen();
    assert!(
        !s.contains("r render selected"),
        "the UI is still on screen:\n{s}"
    );
}
