//! The live engine: one thread owns the coordinators and their backends and keeps
//! running while programs, parameters and the clock change under it.
//!
//! Invariants:
//! - every mutation is a typed [`Command`] on one multi-producer queue, applied by
//!   the engine thread alone; a full queue is an error for the sender, never a
//!   silent drop; text is never parsed on the engine thread;
//! - readers take the latest [`Snapshot`] and [`Frame`] without locking; however
//!   many changes one tick applies, each observer is told once;
//! - a swap keeps every compiled batch whose key is unchanged and never recreates
//!   a backend (except the visual one when the frame size changes); a program that
//!   fails leaves the running one untouched, with the error in the snapshot.

mod badges;
mod clock;
pub mod command;
mod engine;
pub mod osc_in;
pub mod osc_out;
pub mod program;
pub mod script;
pub mod snapshot;

pub use clock::{Clock, ManualClock};
pub use command::{Command, CommandError};
pub use engine::{AudioStream, Engine, EngineHandle, EngineOptions, Subscription, Ticket};
pub use program::{BuildOutcome, Builder, LoadedProgram};
pub use script::{Line, Query};
pub use snapshot::{
    DisplayKernel, Frame, ParamState, SegmentDisplay, Snapshot, Transport, Version,
};
