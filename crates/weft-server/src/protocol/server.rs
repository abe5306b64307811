//! Every message the server sends, typed: [`ServerMessage`] and the block
//! results, views and parameters it carries. A message becomes JSON once, with
//! [`ServerMessage::text`], and that text is shared by every client it goes to.

use super::{BlockInfo, ErrorInfo, TreeEntry};
use serde::Serialize;
use std::sync::Arc;

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
    /// The widget a control pragma gives it (none: a plain slider).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control: Option<ControlInfo<'a>>,
}

/// The widget of a parameter made by a control pragma.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ControlInfo<'a> {
    /// `slider`, `color`, `xy`, `toggle` or `curve`.
    pub kind: &'static str,
    /// The control's instance: its parameters share it.
    pub group: &'a str,
    /// Which of the control's values.
    pub index: u32,
    /// The label written in the pragma.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<&'a str>,
}

/// A badge's live value in a `state` message.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct BadgeInfo<'a> {
    /// `inst@out`.
    pub name: &'a str,
    /// Its label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<&'a str>,
    /// The value at the centre of the latest picture (null before one).
    pub value: Option<f64>,
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
        /// The build read an editor's unsaved text instead of the file on disk.
        unsaved: bool,
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
        /// The `#badge` strands' values.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        badges: Vec<BadgeInfo<'a>>,
    },
    /// The display as a WebGL2 shader, for a page that draws it itself at its own
    /// size and rate; or, with `unsupported`, why the page shows streamed frames.
    DisplayShader(&'a DisplayShader),
    /// The file's render timeline: segments, their states, the running render.
    Timeline(&'a TimelineView),
    /// The answer to a page that starts watching with the `display-shader` key
    /// the player has now: keep it.
    #[serde(rename = "display-shader")]
    DisplayShaderUnchanged {
        /// The file.
        file: &'a str,
        /// The key the page holds.
        key: &'a str,
        /// Always true.
        unchanged: bool,
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

/// The contents of a `timeline` message (see `docs/protocol.md`).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineView {
    /// The file.
    pub file: String,
    /// Why nothing can be rendered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    /// Size, rate and preset, as `weft render` prints them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<String>,
    /// The segments in timeline order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<SegmentView>,
    /// The render running now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendering: Option<RenderingView>,
    /// The joined video, once a whole render finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video: Option<String>,
    /// Why the last render or preview failed as a whole (a chunk's own failure
    /// is its segment's `error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

/// One segment of a `timeline` message.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentView {
    /// Its name.
    pub name: String,
    /// Where it starts on the timeline, in seconds.
    pub start: f64,
    /// Its length in seconds.
    pub duration: f64,
    /// Its chunks.
    pub chunks: usize,
    /// Of which cached.
    pub cached: usize,
    /// `cached`, `dirty`, `pending`, `rendering` or `error`.
    pub state: &'static str,
    /// The error of a failed chunk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// While rendering: the share of its chunks' work done, 0…1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<f64>,
    /// Its last frame, once drawn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
}

/// The render running in a `timeline` message.
#[derive(Debug, Default, Serialize)]
pub struct RenderingView {
    /// The command that started it.
    pub what: String,
    /// Chunks finished (rendered, cached or failed).
    pub done: usize,
    /// Chunks in it.
    pub total: usize,
}

/// The `--camera` source of a `display-shader`: which frame shows when.
#[derive(Clone, Debug, Serialize)]
pub struct CameraFrames {
    /// Frames per second (`floor(time · fps)` is the frame, clamped); 0 for an image.
    pub fps: f64,
    /// How many frames it has (1 for an image).
    pub frames: usize,
    /// Its width in pixels.
    pub width: usize,
    /// Its height in pixels.
    pub height: usize,
}

/// The contents of a `display-shader` message (see `docs/protocol.md`).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DisplayShader {
    /// The file.
    pub file: String,
    /// The shader's content key (hex): equal keys, equal shaders.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// Why the page cannot draw this display itself (it shows the frames).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsupported: Option<String>,
    /// GLSL ES 3.00 vertex shader.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub vertex: String,
    /// GLSL ES 3.00 fragment shader.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub fragment: String,
    /// The uniform block: 12 words of header (width, height, row0, rows as u32;
    /// time, abstime, frame as f32; zero, stride, flip, two pads as u32), then
    /// `slotVec4s` vec4s of f32 uniform slots.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uniform_block: String,
    /// How many vec4s of slots the block holds.
    pub slot_vec4s: usize,
    /// The `usampler2D` of the sources' words, when it reads sources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources_texture: Option<String>,
    /// The `sampler2D` the page fills from the browser's camera (`camera()`),
    /// when the display reads one; black until the user turns the camera on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub camera_texture: Option<String>,
    /// The `--camera` image or video behind `cameraTexture`, which the page
    /// asks for frame by frame (`camera-frame`) while the browser's own camera
    /// is off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub camera_frames: Option<CameraFrames>,
    /// The `usampler2D` the page fills with its copy of the live microphone
    /// (`WLIV` frames), when the display reads `mic()` live.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live_texture: Option<String>,
    /// The sources' words (little-endian u32, base64), rows of `sourcesWidth`;
    /// left out when the page holds them (it has their `sourcesKey`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources: Option<String>,
    /// The content key (hex) of those words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources_key: Option<String>,
    /// Words per row of the sources texture.
    pub sources_width: u32,
    /// Rows of the sources texture.
    pub sources_rows: u32,
    /// Uniform slot of the pointer's x, its y and the tempo.
    pub mouse_x: u32,
    /// Slot of the pointer's y.
    pub mouse_y: u32,
    /// Slot of the tempo.
    pub bpm: u32,
    /// Slot of `me@width`: the page writes the width it draws at.
    pub width_slot: u32,
    /// Slot of `me@height`.
    pub height_slot: u32,
    /// Slot of each parameter.
    pub params: Vec<ParamSlot>,
    /// Frames per second (`me@frame`).
    pub fps: f64,
    /// The program's frame width: with `height`, the picture's aspect ratio.
    pub width: u32,
    /// The program's frame height.
    pub height: u32,
    /// The loop length `me@time` wraps at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loop_len: Option<f64>,
    /// In one of `segments`: when it starts on the timeline, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<f64>,
    /// In one of `segments`: how long it lasts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    /// A program with segments: each one's shader in timeline order (with
    /// `start` and `duration`); the program-wide fields (slots, `fps`, size,
    /// `loopLen`) are then at the top and the shader fields only in these.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<DisplayShader>,
}

/// Where one parameter lives in the uniform slots.
#[derive(Clone, Debug, Serialize)]
pub struct ParamSlot {
    /// The parameter's id.
    pub id: String,
    /// Its slot.
    pub slot: u32,
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
