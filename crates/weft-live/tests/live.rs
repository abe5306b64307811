//! The live engine end to end: commands and their refusals, snapshots and
//! observers, hot swaps that keep state, the clock, audio and frames, and the
//! stress of many producers.
//!
//! Every engine here runs on a [`ManualClock`]: time moves only when a test
//! advances it, and the engine ticks only after a command, so what a test counts
//! (frames, notifications, samples) never depends on the machine's load.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use weft_live::program::Builder;
use weft_live::{
    BuildOutcome, Clock, Command, CommandError, Engine, EngineHandle, EngineOptions, ManualClock,
    Transport,
};
use weft_sources::SourceOptions;

struct Sketch {
    _dir: tempfile::TempDir,
    path: PathBuf,
    builder: Builder,
}

impl Sketch {
    fn new(text: &str) -> Sketch {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sketch.weft");
        std::fs::write(&path, text).expect("write");
        Sketch {
            _dir: dir,
            path,
            builder: Builder::new(SourceOptions::default()),
        }
    }

    fn write(&self, text: &str) {
        std::fs::write(&self.path, text).expect("write");
    }

    /// Builds the file and hands the outcome to the engine; the engine's answer.
    fn load(&mut self, engine: &EngineHandle) -> Result<(), CommandError> {
        match self.builder.build(&self.path) {
            BuildOutcome::Loaded(p) => engine.apply(Command::Swap(p)),
            BuildOutcome::Failed { key, error, .. } => {
                engine.apply(Command::BuildFailed {
                    key,
                    error: error.clone(),
                })?;
                Err(CommandError::Compile(error))
            }
            other => panic!("expected a build, got {other:?}"),
        }
    }
}

fn engine() -> Engine {
    engine_on(ManualClock::new())
}

fn engine_on(clock: ManualClock) -> Engine {
    let (e, _audio) = Engine::start(EngineOptions {
        size: Some((32, 18)),
        clock: Clock::Manual(clock),
        ..EngineOptions::default()
    });
    e
}

/// Moves the clock by `ms` milliseconds and lets the engine tick once.
fn advance(e: &EngineHandle, clock: &ManualClock, ms: u64) {
    clock.advance(Duration::from_millis(ms));
    e.sync().expect("the engine runs");
}

const TONE: &str = "freq<hz> = param(220, 55, 880)\nvol<v> = param(0.5, 0, 1)\ntone<s> = vol@v * sin(me@time * tau * freq@hz)\nplay(tone@s)\ndisplay(me@x)\n";

#[test]
fn commands_apply_and_refusals_come_back_typed() {
    let e = engine();
    let mut s = Sketch::new(TONE);
    s.load(&e).expect("loads");
    e.apply(Command::SetParam {
        id: "freq".into(),
        value: 440.0,
    })
    .expect("in range");
    match e.apply(Command::SetParam {
        id: "freq".into(),
        value: 5000.0,
    }) {
        Err(CommandError::OutOfRange { min, max, .. }) => assert_eq!((min, max), (55.0, 880.0)),
        other => panic!("{other:?}"),
    }
    match e.apply(Command::SetParam {
        id: "nope".into(),
        value: 1.0,
    }) {
        Err(CommandError::UnknownParam { known, .. }) => assert_eq!(known, ["freq", "vol"]),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        e.apply(Command::SetTempo(0.0)),
        Err(CommandError::OutOfRange { .. })
    ));
    for t in [-1.0, f64::NAN, f64::INFINITY, 1e308, 86_400.5] {
        assert!(
            matches!(
                e.apply(Command::Seek(t)),
                Err(CommandError::OutOfRange { .. })
            ),
            "seek {t}"
        );
    }
    e.apply(Command::Seek(86_400.0))
        .expect("a day is the latest time");
    e.apply(Command::SetTempo(90.0)).expect("tempo");
    e.apply(Command::Pointer { x: 0.25, y: 2.0 })
        .expect("pointer is clamped");
    let snap = e.snapshot();
    assert_eq!(snap.param("freq").map(|p| p.value), Some(440.0));
    assert_eq!(snap.bpm, 90.0);
    assert_eq!(snap.pointer, (0.25, 1.0));
    e.apply(Command::Reset).expect("reset");
    let snap = e.snapshot();
    assert_eq!(snap.param("freq").map(|p| p.value), Some(220.0));
    assert_eq!(snap.bpm, 120.0);
    assert_eq!(snap.transport, Transport::Stopped);
}

