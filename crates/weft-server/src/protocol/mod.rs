//! The live protocol's messages (`docs/protocol.md`): JSON text messages both
//! ways and the binary frames the server sends. Only this module knows JSON:
//! clients' messages are read here, and every message the server sends is a
//! [`ServerMessage`] (`server`).

mod server;

pub use server::{
    error, BadgeInfo, BlockBody, BlockReply, CameraFrames, ControlInfo, DisplayShader, ParamInfo,
    ParamSlot, RenderingView, Scalar, SegmentView, ServerMessage, TimelineView, View,
};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The largest text message a client may send (but `edit-buffer`).
pub const MAX_MESSAGE: usize = 64 * 1024;

/// The largest unsaved text an `edit-buffer` may carry: what a program file may
/// hold on disk.
pub const MAX_BUFFER: usize = weft_files::Limit::PROGRAM.bytes as usize;

/// The largest `edit-buffer` message: its text escaped (JSON may double it) and
/// the rest.
pub const MAX_BUFFER_MESSAGE: usize = 2 * MAX_BUFFER + MAX_MESSAGE;

/// A preview size asked for by a client.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub struct PreviewSize {
    /// Pixels across (16 to 1920).
    pub width: u32,
    /// Pixels down (16 to 1080).
    pub height: u32,
}

impl PreviewSize {
    /// What a client gets when it asks for nothing.
    pub const DEFAULT: PreviewSize = PreviewSize {
        width: 320,
        height: 180,
    };
}

/// A message from a client.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientMessage {
    /// Start watching a file (and stop watching the one before).
    WatchFile {
        /// Relative path.
        path: String,
        /// The tab's id across reconnects.
        client_id: String,
        /// The last run the client holds completely for this file (0: none).
        client_run: u64,
        /// Frame size wanted.
        preview: PreviewSize,
        /// The key of the `display-shader` the client holds for this file (empty:
        /// none); the same one now is answered `unchanged`.
        shader_key: String,
    },
    /// Stop watching a file.
    UnwatchFile {
        /// Relative path.
        path: String,
    },
    /// Ask again for a file's results.
    RequestLoad {
        /// Relative path.
        path: String,
        /// The last run the client holds completely (0: none).
        client_run: u64,
    },
    /// A line of the command language.
    Command {
        /// The line.
        text: String,
    },
    /// Set a parameter of the watched file.
    SetParam {
        /// Its id.
        id: String,
        /// The value.
        value: f64,
    },
    /// Move the pointer of the watched file's player.
    Pointer {
        /// 0 at the left, 1 at the right.
        x: f64,
        /// 0 at the top, 1 at the bottom.
        y: f64,
    },
    /// Frame `frame` of the `--camera` video the watched file's display reads
    /// (the page draws it; answered with a `WCAM` frame).
    CameraFrame {
        /// The frame's index (clamped to the video's frames).
        frame: u64,
    },
    /// An editor's unsaved text of a file in the folder (`weft lsp --dev`):
    /// builds read it instead of the disk until `drop-buffer` or the
    /// connection closes.
    EditBuffer {
        /// Relative to the served folder, or absolute inside it.
        path: String,
        /// The whole text (at most [`MAX_BUFFER`] bytes).
        text: String,
    },
    /// The editor saved or closed the file: builds read the disk again.
    DropBuffer {
        /// As in `edit-buffer`.
        path: String,
    },
}

/// Why a client message was refused; becomes an `error` reply.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// Not JSON, not an object, or a field of the wrong shape.
    #[error("{0}")]
    Malformed(String),
    /// Over [`MAX_MESSAGE`] bytes.
    #[error("message of {0} bytes is larger than the limit of {MAX_MESSAGE} bytes")]
    TooLarge(usize),
    /// An `edit-buffer` over [`MAX_BUFFER_MESSAGE`] bytes, or whose text is over
    /// [`MAX_BUFFER`].
    #[error(
        "an unsaved text of {0} bytes is larger than a program file may be ({MAX_BUFFER} bytes)"
    )]
    BufferTooLarge(usize),
    /// A `type` the server does not know.
    #[error("unknown message type `{0}`")]
    UnknownType(String),
}

