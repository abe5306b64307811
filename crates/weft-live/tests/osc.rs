//! OSC output over real UDP: a socket on 127.0.0.1 receives what the live engine
//! sends for a program's `osc(…)` output, decoded with `rosc` — the address, one
//! 32-bit float per value, time that moves forward, parameter values before and
//! after `SetParam`, silence while stopped or paused, time held across a pause —
//! and an unusable `--osc` target that leaves the engine running with the reason
//! in its snapshot.
//!
//! The engines run on a [`ManualClock`]: frames (and so messages) happen only when
//! a test advances the clock and syncs, and a UDP send on loopback is queued at
//! the receiver before the engine answers, so every count here is exact.

use rosc::{OscPacket, OscType};
use std::net::UdpSocket;
use std::path::PathBuf;
use std::time::Duration;
use weft_live::{Builder, Clock, Command, Engine, EngineOptions, ManualClock};
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

/// An engine with a tiny frame on `clock`, sending OSC to `target`.
fn engine(target: String, clock: &ManualClock) -> Engine {
    let (engine, _audio) = Engine::start(EngineOptions {
        size: Some((8, 8)),
        osc: Some(target),
        clock: Clock::Manual(clock.clone()),
        ..EngineOptions::default()
    });
    engine
}

/// Moves the clock by `ms` milliseconds and lets the engine tick once.
fn advance(engine: &Engine, clock: &ManualClock, ms: u64) {
    clock.advance(Duration::from_millis(ms));
    engine.sync().expect("the engine runs");
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

/// The next message, already queued: (time, p).
fn expect(socket: &UdpSocket) -> (f32, f32) {
    let (addr, values) = next(socket, Duration::from_secs(2)).expect("a queued message");
    assert_eq!(addr, ADDRESS);
    assert_eq!(values.len(), 2, "two values: {values:?}");
    (values[0], values[1])
}

/// Every message already queued: (time, p) each.
fn drain(socket: &UdpSocket) -> Vec<(f32, f32)> {
    let mut got = Vec::new();
    while let Some((addr, values)) = next(socket, Duration::from_millis(5)) {
        assert_eq!(addr, ADDRESS);
        got.push((values[0], values[1]));
    }
    got
}

#[test]
fn sends_address_time_and_parameter_values_over_udp() {
    let socket = receiver();
    let clock = ManualClock::new();
    let engine = engine(socket.local_addr().unwrap().to_string(), &clock);
    let dir = tempfile::tempdir().unwrap();
    load(&engine, &dir, PROGRAM);
    assert_eq!(engine.snapshot().last_error, None);

    // Loaded but stopped: frames may render, OSC stays quiet.
    advance(&engine, &clock, 150);
    assert_eq!(drain(&socket), [], "a stopped engine sends nothing");

    // The frame at play, then one per frame at 60 fps (20 ms > 1/60 s).
    engine.apply(Command::Play).unwrap();
    let mut got = vec![expect(&socket)];
    for _ in 0..5 {
        advance(&engine, &clock, 20);
        got.push(expect(&socket));
    }
    assert_eq!(drain(&socket), [], "one message per frame");
    assert_eq!(got[0], (0.0, 3.0), "time 0 and the parameter's default");
    for w in got.windows(2) {
        assert!(w[1].0 > w[0].0, "time increases: {w:?}");
        assert_eq!(w[1].1, 3.0);
    }
    let last = got[5].0;

    // Every message sent after the command was applied carries the new value.
    engine
        .apply(Command::SetParam {
            id: "p".into(),
            value: 7.0,
        })
        .unwrap();
    for _ in 0..5 {
        advance(&engine, &clock, 20);
    }
    let after = drain(&socket);
    assert!(after.len() >= 5, "{after:?}");
    assert!(after.iter().all(|m| m.1 == 7.0 && m.0 >= last), "{after:?}");
    assert_eq!(
        engine.snapshot().osc_sent,
        (got.len() + after.len()) as u64,
        "the snapshot counts the messages"
    );
}

#[test]
fn pause_is_silent_and_holds_time() {
    let socket = receiver();
    let clock = ManualClock::new();
    let engine = engine(socket.local_addr().unwrap().to_string(), &clock);
    let dir = tempfile::tempdir().unwrap();
    load(&engine, &dir, PROGRAM);
    engine.apply(Command::Play).unwrap();
    advance(&engine, &clock, 100);
    engine.apply(Command::Pause).unwrap();
    let played = drain(&socket);
    assert_eq!(played.len(), 2, "the frames at 0 and 0.1 s: {played:?}");
    let sent = engine.snapshot().osc_sent;
    assert_eq!(sent, 2);

    advance(&engine, &clock, 200);
    assert_eq!(drain(&socket), [], "a paused engine sends nothing");
    // Changes while paused render frames but still send nothing.
    engine
        .apply(Command::SetParam {
            id: "p".into(),
            value: 5.0,
        })
        .unwrap();
    engine.apply(Command::Seek(10.0)).unwrap();
    advance(&engine, &clock, 100);
    assert_eq!(
        drain(&socket),
        [],
        "a paused engine sends nothing after set and seek"
    );
    assert_eq!(
        engine.snapshot().osc_sent,
        sent,
        "the counter holds while paused"
    );

    // Playing again resumes from where the transport held (the seek), not from
    // the clock.
    engine.apply(Command::Play).unwrap();
    assert_eq!(
        expect(&socket),
        (10.0, 5.0),
        "the seek and the value set while paused"
    );
    advance(&engine, &clock, 20);
    assert_eq!(expect(&socket).0, 10.02);
    assert_eq!(
        engine.snapshot().osc_sent,
        sent + 2,
        "the counter moves again"
    );
}

#[test]
fn bad_target_turns_osc_off_and_the_engine_runs_on() {
    let clock = ManualClock::new();
    let engine = engine("not-a-host:xx".to_string(), &clock);
    // Said from the first snapshot on, before any tick.
    let error = engine.snapshot().last_error.clone().unwrap_or_default();
    assert!(error.contains("OSC output is off"), "last error: {error:?}");
    assert!(
        error.contains("not-a-host:xx"),
        "names the target: {error:?}"
    );

    let dir = tempfile::tempdir().unwrap();
    load(&engine, &dir, PROGRAM);
    let start = engine.snapshot().frames;
    engine.apply(Command::Play).unwrap();
    for _ in 0..5 {
        advance(&engine, &clock, 20);
    }
    let s = engine.snapshot();
    assert_eq!(
        s.frames,
        start + 6,
        "frames render: at play, then each 20 ms"
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
