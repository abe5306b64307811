//! `cargo bench -p weft-bench --bench engine`: the live engine's command queue and
//! snapshots, measured in one run. Prints (a) commands per second from 8 producer
//! threads until the engine has applied them all, (b) the delay from `send` to the
//! applied answer (p50, p99, max) with the transport stopped and playing, and (c)
//! the cost of reading a snapshot against an uncontended `Mutex<Arc<Snapshot>>`
//! lock-and-clone and a bare `Arc::clone`, taken in the same run (ratios above 1.0:
//! the snapshot read is slower than that baseline).

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};
use weft_bench::best_of;
use weft_engine::live::{Builder, Command, Engine, EngineHandle, EngineOptions, Snapshot};
use weft_engine::sources::SourceOptions;

const PRODUCERS: usize = 8;
const PER_PRODUCER: usize = 100_000;
const ROUND_TRIPS: usize = 20_000;
const READS: usize = 5_000_000;

/// One parameter, a 16×16 display of it: every applied `set` makes the next tick
/// render a frame, as it would live.
const PROGRAM: &str = "p<v> = param(0, 0, 1000000000)\ndisplay(p@v / 1000000000)\n";

/// A `.weft` file in the temp dir, removed when dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn start() -> (Engine, TempFile) {
    let path = std::env::temp_dir().join(format!("weft-bench-engine-{}.weft", std::process::id()));
    std::fs::write(&path, PROGRAM).expect("write the bench program");
    let file = TempFile(path);
    let (engine, _audio) = Engine::start(EngineOptions {
        size: Some((16, 16)),
        ..EngineOptions::default()
    });
    let swap = Builder::new(SourceOptions::default())
        .build(&file.0)
        .into_command()
        .expect("the bench program builds");
    engine.apply(swap).expect("the bench program swaps in");
    (engine, file)
}

fn set(value: f64) -> Command {
    Command::SetParam {
        id: "p".to_string(),
        value,
    }
}

