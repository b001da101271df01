//! `lenet5 read`, `lenet5 bench-read` and `lenet5 eval --reject` as a user runs them (the
//! real binary on pictures written here; the MNIST ones skip with a note without MNIST).

use std::path::Path;
use std::process::{Command, Output};

use image::{DynamicImage, GrayImage, Luma, RgbImage};
use lenet5_testkit::draw::{Pen, for_each_covered, strokes};

fn run(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lenet5"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("lenet5 runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

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

#[test]
fn read_prints_the_number_json_rejection_and_a_picture() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    number("1740").save(d.join("n.png")).unwrap();
    GrayImage::from_pixel(300, 100, Luma([255]))
        .save(d.join("blank.png"))
        .unwrap();

    let o = run(&["read", "n.png", "blank.png"], d);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("n.png: 1740 (0."), "{out}");
    assert!(lines[1].contains("blank.png: no digits found"), "{out}");

    let o = run(&["read", "--json", "n.png"], d);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON line");
    assert_eq!(j["file"], "n.png");
    assert_eq!(j["text"], "1740");
    assert_eq!(j["accepted"], true);
    assert_eq!(j["digits"].as_array().unwrap().len(), 4);
    assert_eq!(j["digits"][2]["digit"], 4);
    assert_eq!(j["digits"][2]["runner_up"].as_array().unwrap().len(), 2);

    let o = run(&["read", "--reject", "1", "n.png"], d);
    assert!(
        text(&o.stdout).contains("n.png: rejected (best guess 1740"),
        "{}",
        text(&o.stdout)
    );

    let o = run(&["read", "--show", "shown.png", "n.png"], d);
    assert!(o.status.success());
    let shown = image::open(d.join("shown.png"))
        .expect("--show writes a PNG")
        .to_rgb8();
    assert_eq!(shown.dimensions(), (680, 200));
    // The boxes are drawn in green over the white paper.
    assert!(shown.pixels().any(|p| p.0 == [26, 140, 60]));
}

#[test]
fn read_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("notes.png"), b"not a picture").unwrap();
    let o = run(&["read", "notes.png"], d);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("notes.png"), "{}", text(&o.stderr));
    let o = run(&["read", "--reject", "2", "notes.png"], d);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("--reject 2"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn bench_read_and_eval_reject_on_mnist() {
    let Some(data) = lenet5_testkit::mnist() else {
        return;
    };
    let data = data.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        &["bench-read", "--count", "20", "--data", data, "--json"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let tiers: Vec<&str> = j["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tier"].as_str().unwrap())
        .collect();
    assert_eq!(tiers, ["separated", "touching", "overlapping"]);
    assert_eq!(j["tiers"][0]["graph"]["n"], 20);
    // Same strings, same answers: run again with one thread.
    let again = run(
        &[
            "bench-read",
            "--count",
            "20",
            "--data",
            data,
            "--json",
            "--threads",
            "1",
        ],
        dir.path(),
    );
    let k: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(j["tiers"], k["tiers"]);

    let o = run(&["eval", "--reject", "--data", data], dir.path());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("rejection needed for 0.5% error: "), "{out}");
    assert!(out.contains("rejected  0.00%  error 0.660%"), "{out}");
}
