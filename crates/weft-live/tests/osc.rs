//! OSC output over real UDP: a socket on 127.0.0.1 receives what the live engine
//! sends for a program's `osc(…)` output, decoded with `rosc` — the address, one
//! 32-bit float per value, time that moves forward, parameter values before and
//! after `SetParam`, silence while stopped or paused, time held across a pause —
//! and an unusable `--osc` target that leaves the engine running with the reason
//! in its snapshot.

use rosc::{OscPacket, OscType};
use std::net::UdpSocket;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use weft_live::{Builder, Command, Engine, EngineOptions};
use weft_sources::SourceOptions;

const ADDRESS: &str = "/weft/test";

const PROGRAM: &str = "\
me<fps> = 60
p<v> = param(3, 0, 10)
osc(\"/weft/test\", me@time, p@v)
display(me@x)
";

/// A UDP socket on an ephemeral loopback port.
fn receiver() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket on 127.0.0.1")
}

/// An engine with a tiny frame, sending OSC to `target`.
fn engine(target: String) -> Engine {
    let (engine, _audio) = Engine::start(EngineOptions {
        size: Some((8, 8)),
        osc: Some(target),
        ..EngineOptions::default()
    });
    engine
}

/// Writes `text` as a `.weft` file in `dir`, builds it and swaps it in.
fn load(engine: &Engine, dir: &tempfile::TempDir, text: &str) -> PathBuf {
    let path = dir.path().join("osc.weft");
    std::fs::write(&path, text).expect("write the program");
    let command = Builder::new(SourceOptions::default())
        .build(&path)
        .into_command()
        .expect("a build gives a command");
    assert!(
        matches!(command, Command::Swap(_)),
        "the program builds: {command:?}"
    );
    engine.apply(command).expect("the program swaps in");
    path
}

/// The next message within `timeout`: (address, values), every value a float.
fn next(socket: &UdpSocket, timeout: Duration) -> Option<(String, Vec<f32>)> {
    socket
        .set_read_timeout(Some(timeout))
        .expect("set a read timeout");
    let mut buf = [0u8; 1536];
    let n = match socket.recv(&mut buf) {
        Ok(n) => n,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            return None
        }
        Err(e) => panic!("receive: {e}"),
    };
    let (rest, packet) = rosc::decoder::decode_udp(&buf[..n]).expect("a well-formed OSC packet");
    assert!(rest.is_empty(), "one packet per datagram");
    let OscPacket::Message(m) = packet else {
        panic!("a message, not a bundle: {packet:?}");
    };
    let values = m
        .args
        .iter()
        .map(|a| match a {
            OscType::Float(v) => *v,
            other => panic!("every value is a 32-bit float, got {other:?}"),
        })
        .collect();
    Some((m.addr, values))
}

/// The next message, which must arrive within two seconds.
fn expect(socket: &UdpSocket) -> (f32, f32) {
    let (addr, values) = next(socket, Duration::from_secs(2)).expect("a message within 2 s");
    assert_eq!(addr, ADDRESS);
    assert_eq!(values.len(), 2, "two values: {values:?}");
    (values[0], values[1])
}

/// Reads what is already queued and returns how many messages that was.
fn drain(socket: &UdpSocket) -> usize {
    let mut n = 0;
    while next(socket, Duration::from_millis(5)).is_some() {
        n += 1;
    }
    n
}

