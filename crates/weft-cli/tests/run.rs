//! `weft run` driven like a user would: a real process, commands typed on stdin,
//! the file saved from outside, OSC received on a real UDP socket.

use std::io::{BufRead, BufReader, Write};
use std::net::UdpSocket;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Running {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

impl Running {
    fn start(dir: &std::path::Path, args: &[&str]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
            .arg("run")
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("weft run starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    return;
                }
            }
        });
        Running {
            child,
            stdin,
            lines,
        }
    }

    fn type_line(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("write stdin");
        self.stdin.flush().expect("flush");
    }

    /// Reads lines until one contains `want`; returns everything read.
    fn expect(&self, want: &str) -> String {
        let mut seen = String::new();
        loop {
            match self.lines.recv_timeout(Duration::from_secs(10)) {
                Ok(l) => {
                    seen.push_str(&l);
                    seen.push('\n');
                    if l.contains(want) {
                        return seen;
                    }
                }
                Err(_) => panic!("`{want}` never came; output so far:\n{seen}"),
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const TONE: &str = "freq<hz> = param(220, 55, 880)\ntone<s> = 0.2 * sin(me@time * tau * freq@hz)\nplay(tone@s)\nosc(\"/weft/freq\", freq@hz)\n";

#[test]
fn commands_on_stdin_reloads_on_save_and_osc_out() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("tone.weft");
    std::fs::write(&file, TONE).expect("write");
    let peer = UdpSocket::bind("127.0.0.1:0").expect("udp");
    peer.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let target = peer.local_addr().expect("addr").to_string();
    let mut run = Running::start(dir.path(), &["tone.weft", "--osc", &target]);
    run.expect("loaded tone.weft (version 1)");

    run.type_line("set freq 440");
    run.expect("ok");
    run.type_line("get freq");
    run.expect("freq = 440 (55 to 880, default 220)");
    let mut buf = [0u8; 1024];
    let mut seen_440 = false;
    // Messages at the frame rate queue up meanwhile: read them for up to 20 s.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < until {
        let n = peer.recv(&mut buf).expect("an OSC message arrives");
        let (_, packet) = rosc::decoder::decode_udp(&buf[..n]).expect("valid OSC");
        let rosc::OscPacket::Message(m) = packet else {
            panic!("a message")
        };
        assert_eq!(m.addr, "/weft/freq");
        if m.args == [rosc::OscType::Float(440.0)] {
            seen_440 = true;
            break;
        }
    }
    assert!(seen_440, "the parameter reaches OSC");

    // An editor's atomic save: write a temporary file, rename it over.
    let tmp = dir.path().join(".tone.weft.tmp");
    std::fs::write(&tmp, TONE.replace("param(220,", "param(330,")).expect("write");
    std::fs::rename(&tmp, &file).expect("rename");
    run.expect("loaded tone.weft (version 2)");
    run.type_line("get freq");
    run.expect("freq = 440 (55 to 880, default 330)");

    // A broken save: the error is shown and the last good program plays on.
    std::fs::write(&file, "tone<s> = nope\nplay(tone@s)\n").expect("write");
    run.expect("error[E0301]");
    run.expect("the last good program keeps playing");
    run.type_line("info");
    let info = run.expect("last error");
    assert!(info.contains("version 2"), "{info}");

    run.type_line("seek soon");
    run.expect("error: seek: `soon` is not a finite number");
    run.type_line("warp 9");
    run.expect("error: unknown command `warp`; try `help`");
    run.type_line("quit");
    let status = run.child.wait().expect("exits");
    assert!(status.success());
}

#[test]
fn a_missing_file_is_an_io_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["run", "/nonexistent/x.weft"])
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

