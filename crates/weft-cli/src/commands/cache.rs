//! `weft cache info | clear | invalidate NAME`: what the render cache holds (size,
//! entries per segment, age), emptying it, and dropping one segment's entries.

use super::render::{failure, parse_bytes};
use crate::failure::{self as out, Failure};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::SystemTime;
use weft_render::Cache;

/// Arguments of `weft cache`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

/// Where the cache is.
#[derive(clap::Args, Debug)]
struct Place {
    /// A .weft file (its cache is .weft-cache beside it) or a cache folder;
    /// default: .weft-cache in the current folder.
    #[arg(value_name = "FILE|DIR")]
    path: Option<PathBuf>,
    /// The cache folder (overrides the path).
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
}

impl Place {
    fn dir(&self) -> PathBuf {
        if let Some(c) = &self.cache {
            return c.clone();
        }
        match &self.path {
            Some(p) if p.is_dir() => p.clone(),
            Some(p) => Cache::default_dir(p),
            None => PathBuf::from(".weft-cache"),
        }
    }
}

#[derive(clap::Subcommand, Debug)]
enum Action {
    /// Size, entries per segment and their age.
    Info {
        #[command(flatten)]
        place: Place,
        /// The size bound to report against (default 2G).
        #[arg(long, value_parser = parse_bytes, value_name = "BYTES")]
        cache_size: Option<u64>,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Remove every entry.
    Clear {
        #[command(flatten)]
        place: Place,
    },
    /// Remove the entries of the segment NAME, so it renders again.
    Invalidate {
        /// The segment.
        name: String,
        #[command(flatten)]
        place: Place,
    },
}

fn age(t: SystemTime) -> String {
    let s = SystemTime::now()
        .duration_since(t)
        .map_or(0, |d| d.as_secs());
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

fn size(b: u64) -> String {
    match b {
        0..=999 => format!("{b} B"),
        1_000..=999_999 => format!("{:.1} kB", b as f64 / 1e3),
        1_000_000..=999_999_999 => format!("{:.1} MB", b as f64 / 1e6),
        _ => format!("{:.2} GB", b as f64 / 1e9),
    }
}

/// Runs `weft cache`.
pub fn run(args: Args) -> Result<(), Failure> {
    match args.action {
        Action::Info {
            place,
            cache_size,
            json,
        } => {
            let dir = place.dir();
            let cache = Cache::at(&dir, cache_size.unwrap_or(weft_render::DEFAULT_LIMIT));
            let entries = cache.entries();
            let total: u64 = entries.iter().map(|e| e.bytes).sum();
            // segment → (entries, bytes, newest, oldest)
            let mut per: BTreeMap<String, (usize, u64, SystemTime, SystemTime)> = BTreeMap::new();
            let mut unreadable = 0;
            for e in &entries {
                let Some(m) = &e.meta else {
                    unreadable += 1;
                    continue;
                };
                let s =
                    per.entry(m.segment.clone())
                        .or_insert((0, 0, SystemTime::UNIX_EPOCH, e.used));
                s.0 += 1;
                s.1 += e.bytes;
                s.2 = s.2.max(e.used);
                s.3 = s.3.min(e.used);
            }
            if json {
                let segs: Vec<_> = per
                    .iter()
                    .map(|(n, (c, b, newest, oldest))| {
                        serde_json::json!({"segment": n, "entries": c, "bytes": b,
                            "newest_age": age(*newest), "oldest_age": age(*oldest)})
                    })
                    .collect();
                let v = serde_json::json!({
                    "dir": dir.to_string_lossy(), "entries": entries.len(), "bytes": total,
                    "limit": cache.limit(), "unreadable": unreadable, "segments": segs,
                });
                out::out(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&v).unwrap_or_default()
                ));
                return Ok(());
            }
            let mut text = format!(
                "{}: {} entries, {} of {} ({:.1}%)\n",
                dir.display(),
                entries.len(),
                size(total),
                size(cache.limit()),
                100.0 * total as f64 / cache.limit().max(1) as f64
            );
            if !per.is_empty() {
                text.push_str(&format!(
                    "{:<20}  {:>7}  {:>10}  {:>6}  {:>6}\n",
                    "segment", "entries", "size", "newest", "oldest"
                ));
            }
            for (n, (c, b, newest, oldest)) in &per {
                text.push_str(&format!(
                    "{n:<20}  {c:>7}  {:>10}  {:>6}  {:>6}\n",
                    size(*b),
                    age(*newest),
                    age(*oldest)
                ));
            }
            if unreadable > 0 {
                text.push_str(&format!(
                    "{unreadable} unreadable file(s) in chunks/ (removed by the next render)\n"
                ));
            }
            out::out(&text);
            Ok(())
        }
        Action::Clear { place } => {
            let dir = place.dir();
            if !dir.join("chunks").is_dir() {
                out::out(&format!(
                    "{}: no cache there; nothing to clear\n",
                    dir.display()
                ));
                return Ok(());
            }
            let cache = Cache::at(&dir, weft_render::DEFAULT_LIMIT);
            let (n, b) = cache.clear().map_err(failure)?;
            out::out(&format!("removed {n} entries ({})\n", size(b)));
            Ok(())
        }
        Action::Invalidate { name, place } => {
            let cache = Cache::at(&place.dir(), weft_render::DEFAULT_LIMIT);
            let n = cache.invalidate(&name).map_err(failure)?;
            out::out(&format!("removed {n} entries of segment {name}\n"));
            Ok(())
        }
    }
}
