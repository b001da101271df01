//! `lenet5::data::image::{load_image, decode_image}` and the 28x28 helpers.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{DynamicImage, GrayImage, ImageFormat, Luma};
use lenet5::Error;
use lenet5::data::image::{
    MAX_DIMENSION, decode_image, from_mnist_u8, load_image, preprocess, to_gray_image,
};
use lenet5_testkit::draw::{self, Pen, mad};

fn drawing() -> DynamicImage {
    let pen = Pen {
        origin: (15.0, 10.0),
        size: 100.0,
        thickness: 10.0,
    };
    DynamicImage::ImageRgb8(draw::draw_rgb(
        130,
        120,
        '7',
        pen,
        [10, 10, 10],
        [240, 240, 240],
    ))
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("image_decode");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// The message of an `Error::Format`, checking it names `name`.
fn format_msg(r: lenet5::Result<DynamicImage>, name: &str) -> String {
    match r {
        Err(e @ Error::Format { .. }) => {
            let msg = e.to_string();
            eprintln!("{msg}");
            assert!(msg.contains(name), "message {msg:?} does not name {name}");
            msg
        }
        Err(e) => panic!("expected Error::Format, got {e:?}"),
        Ok(img) => panic!(
            "expected an error, decoded {}x{}",
            img.width(),
            img.height()
        ),
    }
}

#[test]
fn bytes_that_are_not_an_image_are_a_format_error_naming_the_file() {
    for bytes in [
        &b"hello, this is a text file and not a picture\n"[..],
        &[0u8; 100][..],
        &b"\x89PNX\r\n\x1a\n"[..],
    ] {
        let msg = format_msg(decode_image(bytes, Path::new("notes.txt")), "notes.txt");
        assert!(msg.contains("not a PNG/JPEG/BMP/PGM image"), "{msg}");
    }
    let msg = format_msg(decode_image(b"", Path::new("empty.png")), "empty.png");
    assert!(msg.contains("not a PNG/JPEG/BMP/PGM image"), "{msg}");
    // A format `image` knows but this build does not decode.
    let msg = format_msg(
        decode_image(
            b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
            Path::new("anim.gif"),
        ),
        "anim.gif",
    );
    assert!(
        msg.contains("GIF") && msg.contains("not a PNG/JPEG/BMP/PGM"),
        "{msg}"
    );
}

#[test]
fn truncated_files_are_errors_not_panics() {
    let png = encode(&drawing(), ImageFormat::Png);
    for cut in [8, 20, 33, 60, png.len() / 2, png.len() - 20] {
        let r = decode_image(&png[..cut], Path::new("cut.png"));
        let msg = format_msg(r, "cut.png");
        assert!(msg.contains("PNG"), "cut at {cut}: {msg}");
    }
    // A cut JPEG may decode partially (the decoder fills the rest) or fail; it must not
    // panic, and an error must be a Format error naming the file.
    let jpeg = encode(&drawing(), ImageFormat::Jpeg);
    for cut in [3, 30, 200, jpeg.len() / 2, jpeg.len() - 2] {
        if let Err(e) = decode_image(&jpeg[..cut], Path::new("cut.jpg")) {
            assert!(matches!(e, Error::Format { .. }), "{e:?}");
            assert!(e.to_string().contains("cut.jpg"));
        }
    }
    let bmp = encode(&drawing(), ImageFormat::Bmp);
    for cut in [2, 20, 60, bmp.len() / 2] {
        format_msg(decode_image(&bmp[..cut], Path::new("cut.bmp")), "cut.bmp");
    }
}

/// A PNG whose header claims `w x h` of 8-bit `colour` (2 = RGB, 6 = RGBA) with a few
/// bytes of data: a decompression bomb's first bytes.
fn png_header_only(w: u32, h: u32, colour: u8) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, colour, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

#[test]
fn decompression_bombs_are_refused_before_allocating() {
    let t = std::time::Instant::now();
    // Too wide or tall.
    for (w, h) in [
        (100_000, 100_000),
        (MAX_DIMENSION + 1, 10),
        (10, MAX_DIMENSION + 1),
    ] {
        let msg = format_msg(
            decode_image(&png_header_only(w, h, 2), Path::new("bomb.png")),
            "bomb.png",
        );
        assert!(
            msg.contains("too large") || msg.contains("at most"),
            "{w}x{h}: {msg}"
        );
    }
    // Within the side limit but 16000 x 16000 RGBA = 1 GiB of pixels.
    let msg = format_msg(
        decode_image(&png_header_only(16_000, 16_000, 6), Path::new("big.png")),
        "big.png",
    );
    assert!(msg.contains("MiB"), "{msg}");
    assert!(
        t.elapsed().as_secs_f64() < 5.0,
        "refusing took {:?}",
        t.elapsed()
    );
}

#[test]
fn png_bmp_jpeg_and_pgm_files_load_and_preprocess_alike() {
    let img = drawing();
    let reference = preprocess(&img);
    for (ext, format, tolerance) in [
        ("png", ImageFormat::Png, 0.5),
        ("bmp", ImageFormat::Bmp, 0.5),
        ("jpg", ImageFormat::Jpeg, 4.0),
        ("pgm", ImageFormat::Pnm, 1.0),
    ] {
        let path = tmp(&format!("seven.{ext}"));
        let to_save = if format == ImageFormat::Pnm {
            DynamicImage::ImageLuma8(img.to_luma8())
        } else {
            img.clone()
        };
        to_save.save_with_format(&path, format).unwrap();
        let loaded = load_image(&path).unwrap();
        assert_eq!((loaded.width(), loaded.height()), (130, 120), "{ext}");
        let p = preprocess(&loaded);
        let d = mad(&reference.pixels, &p.pixels);
        assert!(
            d < tolerance,
            "{ext}: differs from the in-memory image by {d}"
        );
    }
    // Recognised by content, not by name.
    let path = tmp("really_a_png.jpg");
    img.save_with_format(&path, ImageFormat::Png).unwrap();
    assert_eq!(load_image(&path).unwrap().width(), 130);
}

#[test]
fn hand_written_pgm_decodes() {
    let binary = b"P5\n# a comment\n3 2\n255\n\x00\x80\xff\x10\x20\x30";
    let img = decode_image(binary, Path::new("tiny.pgm")).unwrap();
    assert_eq!(img.to_luma8().into_raw(), vec![0, 128, 255, 16, 32, 48]);
    let ascii = b"P2\n2 2\n15\n0 15\n15 0\n";
    let img = decode_image(ascii, Path::new("ascii.pgm")).unwrap();
    assert_eq!(img.to_luma8().into_raw(), vec![0, 255, 255, 0]);
}

#[test]
fn load_image_errors_name_the_file() {
    let missing = tmp("does-not-exist.png");
    let _ = std::fs::remove_file(&missing);
    match load_image(&missing) {
        Err(e @ Error::Io { .. }) => assert!(e.to_string().contains("does-not-exist.png")),
        other => panic!("expected Error::Io, got {other:?}"),
    }
    let text = tmp("notes.png");
    std::fs::write(&text, "not a picture\n").unwrap();
    let msg = format_msg(load_image(&text), "notes.png");
    assert!(msg.contains("not a PNG/JPEG/BMP/PGM image"), "{msg}");
    let empty = tmp("empty.bmp");
    std::fs::write(&empty, "").unwrap();
    let msg = format_msg(load_image(&empty), "empty.bmp");
    assert!(msg.contains("empty"), "{msg}");
    let dir = tmp("a-directory.png");
    std::fs::create_dir_all(&dir).unwrap();
    assert!(load_image(&dir).is_err());
}

#[test]
fn the_28x28_round_trips_through_a_png_file() {
    let p = preprocess(&drawing());
    let g = to_gray_image(&p);
    assert_eq!(g.dimensions(), (28, 28));
    let path = tmp("out28.png");
    g.save(&path).unwrap();
    let back = load_image(&path).unwrap().to_luma8();
    assert_eq!(back.as_raw().as_slice(), &p.pixels[..]);

    let mnist: Vec<u8> = (0..784).map(|i| (i % 256) as u8).collect();
    let g: GrayImage = from_mnist_u8(&mnist);
    assert_eq!(
        g.get_pixel(3, 1),
        &Luma([31]),
        "row-major: (x=3, y=1) is byte 31"
    );
}

#[test]
#[should_panic(expected = "784")]
fn from_mnist_u8_wants_784_bytes() {
    from_mnist_u8(&[0; 100]);
}

/// `jpeg` with an EXIF APP1 segment saying `orientation` inserted after SOI.
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes()); // first IFD right after the header
    tiff.extend_from_slice(&1u16.to_le_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_le_bytes()); // one value
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[test]
fn exif_orientation_turns_photos_upright() {
    let upright = drawing(); // 130 x 120
    let reference = preprocess(&upright);
    // Stored turned 90° anticlockwise; EXIF 6 says "rotate 90° clockwise to view".
    let stored = upright.rotate270();
    let jpeg = with_exif_orientation(&encode(&stored, ImageFormat::Jpeg), 6);
    let img = decode_image(&jpeg, Path::new("phone.jpg")).unwrap();
    assert_eq!(
        (img.width(), img.height()),
        (130, 120),
        "not turned upright"
    );
    let d = mad(&reference.pixels, &preprocess(&img).pixels);
    assert!(d < 4.0, "upright photo differs by {d}");
}
