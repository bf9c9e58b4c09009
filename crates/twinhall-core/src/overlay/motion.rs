//! Units between reports: extrapolated along the reported heading at the reported speed (for at
//! most a few seconds), and eased from where they were drawn to the new report, so a 2-second
//! update never teleports them. The units shader does the same sums on the GPU; this is the CPU
//! copy for picking and labels, and the reference its tests pin.

/// Extrapolation stops after this long without a report.
pub const MAX_EXTRAPOLATION_S: f32 = 4.0;
/// A new report is eased in over this long.
pub const EASE_S: f32 = 0.8;

/// A unit's motion as drawn: where it was reported, its velocity, and the offset from where it
/// was drawn when the report arrived (eased to zero).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Motion {
    /// Local metres at the report.
    pub pos: [f32; 2],
    /// Metres per second, east and north.
    pub vel: [f32; 2],
    /// Drawn position minus reported position when the report arrived.
    pub offset: [f32; 2],
    /// Clock time of the report's arrival, seconds.
    pub t0: f32,
}

impl Motion {
    pub fn new(pos: [f32; 2], heading_deg: f32, speed_mps: f32, t0: f32) -> Self {
        let h = heading_deg.to_radians();
        Self { pos, vel: [h.sin() * speed_mps, h.cos() * speed_mps], offset: [0.0, 0.0], t0 }
    }

    /// Position at clock time `t`.
    pub fn at(&self, t: f32) -> [f32; 2] {
        let dt = (t - self.t0).clamp(0.0, MAX_EXTRAPOLATION_S);
        let ease = 1.0 - smoothstep((t - self.t0) / EASE_S);
        [self.pos[0] + self.vel[0] * dt + self.offset[0] * ease, self.pos[1] + self.vel[1] * dt + self.offset[1] * ease]
    }

    /// The motion after a new report arriving at `t`, continuing from where this one is drawn.
    pub fn report(&self, pos: [f32; 2], heading_deg: f32, speed_mps: f32, t: f32) -> Self {
        let drawn = self.at(t);
        let mut next = Self::new(pos, heading_deg, speed_mps, t);
        let off = [drawn[0] - pos[0], drawn[1] - pos[1]];
        // A jump of more than 200 m is a relocation, not motion: no easing across the city.
        if off[0].hypot(off[1]) < 200.0 {
            next.offset = off;
        }
        next
    }
}

fn smoothstep(x: f32) -> f32 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_move_on_between_reports_and_never_jump_at_one() {
        let m = Motion::new([0.0, 0.0], 90.0, 10.0, 0.0);
        let p = m.at(1.0);
        assert!((p[0] - 10.0).abs() < 1e-4 && p[1].abs() < 1e-4, "east at 10 m/s: {p:?}");
        assert!((m.at(100.0)[0] - 40.0).abs() < 1e-3, "extrapolation stops");
        // The next report, 2 s later, says 18 m east: the drawn position does not jump.
        let n = m.report([18.0, 0.0], 90.0, 10.0, 2.0);
        let before = m.at(2.0);
        let after = n.at(2.0);
        assert!((before[0] - after[0]).abs() < 1e-4, "continuous at the report: {before:?} {after:?}");
        let later = n.at(2.0 + EASE_S);
        assert!((later[0] - (18.0 + 10.0 * EASE_S)).abs() < 1e-3, "eased onto the report");
        // A relocation across the city is not eased.
        let far = m.report([5000.0, 0.0], 0.0, 0.0, 2.0);
        assert_eq!(far.at(2.0), [5000.0, 0.0]);
    }
}
