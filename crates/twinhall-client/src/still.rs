//! Camera stills: the image's size is read from its header and checked before anything is decoded,
//! so a backend that sends an 11000 × 11000 PNG (a few hundred kilobytes that decode to gigabytes)
//! costs nothing but the refusal.

use std::fmt;
use std::io::Cursor;

use image::{ImageReader, Limits};

/// Widest or tallest still accepted, whatever the pixel limit: the largest texture every GPU the
/// wall may run on takes.
pub const MAX_STILL_SIDE_PX: u32 = 8192;

/// A decoded still, 8-bit RGBA rows top to bottom. Its `Debug` shows the size, not the pixels.
#[derive(Clone, PartialEq, Eq)]
pub struct Still {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

impl fmt::Debug for Still {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Still({}x{}, {} bytes)", self.width, self.height, self.rgba.len())
    }
}

/// Why a still was not decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StillError {
    /// Larger than allowed, from its header; nothing was decoded.
    #[error(
        "{width}x{height} pixels is over the limit of {max_pixels} pixels ({MAX_STILL_SIDE_PX} per side): refused before decoding"
    )]
    TooLarge { width: u32, height: u32, max_pixels: u64 },
    #[error("not an image: {0}")]
    NotAnImage(String),
}

impl StillError {
    /// Whether the still was refused for its size (counted as a refusal, not a broken image).
    pub fn is_too_large(&self) -> bool {
        matches!(self, Self::TooLarge { .. })
    }
}

/// The width and height in an image's header, read without decoding it.
pub fn still_dimensions(bytes: &[u8]) -> Result<(u32, u32), StillError> {
    reader(bytes)?.into_dimensions().map_err(|e| StillError::NotAnImage(e.to_string()))
}

fn reader(bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>, StillError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| StillError::NotAnImage(e.to_string()))?;
    if reader.format().is_none() {
        return Err(StillError::NotAnImage("the format is not recognised (PNG and JPEG are)".into()));
    }
    Ok(reader)
}

/// Decodes a PNG or JPEG still of at most `max_pixels` pixels and [`MAX_STILL_SIDE_PX`] per side,
/// checked from the header first.
pub fn decode_still(bytes: &[u8], max_pixels: u64) -> Result<Still, StillError> {
    let (width, height) = still_dimensions(bytes)?;
    if width > MAX_STILL_SIDE_PX || height > MAX_STILL_SIDE_PX || u64::from(width) * u64::from(height) > max_pixels {
        return Err(StillError::TooLarge { width, height, max_pixels });
    }
    let mut reader = reader(bytes)?;
    // The decoder holds to the size the header gave (a file that says one size and decodes to
    // another is refused).
    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    reader.limits(limits);
    let rgba = reader.decode().map_err(|e| StillError::NotAnImage(e.to_string()))?.into_rgba8();
    Ok(Still { width: rgba.width(), height: rgba.height(), rgba: rgba.into_raw() })
}

#[cfg(test)]
mod tests {
    use image::{ImageFormat, RgbImage};

    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        RgbImage::from_pixel(width, height, image::Rgb([200, 30, 10]))
            .write_to(&mut out, ImageFormat::Png)
            .expect("encode");
        out.into_inner()
    }

    #[test]
    fn a_small_still_decodes_to_rgba() {
        let still = decode_still(&png(20, 10), 1000).expect("decodes");
        assert_eq!((still.width, still.height, still.rgba.len()), (20, 10, 800));
        assert_eq!(&still.rgba[..4], &[200, 30, 10, 255]);
        assert_eq!(format!("{still:?}"), "Still(20x10, 800 bytes)");
    }

    #[test]
    fn too_many_pixels_or_too_wide_is_refused_from_the_header() {
        let err = decode_still(&png(20, 10), 199).expect_err("200 pixels > 199");
        assert_eq!(err, StillError::TooLarge { width: 20, height: 10, max_pixels: 199 });
        assert!(err.to_string().contains("20x10") && err.to_string().contains("199"), "{err}");
        let err = decode_still(&png(MAX_STILL_SIDE_PX + 1, 1), u64::MAX).expect_err("too wide");
        assert!(err.is_too_large());
    }

    #[test]
    fn what_is_not_an_image_says_so() {
        let err = decode_still(b"<html>502 Bad Gateway</html>", 1000).expect_err("html");
        assert!(matches!(err, StillError::NotAnImage(_)), "{err}");
        let mut cut = png(20, 10);
        cut.truncate(cut.len() / 2);
        assert!(matches!(decode_still(&cut, 1000), Err(StillError::NotAnImage(_))));
    }
}
