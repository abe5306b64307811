//! The pages' microphones (`WMIC` frames): one live input per served file, read
//! by `mic()` in that file's programs. The build thread hands each file's input
//! to the programs it builds; the hub writes what a page watching the file
//! sends, at the transport time it is to be heard (ahead of the sound the
//! engine has already rendered, so it is heard at once).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use weft_sources::{LiveAudio, Placed};

/// How far ahead of the transport a page's samples are placed: the engine's
/// audio lead, a frame of its clock and the network's jitter.
pub const LEAD: f64 = 0.2;

/// The live input of every file; clones share them.
#[derive(Clone, Debug, Default)]
pub struct Microphones {
    inputs: Arc<Mutex<HashMap<String, LiveAudio>>>,
}

impl Microphones {
    /// No inputs yet.
    pub fn new() -> Microphones {
        Microphones::default()
    }

    /// The input of `rel` (made on first use: it holds no memory for samples
    /// until a page sends some).
    pub fn of(&self, rel: &str) -> LiveAudio {
        let mut inputs = self.inputs.lock().unwrap_or_else(|e| e.into_inner());
        inputs.entry(rel.to_string()).or_default().clone()
    }

    /// Forgets the input of `rel` (nobody watched it for a while).
    pub fn forget(&self, rel: &str) {
        let mut inputs = self.inputs.lock().unwrap_or_else(|e| e.into_inner());
        inputs.remove(rel);
    }

    /// Places a page's samples for `rel`, whose transport is at `time`; where
    /// they went, for the copies the pages draw from (`WLIV`).
    pub fn heard(&self, rel: &str, time: f64, rate: u32, samples: &[f32]) -> Option<Placed> {
        self.of(rel).place(rate, time.max(0.0) + LEAD, samples)
    }
}
