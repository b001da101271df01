//! `POST /api/read` over real HTTP: a drawn number is read, and every kind of bad request
//! gets a JSON error. Run in release mode: `cargo test --release`.

mod serve_common;

use image::{DynamicImage, GrayImage, Luma, RgbImage};
use lenet5::Model;
use lenet5::model::Arch;
use lenet5_serve::ServedModel;
use lenet5_testkit::draw::{Pen, for_each_covered, strokes};
use serve_common::*;

fn number(text: &str) -> DynamicImage {
    let (w, h) = (160 * text.len() as u32 + 40, 200);
    let mut img = RgbImage::from_pixel(w, h, image::Rgb([250, 250, 250]));
    for (k, c) in text.chars().enumerate() {
        let pen = Pen {
            origin: (20.0 + 160.0 * k as f32, 25.0),
            size: 150.0,
            thickness: 14.0,
        };
        for_each_covered(w, h, &strokes(c), pen, |x, y, a| {
            let v = (250.0 * (1.0 - a)) as u8;
            let p = img.get_pixel_mut(x, y);
            p.0 = p.0.map(|c| c.min(v));
        });
    }
    DynamicImage::ImageRgb8(img)
}

fn bundled_classic() -> Server {
    Server::start(
        vec![ServedModel::new(Model::bundled(Arch::Classic), "bundled")],
        test_config(),
    )
}

fn assert_error(r: &Response, status: u16, needle: &str) {
    assert_eq!(r.status, status, "body: {}", r.text());
    let j = r.json();
    let msg = j["error"].as_str().unwrap_or_default();
    assert!(
        msg.contains(needle),
        "error {msg:?} should mention {needle:?}"
    );
}

#[test]
fn reads_a_drawn_number_and_a_blank_picture() {
    let s = bundled_classic();
    let r = post_image(s.addr, "/api/read", "image/png", &png(&number("4071")));
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(j["text"], "4071", "{j}");
    // Without ?model= the bundled reader reads; a loaded network can be asked for.
    assert_eq!(j["model"], "reader");
    for (query, name) in [("?model=reader", "reader"), ("?model=classic", "classic")] {
        let r = post_image(
            s.addr,
            &format!("/api/read{query}"),
            "image/png",
            &png(&number("4071")),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            (r.json()["model"].clone(), r.json()["text"].clone()),
            (name.into(), "4071".into())
        );
    }
    assert_eq!(j["blank"], false);
    assert_eq!(j["inverted"], true);
    let digits = j["digits"].as_array().unwrap();
    assert_eq!(digits.len(), 4);
    let xs: Vec<u64> = digits
        .iter()
        .map(|d| d["bbox"][0].as_u64().unwrap())
        .collect();
    assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");
    assert_eq!(digits[1]["digit"], 0);
    assert_eq!(digits[1]["scores"].as_array().unwrap().len(), 10);
    let c = j["confidence"].as_f64().unwrap();
    assert!(c > 0.0 && c <= 1.0);

    let blank = DynamicImage::ImageLuma8(GrayImage::from_pixel(300, 100, Luma([255])));
    let j = post_image(s.addr, "/api/read", "image/png", &png(&blank)).json();
    assert_eq!(j["blank"], true);
    assert_eq!(j["text"], "");
    assert_eq!(j["digits"].as_array().unwrap().len(), 0);
}

#[test]
fn bad_requests_get_clear_errors() {
    let s = bundled_classic();
    let img = png(&number("7"));
    assert_error(
        &post_image(s.addr, "/api/read?model=modern", "image/png", &img),
        400,
        "not loaded",
    );
    assert_error(
        &post_image(s.addr, "/api/read?activations=true", "image/png", &img),
        400,
        "activations",
    );
    assert_error(
        &post_image(s.addr, "/api/read?colour=red", "image/png", &img),
        400,
        "unknown query parameter",
    );
    assert_error(
        &post_json(
            s.addr,
            "/api/read",
            &serde_json::json!({"pixels": vec![0u8; 784]}),
        ),
        400,
        "PNG/JPEG/BMP",
    );
    assert_error(
        &post_image(s.addr, "/api/read", "image/png", b""),
        400,
        "PNG/JPEG/BMP",
    );
    assert_error(
        &post_image(
            s.addr,
            "/api/read",
            "image/png",
            b"definitely not a picture",
        ),
        400,
        "not a PNG",
    );
    let huge = DynamicImage::ImageLuma8(GrayImage::from_pixel(9000, 10, Luma([255])));
    assert_error(
        &post_image(s.addr, "/api/read", "image/png", &png(&huge)),
        400,
        "a side",
    );
    let r = post_declared(s.addr, "/api/read", 3_000_000);
    assert_error(&r, 413, "larger than 2097152 bytes");
    assert_error(&get(s.addr, "/api/read"), 405, "use POST");
}
