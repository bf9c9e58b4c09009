//! The colours of a chart's categories: one palette, every two of its colours far apart to the
//! eye (CIE76 ΔE in CIELAB, tested), every one of them clear of the wall's dark cards.

/// The categories' colours (sRGB), in the order a series' elements take them. Twelve: a bar
/// chart shows at most twelve elements; beyond, the colours repeat.
pub const CATEGORY_COLOURS: [[u8; 3]; 12] = [
    [0x4e, 0x9c, 0xf5], // blue
    [0xf2, 0x99, 0x4a], // orange
    [0x6f, 0xcf, 0x97], // green
    [0xeb, 0x57, 0x57], // red
    [0xbb, 0x6b, 0xd9], // purple
    [0xf2, 0xc9, 0x4c], // yellow
    [0x2e, 0xc4, 0xc4], // teal
    [0xff, 0x8f, 0xc8], // pink
    [0xa0, 0x78, 0x4a], // brown
    [0xb8, 0xc4, 0xd0], // grey
    [0xb5, 0xe6, 0x55], // lime
    [0x7c, 0x4d, 0xff], // violet
];

/// The fill of the wall's cards (sRGB), which every category colour must stand out from.
pub const CARD_FILL: [u8; 3] = [8, 14, 28];

/// The colour of the `n`-th category (in the metric's own order, so that one category keeps its
/// colour from chart to chart).
pub fn category_colour(n: usize) -> [u8; 3] {
    CATEGORY_COLOURS[n % CATEGORY_COLOURS.len()]
}

/// An sRGB colour in CIELAB (D65 white): L*, a*, b*.
pub fn lab(rgb: [u8; 3]) -> [f64; 3] {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    let [r, g, b] = rgb.map(lin);
    let x = 0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b;
    let y = 0.212_672_9 * r + 0.715_152_2 * g + 0.072_175_0 * b;
    let z = 0.019_333_9 * r + 0.119_192_0 * g + 0.950_304_1 * b;
    let f = |t: f64| {
        const D: f64 = 6.0 / 29.0;
        if t > D * D * D { t.cbrt() } else { t / (3.0 * D * D) + 4.0 / 29.0 }
    };
    let (fx, fy, fz) = (f(x / 0.950_47), f(y), f(z / 1.088_83));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// How far apart two colours look: CIE76 ΔE, the distance in CIELAB (about 2 is just
/// noticeable; 20 and more are two different colours at a glance).
pub fn delta_e76(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (a, b) = (lab(a), lab(b));
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}
