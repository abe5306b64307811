//! A block's result: each output of a strand sampled the way it varies — a
//! picture over the unit square when it reads `me@x` or `me@y`, a waveform when
//! it varies over time only, a number when it is constant.

use crate::protocol::{Scalar, View};
use base64::Engine as _;
use weft_engine::coordinator::Uniforms;
use weft_engine::sampler::Sampler;
use weft_lang::builtins::SourceKind;
use weft_lang::ir::{coord, CoordId, Expr, ExprId, InstId, Program};
use weft_sources::SourceSet;

/// Thumbnail width in pixels (the height follows the program's aspect).
pub const THUMB_WIDTH: u32 = 96;
/// Seconds a waveform covers.
pub const WAVE_SECONDS: f64 = 2.0;
/// Min/max pairs in a waveform.
pub const WAVE_POINTS: usize = 192;

const SPACE: u8 = 1;
const TIME: u8 = 2;

/// How each output of `inst` varies: a bit set of [`SPACE`] and [`TIME`].
/// Walks the expression DAG (following reads of other instances) with an explicit
/// stack, so deep programs cannot overflow it.
fn variation(program: &Program, inst: InstId) -> Vec<u8> {
    let mut memo: Vec<Option<u8>> = vec![None; program.exprs.len()];
    let roots = program.instance(inst).values.clone();
    for &root in &roots {
        let mut stack: Vec<(ExprId, bool)> = vec![(root, false)];
        while let Some((e, expanded)) = stack.pop() {
            if memo[e.0 as usize].is_some() {
                continue;
            }
            let children = children(program, e);
            if !expanded {
                stack.push((e, true));
                for c in children {
                    if memo[c.0 as usize].is_none() {
                        stack.push((c, false));
                    }
                }
                continue;
            }
            let own = match program.expr(e) {
                Expr::Coord(c) => coord_bits(*c),
                Expr::Source { source, .. } => match program.sources[source.0 as usize].kind {
                    SourceKind::Load => SPACE,
                    SourceKind::Camera => SPACE | TIME,
                    SourceKind::Sample | SourceKind::Mic => TIME,
                },
                _ => 0,
            };
            let bits = match program.expr(e) {
                Expr::Remap { target, subs } => {
                    let mut t = memo[target.0 as usize].unwrap_or(0);
                    let replaced = |c: CoordId| subs.iter().any(|(d, _)| *d == c);
                    // Coordinates given new values no longer vary with the point
                    // (bits are coarse: space goes only when both x and y go).
                    if replaced(coord::X) && replaced(coord::Y) {
                        t &= !SPACE;
                    }
                    if replaced(coord::TIME) {
                        t &= !TIME;
                    }
                    subs.iter()
                        .fold(t, |acc, (_, s)| acc | memo[s.0 as usize].unwrap_or(0))
                }
                _ => children
                    .iter()
                    .fold(own, |acc, c| acc | memo[c.0 as usize].unwrap_or(0)),
            };
            memo[e.0 as usize] = Some(bits);
        }
    }
    roots
        .iter()
        .map(|r| memo[r.0 as usize].unwrap_or(0))
        .collect()
}

fn coord_bits(c: CoordId) -> u8 {
    match c {
        coord::X | coord::Y => SPACE,
        coord::TIME | coord::ABSTIME | coord::FRAME | coord::SAMPLE => TIME,
        _ => 0,
    }
}

fn children(program: &Program, e: ExprId) -> Vec<ExprId> {
    match program.expr(e) {
        Expr::Ref { inst, out } => program
            .instance(*inst)
            .values
            .get(*out as usize)
            .copied()
            .into_iter()
            .collect(),
        Expr::Unary(_, a) => vec![*a],
        Expr::Binary(_, a, b) => vec![*a, *b],
        Expr::Call(_, args) => args.to_vec(),
        Expr::Remap { target, subs } => std::iter::once(*target)
            .chain(subs.iter().map(|(_, s)| *s))
            .collect(),
        _ => Vec::new(),
    }
}

/// The thumbnail size for a program: [`THUMB_WIDTH`] wide, its aspect.
pub fn thumb_size(program: &Program) -> (u32, u32) {
    let (w, h) = program.settings.size();
    let height = ((THUMB_WIDTH as f64) * h as f64 / w.max(1) as f64).round();
    (THUMB_WIDTH, (height as u32).clamp(1, 4 * THUMB_WIDTH))
}

