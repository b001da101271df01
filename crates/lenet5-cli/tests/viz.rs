//! The picture commands, end to end through the `lenet5` binary, on small synthetic data
//! and untrained networks (no real MNIST needed), plus properties of the pictures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lenet5::Model;
use lenet5::data::augment::Augment;
use lenet5::data::idx::write_idx;
use lenet5::data::mnist::{self, FILE_NAMES};
use lenet5::model::{Arch, Network};
use lenet5::nn::rbf::{GLYPH_H, GLYPH_W, GLYPHS};
use lenet5::train::write_metrics_log;
use lenet5::train::{Checkpoint, EpochMetrics, checkpoint};
use lenet5_cli::viz::color::{heat, luminance};
use lenet5_cli::viz::{confusion, grids, layers, plot};

fn lenet5(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lenet5"))
        .args(args)
        .env_remove("LENET5_DATA")
        .output()
        .expect("run lenet5")
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "lenet5 failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn fails_cleanly(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "expected failure, got success: {err}"
    );
    assert!(err.starts_with("error: "), "not a clean error: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    err
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// Decodes a PNG and returns (width, height, rgb bytes).
fn png(path: &Path) -> (u32, u32, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8();
    (img.width(), img.height(), img.into_raw())
}

/// Where a decoded RGB picture `w` pixels wide shows a `cols` x `rows` grid of
/// `scale`-pixel cells of colours `want(i)` (cell `i` row-major): the top-left corner of
/// every match, top to bottom then left to right. Every pixel of every cell must match,
/// or with `centres` only each cell's centre pixel (for grids drawn over the cells). An
/// independent reading of the picture: it knows the colours and the cell size, not the
/// layout.
fn find_cells(
    px: &[u8],
    w: usize,
    (cols, rows, scale, centres): (usize, usize, usize, bool),
    want: impl Fn(usize) -> [u8; 3],
) -> Vec<(usize, usize)> {
    let h = px.len() / (3 * w);
    let (gw, gh) = (cols * scale, rows * scale);
    let mut found = Vec::new();
    if gw > w || gh > h {
        return found;
    }
    let at = |x: usize, y: usize| {
        let k = (y * w + x) * 3;
        [px[k], px[k + 1], px[k + 2]]
    };
    let probes: Vec<(usize, usize)> = if centres {
        vec![(scale / 2, scale / 2)]
    } else {
        (0..scale * scale).map(|k| (k % scale, k / scale)).collect()
    };
    for y in 0..=h - gh {
        for x in 0..=w - gw {
            let hit = (0..cols * rows).all(|i| {
                let c = want(i);
                let (cx, cy) = (x + (i % cols) * scale, y + (i / cols) * scale);
                probes.iter().all(|&(dx, dy)| at(cx + dx, cy + dy) == c)
            });
            if hit {
                found.push((x, y));
            }
        }
    }
    found
}

/// How many cells `find_cells` found: matches less than 3 pixels apart (a cell's centre
/// pixel is found from neighbouring corners too) count once.
fn distinct(at: &[(usize, usize)]) -> usize {
    at.iter()
        .filter(|p| {
            !at.iter()
                .any(|q| q < *p && q.0.abs_diff(p.0) < 3 && q.1.abs_diff(p.1) < 3)
        })
        .count()
}

/// A 28x28 digit drawn as dark ink on white (255 = ink), as the grids draw it.
fn grey(v: f32) -> [u8; 3] {
    let g = (255.0 * (1.0 - v.clamp(0.0, 1.0))).round() as u8;
    [g, g, g]
}

/// A small MNIST-format dataset: `n` images of blobs whose position depends on the label.
fn synthetic_split(n: usize, salt: usize) -> (Vec<u8>, Vec<u8>) {
    let mut images = vec![0u8; n * 784];
    let mut labels = vec![0u8; n];
    for i in 0..n {
        let l = ((i * 7 + salt) % 10) as u8;
        labels[i] = l;
        let (cx, cy) = (6 + (l as usize % 5) * 4, 8 + (l as usize / 5) * 10);
        for y in 0..28 {
            for x in 0..28 {
                let d2 = (x as i64 - cx as i64).pow(2) + (y as i64 - cy as i64).pow(2);
                if d2 < 20 {
                    images[i * 784 + y * 28 + x] = (255 - d2 * 10).clamp(0, 255) as u8;
                }
            }
        }
    }
    (images, labels)
}

fn synthetic_mnist(dir: &Path) {
    let (ti, tl) = synthetic_split(30, 0);
    let (vi, vl) = synthetic_split(40, 3);
    write_idx(&dir.join(FILE_NAMES[0]), &[30, 28, 28], &ti, false).unwrap();
    write_idx(&dir.join(FILE_NAMES[1]), &[30], &tl, false).unwrap();
    write_idx(&dir.join(FILE_NAMES[2]), &[40, 28, 28], &vi, false).unwrap();
    write_idx(&dir.join(FILE_NAMES[3]), &[40], &vl, false).unwrap();
}

fn untrained(dir: &Path, arch: Arch) -> PathBuf {
    let path = dir.join(format!("{arch}.safetensors"));
    checkpoint::save(&path, &Checkpoint::from_network(&Network::new(arch, 7))).unwrap();
    path
}

/// A "photo" of a 7: dark strokes on light paper, 90x120.
fn seven_png(path: &Path) {
    let mut img = image::RgbImage::from_pixel(90, 120, image::Rgb([235, 232, 225]));
    for y in 0..120u32 {
        for x in 0..90u32 {
            let top = (15..27).contains(&y) && (15..75).contains(&x);
            // Diagonal from (70, 20) down to (35, 105).
            let t = (y as f32 - 20.0) / 85.0;
            let on_diag = (0.0..=1.0).contains(&t) && ((x as f32) - (70.0 - 35.0 * t)).abs() < 6.0;
            if top || on_diag {
                img.put_pixel(x, y, image::Rgb([20, 20, 30]));
            }
        }
    }
    img.save(path).unwrap();
}

fn metrics(n: usize) -> Vec<EpochMetrics> {
    (1..=n)
        .map(|e| EpochMetrics {
            epoch: e,
            lr: 0.001,
            train_loss: 1.0 / e as f64,
            train_acc: 1.0 - 0.05 / e as f64,
            test_loss: 1.2 / e as f64,
            test_acc: 1.0 - 0.04 / e as f64,
            test_errors: 400 / e,
            seconds: 1.0,
            images_per_sec: 1000.0,
        })
        .collect()
}

#[test]
fn glyphs_command_writes_png_of_expected_size() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rbf.png");
    ok(&lenet5(&["draw", "glyphs", "--out", s(&out)]));
    let (w, h, data) = png(&out);
    let expect = grids::glyphs();
    assert_eq!((w as usize, h as usize), (expect.width, expect.height));
    assert_eq!(
        data, expect.data,
        "the file holds exactly the rendered picture"
    );
    // Read back independently: each of the ten 7x12 bitmaps of the paper (`#` black,
    // `.` white), 12 pixels a cell, appears once, in digit order from left to right.
    let mut left = 0;
    for (d, g) in GLYPHS.iter().enumerate() {
        let cells: Vec<u8> = g.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        assert_eq!(cells.len(), GLYPH_W * GLYPH_H);
        let at = find_cells(&data, w as usize, (GLYPH_W, GLYPH_H, 12, true), |i| {
            if cells[i] == b'#' { [0; 3] } else { [255; 3] }
        });
        let x = at.iter().map(|p| p.0).min();
        let x = x.unwrap_or_else(|| panic!("the bitmap of {d} is not on the picture"));
        assert!(
            at.iter().all(|p| p.0 < x + 12),
            "the bitmap of {d} appears twice: {at:?}"
        );
        assert!(x >= left, "the bitmap of {d} is left of the one before");
        left = x + 12;
    }
}

