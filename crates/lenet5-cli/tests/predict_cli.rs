//! `lenet5 predict` and `lenet5 export` as a user runs them: the real binary
//! (`CARGO_BIN_EXE_lenet5`) on image files written here.
//!
//! The recognition test trains a quick modern model with `lenet5 train` when MNIST is
//! present (LENET5_DATA, else ../shared/data/mnist) and skips with a note otherwise; the
//! default-model test reads the same drawings with the classic model bundled in the
//! binary; the robustness tests (blank, 1x1, 10000x10000, not an image, folders, stdin,
//! JSON, exit codes) use an untrained network and always run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{GrayImage, ImageEncoder, Luma};
use lenet5::model::{Arch, Network};
use lenet5::train::{Checkpoint, checkpoint};
use lenet5_testkit::draw::{Pen, draw_rgb, for_each_covered, strokes};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lenet5"))
}

fn run(args: &[&str], cwd: &Path) -> Output {
    bin()
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("lenet5 runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn mnist_dir() -> Option<PathBuf> {
    lenet5_testkit::mnist()
}

/// A modern LeNet-5 trained for one epoch with the CLI, once per test run.
fn trained_modern() -> Option<&'static Path> {
    static MODEL: OnceLock<Option<(tempfile::TempDir, PathBuf)>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let data = mnist_dir()?;
            let dir = tmp();
            let out = dir.path().join("modern.safetensors");
            let o = bin()
                .args([
                    "train",
                    "--arch",
                    "modern",
                    "--epochs",
                    "1",
                    "--quiet",
                    "--no-download",
                ])
                .arg("--data")
                .arg(&data)
                .arg("--out")
                .arg(&out)
                .output()
                .expect("lenet5 train runs");
            assert!(o.status.success(), "training failed: {}", text(&o.stderr));
            eprintln!("{}", text(&o.stdout).trim());
            Some((dir, out))
        })
        .as_ref()
        .map(|(_, p)| p.as_path())
}

/// An untrained (random) modern network saved as a checkpoint: enough for everything
/// but the digit's identity.
fn untrained(dir: &Path) -> PathBuf {
    let p = dir.join("untrained.safetensors");
    checkpoint::save(
        &p,
        &Checkpoint::from_network(&Network::new(Arch::Modern, 5)),
    )
    .unwrap();
    p
}

fn save_png(img: &GrayImage, path: &Path) {
    img.save(path).unwrap();
}

/// A 200x200 picture of `digit` drawn in black strokes on white paper.
fn dark_on_light_200(digit: char) -> image::RgbImage {
    let pen = Pen {
        origin: (40.0, 25.0),
        size: 150.0,
        thickness: 14.0,
    };
    draw_rgb(200, 200, digit, pen, [10, 10, 10], [245, 245, 240])
}

#[test]
fn a_200px_dark_on_light_digit_is_recognised() {
    let Some(model) = trained_modern() else {
        return;
    };
    let dir = tmp();
    let mut files = vec![];
    for d in ['0', '1', '4', '7'] {
        let p = dir.path().join(format!("digit-{d}.png"));
        dark_on_light_200(d).save(&p).unwrap();
        files.push(p);
    }
    let mut cmd = bin();
    cmd.arg("predict")
        .arg("--json")
        .arg("--model")
        .arg(model)
        .args(&files);
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let lines: Vec<serde_json::Value> = text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    for (j, d) in lines.iter().zip(['0', '1', '4', '7']) {
        eprintln!("{j}");
        assert_eq!(j["digit"], d.to_digit(10).unwrap(), "{j}");
        assert_eq!(j["inverted"], true);
        assert_eq!(j["blank"], false);
    }
    // The plain text form says the same.
    let o = run(
        &[
            "predict",
            "--model",
            model.to_str().unwrap(),
            files[3].to_str().unwrap(),
        ],
        dir.path(),
    );
    let out = text(&o.stdout);
    assert!(
        out.starts_with(&format!("{}: 7 (", files[3].display())),
        "{out}"
    );
}