impl MessageError {
    /// The stable `code` of the `error` reply.
    pub fn code(&self) -> &'static str {
        match self {
            MessageError::Malformed(_) => "malformed",
            MessageError::TooLarge(_) | MessageError::BufferTooLarge(_) => "too-large",
            MessageError::UnknownType(_) => "unknown-type",
        }
    }
}

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value, MessageError> {
    v.get(name)
        .ok_or_else(|| MessageError::Malformed(format!("missing field `{name}`")))
}

fn string(v: &Value, name: &str) -> Result<String, MessageError> {
    field(v, name)?
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| MessageError::Malformed(format!("field `{name}` must be a string")))
}

fn number(v: &Value, name: &str) -> Result<f64, MessageError> {
    field(v, name)?
        .as_f64()
        .filter(|n| n.is_finite())
        .ok_or_else(|| MessageError::Malformed(format!("field `{name}` must be a finite number")))
}

fn run_of(v: &Value) -> Result<u64, MessageError> {
    match v.get("clientRun") {
        None | Some(Value::Null) => Ok(0),
        Some(r) => r.as_u64().ok_or_else(|| {
            MessageError::Malformed("field `clientRun` must be a whole number".into())
        }),
    }
}

fn preview_of(v: &Value) -> Result<PreviewSize, MessageError> {
    let Some(p) = v.get("preview").filter(|p| !p.is_null()) else {
        return Ok(PreviewSize::DEFAULT);
    };
    let side = |name: &str, max: u64| -> Result<u32, MessageError> {
        p.get(name)
            .and_then(Value::as_u64)
            .filter(|n| (16..=max).contains(n))
            .map(|n| n as u32)
            .ok_or_else(|| {
                MessageError::Malformed(format!(
                    "`preview.{name}` must be a whole number from 16 to {max}"
                ))
            })
    };
    Ok(PreviewSize {
        width: side("width", 1920)?,
        height: side("height", 1080)?,
    })
}

impl ClientMessage {
    /// Reads one text message.
    pub fn parse(text: &str) -> Result<ClientMessage, MessageError> {
        if text.len() > MAX_BUFFER_MESSAGE {
            return Err(MessageError::BufferTooLarge(text.len()));
        }
        // Only an `edit-buffer` may be larger; its type is known once parsed
        // (the bound above keeps that parse finite).
        let large = text.len() > MAX_MESSAGE;
        let v: Value = serde_json::from_str(text)
            .map_err(|e| MessageError::Malformed(format!("not JSON: {e}")))?;
        let kind = v
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                MessageError::Malformed("expected a JSON object with a string `type`".into())
            })?
            .to_string();
        if large && kind != "edit-buffer" {
            return Err(MessageError::TooLarge(text.len()));
        }
        Ok(match kind.as_str() {
            "watch-file" => ClientMessage::WatchFile {
                path: string(&v, "path")?,
                client_id: match v.get("clientId") {
                    None | Some(Value::Null) => String::new(),
                    Some(_) => string(&v, "clientId")?,
                },
                client_run: run_of(&v)?,
                preview: preview_of(&v)?,
                shader_key: match v.get("shaderKey") {
                    None | Some(Value::Null) => String::new(),
                    Some(_) => string(&v, "shaderKey")?,
                },
            },
            "unwatch-file" => ClientMessage::UnwatchFile {
                path: string(&v, "path")?,
            },
            "request-load" => ClientMessage::RequestLoad {
                path: string(&v, "path")?,
                client_run: run_of(&v)?,
            },
            "command" => ClientMessage::Command {
                text: string(&v, "text")?,
            },
            "set-param" => ClientMessage::SetParam {
                id: string(&v, "id")?,
                value: number(&v, "value")?,
            },
            "camera-frame" => ClientMessage::CameraFrame {
                frame: field(&v, "frame")?.as_u64().ok_or_else(|| {
                    MessageError::Malformed("field `frame` must be a whole number".into())
                })?,
            },
            "pointer" => {
                let x = number(&v, "x")?;
                let y = number(&v, "y")?;
                ClientMessage::Pointer {
                    x: x.clamp(0.0, 1.0),
                    y: y.clamp(0.0, 1.0),
                }
            }
            "edit-buffer" => {
                let text = string(&v, "text")?;
                if text.len() > MAX_BUFFER {
                    return Err(MessageError::BufferTooLarge(text.len()));
                }
                ClientMessage::EditBuffer {
                    path: string(&v, "path")?,
                    text,
                }
            }
            "drop-buffer" => ClientMessage::DropBuffer {
                path: string(&v, "path")?,
            },
            _ => return Err(MessageError::UnknownType(kind)),
        })
    }
}

