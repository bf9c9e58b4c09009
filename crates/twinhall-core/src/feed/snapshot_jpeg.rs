//! Camera stills: a JPEG the server draws for a camera — a sky and street view that differs by
//! camera and heading, with the camera's 20-digit id and the simulated time burnt in with a
//! small bitmap font (digits and ':' only; Chinese names need a font rasteriser we do not ship).

use crate::generate::SplitMix64;
use crate::protocol::{Camera, Millis};
use image::{Rgb, RgbImage};

const W: u32 = 640;
const H: u32 = 360;

/// 3x5 glyphs for 0-9 and ':' (rows top to bottom, 3 bits each).
fn glyph(c: char) -> Option<[u8; 5]> {
    Some(match c {
        '0' => [7, 5, 5, 5, 7],
        '1' => [2, 6, 2, 2, 7],
        '2' => [7, 1, 7, 4, 7],
        '3' => [7, 1, 7, 1, 7],
        '4' => [5, 5, 7, 1, 1],
        '5' => [7, 4, 7, 1, 7],
        '6' => [7, 4, 7, 5, 7],
        '7' => [7, 1, 1, 1, 1],
        '8' => [7, 5, 7, 5, 7],
        '9' => [7, 5, 7, 1, 7],
        ':' => [0, 2, 0, 2, 0],
        '-' => [0, 0, 7, 0, 0],
        _ => return None,
    })
}

pub(crate) fn text(img: &mut RgbImage, x0: u32, y0: u32, s: &str, scale: u32, colour: Rgb<u8>) {
    let mut x = x0;
    for c in s.chars() {
        if let Some(rows) = glyph(c) {
            for (r, bits) in rows.iter().enumerate() {
                for col in 0..3u32 {
                    if bits & (4 >> col) != 0 {
                        for dy in 0..scale {
                            for dx in 0..scale {
                                let (px, py) = (x + col * scale + dx, y0 + r as u32 * scale + dy);
                                if px < W && py < H {
                                    img.put_pixel(px, py, colour);
                                }
                            }
                        }
                    }
                }
            }
        }
        x += 4 * scale;
    }
}

/// The still of `camera` at `now`, as JPEG bytes.
pub fn camera_jpeg(camera: &Camera, now: Millis) -> Result<Vec<u8>, String> {
    let seed = camera.id.bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let mut rng = SplitMix64::new(seed ^ (camera.heading_deg as u64));
    let horizon = H * 45 / 100;
    let mut img = RgbImage::from_fn(W, H, |_, y| {
        if y < horizon {
            let t = y as f32 / horizon as f32;
            Rgb([(40.0 + 80.0 * t) as u8, (70.0 + 90.0 * t) as u8, (120.0 + 100.0 * t) as u8])
        } else {
            let t = (y - horizon) as f32 / (H - horizon) as f32;
            Rgb([(70.0 + 30.0 * t) as u8, (72.0 + 30.0 * t) as u8, (76.0 + 30.0 * t) as u8])
        }
    });
    // Buildings along the horizon.
    let mut x = 0;
    while x < W {
        let w = 30 + (rng.next_u64() % 90) as u32;
        let h = 40 + (rng.next_u64() % 110) as u32;
        let shade = 90 + (rng.next_u64() % 80) as u8;
        for px in x..(x + w).min(W) {
            for py in horizon.saturating_sub(h)..horizon {
                let window = (px % 12 < 5) && (py % 14 < 6) && !rng.next_u64().is_multiple_of(7);
                let c = if window {
                    Rgb([shade / 2 + 90, shade / 2 + 80, 60])
                } else {
                    Rgb([shade / 2, shade / 2 + 5, shade / 2 + 15])
                };
                img.put_pixel(px, py, c);
            }
        }
        x += w + (rng.next_u64() % 20) as u32;
    }
    // Road lines converging to the centre.
    for y in horizon..H {
        let spread = (y - horizon) as f32 / (H - horizon) as f32;
        for lane in [-1.0f32, 0.0, 1.0] {
            let cx = (W as f32 / 2.0 + lane * spread * W as f32 * 0.45) as u32;
            for dx in 0..(1 + (spread * 4.0) as u32) {
                if cx + dx < W && (lane != 0.0 || (y / 12).is_multiple_of(2)) {
                    img.put_pixel(cx + dx, y, Rgb([220, 220, 200]));
                }
            }
        }
    }
    if !camera.online {
        for p in img.pixels_mut() {
            let g = ((u16::from(p.0[0]) + u16::from(p.0[1]) + u16::from(p.0[2])) / 6) as u8;
            *p = Rgb([g, g, g]);
        }
    }
    let secs = now.div_euclid(1000);
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    // Beijing time, as the platform shows it.
    let clock = format!("{:02}:{:02}:{:02}", (h + 8) % 24, m, s);
    text(&mut img, 12, 12, &camera.id, 3, Rgb([255, 255, 255]));
    text(&mut img, 12, H - 30, &clock, 4, Rgb([255, 230, 80]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80).encode_image(&img).map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}
