//! `cargo bench -p weft-bench --bench engine`: the live engine's command queue and
//! snapshots, measured in one run. Prints (a) commands per second from 8 producer
//! threads until the engine has applied them all, (b) the delay from `send` to the
//! applied answer (p50, p99, max) with the transport stopped and playing, and (c)
//! the cost of reading a snapshot against an uncontended `Mutex<Arc<Snapshot>>`
//! lock-and-clone and a bare `Arc::clone`, taken in the same run (ratios above 1.0:
//! the snapshot read is slower than that baseline), and (d) a hot swap after
//! editing one of 50 statements fused into one picture batch against a cold
//! compile of the same program (ratio below 1.0: the swap is cheaper).

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};
use weft_bench::best_of;
use weft_live::{Builder, Command, Engine, EngineHandle, EngineOptions, Snapshot};
use weft_sources::SourceOptions;

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

/// Fifty strands in five chains of ten, one display reading every chain: one
/// fused picture batch. `factor` is the edited statement's constant.
fn fifty(factor: &str) -> String {
    let mut s = String::new();
    for c in 0..5 {
        for k in 0..10 {
            let body = if k == 0 {
                format!("sin(me@x * {} + me@y * 0.5)", c + 2)
            } else {
                let f = if (c, k) == (2, 5) { factor } else { "0.9" };
                format!(
                    "sin(c{c}s{}@v * 1.1 + me@x * 0.3) * {f} + me@y * 0.0{k}",
                    k - 1
                )
            };
            s.push_str(&format!("c{c}s{k}<v> = {body}\n"));
        }
    }
    s.push_str("display((c0s9@v + c1s9@v + c2s9@v + c3s9@v + c4s9@v) * 0.1, me@y, 0.5)\n");
    s
}

/// (d) A swap that edits statement 26 of 50 (`c2s5`: it, 4 dependents and the
/// display are lowered, 45 are linked from the cache) against a cold compile of
/// the same program, both from a parsed program and graph, in the same run.
fn swap_vs_cold() {
    use weft_engine::coordinator::{Coordinator, EngineConfig};
    use weft_sources::SourceSet;
    let parsed = |text: &str| {
        let built = weft_lang::build_source(std::path::Path::new("/tmp/fifty.weft"), text);
        let program = built.program.expect("the swap bench program builds");
        let graph = weft_graph::build(&program, weft_graph::Scope::Main).expect("acyclic");
        let (sources, _) = SourceSet::load(&program, &SourceOptions::default());
        (Arc::new(program), Arc::new(sources), graph)
    };
    let config = EngineConfig {
        width: 64,
        height: 64,
        audio_block: 256,
    };
    let versions = [parsed(&fifty("0.8")), parsed(&fifty("0.7"))];
    const RUNS: usize = 200;
    let cold = best_of(RUNS, || {
        let (p, s, g) = versions[0].clone();
        black_box(Coordinator::new(p, s, g, config).expect("compiles"));
    });
    let mut c = {
        let (p, s, g) = versions[1].clone();
        Coordinator::new(p, s, g, config).expect("compiles")
    };
    let mut next = 0;
    let mut report = None;
    let warm = best_of(RUNS, || {
        let (p, s, g) = versions[next].clone();
        report = Some(c.swap(p, s, g).expect("swaps"));
        next = 1 - next;
    });
    let r = report.expect("at least one swap");
    println!(
        "swap after editing 1 of 50     swap {:>8.1} us   cold compile {:>8.1} us   ratio {:>5.2}   ({} nodes lowered, {} reused, {} batches compiled)",
        warm * 1e6,
        cold * 1e6,
        warm / cold,
        r.nodes_lowered.len(),
        r.nodes_reused.len(),
        r.batches_compiled,
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
    drop(engine);
    swap_vs_cold();
}
