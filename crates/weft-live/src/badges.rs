//! Badges: the strands `#badge inst<out>` names, read at the centre of the picture
//! with every display frame, so a page can show their live values.

use crate::snapshot::BadgeState;
use weft_engine::backend::{Point, PointProbe};
use weft_engine::coordinator::{Coordinator, Uniforms};
use weft_lang::ir::{coord, Expr, Program, SegmentId};

/// The compiled badges of the running program.
#[derive(Debug, Default)]
pub struct Badges {
    /// (scope index, badge index, its probe).
    probes: Vec<(usize, usize, PointProbe)>,
    point: Point,
}

impl Badges {
    /// Compiles a probe per badge in the scope it belongs to (a badge whose strand
    /// cannot be probed shows no value), and the states to publish.
    pub fn new(program: &Program, scopes: &[Coordinator]) -> (Badges, Vec<BadgeState>) {
        let mut probes = Vec::new();
        let mut states = Vec::new();
        for (i, b) in program.badges.iter().enumerate() {
            states.push(BadgeState {
                name: b.name.clone(),
                label: b.label.clone(),
                value: None,
            });
            let scope = match (b.segment, program.segments.is_empty()) {
                (Some(SegmentId(s)), false) => s as usize,
                _ => 0,
            };
            let Expr::Ref { inst, out } = program.expr(b.value) else {
                continue;
            };
            if let Some(probe) = scopes
                .get(scope)
                .and_then(|c| c.point_probe(*inst, *out).ok())
            {
                probes.push((scope, i, probe));
            }
        }
        let point = Point {
            coords: vec![0.0; program.coords.len().max(coord::NAMES.len())],
        };
        (Badges { probes, point }, states)
    }

    /// Reads every badge of `scope` at the centre of the picture at `local`
    /// (`me@time`) and `now` (`me@abstime`).
    pub fn update(
        &mut self,
        scope: usize,
        (local, now, frame): (f64, f64, f64),
        uniforms: &Uniforms,
        states: &mut [BadgeState],
    ) {
        let c = &mut self.point.coords;
        c[coord::X.0 as usize] = 0.5;
        c[coord::Y.0 as usize] = 0.5;
        c[coord::TIME.0 as usize] = local;
        c[coord::ABSTIME.0 as usize] = now;
        c[coord::FRAME.0 as usize] = frame;
        for (s, i, probe) in &mut self.probes {
            if *s == scope {
                if let Some(state) = states.get_mut(*i) {
                    state.value = Some(probe.value(&self.point, uniforms.as_slice()));
                }
            }
        }
    }
}
