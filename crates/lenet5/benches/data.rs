//! Criterion benchmarks of reading outside data, where the tests only guard against hangs:
//! preprocessing a 6000x6000 photo (downscaled early, never copied whole as floats) and
//! refusing IDX headers that promise 2 GiB in a 1 KB file, raw and gzip.
//! `cargo bench -p lenet5 --bench data`.

use std::hint::black_box;
use std::io::Write;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use lenet5::data::idx::parse_idx;
use lenet5::data::image::{DynamicImage, GrayImage, preprocess};

fn huge_photo() -> DynamicImage {
    // White paper with a dark "7" about 400 px tall: a bar and a diagonal 40 px thick.
    let mut g = GrayImage::from_pixel(6000, 6000, image::Luma([255]));
    for y in 1500..1900u32 {
        for x in 3900..4300u32 {
            let top = y < 1540;
            let diag = (x as f32 - (4300.0 - (y - 1500) as f32 * 0.6)).abs() < 20.0;
            if top || diag {
                g.put_pixel(x, y, image::Luma([20]));
            }
        }
    }
    DynamicImage::ImageLuma8(g)
}

fn liar() -> Vec<u8> {
    let mut bytes = vec![0, 0, 8, 1];
    bytes.extend_from_slice(&(1u32 << 31).to_be_bytes());
    bytes.extend([0u8; 1000]);
    bytes
}

fn data(c: &mut Criterion) {
    let mut g = c.benchmark_group("outside data");
    g.sample_size(10);
    let img = huge_photo();
    g.bench_function("preprocess 6000x6000 photo", |b| {
        b.iter(|| preprocess(black_box(&img)))
    });
    let raw = liar();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&raw).unwrap();
    let gz = gz.finish().unwrap();
    let name = Path::new("liar-idx3-ubyte");
    g.bench_function("refuse IDX header promising 2 GiB, raw", |b| {
        b.iter(|| parse_idx(black_box(&raw[..]), name).unwrap_err())
    });
    g.bench_function("refuse IDX header promising 2 GiB, gzip", |b| {
        b.iter(|| parse_idx(black_box(&gz[..]), name).unwrap_err())
    });
    g.finish();
}

criterion_group!(benches, data);
criterion_main!(benches);
