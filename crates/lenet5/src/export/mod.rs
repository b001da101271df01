//! Getting a trained network out of `lenet5`: ONNX export ([`onnx`]) and reference
//! outputs for checking another runtime against this crate ([`write_reference`]).
//!
//! `lenet5 export --onnx model.onnx --model lenet5-classic.safetensors` writes the ONNX
//! file; adding `--reference DIR` also runs the network on the 10,000 MNIST test images and
//! writes what it computed as NumPy arrays, which `tests/onnx/check.py` compares with
//! onnxruntime's results.

pub mod onnx;
pub mod proto;

use std::path::Path;

use crate::Model;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::files::write_atomic;

/// Writes `model` as ONNX to `path` (atomically); `source` goes into the metadata.
pub fn write_onnx(model: &Model, source: &str, path: &Path) -> Result<usize> {
    let bytes = onnx::export(model.network(), source);
    write_atomic(path, &bytes)?;
    Ok(bytes.len())
}

/// A NumPy `.npy` file (format 1.0) holding `data` with the given `shape`; `descr` is the
/// dtype (`<f4`, `|u1`, ...) and `data` its little-endian bytes.
pub fn npy_bytes(descr: &str, shape: &[usize], data: &[u8]) -> Vec<u8> {
    let dims = match shape {
        [d] => format!("({d},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {dims}, }}");
    // Magic (6) + version (2) + header length (2) + header, padded with spaces and ended
    // by a newline to a multiple of 64 bytes.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + data.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// `.npy` bytes of a float32 array.
pub fn npy_f32(shape: &[usize], data: &[f32]) -> Vec<u8> {
    let raw: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    npy_bytes("<f4", shape, &raw)
}

/// Runs `model` on every image of `test` and writes, into the folder `dir` (created if
/// needed): `outputs.npy` (float32 `[N,10]`, the raw outputs), `scores.npy` (float32
/// `[N,10]`, probabilities), `digits.npy` (uint8 `[N]`, the predicted digits) and
/// `labels.npy` (uint8 `[N]`). Returns N.
pub fn write_reference(model: &Model, test: &Dataset, dir: &Path) -> Result<usize> {
    if test.rows * test.cols != 784 {
        return Err(Error::Data(format!(
            "reference outputs need 28x28 images, the test set has {}x{}",
            test.rows, test.cols
        )));
    }
    let n = test.len();
    let images = (0..n)
        .map(|i| Model::pixels_from_slice(test.image(i)))
        .collect::<Result<Vec<[u8; 784]>>>()?;
    let preds = model.forward_batch_28x28(&images);
    let outputs: Vec<f32> = preds.iter().flat_map(|p| p.outputs).collect();
    let scores: Vec<f32> = preds.iter().flat_map(|p| p.scores).collect();
    let digits: Vec<u8> = preds.iter().map(|p| p.digit).collect();
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    write_atomic(&dir.join("outputs.npy"), &npy_f32(&[n, 10], &outputs))?;
    write_atomic(&dir.join("scores.npy"), &npy_f32(&[n, 10], &scores))?;
    write_atomic(&dir.join("digits.npy"), &npy_bytes("|u1", &[n], &digits))?;
    write_atomic(
        &dir.join("labels.npy"),
        &npy_bytes("|u1", &[n], &test.labels),
    )?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_header_is_aligned_and_parsable() {
        let b = npy_f32(&[2, 3], &[1.0; 6]);
        assert_eq!(&b[..8], b"\x93NUMPY\x01\x00");
        let hl = u16::from_le_bytes([b[8], b[9]]) as usize;
        assert_eq!((10 + hl) % 64, 0);
        let h = std::str::from_utf8(&b[10..10 + hl]).unwrap();
        assert!(h.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));
        assert!(h.ends_with('\n'));
        assert_eq!(b.len(), 10 + hl + 24);
        let one = npy_bytes("|u1", &[5], &[0; 5]);
        assert!(String::from_utf8_lossy(&one).contains("'shape': (5,)"));
    }
}
