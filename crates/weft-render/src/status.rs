//! The state of each chunk and segment without rendering anything: cached (its
//! entry exists), error (its last render failed), dirty (the last render had a
//! different key for it: its content changed), pending (never rendered, or its
//! entry is gone), and rendering (only while a render runs, as the TUI shows).

use crate::cache::{Cache, RecordedSettings, RenderRecord};
use crate::settings::{Format, Quality, Request};
use crate::timeline::Timeline;
use std::path::Path;

/// A chunk's or segment's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Not rendered yet.
    Pending,
    /// Being rendered now.
    Rendering,
    /// In the cache.
    Cached,
    /// Its content changed since the last render.
    Dirty,
    /// Its last render failed, with the message.
    Error(String),
}

impl State {
    /// Lower-case name.
    pub fn name(&self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Rendering => "rendering",
            State::Cached => "cached",
            State::Dirty => "dirty",
            State::Error(_) => "error",
        }
    }

    /// The TUI's mark: ✓ cached, ● dirty, ○ pending, ✗ error, ▶ rendering.
    pub fn mark(&self) -> &'static str {
        match self {
            State::Pending => "○",
            State::Rendering => "▶",
            State::Cached => "✓",
            State::Dirty => "●",
            State::Error(_) => "✗",
        }
    }
}

/// One segment's state.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentStatus {
    /// Its name.
    pub name: String,
    /// Length in seconds.
    pub duration: f64,
    /// Its chunks.
    pub chunks: usize,
    /// Of which cached.
    pub cached: usize,
    /// The segment's state: error if a chunk failed, cached when all are, dirty
    /// when any changed, else pending.
    pub state: State,
    /// Each chunk's state.
    pub chunk_states: Vec<State>,
}

/// The state of every segment of `timeline` in `cache`, against the last
/// render's record.
pub fn segments(
    cache: &Cache,
    record: Option<&RenderRecord>,
    timeline: &Timeline,
) -> Vec<SegmentStatus> {
    timeline
        .segments
        .iter()
        .map(|seg| {
            let before = record.and_then(|r| {
                r.segments
                    .iter()
                    .find(|(name, _)| *name == seg.name)
                    .map(|(_, keys)| keys)
            });
            let chunk_states: Vec<State> = seg
                .chunks
                .iter()
                .map(|c| {
                    if cache.contains(&c.key) {
                        State::Cached
                    } else if let Some(e) = cache.error(&c.key) {
                        State::Error(e.message)
                    } else if before.is_some_and(|keys| keys.get(c.index) != Some(&c.key.hex())) {
                        State::Dirty
                    } else {
                        State::Pending
                    }
                })
                .collect();
            let cached = chunk_states.iter().filter(|s| **s == State::Cached).count();
            let state = if let Some(e) = chunk_states.iter().find(|s| matches!(s, State::Error(_)))
            {
                e.clone()
            } else if cached == chunk_states.len() {
                State::Cached
            } else if chunk_states.contains(&State::Dirty) {
                State::Dirty
            } else {
                State::Pending
            };
            SegmentStatus {
                name: seg.name.clone(),
                duration: seg.duration,
                chunks: seg.chunks.len(),
                cached,
                state,
                chunk_states,
            }
        })
        .collect()
}

/// The record to save after rendering `timeline` from `file`.
pub fn record(file: &Path, timeline: &Timeline) -> RenderRecord {
    let s = &timeline.settings;
    RenderRecord {
        file: file.to_string_lossy().into_owned(),
        settings: RecordedSettings {
            quality: s.quality.name().into(),
            width: s.width,
            height: s.height,
            fps: s.fps,
            rate: s.rate,
            format: s.format.name().into(),
            chunk: s.chunk,
            duration: s.duration,
        },
        segments: timeline
            .segments
            .iter()
            .map(|seg| {
                (
                    seg.name.clone(),
                    seg.chunks.iter().map(|c| c.key.hex()).collect(),
                )
            })
            .collect(),
    }
}

/// The request that reproduces a recorded render's settings.
pub fn recorded_request(r: &RecordedSettings) -> Request {
    Request {
        quality: Quality::parse(&r.quality),
        size: Some((r.width, r.height)),
        fps: Some(r.fps),
        rate: Some(r.rate),
        format: Format::parse(&r.format),
        chunk: Some(r.chunk),
        duration: Some(r.duration),
    }
}

/// `request`, with what it leaves open taken from the last render of the file
/// (so `weft status` judges against the settings `weft render` used).
pub fn with_record(request: &Request, record: Option<&RenderRecord>) -> Request {
    let Some(rec) = record else {
        return request.clone();
    };
    if request.quality.is_some() || request.size.is_some() || request.fps.is_some() {
        let mut r = request.clone();
        r.format = r.format.or(Format::parse(&rec.settings.format));
        return r;
    }
    let old = recorded_request(&rec.settings);
    Request {
        quality: old.quality,
        size: old.size,
        fps: old.fps,
        rate: request.rate.or(old.rate),
        format: request.format.or(old.format),
        chunk: request.chunk.or(old.chunk),
        duration: request.duration.or(old.duration),
    }
}
