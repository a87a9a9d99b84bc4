//! Small, valid files of each accepted type, made in memory: for tests, for the browser
//! walk-through and for `hezhi seed`, so that nothing binary needs to live in the repository.

use image::{ImageEncoder, Rgb, RgbImage};

/// A camera's notes to write into a sample photo.
#[derive(Debug, Clone, Copy, Default)]
pub struct CameraNotes<'a> {
    /// `YYYY:MM:DD HH:MM:SS`, as cameras write it.
    pub taken_at: Option<&'a str>,
    /// Latitude and longitude in degrees.
    pub position: Option<(f64, f64)>,
}

fn picture(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let r = (x * 255 / width.max(1)) as u8;
        let g = (y * 255 / height.max(1)) as u8;
        Rgb([r, g, 160])
    })
}

/// A JPEG photo with an EXIF block carrying `notes`.
pub fn jpeg(width: u32, height: u32, notes: CameraNotes<'_>) -> Vec<u8> {
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 85)
        .write_image(
            picture(width, height).as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .expect("encoding an in-memory picture cannot fail");
    let exif = exif_block(notes);
    if exif.is_empty() {
        return plain;
    }
    // APP1 goes right after the start-of-image marker.
    let mut out = Vec::with_capacity(plain.len() + exif.len() + 10);
    out.extend_from_slice(&plain[..2]);
    out.extend_from_slice(&[0xFF, 0xE1]);
    let length = u16::try_from(exif.len() + 8).expect("a sample EXIF block is small");
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&exif);
    out.extend_from_slice(&plain[2..]);
    out
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            picture(width, height).as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .expect("encoding an in-memory picture cannot fail");
    out
}

pub fn webp(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .write_image(
            picture(width, height).as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .expect("encoding an in-memory picture cannot fail");
    out
}

/// A one-page PDF with a line of text.
pub fn pdf(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 12 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{stream}\nendstream",
            stream.len()
        ),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn exif_block(notes: CameraNotes<'_>) -> Vec<u8> {
    use exif::{Field, In, Rational, Tag, Value};
    let mut fields = Vec::new();
    if let Some(at) = notes.taken_at {
        fields.push(Field {
            tag: Tag::DateTimeOriginal,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![at.as_bytes().to_vec()]),
        });
    }
    if let Some((lat, lon)) = notes.position {
        let dms = |degrees: f64| {
            let d = degrees.abs();
            let whole = d.trunc();
            let minutes = ((d - whole) * 60.0).trunc();
            let seconds = ((d - whole) * 60.0 - minutes) * 60.0;
            Value::Rational(vec![
                Rational::from((whole as u32, 1)),
                Rational::from((minutes as u32, 1)),
                Rational::from(((seconds * 10_000.0).round() as u32, 10_000)),
            ])
        };
        let reference = |text: &str| Value::Ascii(vec![text.as_bytes().to_vec()]);
        fields.extend([
            Field {
                tag: Tag::GPSLatitudeRef,
                ifd_num: In::PRIMARY,
                value: reference(if lat < 0.0 { "S" } else { "N" }),
            },
            Field {
                tag: Tag::GPSLatitude,
                ifd_num: In::PRIMARY,
                value: dms(lat),
            },
            Field {
                tag: Tag::GPSLongitudeRef,
                ifd_num: In::PRIMARY,
                value: reference(if lon < 0.0 { "W" } else { "E" }),
            },
            Field {
                tag: Tag::GPSLongitude,
                ifd_num: In::PRIMARY,
                value: dms(lon),
            },
        ]);
    }
    if fields.is_empty() {
        return Vec::new();
    }
    let mut writer = exif::experimental::Writer::new();
    for field in &fields {
        writer.push_field(field);
    }
    let mut out = std::io::Cursor::new(Vec::new());
    writer
        .write(&mut out, false)
        .expect("writing sample EXIF to memory cannot fail");
    out.into_inner()
}
