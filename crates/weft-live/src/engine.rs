//! The engine thread and the handles other threads hold: the command queue in,
//! snapshots, frames, audio and observer notifications out.

use super::badges::Badges;
use super::clock::{Clock, Reading};
use super::command::{Command, CommandError, MAX_SEEK};
use super::osc_out::OscOut;
use super::program::{carry_params, LoadedProgram};
use super::snapshot::{
    BatchTiming, DisplayKernel, Frame, Latest, NodeTiming, ParamState, SegmentDisplay, Snapshot,
    Transport, Version,
};
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender, TryRecvError, TrySendError};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use weft_engine::coordinator::{Coordinator, EngineConfig, Uniforms};
use weft_engine::swap::SwapReport;
use weft_engine::visual::Painter;
use weft_kernel::uniform;
use weft_lang::ir::ControlKind;

/// How the engine is set up.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Commands the queue holds before senders are told it is full.
    pub queue: usize,
    /// Frame size; `None`: the program's own (`me<width>`, `me<height>`).
    pub size: Option<(u32, u32)>,
    /// Audio rendered ahead of the clock, in seconds.
    pub audio_lead: f64,
    /// Most samples per audio execution.
    pub audio_block: u32,
    /// Where `osc(…)` outputs go (`HOST:PORT`); `None` sends nothing.
    pub osc: Option<String>,
    /// Most commands applied in one tick before the clock gets its turn.
    pub max_commands_per_tick: usize,
    /// Where time comes from: the system's clock, or a manual one in tests.
    pub clock: Clock,
    /// What draws the pictures (the CPU reference or a GPU).
    pub painter: Painter,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            queue: 65_536,
            size: None,
            audio_lead: 0.1,
            audio_block: 1024,
            osc: None,
            max_commands_per_tick: 1 << 20,
            clock: Clock::System,
            painter: Painter::Cpu,
        }
    }
}

struct Envelope {
    command: Command,
    reply: Option<Sender<Result<(), CommandError>>>,
}

/// The answer to one command, when the sender wants it.
#[derive(Debug)]
pub struct Ticket(Receiver<Result<(), CommandError>>);

impl Ticket {
    /// Waits until the engine applied (or refused) the command.
    pub fn wait(self) -> Result<(), CommandError> {
        self.0
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or(Err(CommandError::Stopped))
    }
}

/// Told once per tick that changed the state; dropping it unsubscribes.
#[derive(Debug)]
pub struct Subscription(Receiver<Version>);

impl Subscription {
    /// Waits for the next notification (the newest version), up to `timeout`.
    pub fn wait(&self, timeout: Duration) -> Option<Version> {
        self.0.recv_timeout(timeout).ok()
    }

    /// A pending notification, if any.
    pub fn try_next(&self) -> Option<Version> {
        self.0.try_recv().ok()
    }
}

/// Interleaved stereo samples the engine renders ahead of its clock; read them
/// from one thread (a sound card callback, a test).
#[derive(Debug)]
pub struct AudioStream {
    consumer: rtrb::Consumer<f32>,
}

impl AudioStream {
    /// Moves up to `out.len()` samples into `out` (interleaved left, right);
    /// returns how many.
    pub fn read(&mut self, out: &mut [f32]) -> usize {
        let n = self.consumer.slots().min(out.len());
        match self.consumer.read_chunk(n) {
            Ok(chunk) => {
                let (a, b) = chunk.as_slices();
                out[..a.len()].copy_from_slice(a);
                out[a.len()..a.len() + b.len()].copy_from_slice(b);
                chunk.commit_all();
                n
            }
            Err(_) => 0,
        }
    }

    /// Samples waiting.
    pub fn available(&self) -> usize {
        self.consumer.slots()
    }
}

/// What any thread needs to steer and watch the engine; cheap to clone.
#[derive(Clone, Debug)]
pub struct EngineHandle {
    tx: Sender<Envelope>,
    snapshot: Latest<Snapshot>,
    frame: Latest<Frame>,
}

impl std::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.command.name())
    }
}