#[test]
fn plot_writes_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("run.metrics.jsonl");
    write_metrics_log(&log, &metrics(6)).unwrap();
    let out = dir.path().join("curves.png");
    ok(&lenet5(&["draw", "curves", s(&log), "--out", s(&out)]));
    let (w, h, data) = png(&out);
    assert_eq!((w as usize, h as usize), (plot::WIDTH, plot::HEIGHT));
    // The two series' colours are on the picture.
    for c in lenet5_cli::viz::color::SERIES {
        assert!(
            data.chunks(3).any(|p| p == c),
            "series colour {c:?} missing"
        );
    }
    let svg = dir.path().join("curves.svg");
    ok(&lenet5(&["draw", "curves", s(&log), "--out", s(&svg)]));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg "), "{}", &text[..40.min(text.len())]);
    assert!(text.trim_end().ends_with("</svg>"));
    assert_eq!(
        text.matches("<polyline").count(),
        2 * 2 + 2 * 2,
        "2 panels x 2 series, plus legend samples"
    );
    assert!(text.contains(">epoch</text>"));
    // A one-epoch log still plots.
    write_metrics_log(&log, &metrics(1)).unwrap();
    ok(&lenet5(&["draw", "curves", s(&log), "--out", s(&out)]));
    assert_eq!(png(&out).0 as usize, plot::WIDTH);
}

