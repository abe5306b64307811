//! The `display-shader` message: the running program's display translated for the
//! page's WebGL2 (`weft_shader::glsl`), with where each uniform lives and the
//! sources packed into one texture's words — one such shader per segment for a
//! program with segments. Made by a player's pump thread, never on the engine
//! thread, once per display kernel.

use crate::protocol::{DisplayShader, ParamSlot, ServerMessage};
use base64::Engine as _;
use std::sync::Arc;
use weft_kernel::uniform;
use weft_live::{DisplayKernel, SegmentDisplay};
use weft_shader::wgsl::{Display, SOURCE_TEXTURE_WIDTH};

/// The most words of sources a page is sent: a 2048 × 2048 texture (16 MiB),
/// the size every WebGL2 implementation offers. A larger set is drawn as frames.
pub const MAX_SOURCE_WORDS: u64 = SOURCE_TEXTURE_WIDTH as u64 * 2048;

/// The message for `file`'s display (`None` and no `segments`: the program
/// has no display; the page shows frames), or for each of its segments', with
/// its key (empty when unsupported).
pub fn message(
    file: &str,
    display: Option<&DisplayKernel>,
    segments: &[SegmentDisplay],
) -> (String, Arc<str>) {
    let mut m = DisplayShader {
        file: file.to_string(),
        ..DisplayShader::default()
    };
    match display {
        _ if !segments.is_empty() => fill_segments(&mut m, segments),
        None => m.unsupported = Some("no display".into()),
        Some(d) => fill(&mut m, d),
    }
    if m.unsupported.is_some() {
        m.key.clear();
    }
    (m.key.clone(), ServerMessage::DisplayShader(&m).text())
}

/// One shader per segment, each with its place on the timeline; the key
/// covers them all and where they are. A segment the page cannot draw (or
/// without a display) makes the whole program frames, with the reason.
fn fill_segments(m: &mut DisplayShader, segments: &[SegmentDisplay]) {
    let mut key = blake3::Hasher::new();
    key.update(b"weft-web-segments-v1\0");
    let mut words = 0u64;
    for (i, s) in segments.iter().enumerate() {
        let mut part = DisplayShader::default();
        match &s.display {
            Some(d) => fill(&mut part, d),
            None => part.unsupported = Some("no display".into()),
        }
        if let Some(why) = part.unsupported.take() {
            m.unsupported = Some(format!("segment {} of {}: {why}", i + 1, segments.len()));
            m.segments.clear();
            return;
        }
        words += part.sources_rows as u64 * part.sources_width as u64;
        key.update(part.key.as_bytes());
        key.update(&s.start.to_le_bytes());
        key.update(&s.duration.to_le_bytes());
        part.start = Some(s.start);
        part.duration = Some(s.duration);
        m.segments.push(part);
    }
    if words > MAX_SOURCE_WORDS {
        m.unsupported = Some(format!(
            "the segments' sources of {words} words are over the page's budget of {MAX_SOURCE_WORDS}"
        ));
        m.segments.clear();
        return;
    }
    let Some(first) = m.segments.first() else {
        m.unsupported = Some("no segments".into());
        return;
    };
    // Program-wide: the same in every segment.
    m.mouse_x = first.mouse_x;
    m.mouse_y = first.mouse_y;
    m.bpm = first.bpm;
    m.width_slot = first.width_slot;
    m.height_slot = first.height_slot;
    m.params = first.params.clone();
    m.fps = first.fps;
    (m.width, m.height) = (first.width, first.height);
    m.loop_len = first.loop_len;
    m.key = hex(key.finalize().as_bytes());
}

fn fill(m: &mut DisplayShader, d: &DisplayKernel) {
    let display = Display {
        first: d.first,
        channels: d.channels,
    };
    let web = match weft_shader::glsl::emit(&d.kernel, display, &d.cameras, &d.strands) {
        Ok(w) => w,
        Err(e) => {
            m.unsupported = Some(e.to_string());
            return;
        }
    };
    let words: u64 = web
        .shader
        .sources
        .iter()
        .map(|s| weft_shader::sources::words(s))
        .sum();
    if words > MAX_SOURCE_WORDS {
        m.unsupported = Some(format!(
            "sources of {words} words are over the page's budget of {MAX_SOURCE_WORDS}"
        ));
        return;
    }
    m.key = hex(&web.shader.key);
    if words > 0 {
        let packed = weft_shader::sources::pack_all(&web.shader.sources);
        let rows = words.div_ceil(u64::from(SOURCE_TEXTURE_WIDTH)) as u32;
        let mut bytes: Vec<u8> =
            Vec::with_capacity(rows as usize * SOURCE_TEXTURE_WIDTH as usize * 4);
        bytes.extend(packed.iter().flat_map(|w| w.to_le_bytes()));
        // A whole last row: the page uploads full rows.
        bytes.resize(rows as usize * SOURCE_TEXTURE_WIDTH as usize * 4, 0);
        m.sources = Some(base64::engine::general_purpose::STANDARD.encode(&bytes));
        m.sources_rows = rows;
    }
    m.sources_width = SOURCE_TEXTURE_WIDTH;
    m.vertex = weft_shader::glsl::VERTEX.to_string();
    m.fragment = web.fragment;
    m.uniform_block = web.uniform_block;
    m.sources_texture = web.sources_texture;
    m.camera_texture = web.camera_texture;
    m.live_texture = web.live_texture;
    m.slot_vec4s = web.shader.slot_vec4s;
    m.mouse_x = uniform::MOUSE_X;
    m.mouse_y = uniform::MOUSE_Y;
    m.bpm = uniform::BPM;
    m.width_slot = uniform::WIDTH;
    m.height_slot = uniform::HEIGHT;
    m.params = d
        .param_slots
        .iter()
        .map(|(id, slot)| ParamSlot {
            id: id.clone(),
            slot: *slot,
        })
        .collect();
    m.fps = d.fps;
    (m.width, m.height) = d.size;
    m.loop_len = d.loop_len;
}

fn hex(key: &[u8; 32]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}