/// The views of one strand, sampled with every parameter at its default and the
/// pointer at the centre.
pub fn strand_views(
    program: &Program,
    sources: &SourceSet,
    inst: InstId,
) -> Result<Vec<View>, String> {
    let instance = program.instance(inst);
    let bits = variation(program, inst);
    let mut sampler = Sampler::new(program, sources, inst).map_err(|e| e.to_string())?;
    let uniforms = Uniforms::new(program);
    let n_out = instance.outputs.len();
    let mut views = Vec::new();
    let (w, h) = thumb_size(program);
    let mut image: Vec<Vec<f64>> = vec![Vec::new(); n_out];
    if bits.iter().any(|b| b & SPACE != 0) {
        let n = (w * h) as usize;
        sampler.sample(
            n,
            uniforms.as_slice(),
            |i, c| match c {
                coord::X => ((i % w as usize) as f64 + 0.5) / w as f64,
                coord::Y => ((i / w as usize) as f64 + 0.5) / h as f64,
                _ => 0.0,
            },
            &mut image,
        );
        let names: Vec<&str> = instance.outputs.iter().map(String::as_str).collect();
        if let Some(rgb) = ["r", "g", "b"]
            .iter()
            .map(|c| names.iter().position(|n| n == c))
            .collect::<Option<Vec<usize>>>()
        {
            let png = encode_png(w, h, |i| {
                [image[rgb[0]][i], image[rgb[1]][i], image[rgb[2]][i]]
            })?;
            views.push(View::Image {
                output: "rgb".into(),
                width: w,
                height: h,
                png,
            });
        }
    }
    let mut wave: Vec<Vec<f64>> = vec![Vec::new(); n_out];
    let wave_wanted = bits.iter().any(|b| b & (SPACE | TIME) == TIME);
    let rate = program.settings.rate() as f64;
    if wave_wanted {
        // 48 points per pair: enough to see a tone's envelope, cheap to compute.
        let n = WAVE_POINTS * 48;
        let step = WAVE_SECONDS / n as f64;
        sampler.sample(
            n,
            uniforms.as_slice(),
            |i, c| {
                let t = i as f64 * step;
                match c {
                    coord::X | coord::Y => 0.5,
                    coord::TIME | coord::ABSTIME => program.settings.wrap_time(t),
                    coord::SAMPLE => (t * rate).floor(),
                    coord::FRAME => (t * program.settings.fps()).floor(),
                    _ => 0.0,
                }
            },
            &mut wave,
        );
    }
    let mut constant: Vec<Vec<f64>> = vec![Vec::new(); n_out];
    sampler.sample(1, uniforms.as_slice(), |_, _| 0.0, &mut constant);
    for (o, name) in instance.outputs.iter().enumerate() {
        let b = bits[o];
        if b & SPACE != 0 {
            let png = encode_png(w, h, |i| {
                let v = image[o][i];
                [v, v, v]
            })?;
            views.push(View::Image {
                output: name.clone(),
                width: w,
                height: h,
                png,
            });
        } else if b & TIME != 0 {
            let (min, max) = envelope(&wave[o]);
            views.push(View::Wave {
                output: name.clone(),
                seconds: WAVE_SECONDS,
                min,
                max,
            });
        } else {
            views.push(View::Number {
                output: name.clone(),
                value: Scalar(constant[o][0]),
            });
        }
    }
    Ok(views)
}

fn envelope(values: &[f64]) -> (Vec<f32>, Vec<f32>) {
    let per = (values.len() / WAVE_POINTS).max(1);
    values
        .chunks(per)
        .map(|c| {
            let lo = c
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .fold(f64::INFINITY, f64::min);
            let hi = c
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .fold(f64::NEG_INFINITY, f64::max);
            if lo > hi {
                (0.0, 0.0)
            } else {
                (lo as f32, hi as f32)
            }
        })
        .unzip()
}

fn encode_png(w: u32, h: u32, rgb: impl Fn(usize) -> [f64; 3]) -> Result<String, String> {
    let mut bytes = Vec::with_capacity((w * h * 3) as usize);
    for i in 0..(w * h) as usize {
        for c in rgb(i) {
            bytes.push(weft_engine::visual::to_u8(c));
        }
    }
    let mut png = Vec::new();
    image::write_buffer_with_format(
        &mut std::io::Cursor::new(&mut png),
        &bytes,
        w,
        h,
        image::ExtendedColorType::Rgb8,
        image::ImageFormat::Png,
    )
    .map_err(|e| e.to_string())?;
    Ok(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&png)
    ))
}
