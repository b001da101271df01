//! `lenet5 predict --show-steps OUT.png` on a photo made by the photo benchmark's own
//! generator (`lenet5::data::photos`) from a drawn digit (no MNIST needed): the picture of
//! the stages exists, decodes, has the 3 x 2 panel layout, and each panel shows its stage.

use std::path::Path;
use std::process::Command;

use lenet5::data::mnist::Dataset;
use lenet5::data::photos::{self, Light, Paper, Size};
use lenet5_cli::viz::color::{BLACK, GREEN, WHITE};
use lenet5_testkit::draw::{self, Pen};

/// Layout of `viz::steps`: panels of 240 px, 12 px apart, a 22 px title above each, a
/// 24 px line for the answer under the two rows.
const PANEL: u32 = 240;
const GAP: u32 = 12;
const TITLE: u32 = 22;
const WIDTH: u32 = 3 * PANEL + 4 * GAP;
const HEIGHT: u32 = 2 * (PANEL + TITLE) + 3 * GAP + 24;
/// Colour of what the lines stage zeroed.
const RED: [u8; 3] = [220, 40, 40];

/// A one-image "test set": a stick 7, white on black, in MNIST's 20x20 box.
fn seven() -> Dataset {
    let pen = Pen {
        origin: (4.0, 4.0),
        size: 20.0,
        thickness: 2.6,
    };
    let rgb = draw::draw_rgb(28, 28, '7', pen, [255; 3], [0; 3]);
    Dataset {
        images: rgb.pixels().map(|p| p.0[0]).collect(),
        labels: vec![7],
        rows: 28,
        cols: 28,
    }
}

/// The pixels of panel `k` (row-major, 3 per row): its image area, below the title.
fn panel(img: &image::RgbImage, k: u32) -> Vec<[u8; 3]> {
    let (col, row) = (k % 3, k / 3);
    let x0 = GAP + col * (PANEL + GAP);
    let y0 = GAP + row * (PANEL + TITLE + GAP) + TITLE;
    let mut px = Vec::new();
    for y in y0..y0 + PANEL {
        for x in x0..x0 + PANEL {
            px.push(img.get_pixel(x, y).0);
        }
    }
    px
}

fn count(px: &[[u8; 3]], c: [u8; 3]) -> usize {
    px.iter().filter(|&&p| p == c).count()
}

#[test]
fn show_steps_draws_every_stage_of_a_generated_photo() {
    let test = seven();
    // The first photo of ruled paper, evenly lit, with a large digit: each stage has
    // something to show (lines to erase, a digit to box).
    let photo = (0..500)
        .map(|i| photos::photo(&test, i))
        .find(|p| {
            p.spec.paper == Paper::Ruled
                && p.spec.light == Light::Even
                && p.spec.size == Size::Large
        })
        .expect("one in 27 photos is ruled, even and large");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("photo.jpg");
    std::fs::write(&input, &photo.jpeg).unwrap();
    let out = dir.path().join("steps.png");
    let o = Command::new(env!("CARGO_BIN_EXE_lenet5"))
        .args(["predict", "--show-steps"])
        .arg(&out)
        .arg(&input)
        .env_remove("LENET5_DATA")
        .output()
        .expect("run lenet5");
    assert!(
        o.status.success(),
        "lenet5 predict failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(Path::new(&out).is_file(), "no {}", out.display());
    let img = image::open(&out)
        .unwrap_or_else(|e| panic!("{}: {e}", out.display()))
        .to_rgb8();
    assert_eq!((img.width(), img.height()), (WIDTH, HEIGHT), "3 x 2 panels");

    // The photo is 320x240: its planes fill the panels' width and three quarters of
    // their height; below them the panel is white.
    let input_panel = panel(&img, 0);
    let shown = &input_panel[..(PANEL * 180) as usize];
    assert!(
        count(shown, WHITE) < shown.len() / 10,
        "the input panel is empty"
    );
    let below = &input_panel[(PANEL * 181) as usize..];
    assert_eq!(count(below, WHITE), below.len(), "input drawn past 320x240");
    // Input: the dark ink and the paper, several shades.
    let mut shades: Vec<u8> = shown.iter().map(|p| p[0]).collect();
    shades.sort_unstable();
    shades.dedup();
    assert!(shades.len() > 20, "input panel: {} shades", shades.len());
    // Background: the paper without the digit, far lighter than the ink.
    let bg = panel(&img, 1);
    let bg_dark = bg[..(PANEL * 180) as usize]
        .iter()
        .filter(|p| p[0] < 100)
        .count();
    assert_eq!(bg_dark, 0, "the background panel holds dark ink");
    // Lines removed: the ruled lines' pixels in red.
    let lines = panel(&img, 3);
    assert!(
        count(&lines, RED) > 500,
        "lines panel: {} red pixels",
        count(&lines, RED)
    );
    // Chosen digit: its box in green, no red.
    let chosen = panel(&img, 4);
    assert!(count(&chosen, GREEN) > 100, "no green box");
    assert_eq!(count(&chosen, RED), 0);
    // The 28x28 (8 px cells, 224 px): black field with a bright digit.
    let net = panel(&img, 5);
    let cells: Vec<[u8; 3]> = (0..28 * 28)
        .map(|i| net[((i / 28) * 8 + 4) * PANEL as usize + (i % 28) * 8 + 4])
        .collect();
    assert!(count(&cells, BLACK) > 400, "28x28 background not black");
    assert!(
        cells.iter().filter(|p| p[0] > 200).count() > 20,
        "28x28 shows no digit"
    );
    // And the answer: the stick 7 read as a 7.
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains(": 7 ("), "answer: {stdout}");
}