#[test]
fn plot_refuses_malformed_jsonl_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("broken.metrics.jsonl");
    let good = serde_json::to_string(&metrics(1)[0]).unwrap();
    std::fs::write(&log, format!("{good}\n\n{{\"epoch\": 2, \"lr\": \n")).unwrap();
    let out = dir.path().join("curves.png");
    let err = fails_cleanly(&lenet5(&["draw", "curves", s(&log), "--out", s(&out)]));
    assert!(err.contains(s(&log)), "{err}");
    assert!(err.contains("line 3"), "{err}");
    assert!(!out.exists(), "no picture from a broken log");

    // Valid JSON that is not an epoch's metrics, and an empty log.
    std::fs::write(&log, "{\"epoch\": 1}\n").unwrap();
    let e = plot::read_metrics(&log).unwrap_err().to_string();
    assert!(
        e.contains("broken.metrics.jsonl") && e.contains("line 1"),
        "{e}"
    );
    std::fs::write(&log, "\n").unwrap();
    let e = plot::read_metrics(&log).unwrap_err().to_string();
    assert!(e.contains("no metrics"), "{e}");
    let missing = dir.path().join("missing.jsonl");
    let err = fails_cleanly(&lenet5(&["draw", "curves", s(&missing), "--out", s(&out)]));
    assert!(err.contains("missing.jsonl"), "{err}");
}

#[test]
fn unsupported_picture_extension_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("run.metrics.jsonl");
    write_metrics_log(&log, &metrics(2)).unwrap();
    let err = fails_cleanly(&lenet5(&[
        "draw",
        "curves",
        s(&log),
        "--out",
        s(&dir.path().join("c.jpg")),
    ]));
    assert!(err.contains("c.jpg") && err.contains(".png"), "{err}");
    let err = fails_cleanly(&lenet5(&[
        "draw",
        "glyphs",
        "--out",
        s(&dir.path().join("g.svg")),
    ]));
    assert!(err.contains("g.svg"), "{err}");
}

#[test]
fn heat_map_colour_is_monotone_in_the_count() {
    for max in [1usize, 2, 10, 1135, 60_000] {
        assert_eq!(heat(0, max), [255, 255, 255]);
        // Never lighter for a larger count (8-bit colours cannot all differ for 60,000 counts)...
        let mut prev = luminance(heat(0, max));
        for c in 1..=max.min(5000) {
            let l = luminance(heat(c, max));
            assert!(l <= prev, "count {c} of {max} is lighter than {}", c - 1);
            prev = l;
        }
        // ...strictly darker for every small count, and for every 10 % more.
        for c in 1..=max.min(20) {
            assert!(
                luminance(heat(c, max)) < luminance(heat(c - 1, max)),
                "count {c} of {max}"
            );
        }
        let mut c = 20usize;
        while c * 11 / 10 <= max {
            assert!(
                luminance(heat(c * 11 / 10, max)) < luminance(heat(c, max)),
                "count {} vs {c} of {max}",
                c * 11 / 10
            );
            c = c * 11 / 10;
        }
        // A single error is visibly off white; the largest count is dark.
        assert!(luminance(heat(1, max)) < 235.0);
        assert!(luminance(heat(max, max)) < 60.0);
    }
}

#[test]
fn confusion_png_orders_cell_brightness_by_count() {
    let mut cm = [[0usize; 10]; 10];
    for (i, c) in [1000, 800, 600, 400, 300, 200, 150, 100, 70, 50]
        .into_iter()
        .enumerate()
    {
        cm[i][i] = c;
    }
    cm[4][9] = 25;
    cm[7][2] = 12;
    cm[9][4] = 3;
    cm[3][5] = 1;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cm.png");
    confusion::write(&cm, "test matrix", &out).unwrap();
    let (w, h, data) = png(&out);
    assert_eq!(
        (w as usize, h as usize),
        (confusion::WIDTH, confusion::HEIGHT)
    );
    // Sample each cell near its corner (away from the count written in the middle).
    let lum = |r: usize, c: usize| {
        let (x, y) = confusion::cell_origin(r, c);
        let k = ((y + 4) * w as usize + x + 4) * 3;
        luminance([data[k], data[k + 1], data[k + 2]])
    };
    let mut cells: Vec<(usize, f32)> = (0..100)
        .map(|k| (cm[k / 10][k % 10], lum(k / 10, k % 10)))
        .collect();
    cells.sort_by_key(|c| c.0);
    for pair in cells.windows(2) {
        let ((c0, l0), (c1, l1)) = (pair[0], pair[1]);
        if c0 == c1 {
            assert_eq!(l0, l1, "equal counts {c0} drawn differently");
        } else {
            assert!(l1 < l0, "count {c1} ({l1}) not darker than {c0} ({l0})");
        }
    }
    assert_eq!(lum(0, 1), 255.0, "empty cells are white");
    // The same matrix as SVG.
    let svg = dir.path().join("cm.svg");
    confusion::write(&cm, "test matrix", &svg).unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains(">1000</text>") && text.contains(">25</text>"));
}

