//! The live protocol's messages (`docs/protocol.md`): JSON text messages both
//! ways and the binary frames the server sends. Only this module knows JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// The largest text message a client may send.
pub const MAX_MESSAGE: usize = 64 * 1024;

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
    /// A `type` the server does not know.
    #[error("unknown message type `{0}`")]
    UnknownType(String),
}

impl MessageError {
    /// The stable `code` of the `error` reply.
    pub fn code(&self) -> &'static str {
        match self {
            MessageError::Malformed(_) => "malformed",
            MessageError::TooLarge(_) => "too-large",
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
        if text.len() > MAX_MESSAGE {
            return Err(MessageError::TooLarge(text.len()));
        }
        let v: Value = serde_json::from_str(text)
            .map_err(|e| MessageError::Malformed(format!("not JSON: {e}")))?;
        let kind = v
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                MessageError::Malformed("expected a JSON object with a string `type`".into())
            })?
            .to_string();
        Ok(match kind.as_str() {
            "watch-file" => ClientMessage::WatchFile {
                path: string(&v, "path")?,
                client_id: match v.get("clientId") {
                    None | Some(Value::Null) => String::new(),
                    Some(_) => string(&v, "clientId")?,
                },
                client_run: run_of(&v)?,
                preview: preview_of(&v)?,
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
            "pointer" => {
                let x = number(&v, "x")?;
                let y = number(&v, "y")?;
                ClientMessage::Pointer {
                    x: x.clamp(0.0, 1.0),
                    y: y.clamp(0.0, 1.0),
                }
            }
            _ => return Err(MessageError::UnknownType(kind)),
        })
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

/// One output's view in a block result.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum View {
    /// A picture over the unit square.
    Image {
        /// The output (`rgb` for a colour view of `r, g, b`).
        output: String,
        /// Pixels across.
        width: u32,
        /// Pixels down.
        height: u32,
        /// A `data:image/png;base64,…` URL.
        png: String,
    },
    /// Min/max pairs over the first seconds.
    Wave {
        /// The output.
        output: String,
        /// Seconds covered.
        seconds: f64,
        /// Lowest value of each pair.
        min: Vec<f32>,
        /// Highest value of each pair.
        max: Vec<f32>,
    },
    /// A constant.
    Number {
        /// The output.
        output: String,
        /// Its value.
        value: Scalar,
    },
}

/// A number as JSON: finite values as numbers, others (JSON has no NaN or
/// infinity) as their name, `"NaN"`, `"inf"`, `"-inf"`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scalar(pub f64);

impl Serialize for Scalar {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_finite() {
            s.serialize_f64(self.0)
        } else {
            s.collect_str(&self.0)
        }
    }
}

/// What a block shows, as the executor made it: shared (behind an `Arc`) by the
/// result cache, the run log and every client it is sent to.
#[derive(Clone, Debug, PartialEq)]
pub enum BlockBody {
    /// Evaluated: one view per output (none for statements with nothing to sample).
    Views(Vec<View>),
    /// The block's error.
    Error(ErrorInfo),
    /// Not evaluated (the file did not build or cannot be read): the client keeps
    /// what it showed, marked stale.
    Stale,
}

impl BlockBody {
    /// Its size as JSON, in bytes (for the result cache's byte limit).
    pub fn json_len(&self) -> usize {
        struct Count(usize);
        impl std::io::Write for Count {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0 += buf.len();
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut count = Count(0);
        let _ = serde_json::to_writer(&mut count, &BlockReply::Full(self));
        count.0
    }

    /// Its JSON bytes (what a stale block's id is keyed by).
    pub fn json(&self) -> Vec<u8> {
        serde_json::to_vec(&BlockReply::Full(self)).unwrap_or_default()
    }
}

/// The fields of a `block-result` after `run` and `block`.
#[derive(Clone, Copy, Debug)]
pub enum BlockReply<'a> {
    /// The result in full.
    Full(&'a BlockBody),
    /// The client already holds this block id.
    Unchanged,
}

impl Serialize for BlockReply<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        #[derive(Serialize)]
        struct Views<'v> {
            views: &'v [View],
        }
        let mut m = s.serialize_map(None)?;
        match self {
            BlockReply::Full(BlockBody::Views(views)) => {
                m.serialize_entry("ok", &true)?;
                m.serialize_entry("result", &Views { views })?;
            }
            BlockReply::Full(BlockBody::Error(error)) => {
                m.serialize_entry("ok", &false)?;
                m.serialize_entry("error", error)?;
            }
            BlockReply::Full(BlockBody::Stale) => {
                m.serialize_entry("ok", &true)?;
                m.serialize_entry("stale", &true)?;
            }
            BlockReply::Unchanged => m.serialize_entry("unchanged", &true)?,
        }
        m.end()
    }
}