#[test]
fn a_cascade_of_a_thousand_changes_notifies_each_observer_once() {
    let e = engine();
    let mut s = Sketch::new(TONE);
    s.load(&e).expect("loads");
    let a = e.subscribe().expect("subscribe");
    let b = e.subscribe().expect("subscribe");
    // The notifications of the subscription ticks themselves.
    while a.try_next().is_some() || b.try_next().is_some() {}
    let group: Vec<Command> = (0..1000)
        .map(|i| Command::SetParam {
            id: "freq".into(),
            value: 55.0 + i as f64 * 0.5,
        })
        .collect();
    e.apply(Command::Group(group)).expect("all in range");
    // The answer comes after the tick's publish and its notifications; nothing
    // else ticks on a manual clock.
    let got = a.try_next().expect("one notification");
    assert!(b.try_next().is_some());
    assert_eq!(a.try_next(), None, "exactly one notification for one tick");
    assert_eq!(b.try_next(), None);
    let snap = e.snapshot();
    assert_eq!(snap.version, got);
    assert_eq!(
        snap.param("freq").map(|p| p.value),
        Some(55.0 + 999.0 * 0.5)
    );
    // Dropping a subscription unsubscribes; the engine goes on.
    drop(a);
    e.apply(Command::SetTempo(100.0)).expect("tempo");
    assert!(b.try_next().is_some());
}

#[test]
fn hot_swap_keeps_parameters_by_id_and_the_clock_goes_on() {
    let clock = ManualClock::new();
    let e = engine_on(clock.clone());
    let mut s = Sketch::new(TONE);
    s.load(&e).expect("loads");
    e.apply(Command::SetParam {
        id: "freq".into(),
        value: 330.0,
    })
    .expect("set");
    e.apply(Command::SetParam {
        id: "vol".into(),
        value: 0.1,
    })
    .expect("set");
    e.apply(Command::Play).expect("play");
    advance(&e, &clock, 150);
    // `vol` removed, `freq` narrowed, `pan` new.
    s.write("freq<hz> = param(220, 100, 300)\npan<v> = param(0.25, 0, 1)\ntone<l, r> = (pan@v * sin(me@time * tau * freq@hz), 0)\nplay(tone@l, tone@r)\ndisplay(me@x)\n");
    let before = e.snapshot().time;
    assert_eq!(before, 0.15);
    clock.advance(Duration::from_millis(50));
    s.load(&e).expect("swaps");
    let snap = e.snapshot();
    assert_eq!(snap.program_version, 2);
    let ids: Vec<_> = snap
        .params
        .iter()
        .map(|p| (p.id.as_str(), p.value))
        .collect();
    assert_eq!(
        ids,
        [("freq", 300.0), ("pan", 0.25)],
        "kept by id and clamped; new at default; removed dropped"
    );
    assert_eq!(snap.transport, Transport::Playing);
    assert_eq!(snap.time, 0.2, "the transport time goes on across the swap");
    assert!(snap.last_error.is_none());
}

