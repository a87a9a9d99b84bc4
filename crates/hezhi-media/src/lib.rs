//! Files attached to cases: what a file really is, judged by its content and never by its
//! name; a thumbnail for images; and the time and place a camera wrote into a photo, kept as
//! evidence.
//!
//! Everything here works on bytes in memory: no IO, so the server decides where files live.

use chrono::NaiveDateTime;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};
use std::io::Cursor;

/// The largest file accepted, in bytes (10 MiB).
pub const MAX_FILE_SIZE: usize = 10 * 1024 * 1024;

/// The longest side of a thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 320;

/// A decoded image may not be larger than this many pixels on a side; a small file that
/// claims to be enormous (a decompression bomb) is refused rather than decoded.
const MAX_IMAGE_SIDE: u32 = 12_000;

/// The kinds of file a case accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    Jpeg,
    Png,
    Webp,
    Pdf,
}

impl MediaType {
    pub const ALL: [MediaType; 4] = [
        MediaType::Jpeg,
        MediaType::Png,
        MediaType::Webp,
        MediaType::Pdf,
    ];

    /// The MIME type, as stored and as sent in `Content-Type`.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Webp => "image/webp",
            MediaType::Pdf => "application/pdf",
        }
    }

    pub fn from_mime(mime: &str) -> Option<MediaType> {
        MediaType::ALL.into_iter().find(|t| t.mime() == mime)
    }

    pub fn is_image(self) -> bool {
        self != MediaType::Pdf
    }

    /// Recognises a file by its first bytes.
    pub fn sniff(bytes: &[u8]) -> Option<MediaType> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(MediaType::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(MediaType::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(MediaType::Webp)
        } else if bytes.starts_with(b"%PDF-") {
            Some(MediaType::Pdf)
        } else {
            None
        }
    }

    fn image_format(self) -> Option<ImageFormat> {
        match self {
            MediaType::Jpeg => Some(ImageFormat::Jpeg),
            MediaType::Png => Some(ImageFormat::Png),
            MediaType::Webp => Some(ImageFormat::WebP),
            MediaType::Pdf => None,
        }
    }
}

/// Why a file was refused. Each reason maps to a message the person who sent it can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is {size} bytes; at most {MAX_FILE_SIZE} are accepted")]
    TooLarge { size: usize },
    #[error("only JPEG, PNG and WebP images and PDF documents are accepted")]
    UnsupportedType,
    #[error("the file looks like {0:?} but cannot be read: {1}")]
    Unreadable(MediaType, String),
}

/// A camera's record of where a photo was taken, in WGS-84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExifPosition {
    pub latitude: f64,
    pub longitude: f64,
}

/// What the content of one file tells: its type, its size in pixels, the camera's time and
/// position, and a thumbnail for images.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspected {
    pub media_type: MediaType,
    /// Lower-case hex SHA-256 of the bytes: the name the file is stored under.
    pub digest: String,
    pub size: usize,
    /// Width and height, after the camera's orientation is applied.
    pub dimensions: Option<(u32, u32)>,
    /// `DateTimeOriginal` as the camera wrote it: local time without a zone.
    pub taken_at: Option<NaiveDateTime>,
    pub position: Option<ExifPosition>,
    /// A JPEG no larger than [`THUMBNAIL_SIDE`] on either side, turned upright.
    pub thumbnail: Option<Vec<u8>>,
}

/// The lower-case hex SHA-256 of `bytes`.
pub fn digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks a file and reads what it tells. Images are decoded in full, so a file that only
/// starts like an image is refused.
pub fn inspect(bytes: &[u8]) -> Result<Inspected, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    if bytes.len() > MAX_FILE_SIZE {
        return Err(MediaError::TooLarge { size: bytes.len() });
    }
    let media_type = MediaType::sniff(bytes).ok_or(MediaError::UnsupportedType)?;
    let mut inspected = Inspected {
        media_type,
        digest: digest(bytes),
        size: bytes.len(),
        dimensions: None,
        taken_at: None,
        position: None,
        thumbnail: None,
    };
    match media_type.image_format() {
        Some(format) => {
            if media_type == MediaType::Jpeg {
                check_jpeg_complete(bytes)?;
            }
            let unreadable =
                |e: image::ImageError| MediaError::Unreadable(media_type, e.to_string());
            let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
            reader.limits(decoding_limits());
            let mut decoder = reader.into_decoder().map_err(unreadable)?;
            let orientation = decoder.orientation().map_err(unreadable)?;
            if let Some(exif) = decoder.exif_metadata().ok().flatten() {
                let evidence = read_exif(exif);
                inspected.taken_at = evidence.taken_at;
                inspected.position = evidence.position;
            }
            let mut picture = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
            picture.apply_orientation(orientation);
            inspected.dimensions = Some((picture.width(), picture.height()));
            inspected.thumbnail = Some(thumbnail(&picture).map_err(unreadable)?);
        }
        None => check_pdf(bytes)?,
    }
    Ok(inspected)
}

