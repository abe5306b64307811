//! The `display-shader` message: the running program's display translated for the
//! page's WebGL2 (`weft_shader::glsl`), with where each uniform lives and the
//! sources packed into one texture's words — one such shader per segment for a
//! program with segments. Made by a player's pump thread, never on the engine
//! thread, once per display kernel. The sources' words are keyed by their
//! content: a page that holds them gets the message without them ([`Shader::lean`]).

use crate::protocol::{CameraFrames, DisplayShader, ParamSlot, ServerMessage};
use base64::Engine as _;
use std::sync::Arc;
use weft_kernel::uniform;
use weft_live::{DisplayKernel, SegmentDisplay};
use weft_shader::wgsl::{Display, SOURCE_TEXTURE_WIDTH};

/// The most words of sources a page is sent: a 2048 × 2048 texture (16 MiB),
/// the size every WebGL2 implementation offers. A larger set is drawn as frames.
pub const MAX_SOURCE_WORDS: u64 = SOURCE_TEXTURE_WIDTH as u64 * 2048;

/// A `display-shader` message in its two forms.
#[derive(Debug)]
pub struct Shader {
    /// The shader's key (empty when unsupported).
    pub key: String,
    /// The message with every source's words.
    pub full: Arc<str>,
    /// The message without them (each part's `sourcesKey` names its words), for a
    /// page that holds all of [`Shader::sources`]; `None` when there are none.
    pub lean: Option<Arc<str>>,
    /// The content key of each part's sources, in order.
    pub sources: Vec<String>,
}

/// How many sources' words a page keeps (the page's `web/gl.js` keeps as many).
pub const HELD_SOURCES: usize = 4;

/// The sources' keys a connection has been sent since it last watched a file,
/// newest last, at most [`HELD_SOURCES`]. The page keeps the words of every key
/// it is sent, the same number by the same rule over everything it received,
/// so it holds at least these.
#[derive(Debug, Default)]
pub struct HeldSources {
    keys: std::collections::VecDeque<String>,
}

impl HeldSources {
    /// The text to send for `m`: without its sources when they are all held,
    /// else with them (then held, as the newest).
    pub fn text_for(&mut self, m: &Shader) -> Arc<str> {
        if let Some(lean) = &m.lean {
            if m.sources.iter().all(|k| self.keys.contains(k)) {
                return lean.clone();
            }
        }
        for k in &m.sources {
            self.keys.retain(|h| h != k);
            self.keys.push_back(k.clone());
            if self.keys.len() > HELD_SOURCES {
                self.keys.pop_front();
            }
        }
        m.full.clone()
    }

    /// Forgets them all (the page watches again: it may have lost its own).
    pub fn clear(&mut self) {
        self.keys.clear();
    }
}

/// The sources' words of the newest shaders, packed and encoded once: for a
/// 1920 × 1080 picture that took 15 ms a message, and every edit of the
/// expression sends a new message with the same picture. Keyed by the decoded
/// sources themselves (the builder hands an unchanged file's data on to the
/// next program), which it keeps alive; one per player.
#[derive(Debug, Default)]
pub struct EncodedSources {
    last: std::collections::VecDeque<(Vec<Arc<weft_sources::SourceData>>, Encoded)>,
}

/// How many encodings [`EncodedSources`] keeps (the current and the one before).
const ENCODED: usize = 2;

/// Sources' words as a page reads them.
#[derive(Clone, Debug)]
struct Encoded {
    /// Content key of the words (hex).
    key: String,
    /// The words, little-endian, whole rows, base64.
    base64: Arc<str>,
    /// Rows of [`SOURCE_TEXTURE_WIDTH`] words.
    rows: u32,
}

impl EncodedSources {
    fn get(&mut self, list: &[Arc<weft_sources::SourceData>], words: u64) -> Encoded {
        let same = |held: &[Arc<weft_sources::SourceData>]| {
            held.len() == list.len() && held.iter().zip(list).all(|(a, b)| Arc::ptr_eq(a, b))
        };
        if let Some((_, e)) = self.last.iter().find(|(held, _)| same(held)) {
            return e.clone();
        }
        let packed = weft_shader::sources::pack_all(list);
        let rows = words.div_ceil(u64::from(SOURCE_TEXTURE_WIDTH)) as u32;
        let mut bytes: Vec<u8> =
            Vec::with_capacity(rows as usize * SOURCE_TEXTURE_WIDTH as usize * 4);
        bytes.extend(packed.iter().flat_map(|w| w.to_le_bytes()));
        // A whole last row: the page uploads full rows.
        bytes.resize(rows as usize * SOURCE_TEXTURE_WIDTH as usize * 4, 0);
        let e = Encoded {
            key: hex(blake3::hash(&bytes).as_bytes()),
            base64: Arc::from(base64::engine::general_purpose::STANDARD.encode(&bytes)),
            rows,
        };
        self.last.push_back((list.to_vec(), e.clone()));
        if self.last.len() > ENCODED {
            self.last.pop_front();
        }
        e
    }
}

/// Stands for a part's sources in the message until they are spliced in:
/// base64 needs no escaping, so the large string is copied, not re-scanned.
const SPLICE: &str = "\u{1}weft-sources\u{1}";