#[test]
fn eval_confusion_errors_and_augment_preview_on_synthetic_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("mnist");
    std::fs::create_dir(&data).unwrap();
    synthetic_mnist(&data);
    let model = untrained(dir.path(), Arch::Classic);
    let ds = mnist::load(&data).unwrap();

    let cm = dir.path().join("cm.png");
    ok(&lenet5(&[
        "eval",
        "--model",
        s(&model),
        "--data",
        s(&data),
        "--no-download",
        "--confusion",
        s(&cm),
    ]));
    let (w, h, _) = png(&cm);
    assert_eq!(
        (w as usize, h as usize),
        (confusion::WIDTH, confusion::HEIGHT)
    );

    let grid = dir.path().join("errors.png");
    ok(&lenet5(&[
        "draw",
        "errors",
        "--model",
        s(&model),
        "--data",
        s(&data),
        "--no-download",
        "--max",
        "7",
        "--out",
        s(&grid),
    ]));
    let m = Model::load(&model).unwrap();
    let title = format!("misclassified test digits: {}", model.display());
    let (expect, n_err) = grids::errors_of(&m, &ds.test, 7, &title).unwrap();
    assert!(
        n_err > 7,
        "an untrained network gets most of them wrong ({n_err})"
    );
    let (w, h, data_px) = png(&grid);
    assert_eq!((w as usize, h as usize), (expect.width, expect.height));
    assert_eq!(data_px, expect.data);
    // Read back independently: the first 7 test images the model gets wrong (found here,
    // one by one) are the digits on the picture at 3x. Images repeat in this data, so
    // count: each distinct image appears as often as among those 7, none else.
    let said: Vec<u8> = (0..ds.test.len())
        .map(|i| m.forward_28x28(ds.test.image(i).try_into().unwrap()).digit)
        .collect();
    let wrong: Vec<usize> = (0..ds.test.len())
        .filter(|&i| said[i] != ds.test.label(i))
        .collect();
    assert_eq!(n_err, wrong.len());
    let shown = &wrong[..7];
    for (i, &said_i) in said.iter().enumerate() {
        let img = ds.test.image(i);
        if (0..i).any(|j| ds.test.image(j) == img) {
            continue;
        }
        let want = shown.iter().filter(|&&k| ds.test.image(k) == img).count();
        let at = find_cells(&data_px, w as usize, (28, 28, 3, false), |j| {
            grey(img[j] as f32 / 255.0)
        });
        assert_eq!(
            distinct(&at),
            want,
            "test image {i} (label {}, said {}) is on the picture {} times, not {want}",
            ds.test.label(i),
            said_i,
            distinct(&at)
        );
    }

    let aug = dir.path().join("aug.png");
    let args = [
        "draw",
        "distortions",
        "--data",
        s(&data),
        "--no-download",
        "--augment",
        "elastic",
    ];
    ok(&lenet5(
        &[
            &args[..],
            &["--n", "3", "--per", "4", "--seed", "5", "--out", s(&aug)],
        ]
        .concat(),
    ));
    let expect = grids::augment_preview(&ds.train, Augment::elastic(), 3, 4, 5).unwrap();
    let (w, h, px) = png(&aug);
    assert_eq!((w as usize, h as usize), (expect.width, expect.height));
    assert_eq!(px, expect.data);
    // Read back independently: the first training image of a 0 and its four elastic
    // distortions (computed here) are on the picture, in one row, left to right, and
    // each distortion differs from the original and from the others.
    let i0 = (0..ds.train.len())
        .find(|&i| ds.train.label(i) == 0)
        .unwrap();
    let img = ds.train.image(i0);
    let find = |v: &[f32; 784]| find_cells(&px, w as usize, (28, 28, 3, false), |j| grey(v[j]));
    let orig: [f32; 784] = std::array::from_fn(|j| img[j] as f32 / 255.0);
    let (mut x, y) = find(&orig)[0];
    let mut seen = vec![orig];
    for e in 0..4 {
        let d = Augment::elastic().pixels(img, 5, e, i0);
        for s in &seen {
            let moved = d
                .iter()
                .zip(s)
                .filter(|(a, b)| (*a - *b).abs() > 0.1)
                .count();
            assert!(
                moved >= 20,
                "distortion {e} is {moved} pixels from an earlier one"
            );
        }
        let at = find(&d);
        let next = at.iter().find(|p| p.0 > x && p.1.abs_diff(y) < 3);
        x = next
            .unwrap_or_else(|| panic!("distortion {e} is not in the row: {at:?}"))
            .0;
        seen.push(d);
    }
    // More rows, more height.
    let bigger = grids::augment_preview(&ds.train, Augment::affine(), 6, 4, 5).unwrap();
    assert!(bigger.height > expect.height);
    // Absurd sizes are refused before anything is drawn.
    let err = fails_cleanly(&lenet5(
        &[&args[..], &["--n", "100000", "--out", s(&aug)]].concat(),
    ));
    assert!(err.contains("--n 100000"), "{err}");
    let err = fails_cleanly(&lenet5(&[
        "draw",
        "errors",
        "--model",
        s(&model),
        "--data",
        s(&data),
        "--no-download",
        "--max",
        "5000",
        "--out",
        s(&grid),
    ]));
    assert!(err.contains("--max 5000"), "{err}");
}

