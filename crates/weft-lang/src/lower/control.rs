//! Control pragmas: `#slider`, `#color`, `#xy`, `#toggle` and `#curve` become live
//! parameters (with the widget the page shows); `#badge` names a strand whose live
//! value the page shows.
//!
//! Every count and range is checked here, each mistake one `E0604` at the value
//! (or the pragma) it concerns: a pragma never falls back to a silent default.

use super::{Binding, Env, Lowerer};
use crate::ast::{self, BinOp, ControlKind};
use crate::builtins::Func;
use crate::ir::{coord, Badge, Expr, ExprId, InstId, Param, ParamControl, ParamId, SegmentId};
use weft_diagnostics::{Code, Span};

/// How many points a curve may have.
pub(crate) const MAX_CURVE_POINTS: usize = 16;

/// What a kind expects: its output count, and the defaults when no values are
/// written (their count is the number of values it takes).
struct Shape {
    outputs: Option<usize>,
    defaults: &'static [f64],
}

fn shape(kind: ControlKind) -> Shape {
    match kind {
        ControlKind::Slider => Shape {
            outputs: Some(1),
            defaults: &[],
        },
        ControlKind::Color => Shape {
            outputs: Some(3),
            defaults: &[1.0, 1.0, 1.0],
        },
        ControlKind::Xy => Shape {
            outputs: Some(2),
            defaults: &[0.5, 0.5],
        },
        ControlKind::Toggle => Shape {
            outputs: Some(1),
            defaults: &[0.0],
        },
        ControlKind::Curve | ControlKind::Badge => Shape {
            outputs: Some(1),
            defaults: &[],
        },
    }
}