/// The message for `file`'s display (`None` and no `segments`: the program
/// has no display; the page shows frames), or for each of its segments'.
pub fn message(
    file: &str,
    display: Option<&DisplayKernel>,
    segments: &[SegmentDisplay],
    encoded: &mut EncodedSources,
) -> Shader {
    let mut m = DisplayShader {
        file: file.to_string(),
        ..DisplayShader::default()
    };
    let mut words = Vec::new();
    match display {
        _ if !segments.is_empty() => fill_segments(&mut m, segments, encoded, &mut words),
        None => m.unsupported = Some("no display".into()),
        Some(d) => fill(&mut m, d, encoded, &mut words),
    }
    if m.unsupported.is_some() {
        m.key.clear();
        words.clear();
    }
    let marked = ServerMessage::DisplayShader(&m).text();
    let mut sources = Vec::new();
    let mut strip = |part: &mut DisplayShader| {
        if part.sources.take().is_some() {
            sources.extend(part.sources_key.clone());
        }
    };
    strip(&mut m);
    m.segments.iter_mut().for_each(&mut strip);
    if words.is_empty() {
        return Shader {
            key: m.key.clone(),
            full: marked,
            lean: None,
            sources,
        };
    }
    let lean = ServerMessage::DisplayShader(&m).text();
    // The field as it serializes (the marker escaped); with its name, nothing
    // else in the message can look like it (a file name's quotes are escaped).
    let escaped = format!(
        "\"sources\":{}",
        serde_json::to_string(SPLICE).unwrap_or_default()
    );
    let mut full =
        String::with_capacity(marked.len() + words.iter().map(|w| w.len()).sum::<usize>());
    let mut rest: &str = &marked;
    for w in &words {
        let Some(at) = rest.find(&escaped) else {
            break;
        };
        full.push_str(&rest[..at]);
        full.push_str("\"sources\":\"");
        full.push_str(w);
        full.push('"');
        rest = &rest[at + escaped.len()..];
    }
    full.push_str(rest);
    Shader {
        key: m.key.clone(),
        full: Arc::from(full),
        lean: Some(lean),
        sources,
    }
}

/// One shader per segment, each with its place on the timeline; the key
/// covers them all and where they are. A segment the page cannot draw (or
/// without a display) makes the whole program frames, with the reason.
fn fill_segments(
    m: &mut DisplayShader,
    segments: &[SegmentDisplay],
    encoded: &mut EncodedSources,
    words_of: &mut Vec<Arc<str>>,
) {
    let mut key = blake3::Hasher::new();
    key.update(b"weft-web-segments-v1\0");
    let mut words = 0u64;
    for (i, s) in segments.iter().enumerate() {
        let mut part = DisplayShader::default();
        match &s.display {
            Some(d) => fill(&mut part, d, encoded, words_of),
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

/// One display's shader; its sources' words (when it reads any) go to `words_of`,
/// and `sources` holds [`SPLICE`] where they belong.
fn fill(
    m: &mut DisplayShader,
    d: &DisplayKernel,
    encoded: &mut EncodedSources,
    words_of: &mut Vec<Arc<str>>,
) {
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
        let e = encoded.get(&web.shader.sources, words);
        m.sources_key = Some(e.key);
        m.sources = Some(SPLICE.to_string());
        m.sources_rows = e.rows;
        words_of.push(e.base64);
    }
    m.sources_width = SOURCE_TEXTURE_WIDTH;
    m.vertex = weft_shader::glsl::VERTEX.to_string();
    m.fragment = web.fragment;
    m.uniform_block = web.uniform_block;
    m.sources_texture = web.sources_texture;
    m.camera_texture = web.camera_texture;
    if m.camera_texture.is_some() {
        m.camera_frames = d.cameras.iter().find_map(|s| {
            let (width, height) = s.size()?;
            Some(match &**s {
                weft_sources::SourceData::Video(v) => CameraFrames {
                    fps: v.fps(),
                    frames: v.frames(),
                    width,
                    height,
                },
                _ => CameraFrames {
                    fps: 0.0,
                    frames: 1,
                    width,
                    height,
                },
            })
        });
    }
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

#[cfg(test)]
mod tests {
    use super::{HeldSources, Shader, HELD_SOURCES};
    use std::sync::Arc;

    fn shader(keys: &[&str]) -> Shader {
        Shader {
            key: "k".into(),
            full: Arc::from("full"),
            lean: Some(Arc::from("lean")),
            sources: keys.iter().map(|k| k.to_string()).collect(),
        }
    }

    #[test]
    fn sources_are_left_out_only_while_the_page_keeps_them() {
        let mut held = HeldSources::default();
        assert_eq!(&*held.text_for(&shader(&["a"])), "full");
        assert_eq!(&*held.text_for(&shader(&["a"])), "lean");
        // A program with segments: all its sources held, or all sent.
        assert_eq!(&*held.text_for(&shader(&["a", "b"])), "full");
        assert_eq!(&*held.text_for(&shader(&["b", "a"])), "lean");
        // Sent again, a key is the newest: `a` outlives `b` here.
        assert_eq!(&*held.text_for(&shader(&["c", "d", "a"])), "full");
        assert_eq!(&*held.text_for(&shader(&["e"])), "full");
        assert_eq!(HELD_SOURCES, 4);
        assert_eq!(&*held.text_for(&shader(&["a"])), "lean");
        assert_eq!(&*held.text_for(&shader(&["b"])), "full", "the oldest went");
        held.clear();
        assert_eq!(&*held.text_for(&shader(&["b"])), "full");
        // Nothing to leave out: always the one message.
        let none = Shader {
            lean: None,
            sources: Vec::new(),
            ..shader(&[])
        };
        assert_eq!(&*held.text_for(&none), "full");
    }
}