#[test]
fn the_last_swap_says_which_nodes_were_lowered_and_info_shows_it() {
    let e = engine();
    let text = "a<v> = me@x * 2\nb<v> = sin(me@y * 3)\nc<v> = b@v * 0.5\nd<v> = a@v + 1\ndisplay(d@v + c@v)\n";
    let mut s = Sketch::new(text);
    s.load(&e).expect("loads");
    let first = e.snapshot().last_swap.clone();
    assert_eq!(first.nodes_lowered.len(), 5, "{first:?}");
    s.write(&text.replace("me@y * 3", "me@y * 4"));
    s.load(&e).expect("swaps");
    let snap = e.snapshot();
    let r = &snap.last_swap;
    assert_eq!(r.nodes_lowered, ["b", "c", "display"], "{r:?}");
    assert_eq!(r.nodes_reused, ["a", "d"], "{r:?}");
    // All five are fused into one batch, compiled again from two kept fragments.
    assert_eq!((r.batches_compiled, r.nodes_compiled.len()), (1, 5));
    let info = snap.info();
    assert!(
        info.contains("last swap: 1 batches compiled, 0 kept; 3 nodes lowered, 2 reused"),
        "{info}"
    );
    assert!(info.contains("lowered: b, c, display"), "{info}");
}

#[test]
fn a_failing_program_leaves_the_running_one_and_is_not_rebuilt() {
    let e = engine();
    let mut s = Sketch::new(TONE);
    s.load(&e).expect("loads");
    e.apply(Command::SetParam {
        id: "freq".into(),
        value: 300.0,
    })
    .expect("set");
    let good = e.snapshot();
    s.write("freq<hz> = param(220, 55, 880)\ntone<s> = sin(me@time * nope@v)\nplay(tone@s)\n");
    assert!(matches!(s.load(&e), Err(CommandError::Compile(_))));
    let snap = e.snapshot();
    assert_eq!(
        snap.program_version, good.program_version,
        "the running program stays"
    );
    assert_eq!(snap.param("freq").map(|p| p.value), Some(300.0));
    assert_eq!(snap.params.len(), 2);
    let error = snap
        .last_error
        .clone()
        .expect("the error is in the snapshot");
    assert!(error.contains("E0301"), "{error}");
    // The editor saves the same broken content again, and again.
    let builds = s.builder.builds;
    for _ in 0..5 {
        s.write("freq<hz> = param(220, 55, 880)\ntone<s> = sin(me@time * nope@v)\nplay(tone@s)\n");
        assert!(matches!(
            s.builder.build(&s.path),
            BuildOutcome::SkippedKnownFailure
        ));
    }
    assert_eq!(
        s.builder.builds, builds,
        "the same failing content is not rebuilt"
    );
    // The fix runs, and clears the error.
    s.write(TONE);
    s.load(&e).expect("fixed");
    let snap = e.snapshot();
    assert_eq!(snap.program_version, good.program_version + 1);
    assert!(snap.last_error.is_none());
}

#[test]
fn saving_the_same_content_builds_nothing() {
    let mut s = Sketch::new(TONE);
    assert!(matches!(s.builder.build(&s.path), BuildOutcome::Loaded(_)));
    s.write(TONE);
    assert!(matches!(s.builder.build(&s.path), BuildOutcome::Unchanged));
    assert_eq!(s.builder.builds, 1);
}

#[test]
fn the_clock_follows_the_clock_and_the_transport() {
    let clock = ManualClock::new();
    let e = engine_on(clock.clone());
    let mut s = Sketch::new(TONE);
    s.load(&e).expect("loads");
    advance(&e, &clock, 1000);
    assert_eq!(e.snapshot().time, 0.0, "stopped time holds");
    e.apply(Command::Play).expect("play");
    advance(&e, &clock, 300);
    assert_eq!(e.snapshot().time, 0.3);
    e.apply(Command::Pause).expect("pause");
    advance(&e, &clock, 100);
    assert_eq!(e.snapshot().time, 0.3, "paused time holds");
    assert_eq!(e.snapshot().transport, Transport::Paused);
    e.apply(Command::Seek(12.5)).expect("seek");
    assert_eq!(e.snapshot().time, 12.5);
    e.apply(Command::Play).expect("play");
    advance(&e, &clock, 250);
    assert_eq!(e.snapshot().time, 12.75);
    e.apply(Command::Stop).expect("stop");
    let snap = e.snapshot();
    assert_eq!((snap.time, snap.transport), (0.0, Transport::Stopped));
}

