//! The `display-shader` message: the running program's display translated for the
//! page's WebGL2 (`weft_shader::glsl`), with where each uniform lives and the
//! sources packed into one texture's words. Made by a player's pump thread, never
//! on the engine thread, once per display kernel.

use crate::protocol::{DisplayShader, ParamSlot, ServerMessage};
use base64::Engine as _;
use std::sync::Arc;
use weft_kernel::uniform;
use weft_live::DisplayKernel;
use weft_shader::wgsl::{Display, SOURCE_TEXTURE_WIDTH};

/// The most words of sources a page is sent: a 2048 × 2048 texture (16 MiB),
/// the size every WebGL2 implementation offers. A larger set is drawn as frames.
pub const MAX_SOURCE_WORDS: u64 = SOURCE_TEXTURE_WIDTH as u64 * 2048;

/// The message for `file`'s display (`None`: the program has no display, or
/// has segments; the page shows frames), with its key (empty when unsupported).
pub fn message(file: &str, display: Option<&DisplayKernel>) -> (String, Arc<str>) {
    let mut m = DisplayShader {
        file: file.to_string(),
        ..DisplayShader::default()
    };
    match display {
        None => {
            m.unsupported = Some("no display of one scope (segments draw as frames)".into());
        }
        Some(d) => fill(&mut m, d),
    }
    if m.unsupported.is_some() {
        m.key.clear();
    }
    (m.key.clone(), ServerMessage::DisplayShader(&m).text())
}

fn fill(m: &mut DisplayShader, d: &DisplayKernel) {
    let display = Display {
        first: d.first,
        channels: d.channels,
    };
    let web = match weft_shader::glsl::emit(&d.kernel, display, &d.cameras) {
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
