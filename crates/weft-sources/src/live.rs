//! A live microphone (`mic()` in `weft dev` when a page sends its microphone):
//! a ring of the last [`SECONDS`] of mono samples, each at the transport time it
//! is to be heard. One writer (the dev server, as chunks arrive) places them;
//! any number of readers sample them on the hot path with two atomic loads and
//! no lock: `round(time * rate)` as for a WAV `mic()`, 0 for a time not held.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Seconds of input held (at the highest rate accepted).
pub const SECONDS: usize = 10;

/// The lowest and highest sample rates a live input may have.
pub const RATES: std::ops::RangeInclusive<u32> = 8_000..=192_000;

/// Slots in the ring: ten seconds at the highest rate.
const SLOTS: usize = SECONDS * 192_000;

/// The most samples one [`LiveAudio::write`] takes (the rest is dropped).
pub const MAX_CHUNK: usize = 16_384;

/// A chunk due at most this many seconds before where the last one ended, or
/// at most [`LATE`] after, is placed right after it (no gap, no overlap);
/// otherwise the ring starts again where the chunk is due.
const EARLY: f64 = 0.25;

/// See [`EARLY`]: the input may fall behind what it is due by this much (the
/// writer's lead absorbs it) before it is moved up again.
const LATE: f64 = 0.05;

/// Where [`LiveAudio::place`] put a chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placed {
    /// The index (`round(time · rate)`) of its first sample.
    pub from: u64,
    /// How many samples were placed (the first ones of the chunk).
    pub count: usize,
    /// Whether the ring started again here: what it held before is gone.
    pub restarted: bool,
}

/// A sample as the ring holds it: clamped to [-1, 1], 0 when not finite.
pub fn held(s: f32) -> f32 {
    if s.is_finite() {
        s.clamp(-1.0, 1.0)
    } else {
        0.0
    }
}

/// A live mono input; clones share one ring.
#[derive(Clone)]
pub struct LiveAudio {
    ring: Arc<Ring>,
}

struct Ring {
    /// The f32 bits of sample `n` at slot `n % SLOTS`; made by the first write
    /// (a program that reads `mic()` costs nothing until a microphone is sent).
    slots: OnceLock<Box<[AtomicU32]>>,
    /// The input's rate, Hz (0 until the first chunk).
    rate: AtomicU32,
    /// One past the index of the newest sample held (`u64::MAX`: nothing yet).
    end: AtomicU64,
    /// The oldest index held.
    start: AtomicU64,
    /// The writer's own state (one writer at a time).
    writer: Mutex<()>,
}

impl std::fmt::Debug for LiveAudio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveAudio")
            .field("rate", &self.rate())
            .finish_non_exhaustive()
    }
}

impl Default for LiveAudio {
    fn default() -> LiveAudio {
        LiveAudio::new()
    }
}

impl LiveAudio {
    /// An input that has not heard anything yet (every sample is 0).
    pub fn new() -> LiveAudio {
        LiveAudio {
            ring: Arc::new(Ring {
                slots: OnceLock::new(),
                rate: AtomicU32::new(0),
                end: AtomicU64::new(u64::MAX),
                start: AtomicU64::new(0),
                writer: Mutex::new(()),
            }),
        }
    }

    /// The input's rate in Hz, once it has one.
    pub fn rate(&self) -> Option<f64> {
        match self.ring.rate.load(Ordering::Acquire) {
            0 => None,
            r => Some(f64::from(r)),
        }
    }

    /// Places `samples` (mono, at `rate` Hz) to be heard from transport time
    /// `at`: right after the previous chunk when that ends at most a quarter
    /// second after `at` or 50 ms before it, else at `at` (a new rate starts the
    /// ring again). Refuses a rate
    /// outside [`RATES`], a time that is not finite or negative, and keeps at
    /// most [`MAX_CHUNK`] samples; each is stored as [`held`] makes it.
    /// Returns how many samples were placed.
    pub fn write(&self, rate: u32, at: f64, samples: &[f32]) -> usize {
        self.place(rate, at, samples).map_or(0, |p| p.count)
    }

    /// [`LiveAudio::write`], saying where the samples went (`None`: refused), so
    /// a copy of the ring elsewhere (the page's) can hold the same.
    pub fn place(&self, rate: u32, at: f64, samples: &[f32]) -> Option<Placed> {
        if !RATES.contains(&rate) || !at.is_finite() || at < 0.0 {
            return None;
        }
        let samples = &samples[..samples.len().min(MAX_CHUNK)];
        let ring = &*self.ring;
        let _one = ring.writer.lock().unwrap_or_else(|e| e.into_inner());
        let slots = ring
            .slots
            .get_or_init(|| (0..SLOTS).map(|_| AtomicU32::new(0)).collect());
        let due = (at * f64::from(rate)).round() as u64;
        let end = ring.end.load(Ordering::Acquire);
        let same_rate = ring.rate.load(Ordering::Acquire) == rate;
        let r = f64::from(rate);
        let follows = end != u64::MAX
            && (end as f64) >= due as f64 - LATE * r
            && (end as f64) <= due as f64 + EARLY * r;
        let restarted = !(same_rate && follows);
        let from = if !restarted {
            end
        } else {
            // Nothing held is valid at the new place: readers see nothing
            // until the new samples are in.
            ring.end.store(u64::MAX, Ordering::Release);
            ring.rate.store(rate, Ordering::Release);
            ring.start.store(due, Ordering::Release);
            due
        };
        for (i, &s) in samples.iter().enumerate() {
            slots[((from + i as u64) % SLOTS as u64) as usize]
                .store(held(s).to_bits(), Ordering::Relaxed);
        }
        let new_end = from + samples.len() as u64;
        // Keep a margin of one chunk between the oldest sample readers may ask
        // for and the slots the next write overwrites.
        let start = ring.start.load(Ordering::Acquire);
        let oldest = new_end.saturating_sub((SLOTS - MAX_CHUNK) as u64);
        ring.start.store(start.max(oldest), Ordering::Release);
        ring.end.store(new_end, Ordering::Release);
        Some(Placed {
            from,
            count: samples.len(),
            restarted,
        })
    }