/// A `WMIC` binary frame from a page: its microphone, mono.
#[derive(Clone, Debug, PartialEq)]
pub struct MicChunk {
    /// Samples per second (8,000 to 192,000).
    pub rate: u32,
    /// The samples (1 to [`weft_sources::MAX_LIVE_CHUNK`]).
    pub samples: Vec<f32>,
}

impl MicChunk {
    /// Reads a binary frame: `WMIC`, the rate and the sample count as u32, then
    /// that many f32 samples, all little-endian, and nothing more.
    pub fn parse(bytes: &[u8]) -> Result<MicChunk, MessageError> {
        let bad = |why: &str| MessageError::Malformed(format!("a WMIC frame {why}"));
        let word = |at: usize| -> Option<u32> {
            Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
        };
        if bytes.get(..4) != Some(b"WMIC".as_slice()) {
            return Err(MessageError::Malformed(
                "the only binary frames the server takes are WMIC (a page's microphone)".into(),
            ));
        }
        let (Some(rate), Some(count)) = (word(4), word(8)) else {
            return Err(bad("shorter than its header"));
        };
        if !weft_sources::LIVE_RATES.contains(&rate) {
            return Err(bad("with a rate outside 8000 to 192000 Hz"));
        }
        let count = count as usize;
        if count == 0 || count > weft_sources::MAX_LIVE_CHUNK {
            return Err(bad(&format!(
                "of {count} samples (1 to {} are taken)",
                weft_sources::MAX_LIVE_CHUNK
            )));
        }
        if bytes.len() != 12 + 4 * count {
            return Err(bad("whose length is not its header's"));
        }
        let samples = bytes[12..]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Ok(MicChunk { rate, samples })
    }
}

/// One entry of the served tree.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TreeEntry {
    /// The last path component ("" for the root).
    pub name: String,
    /// Relative path with `/` separators ("" for the root).
    pub path: String,
    /// A folder.
    pub dir: bool,
    /// A folder's entries, sorted (folders and `.weft` files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<TreeEntry>>,
}

/// An error located in a file, as the client shows it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ErrorInfo {
    /// The stable code (`E0201`), or "" for errors without one.
    pub code: String,
    /// The message.
    pub message: String,
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// 1-based column, 0 when unknown.
    pub column: usize,
    /// The diagnostic as the terminal shows it.
    pub rendered: String,
}

/// What a block is, for the client.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BlockInfo {
    /// The block id.
    pub id: String,
    /// `use`, `strand`, `spindle`, `setting`, `display`, `play`, `osc`, `segment`.
    pub kind: &'static str,
    /// The instance, spindle, segment or output name.
    pub name: String,
    /// First line, 1-based.
    pub line: usize,
    /// Last line, 1-based.
    pub end_line: usize,
    /// The statement's text.
    pub code: String,
    /// Its prose (Markdown).
    pub prose: Option<String>,
}

/// The header of a `WFRM` binary frame followed by its RGBA bytes.
pub fn frame_bytes(width: u32, height: u32, index: u64, time: f64, rgba: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(20 + rgba.len());
    out.extend_from_slice(b"WFRM");
    out.extend_from_slice(&width.to_le_bytes());
    out.extend_from_slice(&height.to_le_bytes());
    out.extend_from_slice(&(index as u32).to_le_bytes());
    out.extend_from_slice(&(time as f32).to_le_bytes());
    out.extend_from_slice(rgba);
    out
}

/// A `WLIV` binary frame: samples a page's microphone placed in a file's live
/// input (`mic()`), for the pages that draw it themselves — `WLIV`, the rate,
/// flags (bit 0: the ring started again here), the index of the first sample
/// (`round(time · rate)`, low then high word) and the count as u32, then the
/// samples as the ring holds them (f32), all little-endian.
pub fn live_bytes(rate: u32, placed: weft_sources::Placed, samples: &[f32]) -> Vec<u8> {
    let samples = &samples[..placed.count.min(samples.len())];
    let mut out = Vec::with_capacity(24 + samples.len() * 4);
    out.extend_from_slice(b"WLIV");
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&u32::from(placed.restarted).to_le_bytes());
    out.extend_from_slice(&placed.from.to_le_bytes());
    out.extend_from_slice(&(samples.len() as u32).to_le_bytes());
    for &s in samples {
        out.extend_from_slice(&weft_sources::live_held(s).to_le_bytes());
    }
    out
}

