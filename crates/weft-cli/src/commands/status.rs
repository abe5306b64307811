//! `weft status FILE`: each segment's state — cached, dirty, pending or error —
//! judged against the settings of the file's last render unless the command line
//! gives others.

use super::render::Target;
use crate::failure::{self, Failure};
use weft_render::status::{self, SegmentStatus, State};

/// Arguments of `weft status`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    target: Target,
    /// Print JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Also show what each of N render workers (`weft render --shard I/N`) has
    /// left to render.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    shards: Option<u32>,
}

/// The statuses of a target's segments (used by `status` and `tui`).
pub fn statuses(target: &Target) -> Result<(super::render::Prepared, Vec<SegmentStatus>), Failure> {
    let cache = target.cache_at()?;
    let record = cache.record(&target.file);
    let request = status::with_record(&target.request(), record.as_ref());
    let p = target.prepare(&request)?;
    let list = status::segments(&cache, record.as_ref(), &p.timeline);
    Ok((p, list))
}

/// Per shard of `count`: the chunks it still has to render (`segment#index`).
fn shards_left(
    target: &Target,
    p: &super::render::Prepared,
    count: u32,
) -> Result<Vec<Vec<String>>, Failure> {
    let cache = target.cache_at()?;
    let record = cache.record(&target.file);
    let of = weft_render::shard::assign(&p.timeline, record.as_ref(), count);
    let mut left = vec![Vec::new(); count as usize];
    for (c, s) in p.timeline.chunks().zip(of) {
        if !cache.contains(&c.key) {
            left[s as usize].push(format!(
                "{}#{}",
                p.timeline.segments[c.segment].name, c.index
            ));
        }
    }
    Ok(left)
}

/// Runs `weft status`.
pub fn run(args: Args) -> Result<(), Failure> {
    let (p, list) = statuses(&args.target)?;
    let shards = match args.shards {
        Some(n) => Some(shards_left(&args.target, &p, n)?),
        None => None,
    };
    let s = &p.timeline.settings;
    if args.json {
        let segments: Vec<serde_json::Value> = list
            .iter()
            .map(|seg| {
                serde_json::json!({
                    "name": seg.name,
                    "duration": seg.duration,
                    "chunks": seg.chunks,
                    "cached": seg.cached,
                    "state": seg.state.name(),
                    "error": match &seg.state { State::Error(m) => Some(m.clone()), _ => None },
                    "chunk_states": seg.chunk_states.iter().map(|c| c.name()).collect::<Vec<_>>(),
                })
            })
            .collect();
        let v = serde_json::json!({
            "file": args.target.file.to_string_lossy(),
            "format": s.format.name(),
            "width": s.width,
            "height": s.height,
            "fps": s.fps,
            "segments": segments,
            "shards_left": shards,
        });
        failure::out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        ));
        return Ok(());
    }
    let width = list
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(7)
        .max(7);
    let mut out = format!(
        "{} — {} {}x{} at {} fps\n{:<width$}  {:>9}  {:>7}  state\n",
        args.target.file.display(),
        s.format.name(),
        s.width,
        s.height,
        s.fps,
        "segment",
        "duration",
        "chunks"
    );
    for seg in &list {
        out.push_str(&format!(
            "{:<width$}  {:>8.2}s  {:>7}  {} {}{}\n",
            seg.name,
            seg.duration,
            format!("{}/{}", seg.cached, seg.chunks),
            seg.state.mark(),
            seg.state.name(),
            match &seg.state {
                State::Error(m) => format!(": {m}"),
                _ => String::new(),
            }
        ));
    }
    if let Some(shards) = shards {
        for (i, left) in shards.iter().enumerate() {
            let what = if left.is_empty() {
                "done".to_string()
            } else {
                format!("{} left: {}", left.len(), left.join(", "))
            };
            out.push_str(&format!("shard {i}/{}: {what}\n", shards.len()));
        }
    }
    failure::out(&out);
    Ok(())
}
