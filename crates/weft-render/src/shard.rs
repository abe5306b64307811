//! Shards (`weft render --shard I/N`): which of N workers renders each chunk, so a
//! render farm's array job (a Kubernetes Indexed Job, a Slurm job array) splits a
//! piece over a shared cache with no coordination.
//!
//! The assignment is a pure function of the timeline and the cache's record of
//! the last whole render (which shard runs never write), so every worker computes
//! the same one: chunks the last render already had cost nothing; the others cost
//! their length (frames, or audio blocks for WAV); the costliest go first, each
//! to the least loaded shard (ties to the lower index and the earlier chunk), so
//! the shards' new work differs by at most one chunk's cost. A worker then
//! renders the chunks of its share that are not cached, and the ordinary render
//! (the join) takes every cached chunk and renders whatever is still missing.

use crate::cache::RenderRecord;
use crate::key::ChunkKey;
use crate::timeline::Timeline;
use std::collections::HashSet;

/// Worker `index` of `count` (0-based: `--shard 0/4` … `--shard 3/4`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This worker.
    pub index: u32,
    /// How many there are.
    pub count: u32,
}

/// The most shards a render is split into.
pub const MAX_SHARDS: u32 = 100_000;

impl Shard {
    /// Parses `I/N` with `0 ≤ I < N ≤ 100000`.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || {
            format!("`{s}`: expected I/N, a worker index from 0 and a count up to {MAX_SHARDS} (such as 3/8)")
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || count > MAX_SHARDS {
            return Err(bad());
        }
        if index >= count {
            return Err(format!(
                "`{s}`: the worker index is from 0 to {} for {count} workers",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }
}

/// The shard of every chunk of `timeline`, in `timeline.chunks()` order, for
/// `count` workers, given the last whole render's `record` (if any).
pub fn assign(timeline: &Timeline, record: Option<&RenderRecord>, count: u32) -> Vec<u32> {
    let done: HashSet<String> = record
        .map(|r| {
            r.segments
                .iter()
                .flat_map(|(_, keys)| keys.iter().cloned())
                .collect()
        })
        .unwrap_or_default();
    let format = timeline.settings.format;
    let costs: Vec<(u64, usize)> = timeline
        .chunks()
        .enumerate()
        .map(|(i, c)| {
            let cost = if done.contains(&c.key.hex()) {
                0
            } else {
                c.work(format)
            };
            (cost, i)
        })
        .collect();
    let mut order = costs.clone();
    // Costliest first; equal costs in timeline order.
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut load = vec![0u64; count.max(1) as usize];
    let mut shard = vec![0u32; costs.len()];
    for (cost, i) in order {
        let (least, _) = load
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(&b.0)))
            .unwrap_or((0, &0));
        load[least] += cost.max(1);
        shard[i] = least as u32;
    }
    shard
}

/// The keys of the chunks `shard` renders.
pub fn keys_of(
    timeline: &Timeline,
    record: Option<&RenderRecord>,
    shard: Shard,
) -> HashSet<ChunkKey> {
    let of = assign(timeline, record, shard.count);
    timeline
        .chunks()
        .zip(of)
        .filter(|(_, s)| *s == shard.index)
        .map(|(c, _)| c.key)
        .collect()
}