/// Waits (up to two seconds) until the snapshot counts at least `n` messages
/// sent: the engine publishes after the tick that sent them, so a message can
/// arrive before the snapshot that counts it.
fn wait_sent(engine: &Engine, n: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let sent = engine.snapshot().osc_sent;
        if sent >= n || Instant::now() > deadline {
            return sent;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Asserts that nothing arrives for `quiet`.
fn silent(socket: &UdpSocket, quiet: Duration, why: &str) {
    if let Some(m) = next(socket, quiet) {
        panic!("{why}, but received {m:?}");
    }
}

#[test]
fn sends_address_time_and_parameter_values_over_udp() {
    let socket = receiver();
    let engine = engine(socket.local_addr().unwrap().to_string());
    let dir = tempfile::tempdir().unwrap();
    load(&engine, &dir, PROGRAM);
    assert_eq!(engine.snapshot().last_error, None);

    // Loaded but stopped: frames may render, OSC stays quiet.
    silent(
        &socket,
        Duration::from_millis(150),
        "a stopped engine sends nothing",
    );

    engine.apply(Command::Play).unwrap();
    let mut last = f32::NEG_INFINITY;
    for _ in 0..6 {
        let (time, p) = expect(&socket);
        assert!((0.0..60.0).contains(&time), "time {time}");
        assert!(time > last, "time increases: {time} after {last}");
        assert_eq!(p, 3.0, "the parameter's default");
        last = time;
    }

    // Every message sent after the command was applied carries the new value;
    // only those already queued before it may carry the old one.
    engine
        .apply(Command::SetParam {
            id: "p".into(),
            value: 7.0,
        })
        .unwrap();
    let mut seen_new = 0;
    let mut old_after_new = 0;
    let deadline = Instant::now() + Duration::from_secs(5);
    while seen_new < 5 && Instant::now() < deadline {
        let (time, p) = expect(&socket);
        assert!(time > last, "time increases: {time} after {last}");
        last = time;
        if p == 7.0 {
            seen_new += 1;
        } else if p == 3.0 {
            old_after_new += usize::from(seen_new > 0);
        } else {
            panic!("p is 3 or 7, got {p}");
        }
    }
    assert_eq!(seen_new, 5, "messages with the new value arrive");
    assert_eq!(old_after_new, 0, "no old value after the new one");
    let sent = wait_sent(&engine, 11);
    assert!(sent >= 11, "the snapshot counts the messages: {sent}");
}

#[test]
fn pause_is_silent_and_holds_time() {
    let socket = receiver();
    let engine = engine(socket.local_addr().unwrap().to_string());
    let dir = tempfile::tempdir().unwrap();
    load(&engine, &dir, PROGRAM);
    engine.apply(Command::Play).unwrap();
    let (before, _) = expect(&socket);

    engine.apply(Command::Pause).unwrap();
    // A UDP send on loopback is queued at the receiver when `send_to` returns, and
    // the engine thread sends before it answers the command: what is queued now
    // is all that was sent while playing.
    drain(&socket);
    let sent = engine.snapshot().osc_sent;
    silent(
        &socket,
        Duration::from_millis(200),
        "a paused engine sends nothing",
    );
    // Changes while paused render frames but still send nothing.
    engine
        .apply(Command::SetParam {
            id: "p".into(),
            value: 5.0,
        })
        .unwrap();
    engine.apply(Command::Seek(10.0)).unwrap();
    silent(
        &socket,
        Duration::from_millis(100),
        "a paused engine sends nothing after set and seek",
    );
    assert_eq!(
        engine.snapshot().osc_sent,
        sent,
        "the counter holds while paused"
    );

    // Playing again resumes from where the transport held (the seek), not from
    // the wall clock.
    let resumed = Instant::now();
    engine.apply(Command::Play).unwrap();
    let (time, p) = expect(&socket);
    let waited = resumed.elapsed().as_secs_f32();
    assert!(
        (10.0..=10.0 + waited + 0.01).contains(&time),
        "resumed at {time}, expected 10 to {} (before the pause: {before})",
        10.0 + waited
    );
    assert_eq!(p, 5.0, "the value set while paused");
    assert!(
        wait_sent(&engine, sent + 1) > sent,
        "the counter moves again"
    );
}

#[test]
fn bad_target_turns_osc_off_and_the_engine_runs_on() {
    let engine = engine("not-a-host:xx".to_string());
    // Said from the first snapshot on, before any tick.
    let error = engine.snapshot().last_error.clone().unwrap_or_default();
    assert!(error.contains("OSC output is off"), "last error: {error:?}");
    assert!(
        error.contains("not-a-host:xx"),
        "names the target: {error:?}"
    );

    let dir = tempfile::tempdir().unwrap();
    load(&engine, &dir, PROGRAM);
    engine.apply(Command::Play).unwrap();
    let start = engine.snapshot().frames;
    let deadline = Instant::now() + Duration::from_secs(5);
    while engine.snapshot().frames < start + 5 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let s = engine.snapshot();
    assert!(
        s.frames >= start + 5,
        "frames render: {} after {start}",
        s.frames
    );
    assert_eq!(s.osc_sent, 0);
    assert_eq!(s.program_version, 1);
    // A successful swap does not hide that OSC is off.
    let error = s.last_error.clone().unwrap_or_default();
    assert!(
        error.contains("OSC output is off"),
        "last error after the swap: {error:?}"
    );
    engine
        .apply(Command::SetParam {
            id: "p".into(),
            value: 1.0,
        })
        .unwrap();
}