/// A `WCAM` binary frame: frame `index` of the `--camera` image or video, as
/// `camera()` reads it — `WCAM`, width, height and the frame's index as u32,
/// then RGBA rows from the top. `None` for a source without frames.
pub fn camera_bytes(source: &weft_sources::SourceData, index: u64) -> Option<Vec<u8>> {
    let (w, h) = source.size()?;
    let (rgb, index, channels) = match source {
        weft_sources::SourceData::Video(v) => {
            let i = index.min(v.frames().saturating_sub(1) as u64);
            let frame = w * h * 3;
            let at = i as usize * frame;
            (v.rgb().get(at..at + frame)?, i, 3)
        }
        weft_sources::SourceData::Image(img) => (img.rgba(), 0, 4),
        _ => return None,
    };
    let mut out = Vec::with_capacity(16 + w * h * 4);
    out.extend_from_slice(b"WCAM");
    out.extend_from_slice(&(w as u32).to_le_bytes());
    out.extend_from_slice(&(h as u32).to_le_bytes());
    out.extend_from_slice(&(index as u32).to_le_bytes());
    for px in rgb.chunks_exact(channels) {
        out.extend_from_slice(&[px[0], px[1], px[2], 255]);
    }
    Some(out)
}

/// A `WPCM` binary frame: interleaved stereo samples.
pub fn pcm_bytes(rate: u32, samples: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + samples.len() * 4);
    out.extend_from_slice(b"WPCM");
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&((samples.len() / 2) as u32).to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_client_message() {
        let m = ClientMessage::parse(
            r#"{"type":"watch-file","path":"a.weft","clientId":"c1","clientRun":4,"preview":{"width":64,"height":32},"shaderKey":"ab12"}"#,
        )
        .unwrap();
        assert_eq!(
            m,
            ClientMessage::WatchFile {
                path: "a.weft".into(),
                client_id: "c1".into(),
                client_run: 4,
                preview: PreviewSize {
                    width: 64,
                    height: 32
                },
                shader_key: "ab12".into(),
            }
        );
        assert!(matches!(
            ClientMessage::parse(r#"{"type":"pointer","x":2,"y":-1}"#).unwrap(),
            ClientMessage::Pointer { x, y } if x == 1.0 && y == 0.0
        ));
    }

    #[test]
    fn refuses_garbage_with_a_code() {
        for (text, code) in [
            ("", "malformed"),
            ("[1,2]", "malformed"),
            ("{\"type\":3}", "malformed"),
            ("{\"type\":\"nope\"}", "unknown-type"),
            ("{\"type\":\"set-param\",\"id\":\"a\"}", "malformed"),
            (
                "{\"type\":\"set-param\",\"id\":\"a\",\"value\":\"x\"}",
                "malformed",
            ),
            (
                "{\"type\":\"watch-file\",\"path\":\"a\",\"preview\":{\"width\":1e9,\"height\":2}}",
                "malformed",
            ),
            (
                "{\"type\":\"request-load\",\"path\":\"a\",\"clientRun\":-1}",
                "malformed",
            ),
        ] {
            assert_eq!(
                ClientMessage::parse(text).unwrap_err().code(),
                code,
                "{text}"
            );
        }
        let big = format!(
            "{{\"type\":\"command\",\"text\":\"{}\"}}",
            "a".repeat(MAX_MESSAGE)
        );
        assert_eq!(ClientMessage::parse(&big).unwrap_err().code(), "too-large");
    }

    #[test]
    fn a_camera_frame_is_the_frame_camera_reads_clamped() {
        // Two frames of 2 × 1 pixels: red then green, blue then white.
        let rgb = vec![255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];
        let video = weft_sources::Video::from_rgb(2, 1, 10.0, rgb).unwrap();
        let source = weft_sources::SourceData::Video(video);
        let b = camera_bytes(&source, 7).unwrap();
        assert_eq!(&b[..4], b"WCAM");
        let word = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
        assert_eq!(
            (word(4), word(8), word(12)),
            (2, 1, 1),
            "clamped to the last"
        );
        assert_eq!(&b[16..], &[0, 0, 255, 255, 255, 255, 255, 255]);
        assert_eq!(
            &camera_bytes(&source, 0).unwrap()[16..20],
            &[255, 0, 0, 255]
        );
        assert!(camera_bytes(&weft_sources::SourceData::Black, 0).is_none());
        assert!(matches!(
            ClientMessage::parse(r#"{"type":"camera-frame","frame":3}"#).unwrap(),
            ClientMessage::CameraFrame { frame: 3 }
        ));
    }

    #[test]
    fn a_live_frame_holds_what_the_ring_holds_where_it_holds_it() {
        let placed = weft_sources::Placed {
            from: (1 << 32) + 7,
            count: 2,
            restarted: true,
        };
        let b = live_bytes(48_000, placed, &[2.0, f32::NAN, 0.5]);
        assert_eq!(&b[..4], b"WLIV");
        let word = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
        assert_eq!(
            (word(4), word(8), word(12), word(16), word(20)),
            (48_000, 1, 7, 1, 2)
        );
        assert_eq!(b.len(), 24 + 8);
        let f = |at: usize| f32::from_le_bytes(b[at..at + 4].try_into().unwrap());
        assert_eq!(
            (f(24), f(28)),
            (1.0, 0.0),
            "clamped, NaN as 0, only the placed ones"
        );
    }

    #[test]
    fn a_microphone_frame_is_read_exactly_or_refused() {
        let frame = |tag: &[u8], rate: u32, count: u32, samples: &[f32]| {
            let mut b = tag.to_vec();
            b.extend(rate.to_le_bytes());
            b.extend(count.to_le_bytes());
            b.extend(samples.iter().flat_map(|s| s.to_le_bytes()));
            b
        };
        let ok = MicChunk::parse(&frame(b"WMIC", 48_000, 3, &[0.5, -0.5, 0.25])).unwrap();
        assert_eq!(ok.rate, 48_000);
        assert_eq!(ok.samples, [0.5, -0.5, 0.25]);
        for bad in [
            Vec::new(),
            b"WMI".to_vec(),
            b"WMIC".to_vec(),
            frame(b"WFRM", 48_000, 1, &[0.0]),
            frame(b"WMIC", 1_000, 1, &[0.0]),
            frame(b"WMIC", 48_000, 0, &[]),
            frame(b"WMIC", 48_000, 2, &[0.0]),
            frame(b"WMIC", 48_000, 1, &[0.0, 0.0]),
            frame(b"WMIC", 48_000, u32::MAX, &[0.0]),
            frame(b"WMIC", 48_000, 20_000, &vec![0.0; 20_000]),
        ] {
            assert_eq!(
                MicChunk::parse(&bad).unwrap_err().code(),
                "malformed",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn an_unsaved_text_may_be_as_large_as_a_program_and_no_larger() {
        let text = "a".repeat(MAX_MESSAGE * 4);
        let m = ClientMessage::parse(&format!(
            "{{\"type\":\"edit-buffer\",\"path\":\"a.weft\",\"text\":\"{text}\"}}"
        ))
        .unwrap();
        assert!(
            matches!(m, ClientMessage::EditBuffer { text: t, .. } if t.len() == MAX_MESSAGE * 4)
        );
        let over = "a".repeat(MAX_BUFFER + 1);
        let e = ClientMessage::parse(&format!(
            "{{\"type\":\"edit-buffer\",\"path\":\"a.weft\",\"text\":\"{over}\"}}"
        ))
        .unwrap_err();
        assert_eq!(e.code(), "too-large");
        assert!(e.to_string().contains("program file"), "{e}");
        let huge = "a".repeat(MAX_BUFFER_MESSAGE + 1);
        assert_eq!(ClientMessage::parse(&huge).unwrap_err().code(), "too-large");
        for text in [
            r#"{"type":"edit-buffer","path":"a.weft"}"#,
            r#"{"type":"edit-buffer","path":"a.weft","text":null}"#,
            r#"{"type":"edit-buffer","path":3,"text":"x"}"#,
            r#"{"type":"drop-buffer"}"#,
        ] {
            assert_eq!(
                ClientMessage::parse(text).unwrap_err().code(),
                "malformed",
                "{text}"
            );
        }
        assert_eq!(
            ClientMessage::parse(r#"{"type":"drop-buffer","path":"a.weft"}"#).unwrap(),
            ClientMessage::DropBuffer {
                path: "a.weft".into()
            }
        );
    }
}
