//! The root file's settings, segments and output statements.

use super::{Binding, Env, Lowerer};
use crate::ast::{self, ItemKind, OutputKind};
use crate::ir::{Expr, ExprId, Segment, SegmentId, Sink};
use std::collections::HashMap;
use weft_diagnostics::{Code, Diagnostic, Span};

impl Lowerer<'_> {
    /// The root file's settings, segments and outputs.
    pub(super) fn lower_root(&mut self) {
        let Some(u) = self.units.iter().position(|u| u.is_root) else {
            return;
        };
        let unit = &self.units[u];
        self.prog.root = unit.id;
        let env = Env {
            unit: u,
            locals: HashMap::new(),
        };
        let mut top_outputs: Vec<Span> = Vec::new();
        let mut segment_spans: Vec<Span> = Vec::new();
        let mut start = 0.0;
        for item in &unit.ast.items {
            match &item.kind {
                ItemKind::Strand(def) if def.name.name == "me" => {
                    self.site = item.span;
                    self.setting(&env, def)
                }
                ItemKind::Output(out) => {
                    top_outputs.push(item.span);
                    self.sink(&env, out, item, None);
                }
                ItemKind::Segment(seg) => {
                    segment_spans.push(item.span);
                    let id = SegmentId(self.prog.segments.len() as u32);
                    if !(seg.duration.is_finite() && seg.duration > 0.0) {
                        self.error(
                            Code::BadDuration,
                            seg.duration_span,
                            format!(
                                "segment `{}` must last a positive number of seconds",
                                seg.name.name
                            ),
                        );
                    }
                    if self.prog.segments.iter().any(|s| s.name == seg.name.name) {
                        self.error(
                            Code::DuplicateDefinition,
                            seg.name.span,
                            format!("segment `{}` is defined twice", seg.name.name),
                        );
                    }
                    self.prog.segments.push(Segment {
                        name: seg.name.name.clone(),
                        span: item.span,
                        duration: seg.duration,
                        start,
                    });
                    start += seg.duration.max(0.0);
                    for inner in &seg.items {
                        match &inner.kind {
                            ItemKind::Output(out) => self.sink(&env, out, inner, Some(id)),
                            ItemKind::Strand(def) if def.name.name == "me" => self.error(
                                Code::UnexpectedToken,
                                def.name.span,
                                "settings (`me<…> = …`) belong at the top level, not inside a segment",
                            ),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if let (Some(first), false) = (top_outputs.first(), segment_spans.is_empty()) {
            self.diags.push(
                Diagnostic::error(
                    Code::MixedSegments,
                    *first,
                    "this file has segments, so its outputs belong inside them",
                )
                .with_note("a file has either segments or top-level outputs, not both"),
            );
        }
        // One display and one play per scope.
        let mut seen: HashMap<(OutputKind, Option<SegmentId>), Span> = HashMap::new();
        let dups: Vec<Span> = self
            .prog
            .sinks
            .iter()
            .filter(|s| s.kind != OutputKind::Osc)
            .filter_map(|s| seen.insert((s.kind, s.segment), s.span).map(|_| s.span))
            .collect();
        for span in dups {
            self.error(
                Code::DuplicateOutput,
                span,
                "a second output of this kind in the same scope; combine them into one",
            );
        }
    }

    /// Every output of the instance a bare name in an output statement names, when
    /// it has several.
    fn all_outputs(&mut self, env: &Env, a: &ast::Expr) -> Option<Vec<ExprId>> {
        let ast::ExprKind::Name(name) = &a.kind else {
            return None;
        };
        let Some(Binding::Inst(id)) = self.scopes[env.unit].get(name).copied() else {
            return None;
        };
        let n = self.prog.instances[id.0 as usize].outputs.len();
        if n < 2 {
            return None;
        }
        Some(
            (0..n as u32)
                .map(|out| self.push(Expr::Ref { inst: id, out }))
                .collect(),
        )
    }

    pub(super) fn setting(&mut self, env: &Env, def: &ast::StrandDef) {
        let Some(values) = self.definition(env, def) else {
            return;
        };
        for (name, value) in def.outputs.iter().zip(values) {
            let v = self.prog.const_value(value);
            let Some(v) = v.filter(|v| v.is_finite()) else {
                self.error(
                    Code::NotConstant,
                    def.value.span,
                    format!("the setting `me<{}>` must be a constant number", name.name),
                );
                continue;
            };
            let positive_int =
                |limit: f64| (v >= 1.0 && v <= limit && v.fract() == 0.0).then_some(v as u32);
            let s = &mut self.prog.settings;
            let set = match name.name.as_str() {
                "width" => s.width.is_some(),
                "height" => s.height.is_some(),
                "rate" => s.rate.is_some(),
                "fps" => s.fps.is_some(),
                "loop" => s.loop_len.is_some(),
                "bpm" => s.bpm.is_some(),
                _ => false,
            };
            if set {
                self.error(
                    Code::DuplicateDefinition,
                    name.span,
                    format!("the setting `me<{}>` is set twice", name.name),
                );
                continue;
            }
            let s = &mut self.prog.settings;
            let ok = match name.name.as_str() {
                "width" => positive_int(16384.0).map(|w| s.width = Some(w)).is_some(),
                "height" => positive_int(16384.0).map(|h| s.height = Some(h)).is_some(),
                "rate" => positive_int(384_000.0).map(|r| s.rate = Some(r)).is_some(),
                "fps" => (v > 0.0 && v <= 1000.0).then(|| s.fps = Some(v)).is_some(),
                "loop" => (v > 0.0).then(|| s.loop_len = Some(v)).is_some(),
                "bpm" => (v > 0.0).then(|| s.bpm = Some(v)).is_some(),
                other => {
                    self.error(
                        Code::UnknownSetting,
                        name.span,
                        format!("unknown setting `me<{other}>`; settings are width, height, fps, rate, loop, bpm"),
                    );
                    continue;
                }
            };
            if !ok {
                self.error(
                    Code::NotConstant,
                    def.value.span,
                    format!("`me<{}>` = {v} is out of range", name.name),
                );
            }
        }
    }

    pub(super) fn sink(
        &mut self,
        env: &Env,
        out: &ast::OutputStmt,
        item: &ast::Item,
        segment: Option<SegmentId>,
    ) {
        self.site = item.span;
        let mut ids = Vec::new();
        let mut prefix = false;
        for a in &out.args {
            // `display(img)` shows all of an instance's outputs, in order (the
            // first 3 of 4, as for a multi-output builtin).
            if let Some(all) = self.all_outputs(env, a) {
                prefix = out.args.len() == 1;
                ids.extend(all);
                continue;
            }
            match self.expr(env, a) {
                Some(v) => {
                    prefix = out.args.len() == 1 && v.prefix;
                    ids.extend(v.ids)
                }
                None => return,
            }
        }
        let kw = &out.keyword.name;
        let allowed: &[usize] = match out.kind {
            OutputKind::Display => &[1, 3],
            OutputKind::Play => &[1, 2],
            OutputKind::Osc => &[],
        };
        if out.kind == OutputKind::Osc {
            if ids.is_empty() {
                self.error(
                    Code::OutputArgs,
                    item.span,
                    "`osc` needs an address and at least one value",
                );
                return;
            }
        } else if !allowed.contains(&ids.len()) {
            let fits = allowed.iter().rev().find(|&&n| n < ids.len()).copied();
            match fits {
                Some(n) if prefix => ids.truncate(n),
                _ => {
                    let what = if out.kind == OutputKind::Display {
                        "1 value (gray) or 3 (r, g, b)"
                    } else {
                        "1 value (mono) or 2 (left, right)"
                    };
                    self.error(
                        Code::OutputArgs,
                        item.span,
                        format!("`{kw}` takes {what}, got {}", ids.len()),
                    );
                    return;
                }
            }
        }
        self.prog.sinks.push(Sink {
            kind: out.kind,
            span: item.span,
            address: out.address.as_ref().map(|a| a.0.clone()),
            values: ids,
            segment,
            prose: item.prose.clone(),
            deps: Vec::new(),
        });
    }
}