impl Lowerer<'_> {
    fn control_error(&mut self, span: Span, message: String) {
        self.error(Code::ControlPragma, span, message);
    }

    /// The values of a control's instance `id` (one per output).
    pub(super) fn control(
        &mut self,
        env: &Env,
        def: &ast::ControlDef,
        id: InstId,
    ) -> Option<Vec<ExprId>> {
        let kind = def.kind;
        let word = kind.as_str();
        let shape = shape(kind);
        if let Some(n) = shape.outputs {
            if def.outputs.len() != n {
                let names = match kind {
                    ControlKind::Color => " (red, green, blue)",
                    ControlKind::Xy => " (x, y)",
                    _ => "",
                };
                let span = def.outputs.first().map_or(def.name.span, |o| o.span);
                self.control_error(
                    span,
                    format!(
                        "`#{word}` defines {n} output{}{names}; `{}` lists {}",
                        if n == 1 { "" } else { "s" },
                        def.name.name,
                        def.outputs.len()
                    ),
                );
                return None;
            }
        }
        let mut values = Vec::with_capacity(def.values.len());
        for v in &def.values {
            let id = self.scalar(env, v)?;
            match self.prog.const_value(id).filter(|x| x.is_finite()) {
                Some(x) => values.push((x, v.span)),
                None => {
                    self.control_error(
                        v.span,
                        format!("the values of `#{word}` must be constant numbers"),
                    );
                    return None;
                }
            }
        }
        let whole = def.keyword.span;
        let (min, max, defaults) = match kind {
            ControlKind::Slider => {
                let [(lo, _), (hi, hi_span), (default, default_span)] = values[..] else {
                    self.control_error(
                        values.first().map_or(whole, |v| v.1),
                        format!(
                            "`#slider` takes 3 values (lowest, highest, default), got {}",
                            values.len()
                        ),
                    );
                    return None;
                };
                if lo >= hi {
                    self.control_error(
                        hi_span,
                        format!("the slider's range is empty: the highest value {hi} is not above the lowest {lo}"),
                    );
                    return None;
                }
                if !(lo..=hi).contains(&default) {
                    self.control_error(
                        default_span,
                        format!("the slider's default {default} is outside its range {lo} … {hi}"),
                    );
                    return None;
                }
                (lo, hi, vec![default])
            }
            ControlKind::Curve => {
                if !(2..=MAX_CURVE_POINTS).contains(&values.len()) {
                    self.control_error(
                        values.first().map_or(whole, |v| v.1),
                        format!(
                            "`#curve` takes 2 to {MAX_CURVE_POINTS} points, got {}",
                            values.len()
                        ),
                    );
                    return None;
                }
                (0.0, 1.0, self.in_unit(word, &values)?)
            }
            _ => {
                let want = shape.defaults.len();
                if values.is_empty() {
                    (0.0, 1.0, shape.defaults.to_vec())
                } else if values.len() != want {
                    self.control_error(
                        values[0].1,
                        format!(
                            "`#{word}` takes {want} value{} (or none, for {}), got {}",
                            if want == 1 { "" } else { "s" },
                            describe_defaults(kind),
                            values.len()
                        ),
                    );
                    return None;
                } else {
                    let v = self.in_unit(word, &values)?;
                    if kind == ControlKind::Toggle && v[0] != 0.0 && v[0] != 1.0 {
                        self.control_error(
                            values[0].1,
                            format!("a toggle is 0 or 1, not {}", v[0]),
                        );
                        return None;
                    }
                    (0.0, 1.0, v)
                }
            }
        };
        if self.dry_run {
            return None;
        }
        let base = self.prog.instances[id.0 as usize].name.clone();
        let label = def.label.as_ref().map(|(l, _)| l.clone());
        let mut params = Vec::with_capacity(defaults.len());
        for (i, &default) in defaults.iter().enumerate() {
            let name = match kind {
                ControlKind::Color | ControlKind::Xy => format!("{base}@{}", def.outputs[i].name),
                ControlKind::Curve => format!("{base}#{}", i + 1),
                _ => {
                    self.params_in_current += 1;
                    if self.params_in_current == 1 {
                        base.clone()
                    } else {
                        format!("{base}#{}", self.params_in_current)
                    }
                }
            };
            self.prog.params.push(Param {
                name,
                inst: id,
                default,
                min,
                max,
                span: def.keyword.span,
                control: Some(ParamControl {
                    kind,
                    group: base.clone(),
                    index: i as u32,
                    label: label.clone(),
                }),
            });
            let p = ParamId(self.prog.params.len() as u32 - 1);
            params.push(self.push(Expr::Param(p)));
        }
        if kind == ControlKind::Curve {
            return Some(vec![self.curve(&params)]);
        }
        Some(params)
    }

    /// Checks that every value is in 0…1.
    fn in_unit(&mut self, word: &str, values: &[(f64, Span)]) -> Option<Vec<f64>> {
        for &(v, span) in values {
            if !(0.0..=1.0).contains(&v) {
                self.control_error(
                    span,
                    format!("the values of `#{word}` are from 0 to 1, not {v}"),
                );
                return None;
            }
        }
        Some(values.iter().map(|v| v.0).collect())
    }

    /// The piecewise-linear curve through `points` (evenly spaced over 0…1) at
    /// `me@x`: p0 + Σ (p[k+1] − p[k]) · clamp(u − k, 0, 1) with u = clamp(x) · (n − 1),
    /// which has no branches, so every backend draws it alike.
    fn curve(&mut self, points: &[ExprId]) -> ExprId {
        let x = self.push(Expr::Coord(coord::X));
        let zero = self.push(Expr::Const(0.0));
        let one = self.push(Expr::Const(1.0));
        let unit_x = self.push(Expr::Call(Func::Clamp, Box::new([x, zero, one])));
        let steps = self.push(Expr::Const((points.len() - 1) as f64));
        let u = self.push(Expr::Binary(BinOp::Mul, unit_x, steps));
        let mut value = points[0];
        for (k, pair) in points.windows(2).enumerate() {
            let k = self.push(Expr::Const(k as f64));
            let t = self.push(Expr::Binary(BinOp::Sub, u, k));
            let ramp = self.push(Expr::Call(Func::Clamp, Box::new([t, zero, one])));
            let rise = self.push(Expr::Binary(BinOp::Sub, pair[1], pair[0]));
            let step = self.push(Expr::Binary(BinOp::Mul, rise, ramp));
            value = self.push(Expr::Binary(BinOp::Add, value, step));
        }
        value
    }

    /// `#badge inst<out> "label"` statements of the root file (top level and
    /// segments): each names a strand that exists.
    pub(super) fn badges(&mut self) {
        let Some(u) = self.units.iter().position(|u| u.is_root) else {
            return;
        };
        let mut found: Vec<(&ast::ControlDef, Span, Option<SegmentId>)> = Vec::new();
        let mut segment = 0;
        for item in &self.units[u].ast.items {
            match &item.kind {
                ast::ItemKind::Control(c) if c.kind == ControlKind::Badge => {
                    found.push((c, item.span, None))
                }
                ast::ItemKind::Segment(seg) => {
                    for inner in &seg.items {
                        if let ast::ItemKind::Control(c) = &inner.kind {
                            if c.kind == ControlKind::Badge {
                                found.push((c, inner.span, Some(SegmentId(segment))));
                            }
                        }
                    }
                    segment += 1;
                }
                _ => {}
            }
        }
        for (def, span, segment) in found {
            if let Some(v) = def.values.first() {
                self.control_error(
                    v.span,
                    "`#badge` shows a strand and takes no values: `#badge level<v> \"label\"`"
                        .to_string(),
                );
                continue;
            }
            let [out] = &def.outputs[..] else {
                self.control_error(
                    def.name.span,
                    format!(
                        "`#badge` shows one strand: name one output of `{}`",
                        def.name.name
                    ),
                );
                continue;
            };
            let id = match self.scopes[u].get(&def.name.name).copied() {
                Some(Binding::Inst(id)) => id,
                _ => {
                    self.error(
                        Code::UnknownName,
                        def.name.span,
                        format!(
                            "`#badge` shows a strand, and `{}` is not defined",
                            def.name.name
                        ),
                    );
                    continue;
                }
            };
            let outputs = &self.prog.instances[id.0 as usize].outputs;
            let Some(o) = outputs.iter().position(|o| *o == out.name) else {
                let outputs = outputs.clone();
                self.unknown_output(&def.name.name, &outputs, out);
                continue;
            };
            let value = self.push(Expr::Ref {
                inst: id,
                out: o as u32,
            });
            self.prog.badges.push(Badge {
                name: format!("{}@{}", def.name.name, out.name),
                value,
                label: def.label.as_ref().map(|(l, _)| l.clone()),
                span,
                segment,
            });
        }
    }
}

fn describe_defaults(kind: ControlKind) -> &'static str {
    match kind {
        ControlKind::Color => "white",
        ControlKind::Xy => "the centre",
        _ => "off",
    }
}
