//! The immutable state the engine publishes after every tick that changed
//! something; readers on any thread take the latest one without locking and can
//! never see half of a change.

use std::sync::Arc;

/// Counts published snapshots; observers are told the newest.
pub type Version = u64;

/// Where the transport is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Transport {
    /// Time advances with the wall clock.
    Playing,
    /// Time holds.
    Paused,
    /// Time holds at 0.
    #[default]
    Stopped,
}

impl Transport {
    /// `playing`, `paused` or `stopped`.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Playing => "playing",
            Transport::Paused => "paused",
            Transport::Stopped => "stopped",
        }
    }
}

/// One live parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamState {
    /// Its id (the name of its instance).
    pub id: String,
    /// Lowest value.
    pub min: f64,
    /// Highest value.
    pub max: f64,
    /// The value the program gives it.
    pub default: f64,
    /// The value now.
    pub value: f64,
    /// The widget, when a control pragma made it.
    pub control: Option<weft_lang::ir::ParamControl>,
}

/// One `#badge`: a strand's value at the centre of the latest picture.
#[derive(Clone, Debug, PartialEq)]
pub struct BadgeState {
    /// `inst@out`.
    pub name: String,
    /// Its label.
    pub label: Option<String>,
    /// The value (none before the first frame, or when it cannot be read).
    pub value: Option<f64>,
}

/// How long one compiled batch took in its last execution (a frame, an audio
/// block); its nodes are fused, so they share the time.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchTiming {
    /// `visual`, `audio` or `osc`.
    pub backend: &'static str,
    /// The nodes fused in the batch.
    pub nodes: Vec<String>,
    /// Wall time of its last execution, in microseconds.
    pub micros: f64,
}

/// One node's share of its batch's time. Nodes fused into one kernel run as one
/// loop and are not timed apart: this is an attribution, the batch's time split
/// by the instructions each node contributes to the kernel (a shared
/// sub-expression counts for the node that made it first), not a measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeTiming {
    /// The node's name (shared: snapshots are cloned on every publish).
    pub node: Arc<str>,
    /// `visual`, `audio` or `osc`.
    pub backend: &'static str,
    /// Index of its batch in [`Snapshot::timings`].
    pub batch: usize,
    /// Kernel instructions attributed to it.
    pub instrs: usize,
    /// Its attributed share of the batch's last execution, in microseconds.
    pub micros: f64,
}

pub use weft_engine::swap::SwapReport;

/// The engine's state after a tick.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Increases by one per published snapshot.
    pub version: Version,
    /// Playing, paused or stopped.
    pub transport: Transport,
    /// Transport time in seconds (never wraps; `me@time` may).
    pub time: f64,
    /// Tempo in beats per minute.
    pub bpm: f64,
    /// Parameters in program order.
    pub params: Vec<ParamState>,
    /// Badges in program order.
    pub badges: Vec<BadgeState>,
    /// The pointer `mouse@x`, `mouse@y` read.
    pub pointer: (f64, f64),
    /// Counts successful program swaps (0: no program yet).
    pub program_version: u64,
    /// The file the program came from.
    pub program_path: Option<String>,
    /// Why the newest build or swap failed, while the previous program runs on.
    pub last_error: Option<String>,
    /// What the last successful swap kept and compiled.
    pub last_swap: SwapReport,
    /// Builds skipped because the same failing content had failed before.
    pub failures_skipped: u64,
    /// Per-batch execution times of the running program (the scope playing now).
    pub timings: Vec<BatchTiming>,
    /// Per-node shares of those times (attributed, see [`NodeTiming`]), in
    /// batch order.
    pub node_timings: Vec<NodeTiming>,
    /// Display frames rendered since the engine started.
    pub frames: u64,
    /// Audio samples rendered since the engine started.
    pub samples: u64,
    /// Audio samples dropped because nobody read the ring in time.
    pub samples_dropped: u64,
    /// OSC messages sent.
    pub osc_sent: u64,
    /// Commands applied since the engine started.
    pub commands: u64,
    /// Frame rate of the running program.
    pub fps: f64,
    /// Audio sample rate.
    pub rate: u32,
    /// What draws the pictures: `cpu`, `gpu on ADAPTER`, or `cpu (why the GPU
    /// cannot)`.
    pub drawn_by: String,
    /// The running program's display, for a page that draws it itself: `None`
    /// without a display, or with segments (each has its own: `segments`).
    pub display: Option<DisplayKernel>,
    /// With segments, each one's place on the timeline and display (`None`
    /// for a segment without one), in order; empty without segments.
    pub segments: Vec<SegmentDisplay>,
}

