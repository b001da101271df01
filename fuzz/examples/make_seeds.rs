//! Writes the small seed corpora in `fuzz/seeds/<target>/`:
//! `cargo run --release --example make_seeds` (from `fuzz/`).
//!
//! Seeds are tiny valid inputs (plus a few near-misses) so the fuzzer starts from the
//! interesting side of every check: IDX raw and gzip, real and forged checkpoints,
//! PNG/BMP/PGM/JPEG pictures, and predict requests (pictures and JSON pixels, with
//! content types and query strings).

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{DynamicImage, GrayImage, ImageFormat, Luma, Rgb, RgbImage, Rgba, RgbaImage};
use lenet5::model::{Arch, Network};
use lenet5::train::{Checkpoint, EpochMetrics, TrainConfig, checkpoint};
use lenet5_fuzz::{gzip, join_request, serialize_with_checksum};
use safetensors::Dtype;

fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend_from_slice(data);
    b
}

fn put(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

/// A 12x12 "7": dark ink on light paper.
fn seven(w: u32, h: u32) -> GrayImage {
    GrayImage::from_fn(w, h, |x, y| {
        let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
        let ink = (v < 0.25 && (0.2..0.8).contains(&u))
            || ((u - (0.8 - 0.5 * v)).abs() < 0.1 && v >= 0.2);
        Luma([if ink { 20 } else { 230 }])
    })
}

fn encode(img: &DynamicImage, f: ImageFormat) -> Vec<u8> {
    let mut c = Cursor::new(Vec::new());
    img.write_to(&mut c, f).unwrap();
    c.into_inner()
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds");

    // IDX: labels, images, 2-d and 4-d arrays, raw and gzip; a truncated and a lying one.
    let idx_seeds: Vec<(&str, Vec<u8>)> = vec![
        ("labels-3", idx(&[3], &[7, 2, 1])),
        (
            "images-2x3x3",
            idx(&[2, 3, 3], &(0..18).map(|i| i * 14).collect::<Vec<u8>>()),
        ),
        ("matrix-2x2", idx(&[2, 2], &[0, 255, 128, 1])),
        ("4d-1x1x2x2", idx(&[1, 1, 2, 2], &[1, 2, 3, 4])),
        ("truncated", idx(&[4, 2], &[1, 2, 3])),
        ("liar", idx(&[1 << 20, 28, 28], &[0; 16])),
    ];
    for (name, bytes) in &idx_seeds {
        put(&root.join("idx"), name, bytes);
        put(&root.join("idx"), &format!("{name}.gz"), &gzip(bytes));
        put(&root.join("idx_gzip"), name, bytes);
    }

    // Checkpoints: a real one of each architecture (with optimiser state, training
    // configuration and metrics) and small forged ones with a correct checksum.
    let dir = root.join("checkpoint");
    for (arch, seed) in [(Arch::Classic, 1), (Arch::Modern, 2)] {
        let net = Network::new(arch, seed);
        let mut c = Checkpoint::from_network(&net);
        c.epoch = 1;
        c.config = Some(TrainConfig::defaults(arch));
        c.optim = vec![(
            "velocity".into(),
            net.params.iter().map(|v| v * 0.25).collect(),
        )];
        c.metrics = vec![EpochMetrics {
            epoch: 1,
            lr: 5e-4,
            train_loss: 0.5,
            train_acc: 0.9,
            test_loss: 0.4,
            test_acc: 0.95,
            test_errors: 500,
            // Timings are not stored (a checkpoint is the same bytes on any machine).
            seconds: 0.0,
            images_per_sec: 0.0,
        }];
        let bytes = checkpoint::to_bytes(&c);
        assert_eq!(
            checkpoint::from_bytes(&bytes, Path::new("seed")).unwrap(),
            c
        );
        // One of each kind keeps the corpus small: classic with state, modern weights only.
        if arch == Arch::Classic {
            put(&dir, &format!("real-{arch}"), &bytes);
        } else {
            put(
                &dir,
                &format!("weights-only-{arch}"),
                &checkpoint::to_bytes(&Checkpoint::from_network(&net)),
            );
        }
    }
    let small_meta = |arch: &str| -> HashMap<String, String> {
        [
            ("format", "lenet5"),
            ("format_version", "1"),
            ("arch", arch),
            ("epoch", "3"),
            ("adam_t", "0"),
            ("metrics", "[]"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    let f32s = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let mut t = BTreeMap::new();
    t.insert(
        "c1.weight".to_string(),
        (Dtype::F32, vec![1, 2], f32s(&[0.5, -0.5])),
    );
    t.insert(
        "optim.m.c1.bias".to_string(),
        (Dtype::F32, vec![1], f32s(&[1.0])),
    );
    put(
        &dir,
        "forged-wrong-shape",
        &serialize_with_checksum(&t, small_meta("modern")).unwrap(),
    );
    let mut t2 = BTreeMap::new();
    t2.insert(
        "conv1.bias".to_string(),
        (Dtype::F16, vec![2], vec![0, 60, 0, 188]),
    );
    put(
        &dir,
        "forged-f16",
        &serialize_with_checksum(&t2, small_meta("classic")).unwrap(),
    );
    put(
        &dir,
        "forged-empty",
        &serialize_with_checksum(&BTreeMap::new(), small_meta("modern")).unwrap(),
    );

    // Images: PNG (grey, RGB, RGBA on transparency), BMP, PGM (binary and ASCII), JPEG.
    let img = DynamicImage::ImageLuma8(seven(12, 12));
    let rgb = DynamicImage::ImageRgb8(RgbImage::from_fn(10, 14, |x, y| {
        let l = seven(10, 14).get_pixel(x, y).0[0];
        Rgb([l, l / 2 + 100, 255 - l / 3])
    }));
    let rgba = DynamicImage::ImageRgba8(RgbaImage::from_fn(9, 9, |x, y| {
        let l = seven(9, 9).get_pixel(x, y).0[0];
        Rgba([255, 255, 255, 255 - l])
    }));
    let mut pics: Vec<(&str, Vec<u8>)> = vec![
        ("gray.png", encode(&img, ImageFormat::Png)),
        ("rgb.png", encode(&rgb, ImageFormat::Png)),
        ("rgba.png", encode(&rgba, ImageFormat::Png)),
        ("gray.bmp", encode(&img, ImageFormat::Bmp)),
        ("rgb.bmp", encode(&rgb, ImageFormat::Bmp)),
        ("gray.pgm", encode(&img, ImageFormat::Pnm)),
        ("rgb.jpg", encode(&rgb, ImageFormat::Jpeg)),
    ];
    let mut ascii = b"P2\n4 3\n255\n".to_vec();
    for v in [230, 20, 20, 230, 230, 20, 230, 230, 230, 20, 230, 230] {
        ascii.extend(format!("{v} ").bytes());
    }
    pics.push(("ascii.pgm", ascii));
    // predict_body: whole requests, `CONTENT-TYPE[?QUERY]\n` then the body
    // (lenet5_fuzz::split_request): each picture with its content type, ...
    let body = root.join("predict_body");
    for (name, bytes) in &pics {
        put(&root.join("image"), name, bytes);
        let ct = match name.rsplit('.').next() {
            Some("png") => "image/png",
            Some("bmp") => "image/bmp",
            Some("jpg") => "image/jpeg",
            _ => "image/x-portable-graymap",
        };
        put(&body, name, &join_request(ct, None, bytes));
    }
    put(
        &body,
        "png-with-query",
        &join_request("image/png", Some("model=modern&activations=1"), &pics[0].1),
    );
    put(
        &body,
        "png-no-content-type",
        &join_request("", None, &pics[0].1),
    );
    // ... JSON pixels (a 28x28 "1", white on black as MNIST) plain, with every option
    // and a query, as floats, and a raw 784-byte body that is not JSON.
    let raw: Vec<u8> = (0..784)
        .map(|i| {
            if (i % 28 == 14) && (4..24).contains(&(i / 28)) {
                255
            } else {
                0
            }
        })
        .collect();
    let list = |f: &dyn Fn(u8) -> String| raw.iter().map(|&v| f(v)).collect::<Vec<_>>().join(",");
    let ints = format!("{{\"pixels\": [{}]}}", list(&|v| v.to_string()));
    put(
        &body,
        "json-one",
        &join_request("application/json", None, ints.as_bytes()),
    );
    let options = format!(
        "{{\"pixels\": [{}], \"model\": \"classic\", \"activations\": false, \"preprocess\": true}}",
        list(&|v| v.to_string())
    );
    put(
        &body,
        "json-options-and-query",
        &join_request(
            "application/json",
            Some("model=modern&activations=true"),
            options.as_bytes(),
        ),
    );
    let floats = format!(
        "{{\"pixels\": [{}]}}",
        list(&|v| format!("{}.5", v.min(254)))
    );
    put(
        &body,
        "json-floats",
        &join_request("text/json; charset=utf-8", None, floats.as_bytes()),
    );
    put(
        &body,
        "raw-784-one",
        &join_request("application/octet-stream", None, &raw),
    );
    println!("seeds written to {}", root.display());
}