/// (a) `PRODUCERS` threads each `post_blocking` `PER_PRODUCER` commands; the clock
/// stops when the snapshot counts them all applied.
fn throughput(engine: &Engine) {
    let total = (PRODUCERS * PER_PRODUCER) as u64;
    let base = engine.snapshot().commands;
    let barrier = Arc::new(Barrier::new(PRODUCERS + 1));
    let threads: Vec<_> = (0..PRODUCERS)
        .map(|t| {
            let handle: EngineHandle = engine.handle();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                for i in 0..PER_PRODUCER {
                    handle
                        .post_blocking(set((t * PER_PRODUCER + i) as f64))
                        .expect("the engine runs");
                }
                Instant::now()
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    while engine.snapshot().commands < base + total {
        std::thread::sleep(Duration::from_micros(200));
    }
    let applied = start.elapsed().as_secs_f64();
    let posted = threads
        .into_iter()
        .map(|t| t.join().expect("producer"))
        .max()
        .map_or(applied, |t| t.duration_since(start).as_secs_f64());
    let s = engine.snapshot();
    assert_eq!(s.commands, base + total, "every command applied once");
    println!(
        "queue, {PRODUCERS} producers x {PER_PRODUCER} set   {:>8.2} M commands/s   all applied in {:>7.1} ms (all posted in {:.1} ms)   {:.2} us/command   {} frames rendered",
        total as f64 / applied / 1e6,
        applied * 1e3,
        posted * 1e3,
        applied * 1e6 / total as f64,
        s.frames,
    );
}

/// (b) One thread: `send`, then `Ticket::wait`, timed from before the send to
/// after the answer.
fn round_trips(engine: &Engine, label: &str) {
    let mut delays = Vec::with_capacity(ROUND_TRIPS);
    let start = Instant::now();
    for i in 0..ROUND_TRIPS {
        let t = Instant::now();
        let ticket = engine.send(set(i as f64)).expect("queued");
        ticket.wait().expect("applied");
        delays.push(t.elapsed());
    }
    let total = start.elapsed().as_secs_f64();
    delays.sort_unstable();
    let at = |q: f64| delays[((delays.len() as f64 * q) as usize).min(delays.len() - 1)];
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "send to applied, {label:<8} {ROUND_TRIPS} x  p50 {:>7.1} us   p99 {:>7.1} us   p99.9 {:>7.1} us   max {:>8.1} us   mean {:>6.1} us ({:.0} round trips/s)",
        us(at(0.5)),
        us(at(0.99)),
        us(at(0.999)),
        us(*delays.last().unwrap()),
        total * 1e6 / ROUND_TRIPS as f64,
        ROUND_TRIPS as f64 / total,
    );
}

/// Best time per iteration, in ns, of `READS` calls of `f`.
fn per_read(mut f: impl FnMut()) -> f64 {
    best_of(5, || {
        for _ in 0..READS {
            f();
        }
    }) * 1e9
        / READS as f64
}

/// (c) Reading the latest snapshot (and dropping it) against the same through a
/// mutex and a bare `Arc::clone`; then the same with two threads reading at once.
fn reads(engine: &Engine) {
    let handle = engine.handle();
    let snapshot = handle.snapshot();
    let mutex: Mutex<Arc<Snapshot>> = Mutex::new(snapshot.clone());
    let arc = snapshot.clone();

    let engine_ns = per_read(|| drop(black_box(handle.snapshot())));
    let peek_ns = per_read(|| {
        black_box(handle.peek().time);
    });
    let mutex_ns = per_read(|| drop(black_box(mutex.lock().unwrap().clone())));
    let arc_ns = per_read(|| drop(black_box(arc.clone())));
    println!(
        "snapshot read, 1 thread         engine {engine_ns:>6.2} ns   Mutex<Arc> lock+clone {mutex_ns:>6.2} ns   Arc::clone {arc_ns:>6.2} ns   ratio vs mutex {:>5.2}   vs Arc::clone {:>5.2}",
        engine_ns / mutex_ns,
        engine_ns / arc_ns,
    );
    println!(
        "snapshot peek, 1 thread         engine {peek_ns:>6.2} ns   Mutex<Arc> lock+clone {mutex_ns:>6.2} ns   Arc::clone {arc_ns:>6.2} ns   ratio vs mutex {:>5.2}   vs Arc::clone {:>5.2}",
        peek_ns / mutex_ns,
        peek_ns / arc_ns,
    );

    // Two readers at once (this machine has 2 cores): ns per read per thread.
    let shared = Arc::new(Mutex::new(snapshot.clone()));
    let both = |read: &(dyn Fn() + Sync)| {
        best_of(3, || {
            std::thread::scope(|s| {
                for _ in 0..2 {
                    s.spawn(|| {
                        for _ in 0..READS {
                            read();
                        }
                    });
                }
            });
        }) * 1e9
            / READS as f64
    };
    let engine2 = both(&|| drop(black_box(handle.snapshot())));
    let peek2 = both(&|| {
        black_box(handle.peek().time);
    });
    let mutex2 = both(&|| drop(black_box(shared.lock().unwrap().clone())));
    let arc2 = both(&|| drop(black_box(arc.clone())));
    println!(
        "snapshot read, 2 threads        engine {engine2:>6.2} ns   Mutex<Arc> lock+clone {mutex2:>6.2} ns   Arc::clone {arc2:>6.2} ns   ratio vs mutex {:>5.2}   vs Arc::clone {:>5.2}",
        engine2 / mutex2,
        engine2 / arc2,
    );
    println!(
        "snapshot peek, 2 threads        engine {peek2:>6.2} ns   Mutex<Arc> lock+clone {mutex2:>6.2} ns   Arc::clone {arc2:>6.2} ns   ratio vs mutex {:>5.2}   vs Arc::clone {:>5.2}",
        peek2 / mutex2,
        peek2 / arc2,
    );
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("weft live engine benchmarks, {cores} cores");
    let (engine, _file) = start();
    throughput(&engine);
    round_trips(&engine, "stopped");
    engine.apply(Command::Play).expect("play");
    round_trips(&engine, "playing");
    engine.apply(Command::Stop).expect("stop");
    reads(&engine);
}
