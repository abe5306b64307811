//! Typed commands: every mutation of the live engine travels as one of these on
//! the engine's multi-producer queue, and every refusal comes back typed.

use super::program::LoadedProgram;
use super::snapshot::Version;
use crossbeam_channel::Sender;

/// The latest time `seek` accepts, in seconds (24 hours): beyond it sample
/// positions and `me@time` in f32 shaders lose the precision a piece needs.
pub const MAX_SEEK: f64 = 86_400.0;

/// One mutation of the engine. Built by any thread, applied by the engine thread.
#[derive(Debug)]
pub enum Command {
    /// Start (or resume) the transport.
    Play,
    /// Hold the transport where it is.
    Pause,
    /// Pause and rewind to 0.
    Stop,
    /// Stop, and set every parameter and the tempo back to the program's defaults.
    Reset,
    /// Move the transport to this time in seconds (0 or more).
    Seek(f64),
    /// Set the tempo in beats per minute (above 0, at most 1000).
    SetTempo(f64),
    /// Set a parameter by id; out-of-range values are refused.
    SetParam {
        /// The parameter id (the name of its instance).
        id: String,
        /// The new value.
        value: f64,
    },
    /// Move the pointer that `mouse@x` / `mouse@y` read (each 0..1).
    Pointer {
        /// Horizontal, 0 at the left.
        x: f64,
        /// Vertical, 0 at the top.
        y: f64,
    },
    /// Swap in a new program, built off the engine thread.
    Swap(Box<LoadedProgram>),
    /// Record that a program failed to build (it never reaches the backends).
    BuildFailed {
        /// The content key of the failing sources.
        key: [u8; 32],
        /// The rendered diagnostics.
        error: String,
    },
    /// Tell `observer` once after every tick that changed the state.
    Subscribe(Sender<Version>),
    /// Several commands applied in order in one tick (a preset, a pasted
    /// script); the answer is the first refusal, the others still apply.
    Group(Vec<Command>),
}

impl Command {
    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Play => "play",
            Command::Pause => "pause",
            Command::Stop => "stop",
            Command::Reset => "reset",
            Command::Seek(_) => "seek",
            Command::SetTempo(_) => "bpm",
            Command::SetParam { .. } => "set",
            Command::Pointer { .. } => "pointer",
            Command::Swap(_) => "swap",
            Command::BuildFailed { .. } => "build-failed",
            Command::Subscribe(_) => "subscribe",
            Command::Group(_) => "group",
        }
    }

    /// A copy, for the commands that carry only values (not a program or a
    /// channel): one remote command goes to several engines.
    pub fn copy_values(&self) -> Option<Command> {
        Some(match self {
            Command::Play => Command::Play,
            Command::Pause => Command::Pause,
            Command::Stop => Command::Stop,
            Command::Reset => Command::Reset,
            Command::Seek(t) => Command::Seek(*t),
            Command::SetTempo(b) => Command::SetTempo(*b),
            Command::SetParam { id, value } => Command::SetParam {
                id: id.clone(),
                value: *value,
            },
            Command::Pointer { x, y } => Command::Pointer { x: *x, y: *y },
            Command::Group(g) => {
                Command::Group(g.iter().map(Command::copy_values).collect::<Option<_>>()?)
            }
            Command::Swap(_) | Command::BuildFailed { .. } | Command::Subscribe(_) => return None,
        })
    }
}

/// Why a command could not be applied, or could not be queued.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CommandError {
    /// No parameter has that id.
    #[error("no parameter `{id}`{}", known_list(.known))]
    UnknownParam {
        /// What was asked for.
        id: String,
        /// The ids that exist.
        known: Vec<String>,
    },
    /// A value outside the range the command accepts.
    #[error("{what} {value} is out of range: expected {min} to {max}")]
    OutOfRange {
        /// What the value is for.
        what: String,
        /// The value given.
        value: f64,
        /// Lowest accepted.
        min: f64,
        /// Highest accepted.
        max: f64,
    },
    /// The queue is full: the command was not queued (try again).
    #[error("the engine is busy: its command queue is full")]
    QueueFull,
    /// The engine has stopped.
    #[error("the engine has stopped")]
    Stopped,
    /// The program could not be compiled on the backends.
    #[error("the program cannot run: {0}")]
    Compile(String),
}

fn known_list(ids: &[String]) -> String {
    if ids.is_empty() {
        " (the program has no parameters)".to_string()
    } else {
        format!(" (parameters: {})", ids.join(", "))
    }
}