#[test]
fn a_line_that_is_not_utf8_is_reported_and_the_next_lines_still_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("tone.weft"), TONE).expect("write");
    let mut run = Running::start(dir.path(), &["tone.weft", "--osc", "127.0.0.1:9"]);
    run.expect("loaded tone.weft (version 1)");
    run.stdin
        .write_all(b"get freq\n\xff\xfe\nget freq\n")
        .expect("write stdin");
    run.stdin.flush().expect("flush");
    let seen = run.expect("line 2 is not UTF-8 (byte 1 of it); skipped");
    assert!(seen.contains("freq = 220"), "{seen}");
    run.expect("freq = 220");
    run.type_line("quit");
    let status = run.child.wait().expect("exits");
    assert!(status.success());
}

#[test]
fn an_edit_of_a_used_file_in_another_folder_reloads() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("piece")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("lib")).expect("mkdir");
    std::fs::write(
        dir.path().join("piece/main.weft"),
        "use \"../lib/voice.weft\"\nplay(voice@s)\n",
    )
    .expect("write");
    let lib = dir.path().join("lib/voice.weft");
    std::fs::write(&lib, "voice<s> = 0.1 * sin(me@time * tau * 220)\n").expect("write");
    let mut run = Running::start(dir.path(), &["piece/main.weft", "--paused"]);
    run.expect("(version 1)");
    std::fs::write(&lib, "voice<s> = 0.1 * sin(me@time * tau * 330)\n").expect("edit");
    run.expect("(version 2)");
    // A file next to the library that the program does not read changes nothing;
    // the next edit of the library is still seen.
    std::fs::write(dir.path().join("lib/other.weft"), "o<v> = 1\n").expect("write");
    std::fs::write(&lib, "voice<s> = 0.1 * sin(me@time * tau * 440)\n").expect("edit");
    let seen = run.expect("(version 3)");
    assert!(!seen.contains("version 4"), "{seen}");
    run.type_line("quit");
    assert!(run.child.wait().expect("exits").success());
}

#[test]
fn osc_in_steers_parameters_and_the_transport() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("knob.weft"),
        "#slider freq<hz> = 55, 880, 220 \"Pitch\"\n#toggle on<v> = 0\ntone<s> = on@v * 0.2 * sin(me@time * tau * freq@hz)\nplay(tone@s)\n",
    )
    .expect("write");
    let mut run = Running::start(
        dir.path(),
        &["knob.weft", "--paused", "--osc-in", "127.0.0.1:0"],
    );
    let said = run.expect("OSC commands on udp");
    let addr = said
        .lines()
        .find_map(|l| l.split("OSC commands on udp ").nth(1))
        .expect("the address")
        .trim()
        .to_string();
    run.expect("loaded knob.weft (version 1)");
    let sender = UdpSocket::bind("127.0.0.1:0").expect("sender");
    let send = |addr_: &str, args: Vec<rosc::OscType>| {
        let packet = rosc::OscPacket::Message(rosc::OscMessage {
            addr: addr_.to_string(),
            args,
        });
        sender
            .send_to(&rosc::encoder::encode(&packet).expect("encodes"), &addr)
            .expect("sent");
    };
    sender.send_to(b"garbage", &addr).expect("sent");
    send("/param/freq", vec![rosc::OscType::Float(440.0)]);
    send("/param/on", vec![rosc::OscType::Float(0.8)]);
    send("/transport/seek", vec![rosc::OscType::Float(3.0)]);
    // Applied in order: once the last has, the others have.
    for _ in 0..100 {
        run.type_line("get freq");
        if run.expect("freq = ").contains("freq = 440") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    run.type_line("get on");
    run.expect("on = 1 (0 to 1, default 0)");
    run.type_line("get freq");
    run.expect("freq = 440 (55 to 880, default 220)");
    run.type_line("quit");
    let out = run.expect("OSC in:");
    assert!(
        out.contains("OSC in: 3 applied, 0 ignored, 1 malformed"),
        "{out}"
    );
    assert!(run.child.wait().expect("exits").success());
}

#[test]
fn a_bad_osc_in_address_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("a.weft"), "play(0)\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["run", "a.weft", "--osc-in", "nowhere"])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("--osc-in: `nowhere` is not HOST:PORT"),
        "{text}"
    );
}
