//! The engine's clock: where transport time comes from. In use it is the system's
//! steady clock; tests give the engine a [`ManualClock`] and advance it by hand, so
//! what the engine renders depends only on the commands sent and the time
//! advanced, never on how threads are scheduled.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Which clock an engine runs on.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// The system's steady clock; the engine ticks by itself at the frame rate.
    #[default]
    System,
    /// Time moves only when advanced, and the engine ticks only when a command
    /// arrives ([`crate::EngineHandle::sync`] is the usual one after an advance).
    Manual(ManualClock),
}

/// A clock that moves only when told to; clones share one time.
#[derive(Clone, Debug, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock at zero.
    pub fn new() -> ManualClock {
        ManualClock::default()
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.0.fetch_add(nanos, Ordering::SeqCst);
    }

    /// Time since the clock was made (the sum of every advance).
    pub fn now(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::SeqCst))
    }
}

/// A clock as the engine thread reads it.
#[derive(Debug)]
pub(crate) struct Reading {
    clock: Clock,
    origin: Instant,
}

impl Reading {
    pub(crate) fn new(clock: Clock) -> Reading {
        Reading {
            clock,
            origin: Instant::now(),
        }
    }

    /// Time since the engine started (or the manual clock's time).
    pub(crate) fn now(&self) -> Duration {
        match &self.clock {
            Clock::System => self.origin.elapsed(),
            Clock::Manual(m) => m.now(),
        }
    }

    /// True when the engine should tick only after commands.
    pub(crate) fn is_manual(&self) -> bool {
        matches!(self.clock, Clock::Manual(_))
    }
}
