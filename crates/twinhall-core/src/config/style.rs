//! The `[style]` section: day and night palettes, what building colours encode.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StyleMode {
    #[default]
    Night,
    Day,
}

/// What building colours encode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColorBy {
    #[default]
    Height,
    Type,
}

/// Roof-line colours by building kind (residential, commercial, civic, religious, industrial,
/// small, other), used when `style.color_by = "type"`.
pub const KIND_COLOURS: [Rgba; 7] = [
    Rgba::hex(0x3a, 0x9a, 0xf0),
    Rgba::hex(0xff, 0xa6, 0x3a),
    Rgba::hex(0x3c, 0xe0, 0xb0),
    Rgba::hex(0xc0, 0x7c, 0xff),
    Rgba::hex(0xc8, 0x8a, 0x50),
    Rgba::hex(0x8a, 0x98, 0xa8),
    Rgba::hex(0x6a, 0xb8, 0xe8),
];

/// An sRGB colour written as `#rrggbb` or `#rrggbbaa`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rgba(pub [f32; 4]);

impl Rgba {
    pub fn parse(s: &str) -> Option<Self> {
        let hex = s.strip_prefix('#')?;
        if !(hex.len() == 6 || hex.len() == 8) || !hex.is_ascii() {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok().map(|b| f32::from(b) / 255.0);
        let a = if hex.len() == 8 { byte(6)? } else { 1.0 };
        Some(Self([byte(0)?, byte(2)?, byte(4)?, a]))
    }

    const fn hex(r: u8, g: u8, b: u8) -> Self {
        Self([r as f32 / 255.0, g as f32 / 255.0, b as f32 / 255.0, 1.0])
    }
}

impl fmt::Display for Rgba {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        write!(f, "#{:02x}{:02x}{:02x}", c(self.0[0]), c(self.0[1]), c(self.0[2]))?;
        if self.0[3] < 1.0 {
            write!(f, "{:02x}", c(self.0[3]))?;
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Rgba {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("`{s}` is not a colour; write #rrggbb or #rrggbbaa")))
    }
}

impl Serialize for Rgba {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StyleConfig {
    pub mode: StyleMode,
    /// What the building colour shows: height or type.
    pub color_by: ColorBy,
    #[serde(deserialize_with = "night_palette")]
    pub night: Palette,
    #[serde(deserialize_with = "day_palette")]
    pub day: Palette,
}

fn night_palette<'de, D: Deserializer<'de>>(d: D) -> Result<Palette, D::Error> {
    Ok(PaletteOverride::deserialize(d)?.apply(Palette::night()))
}

fn day_palette<'de, D: Deserializer<'de>>(d: D) -> Result<Palette, D::Error> {
    Ok(PaletteOverride::deserialize(d)?.apply(Palette::day()))
}

macro_rules! palette_override {
    ($($field:ident: $ty:ty),* $(,)?) => {
        /// A palette table in the config: any field left out keeps the style's default.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct PaletteOverride {
            $(#[serde(default)] $field: Option<$ty>,)*
        }

        impl PaletteOverride {
            fn apply(self, mut base: Palette) -> Palette {
                $(if let Some(v) = self.$field { base.$field = v; })*
                base
            }
        }
    };
}

palette_override!(
    sky: Rgba, ground: Rgba, building_base: Rgba, building_top: Rgba, building_tall: Rgba,
    roof: Rgba, tall_m: f32, road_major: Rgba, road_minor: Rgba, path: Rgba, railway: Rgba,
    water: Rgba, green: Rgba, ambient: f32, sun_lux: f32,
);

impl Default for StyleConfig {
    fn default() -> Self {
        Self { mode: StyleMode::Night, color_by: ColorBy::Height, night: Palette::night(), day: Palette::day() }
    }
}

impl StyleConfig {
    pub fn palette(&self) -> &Palette {
        match self.mode {
            StyleMode::Night => &self.night,
            StyleMode::Day => &self.day,
        }
    }
}

/// Colours of one style.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Palette {
    pub sky: Rgba,
    pub ground: Rgba,
    pub building_base: Rgba,
    pub building_top: Rgba,
    pub building_tall: Rgba,
    pub roof: Rgba,
    pub tall_m: f32,
    pub road_major: Rgba,
    pub road_minor: Rgba,
    pub path: Rgba,
    pub railway: Rgba,
    pub water: Rgba,
    pub green: Rgba,
    /// Ambient light brightness (cd/m² as Bevy measures it).
    pub ambient: f32,
    /// Sun illuminance in lux.
    pub sun_lux: f32,
}

impl Palette {
    pub fn night() -> Self {
        Self {
            sky: Rgba::hex(0x04, 0x08, 0x14),
            ground: Rgba::hex(0x08, 0x10, 0x1e),
            building_base: Rgba::hex(0x06, 0x12, 0x2c),
            building_top: Rgba::hex(0x2f, 0x8c, 0xe0),
            building_tall: Rgba::hex(0x6a, 0xf0, 0xff),
            roof: Rgba::hex(0x1c, 0x4f, 0x8c),
            tall_m: 60.0,
            road_major: Rgba::hex(0xff, 0xb3, 0x40),
            road_minor: Rgba::hex(0x2e, 0x6a, 0x9a),
            path: Rgba::hex(0x1a, 0x36, 0x52),
            railway: Rgba::hex(0x9a, 0x6c, 0xff),
            water: Rgba::hex(0x0a, 0x3a, 0x6e),
            green: Rgba::hex(0x0e, 0x3b, 0x2e),
            ambient: 400.0,
            sun_lux: 3000.0,
        }
    }

    pub fn day() -> Self {
        Self {
            sky: Rgba::hex(0xbf, 0xd8, 0xee),
            ground: Rgba::hex(0xe4, 0xe1, 0xd8),
            building_base: Rgba::hex(0x9c, 0x98, 0x90),
            building_top: Rgba::hex(0xee, 0xea, 0xe2),
            building_tall: Rgba::hex(0xc0, 0xd4, 0xee),
            roof: Rgba::hex(0xd8, 0xd4, 0xcc),
            tall_m: 60.0,
            road_major: Rgba::hex(0xff, 0xd2, 0x7a),
            road_minor: Rgba::hex(0xff, 0xff, 0xff),
            path: Rgba::hex(0xd6, 0xcf, 0xc4),
            railway: Rgba::hex(0x8a, 0x84, 0x90),
            water: Rgba::hex(0x8e, 0xc3, 0xe6),
            green: Rgba::hex(0xb5, 0xd9, 0x9c),
            ambient: 900.0,
            sun_lux: 12000.0,
        }
    }
}