    /// The sample heard at transport time `time` (output 0; other outputs are
    /// 0): never allocates, locks or panics, whatever the input.
    #[inline]
    pub fn sample(&self, out: u32, time: f64) -> f64 {
        if out != 0 {
            return 0.0;
        }
        let ring = &*self.ring;
        let end = ring.end.load(Ordering::Acquire);
        let Some(slots) = ring.slots.get() else {
            return 0.0;
        };
        if end == u64::MAX {
            return 0.0;
        }
        let rate = ring.rate.load(Ordering::Acquire);
        let n = (time * f64::from(rate)).round();
        // Also false for NaN.
        if !(n >= 0.0 && n < end as f64) {
            return 0.0;
        }
        let n = n as u64;
        if n < ring.start.load(Ordering::Acquire) {
            return 0.0;
        }
        f64::from(f32::from_bits(
            slots[(n % SLOTS as u64) as usize].load(Ordering::Relaxed),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_heard_where_they_were_placed_and_nowhere_else() {
        let live = LiveAudio::new();
        assert_eq!(live.sample(0, 0.0), 0.0);
        assert_eq!(live.rate(), None);
        // 48 samples at 48 kHz from t = 1 s.
        let chunk: Vec<f32> = (0..48).map(|i| i as f32 / 100.0).collect();
        assert_eq!(
            live.place(48_000, 1.0, &chunk),
            Some(Placed {
                from: 48_000,
                count: 48,
                restarted: true
            })
        );
        assert_eq!(live.rate(), Some(48_000.0));
        assert_eq!(live.sample(0, 1.0), 0.0);
        assert!((live.sample(0, 1.0 + 10.0 / 48_000.0) - 0.1).abs() < 1e-6);
        assert_eq!(live.sample(0, 1.0 + 48.0 / 48_000.0), 0.0, "not yet heard");
        assert_eq!(live.sample(0, 0.5), 0.0, "before the input");
        assert_eq!(live.sample(1, 1.0 + 10.0 / 48_000.0), 0.0, "one output");
        // The next chunk, a little late, follows on without a gap.
        assert_eq!(
            live.place(48_000, 1.0 + 60.0 / 48_000.0, &[0.9; 10]),
            Some(Placed {
                from: 48_048,
                count: 10,
                restarted: false
            })
        );
        assert!((live.sample(0, 1.0 + 48.0 / 48_000.0) - 0.9).abs() < 1e-6);
        // Far away: the ring starts again there.
        live.write(48_000, 5.0, &[0.5; 10]);
        assert_eq!(live.sample(0, 1.0 + 10.0 / 48_000.0), 0.0);
        assert!((live.sample(0, 5.0) - 0.5).abs() < 1e-6);
    }

    #[test]
    fn garbage_is_refused_or_made_harmless() {
        let live = LiveAudio::new();
        assert_eq!(live.write(7_999, 0.0, &[0.5]), 0);
        assert_eq!(live.write(400_000, 0.0, &[0.5]), 0);
        assert_eq!(live.write(48_000, f64::NAN, &[0.5]), 0);
        assert_eq!(live.write(48_000, -1.0, &[0.5]), 0);
        assert_eq!(
            live.write(48_000, 0.0, &vec![0.25; MAX_CHUNK * 2]),
            MAX_CHUNK
        );
        live.write(48_000, 2.0, &[f32::NAN, f32::INFINITY, 7.0, -7.0]);
        let at = |i: f64| live.sample(0, 2.0 + i / 48_000.0);
        assert_eq!((at(0.0), at(1.0), at(2.0), at(3.0)), (0.0, 0.0, 1.0, -1.0));
        for t in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1e300, 1e300] {
            assert_eq!(live.sample(0, t), 0.0);
        }
    }

    #[test]
    fn only_the_last_ten_seconds_are_held() {
        let live = LiveAudio::new();
        let chunk = vec![0.5f32; 8_000];
        let mut t = 0.0;
        // 12 s at 8 kHz, continuous.
        for _ in 0..12 {
            live.write(8_000, t, &chunk);
            t += 1.0;
        }
        assert_eq!(live.sample(0, 11.5), 0.5);
        assert_eq!(live.sample(0, 0.5), 0.5, "12 s of 8 kHz fit the ring");
        // At 192 kHz the ring holds ten seconds less a chunk.
        let live = LiveAudio::new();
        let chunk = vec![0.5f32; MAX_CHUNK];
        let mut n = 0u64;
        while n < 12 * 192_000 {
            live.write(192_000, n as f64 / 192_000.0, &chunk);
            n += MAX_CHUNK as u64;
        }
        let end = n as f64 / 192_000.0;
        assert_eq!(live.sample(0, end - 1.0), 0.5);
        assert_eq!(live.sample(0, end - 9.5), 0.5);
        assert_eq!(live.sample(0, end - 10.5), 0.0);
    }
}