/// One segment's display, for a page that draws it itself.
#[derive(Clone, Debug)]
pub struct SegmentDisplay {
    /// When it starts on the timeline, seconds.
    pub start: f64,
    /// How long it lasts.
    pub duration: f64,
    /// Its display's kernel.
    pub display: Option<DisplayKernel>,
}

/// The kernel that computes a display: what another emitter (the browser's
/// shader) starts from.
#[derive(Clone, Debug)]
pub struct DisplayKernel {
    /// The kernel.
    pub kernel: std::sync::Arc<weft_kernel::Kernel>,
    /// Its first display output.
    pub first: usize,
    /// The display's channel count.
    pub channels: usize,
    /// Slot of each parameter in the uniforms (see `weft_kernel::uniform`), by id.
    pub param_slots: Vec<(String, u32)>,
    /// Frames per second (`me@frame` is `floor(abstime · fps)`).
    pub fps: f64,
    /// The loop length `me@time` wraps at, if any.
    pub loop_len: Option<f64>,
    /// The program's own frame size (its aspect ratio is the picture's).
    pub size: (u32, u32),
    /// The data of its `camera()` sources (a page may show its own camera there).
    pub cameras: Vec<std::sync::Arc<weft_sources::SourceData>>,
    /// The strands earlier visual batches write, with the code filling each (a
    /// shader without buffers between passes computes them where they are read).
    pub strands: Vec<weft_kernel::data::Materialized>,
}

impl Snapshot {
    /// The answer to a query of the command language: the text to show, or why
    /// there is none.
    pub fn answer(&self, query: &super::script::Query) -> Result<String, String> {
        use super::script::{Query, HELP};
        match query {
            Query::Help => Ok(HELP.to_string()),
            Query::Info => Ok(self.info().trim_end().to_string()),
            Query::List => Ok(self.list().trim_end().to_string()),
            Query::Get(id) => match self.param(id) {
                Some(p) => Ok(format!(
                    "{} = {} ({} to {}, default {})",
                    p.id, p.value, p.min, p.max, p.default
                )),
                None => Err(format!("no parameter `{id}`; `ls` lists them")),
            },
        }
    }

    /// The parameter `id`.
    pub fn param(&self, id: &str) -> Option<&ParamState> {
        self.params.iter().find(|p| p.id == id)
    }

    /// A one-line status: time, transport, tempo and parameter values.
    pub fn status_line(&self) -> String {
        let mut s = format!(
            "{:>8.2}s  {:<7}  {:.1} bpm",
            self.time,
            self.transport.name(),
            self.bpm
        );
        for p in &self.params {
            s.push_str(&format!("  {}={}", p.id, p.value));
        }
        if self.last_error.is_some() {
            s.push_str("  [error: see `info`]");
        }
        s
    }

    /// The `info` text.
    pub fn info(&self) -> String {
        let mut s = format!(
            "transport {}\ntime {:.3} s\ntempo {} bpm\nprogram {} (version {})\npictures {}\nframes {}  samples {}  osc messages {}\n",
            self.transport.name(),
            self.time,
            self.bpm,
            self.program_path.as_deref().unwrap_or("none"),
            self.program_version,
            self.drawn_by,
            self.frames,
            self.samples,
            self.osc_sent,
        );
        if self.program_version > 0 {
            s.push_str(&format!("last swap: {}\n", self.last_swap.summary()));
            // A first load lowers everything: name a few, count the rest.
            const NAMED: usize = 12;
            let lowered = &self.last_swap.nodes_lowered;
            if !lowered.is_empty() {
                s.push_str("lowered: ");
                s.push_str(&lowered[..lowered.len().min(NAMED)].join(", "));
                if lowered.len() > NAMED {
                    s.push_str(&format!(" and {} more", lowered.len() - NAMED));
                }
                s.push('\n');
            }
        }
        if let Some(e) = &self.last_error {
            s.push_str("last error:\n");
            s.push_str(e);
            if !e.ends_with('\n') {
                s.push('\n');
            }
        }
        s
    }

    /// The `ls` text: one parameter per line.
    pub fn list(&self) -> String {
        if self.params.is_empty() {
            return "no parameters\n".to_string();
        }
        self.params
            .iter()
            .map(|p| {
                format!(
                    "{} = {} ({} to {}, default {})\n",
                    p.id, p.value, p.min, p.max, p.default
                )
            })
            .collect()
    }
}

/// The latest display frame, for readers on any thread.
#[derive(Clone, Debug, Default)]
pub struct Frame {
    /// Counts rendered frames.
    pub index: u64,
    /// Transport time it shows.
    pub time: f64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// RGBA rows from the top.
    pub rgba: Vec<u8>,
}

/// A shared, swappable pointer to the latest value.
pub type Latest<T> = Arc<arc_swap::ArcSwap<T>>;
