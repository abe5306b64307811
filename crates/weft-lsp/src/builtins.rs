//! What the editor says about the language's own names: each builtin function
//! and source with its signature and a line of documentation (from
//! `docs/language.md`), the `me@` coordinates and the render settings.

/// A builtin function or source: its signature and what it does.
pub struct Doc {
    /// The name.
    pub name: &'static str,
    /// How it is called.
    pub signature: &'static str,
    /// One line of documentation.
    pub doc: &'static str,
}

const fn d(name: &'static str, signature: &'static str, doc: &'static str) -> Doc {
    Doc {
        name,
        signature,
        doc,
    }
}

/// Every builtin function and source.
pub const BUILTINS: &[Doc] = &[
    d("sin", "sin(x)", "Sine of `x` (radians)."),
    d("cos", "cos(x)", "Cosine of `x` (radians)."),
    d("tan", "tan(x)", "Tangent of `x` (radians)."),
    d("asin", "asin(x)", "Arc sine."),
    d("acos", "acos(x)", "Arc cosine."),
    d("atan", "atan(x)", "Arc tangent."),
    d(
        "atan2",
        "atan2(y, x)",
        "The angle of the point (x, y), in (-π, π].",
    ),
    d("sinh", "sinh(x)", "Hyperbolic sine."),
    d("cosh", "cosh(x)", "Hyperbolic cosine."),
    d("tanh", "tanh(x)", "Hyperbolic tangent."),
    d("sqrt", "sqrt(x)", "Square root (NaN below 0)."),
    d("exp", "exp(x)", "e to the power `x`."),
    d("log", "log(x)", "Natural logarithm."),
    d("log2", "log2(x)", "Base-2 logarithm."),
    d("log10", "log10(x)", "Base-10 logarithm."),
    d(
        "pow",
        "pow(a, b)",
        "`a` to the power `b` (`pow(x, 2)` is `x * x`).",
    ),
    d("abs", "abs(x)", "Absolute value."),
    d("sign", "sign(x)", "-1, 0 or 1 (`sign(0)` is 0)."),
    d("floor", "floor(x)", "Largest integer not above `x`."),
    d("ceil", "ceil(x)", "Smallest integer not below `x`."),
    d(
        "round",
        "round(x)",
        "Nearest integer, halves away from zero.",
    ),
    d("fract", "fract(x)", "`x - floor(x)`."),
    d(
        "min",
        "min(a, b)",
        "The smaller; the other operand when one is NaN.",
    ),
    d(
        "max",
        "max(a, b)",
        "The larger; the other operand when one is NaN.",
    ),
    d("clamp", "clamp(x, lo, hi)", "`min(max(x, lo), hi)`."),
    d("mix", "mix(a, b, t)", "`a + (b - a) * t`."),
    d("step", "step(edge, x)", "0 where `x < edge`, else 1."),
    d(
        "smoothstep",
        "smoothstep(e0, e1, x)",
        "`t²(3 − 2t)` with `t = clamp((x − e0)/(e1 − e0), 0, 1)`.",
    ),
    d(
        "select",
        "select(c, a, b)",
        "`a` where `c` is non-zero (NaN counts as true), else `b`.",
    ),
    d(
        "hash",
        "hash(x)",
        "A deterministic pseudo-random value in [0, 1) (splitmix64 of the bits of `x`).",
    ),
    d(
        "noise",
        "noise(x[, y[, z]])",
        "Deterministic, continuous value noise in [0, 1].",
    ),
    d(
        "load",
        "load(\"pic.png\") → r, g, b, a",
        "An image, nearest pixel at (`me@x`, `me@y`), clamped to the edge.",
    ),
    d(
        "sample",
        "sample(\"drum.wav\") → l, r",
        "A sound file, nearest sample at `me@time`, 0 outside.",
    ),
    d(
        "mic",
        "mic() → samples",
        "Audio input at `me@time` (`--mic FILE`, else silence).",
    ),
    d(
        "camera",
        "camera() → r, g, b",
        "Camera frame at `me@time` (`--camera FILE`, else black).",
    ),
    d(
        "param",
        "param(default, min, max) → value",
        "A live parameter named after its instance, clamped to [min, max].",
    ),
];

/// The builtin called `name`.
pub fn doc(name: &str) -> Option<&'static Doc> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// The coordinates the backends bind, with what they are.
pub const COORDS: &[(&str, &str)] = &[
    (
        "x",
        "horizontal position, 0 at the left edge to 1 at the right (visual)",
    ),
    (
        "y",
        "vertical position, 0 at the top to 1 at the bottom (visual)",
    ),
    (
        "time",
        "seconds since the start (wraps at `me<loop>`; from 0 in each segment)",
    ),
    ("abstime", "seconds since the start, never wrapping"),
    ("frame", "the visual frame index, `floor(abstime · fps)`"),
    ("sample", "the audio sample index (audio)"),
    ("beat", "`time * bpm / 60`"),
];

/// The render settings (`me<width> = 800`).
pub const SETTINGS: &[(&str, &str)] = &[
    ("width", "picture width in pixels"),
    ("height", "picture height in pixels"),
    ("fps", "visual frames per second"),
    ("rate", "audio samples per second"),
    (
        "loop",
        "a loop length in seconds after which `me@time` wraps to 0",
    ),
    ("bpm", "the tempo in beats per minute (`me@beat`)"),
];

/// The control pragmas (`#slider …`) and how each is written.
pub const PRAGMAS: &[(&str, &str)] = &[
    ("slider", "#slider name<o> = lo, hi, default \"label\""),
    ("color", "#color name<r, g, b> = r, g, b"),
    ("xy", "#xy name<x, y> = x, y"),
    ("toggle", "#toggle name<o> = 0"),
    ("curve", "#curve name<o> = p1, p2, …"),
    ("badge", "#badge name<o> \"label\""),
];

/// Words of the language.
pub const KEYWORDS: &[&str] = &[
    "spindle", "segment", "use", "return", "display", "play", "osc", "if", "then", "else", "and",
    "or", "not", "let", "out", "me", "mouse",
];

/// The text describing coordinate `name`.
pub fn coord(name: &str) -> String {
    match COORDS.iter().find(|(c, _)| *c == name) {
        Some((_, what)) => format!("`me@{name}`: {what}."),
        None => format!("`me@{name}`: a coordinate of your own, 0 unless a remap sets it."),
    }
}
