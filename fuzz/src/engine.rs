//! What the fuzz targets of the engine (`idx`, `idx_gzip`, `checkpoint`, `image`) check.
//! Each `check_*` function takes raw fuzzer bytes and panics only on a real bug: a panic
//! inside lenet5, an error message that is not one line naming the input, or a result
//! that breaks the function's documented invariants.
//!
//! Inputs that crash are kept as regression tests in the engine crate
//! (`crates/lenet5/tests/fuzz_regressions.rs` compiles this file and replays
//! `fuzz/regressions/<target>/` and `fuzz/seeds/<target>/`).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use lenet5::data::idx::{self, IdxArray, MAX_DIMS};
use lenet5::data::image::{SIDE, decode_image, preprocess};
use lenet5::train::{Trainer, checkpoint};
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

/// The name every error message must carry.
pub const NAME: &str = "fuzz-input.bin";

/// Panics unless `msg` is one line that names the input.
pub fn assert_one_line_naming(msg: &str, name: &str) {
    assert!(!msg.contains('\n'), "error is not one line: {msg:?}");
    assert!(msg.contains(name), "error does not name {name}: {msg:?}");
}

fn scratch_file(tag: &str) -> PathBuf {
    let dir = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    dir.join(format!("lenet5-fuzz-{tag}-{}-{NAME}", std::process::id()))
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(bytes).expect("in-memory gzip");
    gz.finish().expect("in-memory gzip")
}

fn check_idx_array(a: &IdxArray) {
    assert!((1..=MAX_DIMS).contains(&a.dims.len()), "dims {:?}", a.dims);
    assert!(a.dims.iter().all(|&d| d >= 1), "dims {:?}", a.dims);
    assert_eq!(a.data.len(), a.dims.iter().product::<usize>());
}

/// `parse_idx` on the bytes (raw or gzip by content) and `read_idx` on the same bytes
/// written to a file must agree; errors are one line naming the input.
pub fn check_idx(data: &[u8]) {
    let name = Path::new(NAME);
    let parsed = idx::parse_idx(data, name);
    match &parsed {
        Ok(a) => check_idx_array(a),
        Err(e) => assert_one_line_naming(&e.to_string(), NAME),
    }
    let path = scratch_file("idx");
    std::fs::write(&path, data).expect("scratch file");
    let read = idx::read_idx(&path);
    let _ = std::fs::remove_file(&path);
    match (&parsed, &read) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "parse_idx and read_idx disagree"),
        (Err(_), Err(e)) => assert_one_line_naming(&e.to_string(), NAME),
        _ => panic!(
            "parse_idx {:?} but read_idx {:?}",
            parsed.as_ref().map(|a| &a.dims),
            read.as_ref().map(|a| &a.dims)
        ),
    }
}

/// The bytes, read raw and gzip-compressed, must give the same result; whatever
/// parses survives a `write_idx` → `read_idx` round trip, raw and gzip.
pub fn check_idx_gzip(data: &[u8]) {
    let name = Path::new(NAME);
    let raw = idx::parse_idx(data, name);
    let gz = idx::parse_idx(&gzip(data)[..], name);
    match (&raw, &gz) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "gzip changes the result"),
        (Err(_), Err(e)) => assert_one_line_naming(&e.to_string(), NAME),
        // Raw bytes that start with 1f 8b are read as gzip, so only they may differ.
        _ => assert!(
            data.starts_with(&[0x1f, 0x8b]),
            "raw {:?} but gzip {:?}",
            raw.as_ref().map(|a| &a.dims),
            gz.as_ref().map(|a| &a.dims)
        ),
    }
    if let Ok(a) = raw {
        check_idx_array(&a);
        let path = scratch_file("idxw");
        for compress in [false, true] {
            idx::write_idx(&path, &a.dims, &a.data, compress).expect("write_idx of a parsed array");
            let back = idx::read_idx(&path).expect("read_idx of what write_idx wrote");
            assert_eq!(back, a, "round trip (gzip {compress})");
        }
        let _ = std::fs::remove_file(&path);
    }
}