#[test]
fn frames_follow_the_frame_rate_and_readers_take_them_without_locks() {
    let clock = ManualClock::new();
    let e = engine_on(clock.clone());
    let mut s = Sketch::new("me<fps> = 20\nimg<v> = fract(me@time)\ndisplay(img@v)\n");
    s.load(&e).expect("loads");
    assert_eq!(
        e.snapshot().frames,
        1,
        "a swap shows its first frame at once"
    );
    let first = e.frame();
    assert_eq!((first.width, first.height), (32, 18));
    assert_eq!(first.rgba.len(), 32 * 18 * 4);
    let before = e.snapshot().frames;
    e.apply(Command::Play).expect("play");
    // Ticks more often than frames are due: a frame every 50 ms, no more.
    for _ in 0..50 {
        advance(&e, &clock, 10);
    }
    e.apply(Command::Pause).expect("pause");
    let rendered = e.snapshot().frames - before;
    assert_eq!(
        rendered, 11,
        "at 20 fps in 0.5 s: the frame at play, then one each 50 ms"
    );
    let f = e.frame();
    assert!(f.index > first.index);
    let timings = e.snapshot().timings.clone();
    assert_eq!(timings.len(), 1, "{timings:?}");
    assert_eq!(timings[0].backend, "visual");
    assert_eq!(timings[0].nodes, ["img", "display"]);
    assert!(timings[0].micros > 0.0);
    // Per node: an attributed share of the batch's time, by instructions.
    let nodes = e.snapshot().node_timings.clone();
    let names: Vec<_> = nodes.iter().map(|n| &*n.node).collect();
    assert_eq!(names, ["img", "display"], "{nodes:?}");
    assert!(nodes.iter().all(|n| n.batch == 0 && n.backend == "visual"));
    assert!(nodes[0].instrs > 0, "fract is img's: {nodes:?}");
    let shared: f64 = nodes.iter().map(|n| n.micros).sum();
    assert!(shared > 0.0);
    let expected = (f.time.fract() * 255.0 + 0.5).floor() as u8;
    assert!(
        f.rgba[0].abs_diff(expected) <= 1,
        "frame shows its own time"
    );
}

#[test]
fn audio_is_rendered_ahead_into_the_ring() {
    let clock = ManualClock::new();
    let (e, mut audio) = Engine::start(EngineOptions {
        clock: Clock::Manual(clock.clone()),
        ..EngineOptions::default()
    });
    let mut s =
        Sketch::new("me<rate> = 8000\ntone<s> = 0.5 * sin(me@time * tau * 100)\nplay(tone@s)\n");
    s.load(&e).expect("loads");
    e.apply(Command::Play).expect("play");
    // The lead (0.1 s at 8 kHz: 800 stereo samples) is rendered at once.
    let mut got = vec![0f32; 4000];
    let n = audio.read(&mut got);
    assert_eq!(n, 1600, "the audio lead, interleaved");
    advance(&e, &clock, 100);
    assert_eq!(audio.available(), 1600, "and as much again per 0.1 s");
    for n in 0..800 {
        let want = (0.5 * (n as f64 / 8000.0 * std::f64::consts::TAU * 100.0).sin()) as f32;
        assert!(
            (got[n * 2] - want).abs() < 1e-6,
            "sample {n}: {} vs {want}",
            got[n * 2]
        );
        assert_eq!(got[n * 2], got[n * 2 + 1], "mono plays on both channels");
    }
}

#[test]
fn a_full_queue_is_an_error_for_the_sender_never_a_silent_drop() {
    let (e, _audio) = Engine::start(EngineOptions {
        queue: 2,
        size: Some((1024, 1024)),
        ..EngineOptions::default()
    });
    // Every parameter change re-renders a big frame, so the engine is slow.
    let mut s = Sketch::new("k<v> = param(0, 0, 1000000)\nimg<v> = sin(me@x * k@v + sqrt(me@y * 3 + k@v) * 7)\ndisplay(img@v)\n");
    s.load(&e).expect("loads");
    let commands_before = e.snapshot().commands;
    let (mut ok, mut full) = (0u64, 0u64);
    for i in 0..300 {
        match e.post(Command::SetParam {
            id: "k".into(),
            value: i as f64,
        }) {
            Ok(()) => ok += 1,
            Err(CommandError::QueueFull) => full += 1,
            Err(other) => panic!("{other}"),
        }
    }
    assert!(full > 0, "a queue of 2 fills up");
    e.sync().expect("the engine runs");
    // Every accepted command was applied, and the sync itself.
    assert_eq!(e.snapshot().commands - commands_before, ok + 1);
}