fn decoding_limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    limits
}

fn thumbnail(picture: &DynamicImage) -> Result<Vec<u8>, image::ImageError> {
    let small = picture.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE).to_rgb8();
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80);
    small.write_with_encoder(encoder)?;
    Ok(out)
}

/// JPEG decoders fill a picture cut short in transfer with grey and say nothing, so the
/// end-of-image marker is looked for: entropy-coded data never holds `FF D9`, so the first
/// one after the first start-of-scan is the real end (data a phone appends after it, such as
/// a motion photo's video, is left alone).
fn check_jpeg_complete(bytes: &[u8]) -> Result<(), MediaError> {
    let broken = |why: &str| MediaError::Unreadable(MediaType::Jpeg, why.to_owned());
    let mut at = 2;
    let scan = loop {
        match bytes.get(at..at + 4) {
            Some([0xFF, 0xDA, ..]) => break at,
            Some([0xFF, _, high, low]) => at += 2 + usize::from(u16::from_be_bytes([*high, *low])),
            _ => return Err(broken("the header is damaged")),
        }
    };
    if bytes[scan..].windows(2).any(|w| w == [0xFF, 0xD9]) {
        Ok(())
    } else {
        Err(broken("no end-of-image marker: the file may be incomplete"))
    }
}

/// A PDF has a version header and an end-of-file marker in its last kilobyte; a file that
/// was cut short in transfer has no marker.
fn check_pdf(bytes: &[u8]) -> Result<(), MediaError> {
    let version_ok = bytes
        .get(5..8)
        .is_some_and(|v| v[0].is_ascii_digit() && v[1] == b'.' && v[2].is_ascii_digit());
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    let ends = tail.windows(5).any(|w| w == b"%%EOF");
    if !version_ok {
        return Err(MediaError::Unreadable(
            MediaType::Pdf,
            "no PDF version in the header".into(),
        ));
    }
    if !ends {
        return Err(MediaError::Unreadable(
            MediaType::Pdf,
            "no end-of-file marker: the file may be incomplete".into(),
        ));
    }
    Ok(())
}

#[derive(Debug, Default)]
struct Evidence {
    taken_at: Option<NaiveDateTime>,
    position: Option<ExifPosition>,
}

/// Reads the capture time and GPS position from a raw EXIF (TIFF) block. A malformed block
/// yields nothing rather than refusing the photo: the picture itself is still evidence.
fn read_exif(raw: Vec<u8>) -> Evidence {
    let Ok(exif) = exif::Reader::new().read_raw(raw) else {
        return Evidence::default();
    };
    let ascii = |tag| match exif.get_field(tag, exif::In::PRIMARY).map(|f| &f.value) {
        Some(exif::Value::Ascii(parts)) => parts
            .first()
            .map(|p| String::from_utf8_lossy(p).trim().to_owned()),
        _ => None,
    };
    let taken_at = ascii(exif::Tag::DateTimeOriginal)
        .or_else(|| ascii(exif::Tag::DateTime))
        .and_then(|text| NaiveDateTime::parse_from_str(&text, "%Y:%m:%d %H:%M:%S").ok());
    let degrees = |tag| match exif.get_field(tag, exif::In::PRIMARY).map(|f| &f.value) {
        Some(exif::Value::Rational(parts)) if parts.len() == 3 => {
            let part = |i: usize| parts[i].to_f64();
            let value = part(0) + part(1) / 60.0 + part(2) / 3600.0;
            value.is_finite().then_some(value)
        }
        _ => None,
    };
    let position = match (
        degrees(exif::Tag::GPSLatitude),
        ascii(exif::Tag::GPSLatitudeRef),
        degrees(exif::Tag::GPSLongitude),
        ascii(exif::Tag::GPSLongitudeRef),
    ) {
        (Some(lat), Some(lat_ref), Some(lon), Some(lon_ref)) => {
            let latitude = if lat_ref == "S" { -lat } else { lat };
            let longitude = if lon_ref == "W" { -lon } else { lon };
            ((-90.0..=90.0).contains(&latitude) && (-180.0..=180.0).contains(&longitude)).then_some(
                ExifPosition {
                    latitude,
                    longitude,
                },
            )
        }
        _ => None,
    };
    Evidence { taken_at, position }
}

pub mod sample;