/// The checkpoint checksum (`lenet5::train::checkpoint::checksum`) of a name-sorted
/// tensor map.
pub fn checksum(
    tensors: &BTreeMap<String, (Dtype, Vec<usize>, Vec<u8>)>,
    meta: &HashMap<String, String>,
) -> String {
    lenet5::train::checkpoint::checksum(
        tensors
            .iter()
            .map(|(n, (_, s, d))| (n.as_str(), s.as_slice(), d.as_slice())),
        meta,
    )
}

/// Safetensors bytes from tensors and metadata, with a correct `sha256` entry.
pub fn serialize_with_checksum(
    tensors: &BTreeMap<String, (Dtype, Vec<usize>, Vec<u8>)>,
    mut meta: HashMap<String, String>,
) -> Option<Vec<u8>> {
    let sum = checksum(tensors, &meta);
    meta.insert("sha256".into(), sum);
    let views: Vec<(String, TensorView)> = tensors
        .iter()
        .map(|(n, (dt, s, d))| Some((n.clone(), TensorView::new(*dt, s.clone(), d).ok()?)))
        .collect::<Option<_>>()?;
    safetensors::serialize(views, Some(meta)).ok()
}

/// If `data` is a safetensors file, the same file with its checksum made right, so the
/// fuzzer reaches the checks behind the checksum (shapes, names, metadata JSON).
pub fn with_fixed_checksum(data: &[u8]) -> Option<Vec<u8>> {
    let st = SafeTensors::deserialize(data).ok()?;
    let (_, md) = SafeTensors::read_metadata(data).ok()?;
    let meta = md.metadata().clone().unwrap_or_default();
    let mut tensors = BTreeMap::new();
    for name in st.names() {
        let t = st.tensor(name).ok()?;
        tensors.insert(
            name.to_string(),
            (t.dtype(), t.shape().to_vec(), t.data().to_vec()),
        );
    }
    serialize_with_checksum(&tensors, meta)
}

fn check_checkpoint_bytes(data: &[u8]) {
    let name = Path::new(NAME);
    match checkpoint::from_bytes(data, name) {
        Ok(ck) => {
            let layout = ck.arch.layout();
            assert_eq!(ck.params.len(), layout.total());
            assert!(ck.params.iter().all(|v| v.is_finite()));
            for (_, buf) in &ck.optim {
                assert_eq!(buf.len(), layout.total());
            }
            // What loads, saves and loads back the same.
            let again = checkpoint::from_bytes(&checkpoint::to_bytes(&ck), name)
                .expect("a loaded checkpoint re-serialises to a loadable one");
            assert_eq!(again, ck, "checkpoint round trip");
            // Resuming never panics (it may refuse).
            if let Err(e) = Trainer::resume(ck, None) {
                assert!(!e.to_string().contains('\n'), "{e}");
            }
        }
        Err(e) => assert_one_line_naming(&e.to_string(), NAME),
    }
}

/// `checkpoint::from_bytes` on the bytes as they are and with the checksum fixed.
pub fn check_checkpoint(data: &[u8]) {
    check_checkpoint_bytes(data);
    if let Some(fixed) = with_fixed_checksum(data) {
        check_checkpoint_bytes(&fixed);
    }
}

/// `decode_image` then `preprocess`: errors are one line naming the input; whatever
/// decodes gives a sane 28x28.
pub fn check_image(data: &[u8]) {
    match decode_image(data, Path::new(NAME)) {
        Ok(img) => {
            let p = preprocess(&img);
            assert_eq!(p.pixels.len(), SIDE * SIDE);
            if p.blank {
                assert!(p.pixels.iter().all(|&v| v == 0), "blank but has ink");
                assert!(p.ink_bbox.is_none());
            } else {
                let (x, y, w, h) = p.ink_bbox.expect("ink has a box");
                assert!(w >= 1 && h >= 1);
                assert!(u64::from(x) + u64::from(w) <= u64::from(img.width()));
                assert!(u64::from(y) + u64::from(h) <= u64::from(img.height()));
            }
        }
        Err(e) => assert_one_line_naming(&e.to_string(), NAME),
    }
}
