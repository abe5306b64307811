//! Sources on the GPU: each picture, video and sound a kernel samples is packed into
//! one array of `u32` words (uploaded once per content) and read by a WGSL function
//! that follows `weft-sources`' sampling rules exactly: nearest pixel, nearest frame
//! `floor(time * fps)`, nearest sample `round(time * rate)`, 0 outside.
//!
//! Packing: a picture is one word per pixel (RGBA, red in the low byte), a video one
//! word per pixel per frame (RGB), a sound one word per sample (the f32's bits,
//! interleaved channels); silence and black take no words.

use std::fmt::Write;
use std::sync::Arc;
use weft_sources::SourceData;

/// The most words all the sources of one shader may take: 256 Mi words (1 GiB), the
/// largest video weft decodes. A device with a smaller storage binding draws such
/// a program on the CPU.
pub const MAX_WORDS: u64 = 1 << 28;

/// How many words `source` takes.
pub fn words(source: &SourceData) -> u64 {
    match source {
        SourceData::Image(i) => (i.width() * i.height()) as u64,
        SourceData::Video(v) => (v.width() * v.height() * v.frames()) as u64,
        SourceData::Audio(a) => a.data().len() as u64,
        // Never drawn here: a kernel that reads it is not emitted (`wgsl`).
        SourceData::Live(_) | SourceData::Silence | SourceData::Black => 0,
    }
}

/// Appends `source`'s words to `out`.
pub fn pack(source: &SourceData, out: &mut Vec<u32>) {
    match source {
        SourceData::Image(i) => out.extend(
            i.rgba()
                .chunks_exact(4)
                .map(|p| u32::from_le_bytes([p[0], p[1], p[2], p[3]])),
        ),
        SourceData::Video(v) => out.extend(
            v.rgb()
                .chunks_exact(3)
                .map(|p| u32::from_le_bytes([p[0], p[1], p[2], 0])),
        ),
        SourceData::Audio(a) => out.extend(a.data().iter().map(|s| s.to_bits())),
        SourceData::Live(_) | SourceData::Silence | SourceData::Black => {}
    }
}

/// Packs `list` in order: the sources buffer of one shader.
pub fn pack_all(list: &[Arc<SourceData>]) -> Vec<u32> {
    let total: u64 = list.iter().map(|s| words(s)).sum();
    let mut out = Vec::with_capacity(total as usize);
    for s in list {
        pack(s, &mut out);
    }
    out
}

/// The content key of a shader's sources buffer: equal keys, equal words.
pub fn key(list: &[Arc<SourceData>]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"weft-gpu-sources-v1\0");
    for s in list {
        h.update(&s.digest());
    }
    *h.finalize().as_bytes()
}

/// WGSL function `s{n}(out, x, y, time)` sampling `source`, whose words start at
/// `offset` in the sources buffer.
pub fn sampler(n: usize, source: &SourceData, offset: u64) -> String {
    let mut s = format!("fn s{n}(out: u32, x: f32, y: f32, time: f32) -> f32 {{\n");
    let _ = match source {
        SourceData::Image(i) => writeln!(
            s,
            "  if (out >= {}u) {{ return 0.0; }}\n  \
             let at = {offset}u + nearest(y, {h}u) * {w}u + nearest(x, {w}u);\n  \
             return byte_of(word(at), out);",
            i.outputs(),
            w = i.width(),
            h = i.height(),
        ),
        SourceData::Video(v) => writeln!(
            s,
            "  if (out > 2u) {{ return 0.0; }}\n  \
             let f = clamp_index(time * {fps}, {frames}u);\n  \
             let at = {offset}u + (f * {h}u + nearest(y, {h}u)) * {w}u + nearest(x, {w}u);\n  \
             return byte_of(word(at), out);",
            fps = float(v.fps()),
            frames = v.frames(),
            w = v.width(),
            h = v.height(),
        ),
        SourceData::Audio(a) => writeln!(
            s,
            "  if (out >= {}u) {{ return 0.0; }}\n  \
             let n = w_round(time * {rate});\n  \
             if (!(n >= 0.0 && n < {frames}.0)) {{ return 0.0; }}\n  \
             let ch = min(out, {last}u);\n  \
             return bitcast<f32>(word({offset}u + u32(n) * {channels}u + ch));",
            a.outputs(),
            rate = float(a.rate()),
            frames = a.frames(),
            last = a.channels().saturating_sub(1),
            channels = a.channels(),
        ),
        SourceData::Live(_) | SourceData::Silence | SourceData::Black => {
            writeln!(s, "  return 0.0;")
        }
    };
    s.push_str("}\n");
    s
}

/// A finite f64 as a WGSL f32 literal (rates and frame rates are finite).
fn float(v: f64) -> String {
    let f = v as f32;
    if f.is_finite() {
        format!("bitcast<f32>({:#010x}u)", f.to_bits())
    } else {
        "0.0".into()
    }
}
