//! A `Player` plays one watched file: a live engine (the same one `weft run`
//! uses) at the preview size its watchers asked for, and a pump thread that turns
//! the engine's frames, sound and snapshots into what the watchers are sent.

use crate::protocol::{self, BadgeInfo, ControlInfo, ParamInfo, ServerMessage};
use axum::body::Bytes;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use weft_live::program::LoadedProgram;
use weft_live::{Command, Engine, EngineHandle, EngineOptions, Snapshot, Transport};

/// What the pump hands to the hub for the file's watchers.
#[derive(Clone, Debug)]
pub enum PlayerEvent {
    /// A JSON text message (`state`, `parameters`, `parameter-changed`, `meter`).
    Text(Arc<str>),
    /// A `WFRM` frame (shared by every watcher, never copied per client).
    Frame(Bytes),
    /// A `WPCM` chunk.
    Pcm(Bytes),
    /// A new `display-shader`: with or without its sources, as each page holds them.
    Shader(Arc<crate::web_shader::Shader>),
}

/// Transport, time, tempo and parameters, to carry into a new player.
#[derive(Clone, Debug, Default)]
pub struct Carry {
    playing: bool,
    time: f64,
    bpm: Option<f64>,
    params: Vec<(String, f64)>,
}

/// The `parameters` message for a snapshot.
pub fn parameters_message(file: &str, snap: &Snapshot) -> Arc<str> {
    ServerMessage::Parameters {
        file,
        params: snap
            .params
            .iter()
            .map(|p| ParamInfo {
                id: &p.id,
                min: p.min,
                max: p.max,
                default: p.default,
                value: p.value,
                control: p.control.as_ref().map(|c| ControlInfo {
                    kind: c.kind.as_str(),
                    group: &c.group,
                    index: c.index,
                    label: c.label.as_deref(),
                }),
            })
            .collect(),
    }
    .text()
}

/// The `state` message for a snapshot.
pub fn state_message(file: &str, snap: &Snapshot) -> Arc<str> {
    ServerMessage::State {
        file,
        transport: snap.transport.name(),
        time: snap.time,
        bpm: snap.bpm,
        program_version: snap.program_version,
        last_error: snap.last_error.as_deref(),
        fps: snap.fps,
        rate: snap.rate,
        frames: snap.frames,
        badges: snap
            .badges
            .iter()
            .map(|b| BadgeInfo {
                name: &b.name,
                label: b.label.as_deref(),
                value: b.value.filter(|v| v.is_finite()),
            })
            .collect(),
    }
    .text()
}

/// One file playing.
pub struct Player {
    engine: Engine,
    handle: EngineHandle,
    size: (u32, u32),
    stop: Arc<AtomicBool>,
    pump: Option<JoinHandle<()>>,
    /// The last `display-shader` message with its key, for a page that starts
    /// watching.
    shader: Arc<arc_swap::ArcSwapOption<crate::web_shader::Shader>>,
}

impl std::fmt::Debug for Player {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Player({}x{})", self.size.0, self.size.1)
    }
}

/// Samples per `WPCM` chunk (per channel): 20 ms at 48 kHz.
const PCM_FRAMES: usize = 960;

