//! Property test of the preprocessing: a digit and the same digit drawn scaled and
//! translated anywhere on a canvas of another size give the same 28x28 within a
//! tolerance (mean absolute difference, on 0..=255, below 4.0; the same measure between a
//! '1' and a '7' is far above it, see tests/image_preprocess.rs).

use image::DynamicImage;
use lenet5::data::image::preprocess;
use lenet5_testkit::draw::{self, Pen, ascii, mad};
use proptest::prelude::*;

const PAPER: [u8; 3] = [235, 235, 235];
const INK: [u8; 3] = [25, 25, 25];
const LIMIT: f64 = 4.0;

fn pixels(w: u32, h: u32, digit: char, pen: Pen) -> [u8; 784] {
    let p = preprocess(&DynamicImage::ImageRgb8(draw::draw_rgb(
        w, h, digit, pen, INK, PAPER,
    )));
    assert!(!p.blank, "{digit} on {w}x{h} with {pen:?} seen as blank");
    p.pixels
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn scaled_and_translated_digit_preprocesses_the_same(
        digit in prop::sample::select(vec!['1', '7', '4', '0']),
        scale in 0.5f32..2.5,
        // Where the digit sits in the free space of its canvas, as fractions.
        fx in 0.0f32..1.0,
        fy in 0.0f32..1.0,
        // Extra canvas beyond the digit, as fractions of its size.
        ex in 0.1f32..1.5,
        ey in 0.1f32..1.5,
    ) {
        // The reference: size 150, stroke 14, on a 200x200 canvas.
        let reference = pixels(200, 200, digit, Pen { origin: (20.0, 35.0), size: 150.0, thickness: 14.0 });
        let size = 150.0 * scale;
        let margin = 14.0 * scale;
        let (w, h) = ((size * (1.0 + ex) + 2.0 * margin) as u32, (size * (1.0 + ey) + 2.0 * margin) as u32);
        let origin = (
            margin + fx * (w as f32 - size - 2.0 * margin),
            margin + fy * (h as f32 - size - 2.0 * margin),
        );
        let pen = Pen { origin, size, thickness: 14.0 * scale };
        let p = pixels(w, h, digit, pen);
        let d = mad(&reference, &p);
        prop_assert!(
            d < LIMIT,
            "digit {} on {}x{} with {:?}: mean abs difference {:.2}\n{}\nvs reference\n{}",
            digit, w, h, pen, d, ascii(&p), ascii(&reference)
        );
    }
}