#[test]
fn odd_inputs_get_clear_answers_and_failures_set_the_exit_code() {
    let dir = tmp();
    let d = dir.path();
    let model = untrained(d);
    let m = model.to_str().unwrap();

    // Blank, 1x1, not an image, empty, missing.
    save_png(
        &GrayImage::from_pixel(64, 64, Luma([255])),
        &d.join("blank.png"),
    );
    save_png(&GrayImage::from_pixel(1, 1, Luma([0])), &d.join("tiny.png"));
    std::fs::write(d.join("notes.txt"), "this is not an image\n").unwrap();
    std::fs::write(d.join("empty.png"), "").unwrap();
    dark_on_light_200('7').save(d.join("seven.png")).unwrap();

    let o = run(&["predict", "--model", m, "blank.png", "tiny.png"], d);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("blank.png: no digit found"), "{out}");
    assert!(out.contains("tiny.png: no digit found"), "{out}");

    let o = run(
        &[
            "predict",
            "--model",
            m,
            "seven.png",
            "notes.txt",
            "empty.png",
            "missing.png",
            "blank.png",
        ],
        d,
    );
    assert!(
        !o.status.success(),
        "failures must give a non-zero exit code"
    );
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert!(
        out.contains("seven.png: "),
        "the other files are still processed: {out}"
    );
    assert!(out.contains("blank.png: no digit found"), "{out}");
    assert!(
        err.contains("notes.txt: not a PNG/JPEG/BMP/PGM image"),
        "{err}"
    );
    assert!(
        err.contains("empty.png: ") && err.contains("the file is empty"),
        "{err}"
    );
    assert!(err.contains("missing.png: "), "{err}");
    assert!(
        err.contains("3 of 5 inputs could not be recognised"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    // JSON: one object per input, errors included.
    let o = run(
        &[
            "predict",
            "--json",
            "--top",
            "3",
            "--model",
            m,
            "seven.png",
            "notes.txt",
            "blank.png",
        ],
        d,
    );
    assert!(!o.status.success());
    let j: Vec<serde_json::Value> = text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(j.len(), 3);
    assert_eq!(j[0]["file"], "seven.png");
    assert_eq!(j[0]["scores"].as_array().unwrap().len(), 10);
    assert_eq!(j[0]["top"].as_array().unwrap().len(), 3);
    assert_eq!(
        (j[0]["inverted"].as_bool(), j[0]["blank"].as_bool()),
        (Some(true), Some(false))
    );
    assert!(j[1]["error"].as_str().unwrap().contains("notes.txt"));
    assert_eq!(j[2]["blank"], true);
    assert!(j[2]["digit"].is_null());
}

#[test]
fn a_10000x10000_image_is_answered_without_running_out_of_memory() {
    let dir = tmp();
    let d = dir.path();
    let model = untrained(d);
    let (w, h) = (10_000u32, 10_000u32);
    let mut img = GrayImage::from_pixel(w, h, Luma([250]));
    let pen = Pen {
        origin: (6000.0, 2000.0),
        size: 1500.0,
        thickness: 120.0,
    };
    for_each_covered(w, h, &strokes('4'), pen, |x, y, c| {
        img.put_pixel(x, y, Luma([(250.0 * (1.0 - c)) as u8]));
    });
    let path = d.join("huge.png");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    PngEncoder::new_with_quality(&mut f, CompressionType::Fast, FilterType::NoFilter)
        .write_image(img.as_raw(), w, h, image::ExtendedColorType::L8)
        .unwrap();
    f.flush().unwrap();
    drop((f, img));
    let o = run(
        &[
            "predict",
            "--json",
            "--model",
            model.to_str().unwrap(),
            "huge.png",
        ],
        d,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let j: serde_json::Value = serde_json::from_str(text(&o.stdout).trim()).unwrap();
    assert_eq!(j["blank"], false, "{j}");
    assert!(j["digit"].as_u64().unwrap() <= 9);
    if let Some(model) = trained_modern() {
        let o = run(
            &[
                "predict",
                "--json",
                "--model",
                model.to_str().unwrap(),
                "huge.png",
            ],
            d,
        );
        let j: serde_json::Value = serde_json::from_str(text(&o.stdout).trim()).unwrap();
        assert_eq!(j["digit"], 4, "{j}");
    }
}

#[test]
fn folders_stdin_and_show_input() {
    let dir = tmp();
    let d = dir.path();
    let model = untrained(d);
    let m = model.to_str().unwrap();
    let imgs = d.join("imgs");
    std::fs::create_dir(&imgs).unwrap();
    for name in ["b.png", "a.png", "c.bmp", "e.jpg"] {
        dark_on_light_200('1').save(imgs.join(name)).unwrap();
    }
    image::DynamicImage::ImageRgb8(dark_on_light_200('1'))
        .to_luma8()
        .save(imgs.join("d.pgm"))
        .unwrap();
    std::fs::write(imgs.join("readme.txt"), "skipped: not an image name").unwrap();
    std::fs::create_dir(imgs.join("sub")).unwrap();
    dark_on_light_200('1').save(imgs.join("sub/z.png")).unwrap();
    std::fs::create_dir(d.join("empty")).unwrap();

    // A folder: its images, sorted by name, not recursive; --show-input writes one file each.
    let o = run(
        &["predict", "--model", m, "--show-input", "seen.png", "imgs"],
        d,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let names: Vec<String> = text(&o.stdout)
        .lines()
        .map(|l| l.split(':').next().unwrap().to_string())
        .collect();
    let want: Vec<String> = ["a.png", "b.png", "c.bmp", "d.pgm", "e.jpg"]
        .iter()
        .map(|n| Path::new("imgs").join(n).display().to_string())
        .collect();
    assert_eq!(names, want);
    for stem in ["a", "b", "c", "d", "e"] {
        let seen = image::open(d.join(format!("seen-{stem}.png"))).unwrap();
        assert_eq!((seen.width(), seen.height()), (28, 28));
    }

    // One input: --show-input writes exactly the file named; the 28x28 is white on black.
    let o = run(
        &[
            "predict",
            "--model",
            m,
            "--show-input",
            "one.png",
            "imgs/a.png",
        ],
        d,
    );
    assert!(o.status.success());
    let one = image::open(d.join("one.png")).unwrap().to_luma8();
    assert_eq!(one.get_pixel(0, 0)[0], 0);
    assert!(one.pixels().any(|p| p[0] == 255));

    // An empty folder is a failure that names it.
    let o = run(&["predict", "--model", m, "empty", "imgs/a.png"], d);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("empty: folder has no image files"),
        "{}",
        text(&o.stderr)
    );

    // Standard input.
    let bytes = std::fs::read(imgs.join("a.png")).unwrap();
    let mut child = bin()
        .args(["predict", "--json", "--model", m, "-"])
        .current_dir(d)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let j: serde_json::Value = serde_json::from_str(text(&o.stdout).trim()).unwrap();
    assert_eq!(j["file"], "-");
    assert_eq!(j["blank"], false);
}

#[test]
fn the_default_model_is_looked_up_in_the_current_folder_then_bundled() {
    let dir = tmp();
    let d = dir.path();
    let digits = ['0', '1', '4', '7'];
    for c in digits {
        dark_on_light_200(c)
            .save(d.join(format!("{c}.png")))
            .unwrap();
    }
    // No checkpoint here: the classic model bundled in the binary reads the drawings.
    let o = run(
        &["predict", "--json", "0.png", "1.png", "4.png", "7.png"],
        d,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert_eq!(
        out.lines().count(),
        digits.len(),
        "one line per picture:\n{out}"
    );
    for (line, c) in out.lines().zip(digits) {
        let j: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(j["digit"], c.to_digit(10).unwrap(), "bundled model: {j}");
    }
    let o = run(&["predict", "7.png"], d);
    assert!(
        text(&o.stderr).contains("the bundled classic LeNet-5"),
        "{}",
        text(&o.stderr)
    );
    // A checkpoint in the current folder takes precedence.
    let m = untrained(d);
    std::fs::rename(&m, d.join("lenet5-modern.safetensors")).unwrap();
    let o = run(&["predict", "7.png"], d);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("lenet5-modern.safetensors"));
    // A corrupt checkpoint is an error naming it, not a panic.
    std::fs::write(d.join("lenet5-classic.safetensors"), "garbage").unwrap();
    let o = run(&["predict", "7.png"], d);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("lenet5-classic.safetensors"),
        "{}",
        text(&o.stderr)
    );
    assert!(!text(&o.stderr).contains("panicked"));
}

#[test]
fn export_writes_an_onnx_file() {
    let dir = tmp();
    let d = dir.path();
    let m = untrained(d);
    let o = run(
        &["export", "--model", m.to_str().unwrap(), "--onnx", "m.onnx"],
        d,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let bytes = std::fs::read(d.join("m.onnx")).unwrap();
    assert!(bytes.len() > 4 * 44_000, "the weights are in the file");
    assert!(text(&o.stdout).contains("opset 13"));
    let o = run(&["export", "--onnx", "bundled.onnx"], d);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("classic network"));
    let o = run(
        &["export", "--model", "nope.safetensors", "--onnx", "x.onnx"],
        d,
    );
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("nope.safetensors"));
}
