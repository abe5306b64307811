//! What a render did, per segment: time spent, frames, frames per second, cache
//! hits, its state and error — as a table (slowest segment first) or as JSON.

use crate::schedule::Outcome;
use crate::timeline::Timeline;
use serde::Serialize;

/// One segment's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SegmentReport {
    /// Its name.
    pub name: String,
    /// Timeline start in seconds.
    pub start: f64,
    /// Length in seconds.
    pub duration: f64,
    /// Chunks in it.
    pub chunks: usize,
    /// Chunks rendered in this run.
    pub rendered: usize,
    /// Chunks found in the cache.
    pub cache_hits: usize,
    /// Cached entries found corrupt (and rendered again).
    pub corrupt: usize,
    /// Frames in it.
    pub frames: u64,
    /// Worker seconds spent on it.
    pub seconds: f64,
    /// Frames per worker second (0 when nothing was rendered).
    pub fps: f64,
    /// `cached`, `error`, or `skipped` when this run did not ask for it.
    pub state: String,
    /// The first error of its chunks.
    pub error: Option<String>,
}

/// A whole render's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The source file.
    pub file: String,
    /// The file or folder written, if any.
    pub output: Option<String>,
    /// `mp4`, `png` or `wav`.
    pub format: String,
    /// The quality preset.
    pub quality: String,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Frames per second.
    pub fps: f64,
    /// Samples per second.
    pub rate: u32,
    /// Workers.
    pub jobs: usize,
    /// Wall-clock seconds of the whole render.
    pub seconds: f64,
    /// Of which assembling the output from the cache (for MP4: joining the
    /// chunks and encoding the whole audio track as AAC).
    pub assemble_seconds: f64,
    /// Chunks asked for.
    pub chunks: usize,
    /// Chunks rendered.
    pub rendered: usize,
    /// Chunks found in the cache.
    pub cache_hits: usize,
    /// Corrupt entries found (and rendered again).
    pub corrupt: usize,
    /// Chunks that failed.
    pub failed: usize,
    /// Chunks a newer save made stale before they finished (`--watch`).
    pub cancelled: usize,
    /// Per segment, slowest first.
    pub segments: Vec<SegmentReport>,
}

impl Report {
    /// Sums the outcomes per segment of `timeline`.
    pub fn new(
        file: &str,
        timeline: &Timeline,
        outcomes: &[Outcome],
        jobs: usize,
        seconds: f64,
    ) -> Report {
        let s = &timeline.settings;
        let mut segments: Vec<SegmentReport> = timeline
            .segments
            .iter()
            .map(|seg| SegmentReport {
                name: seg.name.clone(),
                start: seg.start,
                duration: seg.duration,
                chunks: seg.chunks.len(),
                rendered: 0,
                cache_hits: 0,
                corrupt: 0,
                frames: seg
                    .chunks
                    .iter()
                    .map(|c| c.frames.end - c.frames.start)
                    .sum(),
                seconds: 0.0,
                fps: 0.0,
                state: "skipped".into(),
                error: None,
            })
            .collect();
        let mut seen = vec![false; segments.len()];
        for o in outcomes {
            let r = &mut segments[o.chunk.segment];
            seen[o.chunk.segment] = true;
            r.seconds += o.seconds;
            r.corrupt += o.corrupt.is_some() as usize;
            if o.hit {
                r.cache_hits += 1;
            } else if o.error.is_none() && !o.cancelled {
                r.rendered += 1;
            }
            if o.cancelled {
                r.state = "cancelled".into();
            }
            if let Some(e) = &o.error {
                r.error.get_or_insert_with(|| e.clone());
            }
        }
        for (r, seen) in segments.iter_mut().zip(seen) {
            if seen && r.state != "cancelled" {
                r.state = if r.error.is_some() { "error" } else { "cached" }.into();
            }
            if r.seconds > 0.0 && r.rendered > 0 {
                r.fps = r.frames as f64 / r.seconds;
            }
        }
        segments.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
        Report {
            file: file.to_string(),
            output: None,
            format: s.format.name().into(),
            quality: s.quality.name().into(),
            width: s.width,
            height: s.height,
            fps: s.fps,
            rate: s.rate,
            jobs,
            seconds,
            assemble_seconds: 0.0,
            chunks: outcomes.len(),
            rendered: outcomes
                .iter()
                .filter(|o| !o.hit && o.error.is_none() && !o.cancelled)
                .count(),
            cache_hits: outcomes.iter().filter(|o| o.hit).count(),
            corrupt: outcomes.iter().filter(|o| o.corrupt.is_some()).count(),
            failed: outcomes.iter().filter(|o| o.error.is_some()).count(),
            cancelled: outcomes.iter().filter(|o| o.cancelled).count(),
            segments,
        }
    }

    /// As pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// As a table, slowest segment first, with a total line.
    pub fn table(&self) -> String {
        let width = self
            .segments
            .iter()
            .map(|s| s.name.chars().count())
            .max()
            .unwrap_or(7)
            .max(7);
        let mut out = format!(
            "{:<width$}  {:>8}  {:>7}  {:>7}  {:>11}  state\n",
            "segment", "time", "frames", "fps", "cache hits"
        );
        for s in &self.segments {
            out.push_str(&format!(
                "{:<width$}  {:>7.2}s  {:>7}  {:>7.1}  {:>11}  {}{}\n",
                s.name,
                s.seconds,
                s.frames,
                s.fps,
                format!("{}/{}", s.cache_hits, s.chunks),
                s.state,
                s.error
                    .as_ref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ));
        }
        out.push_str(&format!(
            "{} chunks: {} rendered, {} cached{}{} in {:.2}s with {} job(s), {}\n",
            self.chunks,
            self.rendered,
            self.cache_hits,
            if self.corrupt > 0 {
                format!(", {} corrupt entries re-rendered", self.corrupt)
            } else {
                String::new()
            },
            if self.failed > 0 {
                format!(", {} FAILED", self.failed)
            } else if self.cancelled > 0 {
                format!(", {} cancelled", self.cancelled)
            } else {
                String::new()
            },
            self.seconds,
            self.jobs,
            if self.format == "wav" {
                format!("{} Hz", self.rate)
            } else {
                format!(
                    "{}x{} at {} fps ({})",
                    self.width, self.height, self.fps, self.quality
                )
            },
        ));
        out
    }
}