impl EngineHandle {
    /// Queues a command and returns a ticket for its answer; a full queue is
    /// [`CommandError::QueueFull`] and the command is not queued.
    pub fn send(&self, command: Command) -> Result<Ticket, CommandError> {
        let (tx, rx) = bounded(1);
        self.enqueue(Envelope {
            command,
            reply: Some(tx),
        })?;
        Ok(Ticket(rx))
    }

    /// Queues a command without asking for its answer (refusals still reach the
    /// snapshot's counters, not the sender); a full queue is an error.
    pub fn post(&self, command: Command) -> Result<(), CommandError> {
        self.enqueue(Envelope {
            command,
            reply: None,
        })
    }

    /// Queues a command, waiting while the queue is full.
    pub fn post_blocking(&self, command: Command) -> Result<(), CommandError> {
        self.tx
            .send(Envelope {
                command,
                reply: None,
            })
            .map_err(|_| CommandError::Stopped)
    }

    /// Sends and waits for the answer.
    pub fn apply(&self, command: Command) -> Result<(), CommandError> {
        self.send(command)?.wait()
    }

    /// Returns once the engine has applied every command sent before, ticked
    /// (rendering what its clock says is due) and published the snapshot. With a
    /// [`crate::ManualClock`], advance it, then `sync`.
    /// Waits while the queue is full.
    pub fn sync(&self) -> Result<(), CommandError> {
        let (tx, rx) = bounded(1);
        self.tx
            .send(Envelope {
                command: Command::Group(Vec::new()),
                reply: Some(tx),
            })
            .map_err(|_| CommandError::Stopped)?;
        Ticket(rx).wait()
    }

    fn enqueue(&self, e: Envelope) -> Result<(), CommandError> {
        self.tx.try_send(e).map_err(|e| match e {
            TrySendError::Full(_) => CommandError::QueueFull,
            TrySendError::Disconnected(_) => CommandError::Stopped,
        })
    }

    /// The latest state (no lock; never torn).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// The latest state for a short look (no lock, and no reference count
    /// taken): hold the guard briefly — while it lives, the engine's next publish
    /// cannot free this snapshot.
    pub fn peek(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.snapshot.load()
    }

    /// The latest display frame (no lock).
    pub fn frame(&self) -> Arc<Frame> {
        self.frame.load_full()
    }

    /// Subscribes to state changes: one notification per tick that changed it.
    pub fn subscribe(&self) -> Result<Subscription, CommandError> {
        let (tx, rx) = bounded(1);
        self.send(Command::Subscribe(tx))?.wait()?;
        Ok(Subscription(rx))
    }
}

