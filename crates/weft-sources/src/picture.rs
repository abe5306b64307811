//! Still images (`load("pic.png")`, or an image given as `--camera`): decoded once to
//! 8-bit RGBA, sampled at the nearest pixel.

use super::{lower_first, nearest_index, SourceError};
use image::{ImageFormat, ImageReader};
use std::fmt;
use std::io::Cursor;
use std::path::Path;

const NOT_AN_IMAGE: &str = "not a PNG or JPEG image (weft reads .png, .jpg and .jpeg)";

/// A decoded image: 8-bit RGBA, rows from the top.
#[derive(Clone)]
pub struct Image {
    outputs: u32,
    width: usize,
    height: usize,
    rgba: Vec<u8>,
}

impl fmt::Debug for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Image({}x{})", self.width, self.height)
    }
}

impl Image {
    /// An image from raw RGBA bytes (`width * height * 4` of them), or `None` when the
    /// size is zero or does not match.
    pub fn from_rgba(width: usize, height: usize, rgba: Vec<u8>) -> Option<Image> {
        let len = width.checked_mul(height)?.checked_mul(4)?;
        (width > 0 && height > 0 && rgba.len() == len).then_some(Image {
            outputs: 4,
            width,
            height,
            rgba,
        })
    }

    /// Reads and decodes a PNG or JPEG file (the format is guessed from the content,
    /// then from the extension).
    pub(crate) fn read(path: &Path) -> Result<Image, SourceError> {
        let bytes = weft_files::read(path, weft_files::Limit::DATA).map_err(SourceError::file)?;
        Image::decode(bytes, path)
    }

    /// Decodes PNG or JPEG bytes; `path` only helps guess the format.
    pub(crate) fn decode(bytes: Vec<u8>, path: &Path) -> Result<Image, SourceError> {
        if bytes.is_empty() {
            return Err(SourceError::new("the file is empty"));
        }
        let mut reader = ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(SourceError::io)?;
        if reader.format().is_none() {
            match ImageFormat::from_path(path) {
                Ok(format) => reader.set_format(format),
                Err(_) => return Err(SourceError::new(NOT_AN_IMAGE)),
            }
        }
        let decoded = reader.decode().map_err(|e| match e {
            image::ImageError::Unsupported(_) => SourceError::new(NOT_AN_IMAGE),
            e => SourceError::new(format!(
                "cannot decode the image: {}",
                lower_first(&e.to_string())
            )),
        })?;
        let rgba = decoded.to_rgba8();
        let (w, h) = (rgba.width() as usize, rgba.height() as usize);
        Image::from_rgba(w, h, rgba.into_raw())
            .ok_or_else(|| SourceError::new("the image has no pixels"))
    }

    /// The same image with only its first `n` outputs (`camera()` has r, g, b).
    pub(crate) fn with_outputs(mut self, n: u32) -> Image {
        self.outputs = n.min(4);
        self
    }

    /// How many outputs it has: the rest sample as 0.
    pub fn outputs(&self) -> u32 {
        self.outputs
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The pixels, RGBA, row-major from the top-left.
    pub fn rgba(&self) -> &[u8] {
        &self.rgba
    }

    /// Channel `out` (0 r, 1 g, 2 b, 3 a; others give 0) of the pixel nearest to
    /// (x, y), in 0..1: column `floor(x * width)`, row `floor(y * height)` from the
    /// top, clamped to the edges (NaN: the first).
    #[inline]
    pub fn sample(&self, out: u32, x: f64, y: f64) -> f64 {
        if out >= self.outputs {
            return 0.0;
        }
        let i = nearest_index(x, self.width);
        let j = nearest_index(y, self.height);
        let at = (j * self.width + i) * 4 + out as usize;
        self.rgba.get(at).map_or(0.0, |b| f64::from(*b) / 255.0)
    }
}
