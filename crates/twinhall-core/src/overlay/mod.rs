//! GPU-free logic behind the live overlays: a spatial index over points, camera coverage,
//! motion between reports, label declutter, clustering, search and the four-colour scale.
//! The app's overlay plugins only adapt these to the ECS and the screen.

pub mod cluster;
pub mod coverage;
pub mod declutter;
pub mod motion;
pub mod search;
pub mod spatial;
pub mod thin;

use crate::protocol::WarningLevel;

/// The four-colour level of a governance index score (0 to 100): blue from 85, yellow from 75,
/// orange from 65, red below.
pub fn index_level(score: f32) -> WarningLevel {
    if score >= 85.0 {
        WarningLevel::Blue
    } else if score >= 75.0 {
        WarningLevel::Yellow
    } else if score >= 65.0 {
        WarningLevel::Orange
    } else {
        WarningLevel::Red
    }
}

/// sRGB colour of a four-colour level.
pub fn level_rgb(level: WarningLevel) -> [f32; 3] {
    match level {
        WarningLevel::Blue => [0.20, 0.50, 0.95],
        WarningLevel::Yellow => [0.98, 0.85, 0.15],
        WarningLevel::Orange => [1.00, 0.55, 0.10],
        WarningLevel::Red => [0.92, 0.15, 0.15],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_score() {
        assert_eq!(index_level(90.0), WarningLevel::Blue);
        assert_eq!(index_level(80.0), WarningLevel::Yellow);
        assert_eq!(index_level(70.0), WarningLevel::Orange);
        assert_eq!(index_level(50.0), WarningLevel::Red);
    }
}
