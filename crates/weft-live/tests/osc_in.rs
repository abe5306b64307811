//! OSC in over a real UDP socket: every address weft takes becomes its command,
//! in order; garbage, unknown addresses, wrong arguments and deep bundles are
//! counted and never stop the listener.

use rosc::{encoder, OscBundle, OscMessage, OscPacket, OscTime, OscType};
use std::net::UdpSocket;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::Duration;
use weft_live::osc_in::{OscIn, MAX_BUNDLE_DEPTH};
use weft_live::Command;

fn message(addr: &str, args: Vec<OscType>) -> OscPacket {
    OscPacket::Message(OscMessage {
        addr: addr.to_string(),
        args,
    })
}

fn describe(c: &Command) -> String {
    match c {
        Command::SetParam { id, value } => format!("set {id} {value}"),
        Command::Seek(t) => format!("seek {t}"),
        Command::SetTempo(b) => format!("bpm {b}"),
        other => other.name().to_string(),
    }
}

#[test]
fn addresses_become_commands_and_garbage_is_counted() {
    let (tx, rx) = mpsc::channel();
    let osc = OscIn::start("127.0.0.1:0", move |c| {
        let _ = tx.send(describe(&c));
    })
    .expect("listens");
    let sender = UdpSocket::bind("127.0.0.1:0").expect("sender");
    let send = |p: &OscPacket| {
        sender
            .send_to(&encoder::encode(p).expect("encodes"), osc.addr())
            .expect("sent");
    };
    let send_raw = |bytes: &[u8]| {
        sender.send_to(bytes, osc.addr()).expect("sent");
    };
    // Garbage first: the listener must survive it.
    send_raw(b"");
    send_raw(b"not osc at all");
    send_raw(&[0xff; 300]);
    send_raw(b"/param/x\0\0\0\0,f\0\0"); // an argument promised and missing
    send(&message("/param/freq", vec![OscType::Float(440.0)]));
    send(&message("/param/tint@r", vec![OscType::Double(0.25)]));
    send(&message("/param/on", vec![OscType::Int(1)]));
    send(&message("/transport/play", vec![]));
    send(&message("/pause", vec![]));
    send(&message("/transport/seek", vec![OscType::Float(12.5)]));
    send(&message("/bpm", vec![OscType::Int(90)]));
    send(&message("/transport/stop", vec![]));
    // Ignored: unknown address, wrong arguments, odd ids, NaN, a negative seek.
    send(&message("/volume", vec![OscType::Float(1.0)]));
    send(&message("/param/freq", vec![]));
    send(&message(
        "/param/freq",
        vec![OscType::String("loud".into())],
    ));
    send(&message("/param/", vec![OscType::Float(1.0)]));
    send(&message("/param/a b", vec![OscType::Float(1.0)]));
    send(&message("/param/freq", vec![OscType::Float(f32::NAN)]));
    send(&message("/transport/seek", vec![OscType::Float(-1.0)]));
    send(&message("/transport/play", vec![OscType::Int(1)]));
    // A bundle of two, and a bundle nested deeper than the limit.
    send(&OscPacket::Bundle(OscBundle {
        timetag: OscTime::from((0, 1)),
        content: vec![
            message("/param/freq", vec![OscType::Float(880.0)]),
            message("/transport/play", vec![]),
        ],
    }));
    let mut deep = message("/param/freq", vec![OscType::Float(1.0)]);
    for _ in 0..=MAX_BUNDLE_DEPTH {
        deep = OscPacket::Bundle(OscBundle {
            timetag: OscTime::from((0, 1)),
            content: vec![deep],
        });
    }
    send(&deep);
    send(&message("/transport/pause", vec![]));
    let want = [
        "set freq 440",
        "set tint@r 0.25",
        "set on 1",
        "play",
        "pause",
        "seek 12.5",
        "bpm 90",
        "stop",
        "set freq 880",
        "play",
        "pause",
    ];
    let got: Vec<String> = (0..want.len())
        .map(|_| rx.recv_timeout(Duration::from_secs(10)).expect("a command"))
        .collect();
    assert_eq!(got, want);
    let c = osc.counts();
    assert_eq!(c.applied.load(Ordering::Relaxed), want.len() as u64);
    assert_eq!(c.ignored.load(Ordering::Relaxed), 9);
    assert_eq!(c.malformed.load(Ordering::Relaxed), 4);
}

#[test]
fn a_bad_address_is_an_error_not_a_panic() {
    let e = OscIn::start("not an address", |_| {}).expect_err("refused");
    assert!(e.to_string().contains("HOST:PORT"), "{e}");
    let taken = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let e = OscIn::start(&addr, |_| {}).expect_err("port in use");
    assert!(e.to_string().contains("cannot listen for OSC"), "{e}");
}