#[test]
fn visualize_writes_every_layer_for_both_networks() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("seven.png");
    seven_png(&img);
    for arch in [Arch::Classic, Arch::Modern] {
        let model = untrained(dir.path(), arch);
        let out = dir.path().join(format!("viz-{arch}"));
        ok(&lenet5(&[
            "draw",
            "layers",
            "--image",
            s(&img),
            "--out",
            s(&out),
            "--model",
            s(&model),
        ]));
        // The expected pictures, computed through the library.
        let m = Model::load(&model).unwrap();
        let picture = lenet5::data::image::load_image(&img).unwrap();
        let (p, pre) = m.predict_with_input(&picture);
        let (_, act) = m.explain_28x28(&pre.pixels);
        let pics = layers::pictures(arch, &pre.pixels, &p, &act);
        assert_eq!(pics.len(), layers::FILES.len());
        for ((name, pic), file) in pics.iter().zip(layers::FILES) {
            assert_eq!(*name, file);
            let (w, h, px) = png(&out.join(file));
            assert_eq!(
                (w as usize, h as usize),
                (pic.width, pic.height),
                "{arch} {file}"
            );
            assert_eq!(px, pic.data, "{arch} {file}");
            assert!(w >= 280 && h >= 100, "{arch} {file} is {w}x{h}");
        }
        let (w, h, _) = png(&out.join("summary.png"));
        assert_eq!(w as usize, pics.iter().map(|(_, c)| c.width).max().unwrap());
        assert!(h as usize > pics.iter().map(|(_, c)| c.height).sum::<usize>());
        let html = std::fs::read_to_string(out.join("index.html")).unwrap();
        for f in layers::FILES {
            assert!(
                html.contains(&format!("src=\"{f}\"")),
                "{f} not in index.html"
            );
        }
        assert!(html.contains(&format!("says <b>{}</b>", p.digit)));
        // Read back independently: the 28x28 the network saw is on input.png, 10 pixels a
        // cell, ink dark.
        let (w, _, px) = png(&out.join("input.png"));
        assert!(
            pre.pixels.iter().filter(|&&v| v > 128).count() > 30,
            "the seven has ink"
        );
        let at = find_cells(&px, w as usize, (28, 28, 10, false), |j| {
            grey(pre.pixels[j] as f32 / 255.0)
        });
        assert!(
            !at.is_empty(),
            "{arch}: the network's input is not on input.png"
        );
    }
}

#[test]
fn visualize_on_a_non_image_errors_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let model = untrained(dir.path(), Arch::Classic);
    let bogus = dir.path().join("digit.png");
    std::fs::write(&bogus, "this is not a picture\n").unwrap();
    let out = dir.path().join("viz");
    let err = fails_cleanly(&lenet5(&[
        "draw",
        "layers",
        "--image",
        s(&bogus),
        "--out",
        s(&out),
        "--model",
        s(&model),
    ]));
    assert!(err.contains("digit.png"), "{err}");
    assert!(!out.exists(), "nothing written for a bad picture");
    let missing = dir.path().join("nope.png");
    let err = fails_cleanly(&lenet5(&[
        "draw",
        "layers",
        "--image",
        s(&missing),
        "--out",
        s(&out),
        "--model",
        s(&model),
    ]));
    assert!(err.contains("nope.png"), "{err}");
    // And through the library.
    let m = Model::load(&model).unwrap();
    assert!(layers::visualize(&m, &bogus, &out).is_err());
}
