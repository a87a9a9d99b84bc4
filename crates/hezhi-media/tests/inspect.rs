use hezhi_media::sample::{self, CameraNotes};
use hezhi_media::{MAX_FILE_SIZE, MediaError, MediaType, THUMBNAIL_SIDE, inspect};

#[test]
fn a_photo_keeps_the_cameras_time_and_position_and_gets_a_small_upright_thumbnail() {
    let photo = sample::jpeg(
        1200,
        800,
        CameraNotes {
            taken_at: Some("2026:11:20 09:41:07"),
            position: Some((30.274_084, 120.155_070)),
        },
    );
    let seen = inspect(&photo).expect("a valid photo");
    assert_eq!(seen.media_type, MediaType::Jpeg);
    assert_eq!(seen.size, photo.len());
    assert_eq!(seen.digest.len(), 64);
    assert_eq!(seen.dimensions, Some((1200, 800)));
    assert_eq!(
        seen.taken_at.map(|t| t.to_string()).as_deref(),
        Some("2026-11-20 09:41:07")
    );
    let position = seen.position.expect("GPS position");
    assert!(
        (position.latitude - 30.274_084).abs() < 1e-5,
        "{position:?}"
    );
    assert!(
        (position.longitude - 120.155_070).abs() < 1e-5,
        "{position:?}"
    );

    let thumbnail = inspect(&seen.thumbnail.expect("thumbnail")).expect("the thumbnail is a JPEG");
    assert_eq!(thumbnail.dimensions, Some((THUMBNAIL_SIDE, 213)));
}

#[test]
fn southern_and_western_positions_are_negative() {
    let photo = sample::jpeg(
        40,
        40,
        CameraNotes {
            taken_at: None,
            position: Some((-33.5, -70.25)),
        },
    );
    let position = inspect(&photo).expect("valid").position.expect("GPS");
    assert!((position.latitude + 33.5).abs() < 1e-6);
    assert!((position.longitude + 70.25).abs() < 1e-6);
}

#[test]
fn png_webp_and_pdf_are_recognised_by_content() {
    let png = inspect(&sample::png(64, 32)).expect("png");
    assert_eq!(png.media_type, MediaType::Png);
    assert_eq!(png.dimensions, Some((64, 32)));
    assert!(png.thumbnail.is_some());
    assert_eq!(png.taken_at, None);

    let webp = inspect(&sample::webp(50, 70)).expect("webp");
    assert_eq!(webp.media_type, MediaType::Webp);
    assert_eq!(webp.dimensions, Some((50, 70)));

    let pdf = inspect(&sample::pdf("agreement")).expect("pdf");
    assert_eq!(pdf.media_type, MediaType::Pdf);
    assert_eq!(pdf.thumbnail, None);
    assert_eq!(pdf.dimensions, None);
}

#[test]
fn the_same_bytes_have_the_same_digest_and_different_bytes_do_not() {
    let a = inspect(&sample::png(8, 8)).expect("png");
    let b = inspect(&sample::png(8, 8)).expect("png");
    let c = inspect(&sample::png(9, 8)).expect("png");
    assert_eq!(a.digest, b.digest);
    assert_ne!(a.digest, c.digest);
    assert_eq!(
        hezhi_media::digest(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn anything_else_is_refused_with_a_reason() {
    assert_eq!(inspect(b""), Err(MediaError::Empty));
    assert_eq!(
        inspect(b"MZ\x90\x00 an executable renamed photo.jpg"),
        Err(MediaError::UnsupportedType)
    );
    assert_eq!(inspect(b"GIF89a......"), Err(MediaError::UnsupportedType));
    assert_eq!(
        inspect(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        Err(MediaError::UnsupportedType)
    );

    let photo = sample::jpeg(300, 200, CameraNotes::default());
    let cut = &photo[..photo.len() / 2];
    assert!(matches!(
        inspect(cut),
        Err(MediaError::Unreadable(MediaType::Jpeg, _))
    ));

    let mut header_only = b"\x89PNG\r\n\x1a\n".to_vec();
    header_only.extend_from_slice(&[0; 64]);
    assert!(matches!(
        inspect(&header_only),
        Err(MediaError::Unreadable(MediaType::Png, _))
    ));

    let pdf = sample::pdf("x");
    let truncated = &pdf[..pdf.len() - 20];
    assert!(matches!(
        inspect(truncated),
        Err(MediaError::Unreadable(MediaType::Pdf, _))
    ));

    let big = vec![0xFF; MAX_FILE_SIZE + 1];
    assert_eq!(
        inspect(&big),
        Err(MediaError::TooLarge {
            size: MAX_FILE_SIZE + 1
        })
    );
}

#[test]
fn an_image_claiming_enormous_size_is_refused_without_decoding() {
    // A valid PNG header for a 60,000 × 60,000 picture: 10.8 GB if decoded.
    let mut png = sample::png(1, 1);
    png[16..20].copy_from_slice(&60_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&60_000u32.to_be_bytes());
    assert!(matches!(
        inspect(&png),
        Err(MediaError::Unreadable(MediaType::Png, _))
    ));
}
