//! Digits rendered from installed fonts (lenet5_testkit::fontdigits) go through
//! `preprocess` as MNIST-like 28x28 images. Skips, with a note, when no font is installed (fails when `LENET5_REQUIRE` lists `fonts`).

use image::DynamicImage;
use lenet5::data::image::preprocess;
use lenet5_testkit::draw::{ascii, assert_mnist_like, mad};
use lenet5_testkit::fontdigits::{self, Style};

#[test]
fn font_digits_preprocess_to_mnist_like_images() {
    let Some(fonts) = fontdigits::require_fonts() else {
        return;
    };
    let styles = fontdigits::styles();
    assert!(styles.iter().any(Style::light_on_dark) && styles.iter().any(|s| !s.light_on_dark()));
    let mut n = 0;
    for (i, font) in fonts.iter().enumerate() {
        for digit in 0..10u8 {
            // Two styles per font and digit, rotating through the set.
            for k in [0, styles.len() / 2] {
                let style = &styles[(i * 7 + usize::from(digit) * 3 + k) % styles.len()];
                let img = fontdigits::render(font, digit, style);
                let p = preprocess(&DynamicImage::ImageRgb8(img));
                let what = format!("digit {digit} in {} with {style:?}", font.name);
                assert!(!p.blank, "{what}: blank");
                assert_eq!(p.inverted, !style.light_on_dark(), "{what}: polarity");
                assert_mnist_like(&p.pixels, &format!("{what}\n{}", ascii(&p.pixels)));
                n += 1;
            }
        }
    }
    eprintln!("{n} font digits from {} fonts preprocessed", fonts.len());
}

#[test]
fn the_generator_covers_every_font_digit_and_style() {
    let Some(fonts) = fontdigits::require_fonts() else {
        return;
    };
    let font = &fonts[0];
    let styles = fontdigits::styles();
    let one_font = std::slice::from_ref(font);
    let all: Vec<_> = fontdigits::samples(one_font, &styles).collect();
    assert_eq!(all.len(), 10 * styles.len());
    for d in 0..10u8 {
        assert_eq!(all.iter().filter(|s| s.digit == d).count(), styles.len());
    }
    // The same digit agrees with itself in swapped colours and at another size; a
    // different digit does not.
    let base = styles[0];
    let swapped = Style {
        ink: base.paper,
        paper: base.ink,
        ..base
    };
    let bigger = Style {
        px: base.px * 4.0,
        pos: (0.8, 0.3),
        ..base
    };
    let pp = |d: u8, s: &Style| {
        preprocess(&DynamicImage::ImageRgb8(fontdigits::render(font, d, s))).pixels
    };
    for d in 0..10u8 {
        let a = pp(d, &base);
        let polarity = mad(&a, &pp(d, &swapped));
        assert!(
            polarity < 1.0,
            "digit {d}: swapped colours differ by {polarity:.2}"
        );
        let size = mad(&a, &pp(d, &bigger));
        let next = (d + 1) % 10;
        let apart = mad(&a, &pp(next, &base));
        assert!(
            apart > size,
            "digit {d} at {} and {} px differ by {size:.1}, more than from {next} ({apart:.1})",
            base.px,
            bigger.px
        );
    }
}