impl Player {
    /// Starts a player for `file` rendering frames of `size` with `painter`; `send` receives
    /// what its watchers get (from the pump thread).
    pub fn start(
        file: String,
        size: (u32, u32),
        painter: weft_engine::visual::Painter,
        send: impl Fn(PlayerEvent) + Send + 'static,
    ) -> Player {
        let (engine, mut audio) = Engine::start(EngineOptions {
            size: Some(size),
            painter,
            ..EngineOptions::default()
        });
        let handle = engine.handle();
        let stop = Arc::new(AtomicBool::new(false));
        let shader: Arc<arc_swap::ArcSwapOption<crate::web_shader::Shader>> = Arc::default();
        let pump_shader = shader.clone();
        let pump_handle = handle.clone();
        let pump_stop = stop.clone();
        let pump = std::thread::Builder::new()
            .name("weft-player".into())
            .spawn(move || {
                let h = pump_handle;
                // Woken by every published change (a new program's shader goes at
                // once), and every 5 ms for sound and frames.
                let changes = h.subscribe().ok();
                let mut last_frame = u64::MAX;
                let mut last_version = u64::MAX;
                let mut last_program = u64::MAX;
                let mut last_params: Vec<(String, f64)> = Vec::new();
                let mut last_display: Option<(
                    Option<weft_live::DisplayKernel>,
                    Vec<weft_live::SegmentDisplay>,
                )> = None;
                let mut encoded = crate::web_shader::EncodedSources::default();
                let mut last_transport = None;
                let mut last_state = Instant::now() - Duration::from_secs(1);
                let mut last_meter = Instant::now();
                let mut samples = vec![0f32; PCM_FRAMES * 2];
                let mut filled = 0usize;
                let (mut peak, mut sum, mut count) = ([0f32; 2], [0f64; 2], 0usize);
                while !pump_stop.load(Ordering::Relaxed) {
                    let snap = h.snapshot();
                    // A new display kernel: its shader for pages that draw it.
                    if snap.program_version > 0 {
                        // Holding the display keeps its kernel's address from being
                        // reused; the settings the page reads count too.
                        let same = last_display.as_ref().is_some_and(|(display, segments)| {
                            same_display(display.as_ref(), snap.display.as_ref())
                                && segments.len() == snap.segments.len()
                                && segments.iter().zip(&snap.segments).all(|(a, b)| {
                                    a.start == b.start
                                        && a.duration == b.duration
                                        && same_display(a.display.as_ref(), b.display.as_ref())
                                })
                        });
                        if !same {
                            last_display = Some((snap.display.clone(), snap.segments.clone()));
                            let m = Arc::new(crate::web_shader::message(
                                &file,
                                snap.display.as_ref(),
                                &snap.segments,
                                &mut encoded,
                            ));
                            pump_shader.store(Some(m.clone()));
                            send(PlayerEvent::Shader(m));
                        }
                    }
                    // No parameters before a program is in: a page would show none.
                    if snap.program_version != last_program && snap.program_version > 0 {
                        last_program = snap.program_version;
                        last_params = snap
                            .params
                            .iter()
                            .map(|p| (p.id.clone(), p.value))
                            .collect();
                        send(PlayerEvent::Text(parameters_message(&file, &snap)));
                    } else {
                        for p in &snap.params {
                            let known = last_params.iter_mut().find(|(id, _)| *id == p.id);
                            match known {
                                Some((_, v)) if *v == p.value => {}
                                Some((_, v)) => {
                                    *v = p.value;
                                    send(PlayerEvent::Text(
                                        ServerMessage::ParameterChanged {
                                            file: &file,
                                            id: &p.id,
                                            value: p.value,
                                        }
                                        .text(),
                                    ));
                                }
                                None => last_params.push((p.id.clone(), p.value)),
                            }
                        }
                    }
                    let playing = snap.transport == Transport::Playing;
                    let now = Instant::now();
                    if snap.version != last_version
                        && (last_transport != Some(snap.transport)
                            || now - last_state >= Duration::from_millis(100))
                    {
                        last_version = snap.version;
                        last_transport = Some(snap.transport);
                        last_state = now;
                        send(PlayerEvent::Text(state_message(&file, &snap)));
                    }
                    let frame = h.frame();
                    if frame.index != last_frame && frame.width > 0 && !frame.rgba.is_empty() {
                        last_frame = frame.index;
                        send(PlayerEvent::Frame(Bytes::from(protocol::frame_bytes(
                            frame.width,
                            frame.height,
                            frame.index,
                            frame.time,
                            &frame.rgba,
                        ))));
                    }
                    loop {
                        let n = audio.read(&mut samples[filled..]);
                        filled += n;
                        if filled < samples.len() {
                            break;
                        }
                        for pair in samples.chunks_exact(2) {
                            for c in 0..2 {
                                peak[c] = peak[c].max(pair[c].abs());
                                sum[c] += (pair[c] as f64) * (pair[c] as f64);
                            }
                        }
                        count += PCM_FRAMES;
                        send(PlayerEvent::Pcm(Bytes::from(protocol::pcm_bytes(
                            snap.rate.max(1),
                            &samples,
                        ))));
                        filled = 0;
                    }
                    if playing && count > 0 && now - last_meter >= Duration::from_millis(100) {
                        last_meter = now;
                        let rms = |c: usize| (sum[c] / count as f64).sqrt();
                        send(PlayerEvent::Text(
                            ServerMessage::Meter {
                                file: &file,
                                peak_l: peak[0],
                                peak_r: peak[1],
                                rms_l: rms(0),
                                rms_r: rms(1),
                            }
                            .text(),
                        ));
                        (peak, sum, count) = ([0.0; 2], [0.0; 2], 0);
                    }
                    match &changes {
                        Some(c) => {
                            c.wait(Duration::from_millis(5));
                        }
                        None => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
            .expect("spawn the player pump");
        Player {
            engine,
            handle,
            size,
            stop,
            pump: Some(pump),
            shader,
        }
    }

    /// The last `display-shader` message (its key empty when it says
    /// `unsupported`), once the program is in.
    pub fn display_shader(&self) -> Option<Arc<crate::web_shader::Shader>> {
        self.shader.load_full()
    }

    /// The engine's handle: commands go here.
    pub fn handle(&self) -> &EngineHandle {
        &self.handle
    }

    /// The frame size.
    pub fn size(&self) -> (u32, u32) {
        self.size
    }

    /// Swaps in a program (the engine keeps the running one if it cannot).
    pub fn swap(&self, program: LoadedProgram) {
        let _ = self.handle.post_blocking(Command::Swap(Box::new(program)));
    }

    /// Tells the engine a build failed, so its snapshot shows the error.
    pub fn build_failed(&self, key: [u8; 32], error: String) {
        let _ = self
            .handle
            .post_blocking(Command::BuildFailed { key, error });
    }

    /// What a replacement player should continue from.
    pub fn carry(&self) -> Carry {
        let s = self.handle.snapshot();
        Carry {
            playing: s.transport == Transport::Playing,
            time: s.time,
            bpm: Some(s.bpm),
            params: s.params.iter().map(|p| (p.id.clone(), p.value)).collect(),
        }
    }

    /// Continues from `carry` (after a program was swapped in).
    pub fn resume(&self, carry: &Carry) {
        let mut commands = vec![Command::Seek(carry.time.max(0.0))];
        if let Some(bpm) = carry.bpm {
            commands.push(Command::SetTempo(bpm));
        }
        for (id, value) in &carry.params {
            commands.push(Command::SetParam {
                id: id.clone(),
                value: *value,
            });
        }
        commands.push(if carry.playing {
            Command::Play
        } else {
            Command::Pause
        });
        let _ = self.handle.post_blocking(Command::Group(commands));
    }

    /// Starts the transport.
    pub fn play(&self) {
        let _ = self.handle.post_blocking(Command::Play);
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(p) = self.pump.take() {
            let _ = p.join();
        }
        let _ = &self.engine;
    }
}

/// The same display for a page: the same kernel (held, so its address is not
/// reused) and the same settings the page reads.
fn same_display(
    a: Option<&weft_live::DisplayKernel>,
    b: Option<&weft_live::DisplayKernel>,
) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            Arc::ptr_eq(&a.kernel, &b.kernel)
                && a.fps == b.fps
                && a.loop_len == b.loop_len
                && a.size == b.size
                && a.param_slots == b.param_slots
        }
        (None, None) => true,
        _ => false,
    }
}