/// One parameter in a `parameters` message.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ParamInfo<'a> {
    /// Its id.
    pub id: &'a str,
    /// Lowest value.
    pub min: f64,
    /// Highest value.
    pub max: f64,
    /// The program's value.
    pub default: f64,
    /// The value now.
    pub value: f64,
}

/// Every message the server sends (`docs/protocol.md`, "Server to client"). Built
/// from borrowed parts and turned into text once with [`ServerMessage::text`];
/// the text is shared by every client it goes to.
#[derive(Debug, Serialize)]
#[serde(
    tag = "type",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
pub enum ServerMessage<'a> {
    /// First message on every connection.
    Hello {
        /// weft's version.
        version: &'a str,
        /// The served folder's name (never its absolute path).
        root: &'a str,
        /// The folder's tree.
        tree: &'a TreeEntry,
        /// The latest run number.
        run: u64,
    },
    /// A run of one file begins.
    RunStart {
        /// The file.
        file: &'a str,
        /// The run number.
        run: u64,
        /// Every block id in document order.
        block_ids: Vec<&'a str>,
        /// The ids this run evaluates.
        dirty: &'a [String],
        /// Every block.
        blocks: &'a [BlockInfo],
    },
    /// One block's result.
    BlockResult {
        /// The run number.
        run: u64,
        /// The block id.
        block: &'a str,
        /// The result, or `unchanged`.
        #[serde(flatten)]
        reply: BlockReply<'a>,
    },
    /// The run is over.
    RunEnd {
        /// The run number.
        run: u64,
        /// The first error of a failed run.
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<&'a ErrorInfo>,
        /// A newer change stopped it.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        cancelled: bool,
    },
    /// Exactly one file changed in the change window.
    FileChanged {
        /// The file.
        path: &'a str,
        /// Whether any client watches it.
        watched: bool,
    },
    /// Files or folders appeared or disappeared.
    DirectoryChanged {
        /// The new tree.
        tree: &'a TreeEntry,
    },
    /// The parameters of a file's program.
    Parameters {
        /// The file.
        file: &'a str,
        /// In program order.
        params: Vec<ParamInfo<'a>>,
    },
    /// A parameter was set.
    ParameterChanged {
        /// The file.
        file: &'a str,
        /// The parameter.
        id: &'a str,
        /// Its value.
        value: f64,
    },
    /// The player's transport.
    State {
        /// The file.
        file: &'a str,
        /// `playing`, `paused` or `stopped`.
        transport: &'a str,
        /// Seconds.
        time: f64,
        /// Tempo.
        bpm: f64,
        /// Counts program swaps (0: none yet).
        program_version: u64,
        /// Why the newest build or swap failed, while the previous program plays.
        last_error: Option<&'a str>,
        /// Frame rate.
        fps: f64,
        /// Sample rate.
        rate: u32,
        /// Frames rendered.
        frames: u64,
    },
    /// Sound levels since the last meter.
    Meter {
        /// The file.
        file: &'a str,
        /// Left peak.
        peak_l: f32,
        /// Right peak.
        peak_r: f32,
        /// Left RMS.
        rms_l: f64,
        /// Right RMS.
        rms_r: f64,
    },
    /// The answer to a `command`.
    CommandResult {
        /// The line as sent.
        text: &'a str,
        /// Whether it applied.
        ok: bool,
        /// What to show.
        output: &'a str,
    },
    /// A refused message or request.
    Error {
        /// `malformed`, `too-large`, `unknown-type`, `path`, `not-found`,
        /// `not-watching` or `command`.
        code: &'a str,
        /// What went wrong.
        message: &'a str,
    },
}

impl ServerMessage<'_> {
    /// The message as one JSON text frame.
    pub fn text(&self) -> Arc<str> {
        // Every field is a string, number, bool or a derived struct of those, so
        // this cannot fail; if it ever did, the client hears of it.
        serde_json::to_string(self)
            .unwrap_or_else(|_| {
                r#"{"type":"error","code":"internal","message":"a message could not be encoded (a bug in weft)"}"#.into()
            })
            .into()
    }
}

/// The `error` reply.
pub fn error(code: &str, message: &str) -> Arc<str> {
    ServerMessage::Error { code, message }.text()
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
            r#"{"type":"watch-file","path":"a.weft","clientId":"c1","clientRun":4,"preview":{"width":64,"height":32}}"#,
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
                }
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
}