#[test]
fn eight_producers_lose_nothing_and_readers_never_see_a_torn_state() {
    const PER: usize = 100_000;
    let e = engine();
    let text: String = (0..8)
        .map(|k| format!("p{k}<v> = param(0, 0, 1000000)\n"))
        .chain(["img<v> = p0@v\ndisplay(img@v)\n".to_string()])
        .collect();
    let mut s = Sketch::new(&text);
    s.load(&e).expect("loads");
    let base = e.snapshot().commands;
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let h = e.handle();
            let done = done.clone();
            std::thread::spawn(move || {
                let mut last = [0.0; 8];
                let mut version = 0;
                let mut reads = 0u64;
                while !done.load(Ordering::Acquire) {
                    let snap = h.snapshot();
                    assert!(snap.version >= version, "versions never go back");
                    version = snap.version;
                    assert_eq!(snap.params.len(), 8);
                    for (k, p) in snap.params.iter().enumerate() {
                        // Each producer sends increasing values: a snapshot that
                        // showed a later value and then an earlier one was torn.
                        assert!(
                            p.value >= last[k],
                            "p{k} went back from {} to {}",
                            last[k],
                            p.value
                        );
                        last[k] = p.value;
                    }
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    let producers: Vec<_> = (0..8)
        .map(|k| {
            let h = e.handle();
            std::thread::spawn(move || {
                for i in 1..=PER {
                    h.post_blocking(Command::SetParam {
                        id: format!("p{k}"),
                        value: i as f64,
                    })
                    .expect("engine runs");
                }
            })
        })
        .collect();
    for p in producers {
        p.join().expect("producer");
    }
    e.sync().expect("the engine runs");
    assert_eq!(e.snapshot().commands - base, 8 * PER as u64 + 1);
    done.store(true, Ordering::Release);
    for r in readers {
        assert!(r.join().expect("reader") > 0);
    }
    let snap = e.snapshot();
    for p in &snap.params {
        assert_eq!(p.value, PER as f64, "{}", p.id);
    }
}

#[test]
fn a_program_with_segments_plays_its_timeline() {
    let e = engine();
    let mut s = Sketch::new("segment a(1) {\n  v<x> = 0.25\n  display(v@x)\n}\nsegment b(1) {\n  w<x> = 0.75\n  display(w@x)\n}\n");
    s.load(&e).expect("loads");
    e.apply(Command::Seek(1.5)).expect("seek");
    assert_eq!(e.frame().time, 1.5);
    assert_eq!(e.frame().rgba[0], (0.75f64 * 255.0 + 0.5).floor() as u8);
    e.apply(Command::Seek(0.5)).expect("seek");
    assert_eq!(e.frame().time, 0.5);
    assert_eq!(e.frame().rgba[0], (0.25f64 * 255.0 + 0.5).floor() as u8);
}

#[test]
fn me_beat_follows_the_tempo() {
    let e = engine();
    let mut s = Sketch::new("b<v> = fract(me@beat / 4)\ndisplay(b@v)\n");
    s.load(&e).expect("loads");
    e.apply(Command::Seek(1.0)).expect("seek");
    assert_eq!(e.frame().time, 1.0);
    // 1 s at 120 bpm is beat 2, half of four beats.
    assert_eq!(e.frame().rgba[0], 128);
    e.apply(Command::SetTempo(60.0)).expect("tempo");
    assert_eq!(e.frame().rgba[0], 64, "1 s at 60 bpm is beat 1");
}