/// The running engine; dropping it stops the thread.
#[derive(Debug)]
pub struct Engine {
    handle: EngineHandle,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Engine {
    /// Starts the engine thread with no program; also returns the audio it
    /// renders.
    pub fn start(options: EngineOptions) -> (Engine, AudioStream) {
        let (tx, rx) = bounded(options.queue.max(1));
        let osc = options.osc.as_deref().map(OscOut::new);
        let (osc, osc_error) = match osc {
            Some(Ok(o)) => (Some(o), None),
            Some(Err(e)) => (None, Some(format!("OSC output is off: {e}\n"))),
            None => (None, None),
        };
        let snapshot: Latest<Snapshot> = Arc::new(arc_swap::ArcSwap::from_pointee(Snapshot {
            bpm: weft_lang::ir::Settings::DEFAULT_BPM,
            pointer: (0.5, 0.5),
            last_error: osc_error.clone(),
            drawn_by: options.painter.describe(),
            ..Snapshot::default()
        }));
        let frame: Latest<Frame> = Arc::new(arc_swap::ArcSwap::from_pointee(Frame::default()));
        // Room for a second of 48 kHz stereo whatever the lead asks for.
        let (producer, consumer) = rtrb::RingBuffer::new(96_000);
        let stop = Arc::new(AtomicBool::new(false));
        let clock = Reading::new(options.clock.clone());
        let mut live = Live {
            clock,
            rx,
            options,
            stop: stop.clone(),
            published: snapshot.clone(),
            frame_out: frame.clone(),
            state: snapshot.load_full().as_ref().clone(),
            dirty: true,
            scopes: Vec::new(),
            badges: Badges::default(),
            loaded: None,
            uniforms: None,
            failed: HashSet::new(),
            started: None,
            base: 0.0,
            next_frame: 0.0,
            frame_stale: true,
            drawn_by_stale: false,
            audio_pos: 0,
            producer,
            osc,
            osc_error,
            observers: Vec::new(),
            declared_bpm: None,
            replies: Vec::new(),
            timings_of: None,
            spare_frame: None,
        };
        let thread = std::thread::Builder::new()
            .name("weft-engine".into())
            .spawn(move || live.run())
            .expect("spawn the engine thread");
        (
            Engine {
                handle: EngineHandle {
                    tx,
                    snapshot,
                    frame,
                },
                stop,
                thread: Some(thread),
            },
            AudioStream { consumer },
        )
    }

    /// A handle for another thread.
    pub fn handle(&self) -> EngineHandle {
        self.handle.clone()
    }
}

impl std::ops::Deref for Engine {
    type Target = EngineHandle;
    fn deref(&self) -> &EngineHandle {
        &self.handle
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The engine thread's own state: nothing here is shared.
struct Live {
    clock: Reading,
    rx: Receiver<Envelope>,
    options: EngineOptions,
    stop: Arc<AtomicBool>,
    published: Latest<Snapshot>,
    frame_out: Latest<Frame>,
    /// The working copy of the next snapshot.
    state: Snapshot,
    dirty: bool,
    scopes: Vec<Coordinator>,
    /// The running program's badges, read with every frame.
    badges: Badges,
    loaded: Option<Box<LoadedProgram>>,
    uniforms: Option<Uniforms>,
    failed: HashSet<[u8; 32]>,
    /// Clock time when the transport last started playing.
    started: Option<Duration>,
    /// Transport time when it last started playing (or where it holds).
    base: f64,
    next_frame: f64,
    frame_stale: bool,
    /// What draws the pictures is to be asked again after the next frame.
    drawn_by_stale: bool,
    audio_pos: u64,
    producer: rtrb::Producer<f32>,
    osc: Option<OscOut>,
    /// Why OSC output is off (a bad target), repeated after every swap.
    osc_error: Option<String>,
    observers: Vec<Sender<Version>>,
    declared_bpm: Option<f64>,
    replies: Vec<Reply>,
    /// The frame published before the current one, to render into again.
    spare_frame: Option<Arc<Frame>>,
    /// The program version and scope `state.timings` describes.
    timings_of: Option<(u64, usize)>,
}

/// An answer waiting for the end of the tick, and where it goes.
type Reply = (Sender<Result<(), CommandError>>, Result<(), CommandError>);

impl Live {
    fn run(&mut self) {
        loop {
            if self.stop.load(Ordering::Acquire) {
                return;
            }
            let wait = if self.clock.is_manual() {
                // Only a command ticks; wake now and then to see `stop`.
                Duration::from_millis(20)
            } else if self.state.transport == Transport::Playing {
                let fps = self.state.fps.max(1.0);
                Duration::from_secs_f64(((self.next_frame - self.now()).max(0.0)).min(1.0 / fps))
                    .max(Duration::from_micros(500))
            } else {
                Duration::from_millis(20)
            };
            match self.rx.recv_timeout(wait) {
                Ok(e) => self.apply(e),
                Err(RecvTimeoutError::Timeout) if self.clock.is_manual() => continue,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            let version = self.state.program_version;
            let mut n = 1;
            while n < self.options.max_commands_per_tick {
                match self.rx.try_recv() {
                    Ok(e) => self.apply(e),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return,
                }
                n += 1;
            }
            if self.state.program_version != version {
                // A new program is published before its first frame is drawn, so
                // observers (a page's shader) follow a save without waiting for it.
                self.publish();
            }
            self.tick();
            if self.dirty {
                self.publish();
            }
            for (reply, result) in self.replies.drain(..) {
                let _ = reply.try_send(result);
            }
        }
    }

    /// Transport time now.
    fn now(&self) -> f64 {
        match self.started {
            // Differences of durations, not of seconds: exact, so a transport
            // played from 12.5 for 0.25 s reads 12.75.
            Some(t) => self.base + self.clock.now().saturating_sub(t).as_secs_f64(),
            None => self.base,
        }
    }

    fn apply(&mut self, e: Envelope) {
        let result = self.apply_command(e.command);
        self.state.commands += 1;
        self.dirty = true;
        if let Some(reply) = e.reply {
            // Answered after the snapshot is published, so a sender that waits
            // reads its own change.
            self.replies.push((reply, result));
        }
    }

    fn apply_command(&mut self, command: Command) -> Result<(), CommandError> {
        match command {
            Command::Play => {
                if self.started.is_none() {
                    self.started = Some(self.clock.now());
                    // Render (and send OSC) at once: the frame shown while stopped
                    // sent nothing, and the next one is a whole frame away.
                    self.frame_stale = true;
                }
                self.state.transport = Transport::Playing;
            }
            Command::Pause => {
                self.base = self.now();
                self.state.time = self.base;
                self.started = None;
                if self.state.transport == Transport::Playing {
                    self.state.transport = Transport::Paused;
                }
            }
            Command::Stop => self.stop_transport(),
            Command::Reset => {
                self.stop_transport();
                if let Some(p) = &self.loaded {
                    let mut u = Uniforms::new(&p.program);
                    u.set_mouse(self.state.pointer.0, self.state.pointer.1);
                    self.state.bpm = p.program.settings.bpm();
                    for q in &mut self.state.params {
                        q.value = q.default;
                    }
                    self.uniforms = Some(u);
                }
                self.frame_stale = true;
            }
            Command::Seek(t) => {
                if !(0.0..=MAX_SEEK).contains(&t) {
                    return Err(range("seek time", t, 0.0, MAX_SEEK));
                }
                self.seek(t);
            }
            Command::SetTempo(b) => {
                if !(b > 0.0 && b <= 1000.0) {
                    return Err(range("tempo (above 0)", b, 0.0, 1000.0));
                }
                self.state.bpm = b;
                if let Some(u) = &mut self.uniforms {
                    u.set_bpm(b);
                }
                self.frame_stale = true;
            }
            Command::SetParam { id, value } => self.set_param(&id, value)?,
            Command::Pointer { x, y } => {
                if !(x.is_finite() && y.is_finite()) {
                    return Err(range("pointer", f64::NAN, 0.0, 1.0));
                }
                let (x, y) = (x.clamp(0.0, 1.0), y.clamp(0.0, 1.0));
                self.state.pointer = (x, y);
                if let Some(u) = &mut self.uniforms {
                    u.set_mouse(x, y);
                }
                self.frame_stale = true;
            }
            Command::Swap(p) => self.swap(p)?,
            Command::BuildFailed { key, error } => {
                self.failed.insert(key);
                self.state.last_error = Some(error);
            }
            Command::Subscribe(observer) => self.observers.push(observer),
            Command::Group(commands) => {
                let mut first = Ok(());
                for c in commands {
                    let r = self.apply_command(c);
                    if first.is_ok() {
                        first = r;
                    }
                }
                return first;
            }
        }
        Ok(())
    }

    fn stop_transport(&mut self) {
        self.started = None;
        self.state.transport = Transport::Stopped;
        self.seek(0.0);
    }

    fn seek(&mut self, t: f64) {
        self.base = t;
        if self.started.is_some() {
            self.started = Some(self.clock.now());
        }
        self.state.time = t;
        self.next_frame = t;
        self.audio_pos = (t * self.state.rate.max(1) as f64) as u64;
        self.frame_stale = true;
    }

    fn set_param(&mut self, id: &str, value: f64) -> Result<(), CommandError> {
        let (Some(p), Some(u)) = (&self.loaded, &mut self.uniforms) else {
            return Err(CommandError::UnknownParam {
                id: id.to_string(),
                known: Vec::new(),
            });
        };
        let Some(i) = p.program.params.iter().position(|q| q.name == id) else {
            return Err(CommandError::UnknownParam {
                id: id.to_string(),
                known: p.program.params.iter().map(|q| q.name.clone()).collect(),
            });
        };
        let param = &p.program.params[i];
        // A toggle is on or off: a knob or an OSC float picks the nearer.
        let value = match &param.control {
            Some(c) if c.kind == ControlKind::Toggle && (0.0..=1.0).contains(&value) => {
                value.round()
            }
            _ => value,
        };
        if !(value >= param.min && value <= param.max) {
            return Err(range(
                &format!("parameter `{id}`"),
                value,
                param.min,
                param.max,
            ));
        }
        u.set_slot(uniform::PARAMS as usize + i, value);
        self.state.params[i].value = value;
        self.frame_stale = true;
        Ok(())
    }

    fn swap(&mut self, p: Box<LoadedProgram>) -> Result<(), CommandError> {
        if self.failed.contains(&p.key) {
            self.state.failures_skipped += 1;
            return Err(CommandError::Compile(
                "the same content failed before".to_string(),
            ));
        }
        let program = &p.program;
        let size = self.options.size.unwrap_or_else(|| program.settings.size());
        let config = EngineConfig {
            width: size.0,
            height: size.1,
            audio_block: self.options.audio_block,
        };
        // Swap every scope in place; a scope that is new (or whose frame size
        // changed) gets a coordinator of its own. On a failure, put back the ones
        // already swapped.
        let mut report = SwapReport::default();
        let mut in_place = Vec::new();
        let mut replacements: Vec<(usize, Coordinator)> = Vec::new();
        let mut failure = None;
        for (i, (_, graph)) in p.graphs.iter().enumerate() {
            let result = match self.scopes.get_mut(i) {
                Some(c) if c.visual().size() == size => c
                    .swap(program.clone(), p.sources.clone(), graph.clone())
                    .map(|r| {
                        report.merge(r);
                        in_place.push(i);
                    }),
                _ => Coordinator::with_painter(
                    program.clone(),
                    p.sources.clone(),
                    graph.clone(),
                    config,
                    &self.options.painter,
                )
                .map(|c| {
                    let g = c.graph();
                    report.batches_compiled += g.batches.len();
                    let names = g.order.iter().map(|n| g.node(*n).name.clone());
                    report.nodes_changed.extend(names.clone());
                    report.nodes_compiled.extend(names.clone());
                    report.nodes_lowered.extend(names);
                    replacements.push((i, c));
                }),
            };
            if let Err(e) = result {
                failure = Some(e.to_string());
                break;
            }
        }
        if let Some(e) = failure {
            if let Some(old) = &self.loaded {
                for i in in_place {
                    let g = old.graphs[i].1.clone();
                    let _ = self.scopes[i].swap(old.program.clone(), old.sources.clone(), g);
                }
            }
            self.failed.insert(p.key);
            self.state.last_error = Some(format!("{}: {e}\n", p.path.display()));
            return Err(CommandError::Compile(e));
        }
        for (i, c) in replacements {
            if i < self.scopes.len() {
                self.scopes[i] = c;
            } else {
                self.scopes.push(c);
            }
        }
        self.scopes.truncate(p.graphs.len());
        // Parameters by id; the tempo follows the program when its `me<bpm>` changed.
        let old: HashMap<String, f64> = self
            .state
            .params
            .iter()
            .map(|q| (q.id.clone(), q.value))
            .collect();
        let values = carry_params(&old, program);
        let mut u = Uniforms::new(program);
        for (i, v) in values.iter().enumerate() {
            u.set_slot(uniform::PARAMS as usize + i, *v);
        }
        let declared = program.settings.bpm;
        if self.loaded.is_none() || declared != self.declared_bpm {
            self.state.bpm = program.settings.bpm();
        }
        self.declared_bpm = declared;
        u.set_bpm(self.state.bpm);
        u.set_mouse(self.state.pointer.0, self.state.pointer.1);
        self.state.params = program
            .params
            .iter()
            .zip(&values)
            .map(|(q, v)| ParamState {
                id: q.name.clone(),
                min: q.min,
                max: q.max,
                default: q.default,
                value: *v,
                control: q.control.clone(),
            })
            .collect();
        (self.badges, self.state.badges) = Badges::new(program, &self.scopes);
        self.state.fps = program.settings.fps();
        let rate = program.settings.rate();
        if rate != self.state.rate {
            self.state.rate = rate;
            self.audio_pos = (self.now() * rate as f64) as u64;
        }
        self.state.program_version += 1;
        self.state.program_path = Some(p.path.display().to_string());
        self.state.last_error = match (&self.osc_error, p.warnings.is_empty()) {
            (None, true) => None,
            (None, false) => Some(p.warnings.clone()),
            (Some(e), _) => Some(format!("{e}{}", p.warnings)),
        };
        self.state.last_swap = report;
        if let Some(c) = self.scopes.first() {
            self.state.drawn_by = c.visual().drawn_by().to_string();
        }
        // A device builds its pipelines at the first frame: asked again then.
        self.drawn_by_stale = true;
        let display_of = |c: &Coordinator| {
            c.visual()
                .display_kernel()
                .map(|(k, first, channels)| DisplayKernel {
                    kernel: k.clone(),
                    first,
                    channels,
                    param_slots: program
                        .params
                        .iter()
                        .enumerate()
                        .map(|(i, p)| (p.name.clone(), uniform::PARAMS + i as u32))
                        .collect(),
                    fps: program.settings.fps(),
                    loop_len: program.settings.loop_len,
                    size: program.settings.size(),
                    cameras: program
                        .sources
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.kind == weft_lang::builtins::SourceKind::Camera)
                        .map(|(i, _)| p.sources.get_arc(weft_lang::ir::SourceId(i as u32)))
                        .collect(),
                    strands: c.visual().strands(),
                })
        };
        (self.state.display, self.state.segments) = if program.segments.is_empty() {
            (self.scopes.first().and_then(display_of), Vec::new())
        } else {
            let segments = program
                .segments
                .iter()
                .zip(&self.scopes)
                .map(|(s, c)| SegmentDisplay {
                    start: s.start,
                    duration: s.duration,
                    display: display_of(c),
                })
                .collect();
            (None, segments)
        };
        self.uniforms = Some(u);
        self.loaded = Some(p);
        self.frame_stale = true;
        Ok(())
    }

    /// Advances the clock, renders what is due: a display frame at the frame rate,
    /// audio up to the lead, OSC with every frame.
    fn tick(&mut self) {
        let playing = self.state.transport == Transport::Playing;
        let now = self.now();
        if playing {
            self.state.time = now;
            self.dirty = true;
        }
        if self.loaded.is_none() {
            return;
        }
        if (playing && now >= self.next_frame) || self.frame_stale {
            self.render_frame(now);
            let fps = self.state.fps.max(1e-3);
            self.next_frame = ((now * fps).floor() + 1.0) / fps;
            self.frame_stale = false;
        }
        if playing {
            self.render_audio(now);
        }
    }

    fn render_frame(&mut self, now: f64) {
        let (Some(p), Some(u)) = (&self.loaded, &self.uniforms) else {
            return;
        };
        let (scope, local) = p.program.locate(now);
        let Some(c) = self.scopes.get_mut(scope) else {
            return;
        };
        let playing = self.state.transport == Transport::Playing;
        if c.visual().has_display() {
            let (width, height) = c.visual().size();
            let rgba = c.render_frame(local, now, u);
            self.state.frames += 1;
            // Render into the frame published before the current one when no
            // reader holds it any more; readers always see a whole frame.
            let mut next = match self.spare_frame.take() {
                Some(spare) if Arc::strong_count(&spare) == 1 && Arc::weak_count(&spare) == 0 => {
                    spare
                }
                _ => Arc::new(Frame::default()),
            };
            if let Some(f) = Arc::get_mut(&mut next) {
                f.index = self.state.frames;
                f.time = now;
                f.width = width;
                f.height = height;
                f.rgba.clear();
                f.rgba.extend_from_slice(rgba);
            }
            self.spare_frame = Some(self.frame_out.swap(next));
            let now_key = (self.state.program_version, scope);
            timing(&mut self.state, &mut self.timings_of, now_key, c);
            if self.drawn_by_stale {
                self.drawn_by_stale = false;
                self.state.drawn_by = c.visual().drawn_by().to_string();
            }
        }
        let frame = (now * self.state.fps).floor();
        self.badges
            .update(scope, (local, now, frame), u, &mut self.state.badges);
        if playing {
            if let Some(osc) = &mut self.osc {
                let messages = c.osc_messages(local, now, u);
                self.state.osc_sent += osc.send(messages) as u64;
            }
        }
        self.dirty = true;
    }

    fn render_audio(&mut self, now: f64) {
        let (Some(p), Some(u)) = (&self.loaded, &self.uniforms) else {
            return;
        };
        let rate = self.state.rate.max(1) as f64;
        let target = ((now + self.options.audio_lead) * rate) as u64;
        while self.audio_pos < target {
            let t = self.audio_pos as f64 / rate;
            let (scope, local) = p.program.locate(t);
            let Some(c) = self.scopes.get_mut(scope) else {
                return;
            };
            let mut len = ((target - self.audio_pos) as usize).min(c.audio().block());
            if let Some(s) = p.program.segments.get(scope) {
                // Stop at the segment's end so the next one starts at its own 0.
                let end = ((s.start + s.duration) * rate).ceil() as u64;
                if end > self.audio_pos && scope + 1 < p.program.segments.len() {
                    len = len.min((end - self.audio_pos) as usize);
                }
            }
            let free = self.producer.slots() / 2;
            if free == 0 {
                // Nobody reads: keep the clock, drop what cannot be queued.
                self.state.samples_dropped += target - self.audio_pos;
                self.audio_pos = target;
                break;
            }
            len = len.min(free).max(1);
            let local_sample = (local * rate).round().max(0.0) as u64;
            if !c.audio().has_play() {
                self.audio_pos += len as u64;
                continue;
            }
            let samples = c.render_audio(self.audio_pos, local_sample, len, u);
            if let Ok(mut chunk) = self.producer.write_chunk_uninit(samples.len()) {
                let (a, b) = chunk.as_mut_slices();
                for (dst, src) in a.iter_mut().chain(b.iter_mut()).zip(samples) {
                    dst.write(*src);
                }
                // SAFETY: every slot of the chunk was written just above.
                unsafe { chunk.commit_all() };
            }
            self.audio_pos += len as u64;
            self.state.samples += len as u64;
            let now_key = (self.state.program_version, scope);
            timing(&mut self.state, &mut self.timings_of, now_key, c);
        }
    }

    fn publish(&mut self) {
        self.state.version += 1;
        self.published.store(Arc::new(self.state.clone()));
        let v = self.state.version;
        // One notification per tick; a full channel means the observer has one
        // pending already, a closed one means it unsubscribed.
        self.observers.retain(|o| match o.try_send(v) {
            Ok(()) | Err(TrySendError::Full(_)) => true,
            Err(TrySendError::Disconnected(_)) => false,
        });
        self.dirty = false;
    }
}

fn range(what: &str, value: f64, min: f64, max: f64) -> CommandError {
    CommandError::OutOfRange {
        what: what.to_string(),
        value,
        min,
        max,
    }
}

/// Records the last execution time of every batch of the scope that ran, and
/// each node's attributed share; the lists are made again when the program or
/// the scope changes (`shown`), else the times are updated in place.
fn timing(
    state: &mut Snapshot,
    shown: &mut Option<(u64, usize)>,
    now: (u64, usize),
    c: &Coordinator,
) {
    let graph = c.graph();
    let timings = &mut state.timings;
    if *shown != Some(now) {
        *shown = Some(now);
        state.node_timings.clear();
        state
            .node_timings
            .extend(c.node_timings().map(|(b, j, instrs, _)| {
                let batch = &graph.batches[b];
                NodeTiming {
                    node: graph.node(batch.nodes[j]).name.as_str().into(),
                    backend: batch.backend.name(),
                    batch: b,
                    instrs,
                    micros: 0.0,
                }
            }));
        timings.clear();
        timings.extend(graph.batches.iter().map(|b| {
            BatchTiming {
                backend: b.backend.name(),
                nodes: b
                    .nodes
                    .iter()
                    .map(|n| graph.node(*n).name.clone())
                    .collect(),
                micros: 0.0,
            }
        }));
    }
    for (i, micros) in c.batch_timings() {
        if let Some(t) = timings.get_mut(i) {
            t.micros = micros;
        }
    }
    for (t, (_, _, _, micros)) in state.node_timings.iter_mut().zip(c.node_timings()) {
        t.micros = micros;
    }
}
