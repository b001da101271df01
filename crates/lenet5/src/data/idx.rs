//! Reading and writing IDX files (the format MNIST is distributed in), raw or gzip.
//!
//! An IDX file is a big-endian header followed by the data:
//!
//! ```text
//! 0x00 0x00 <type> <ndims>      magic; only type 0x08 (unsigned byte) is supported here
//! <dim 0: u32 BE> ... <dim ndims-1: u32 BE>
//! <product of dims> bytes of data, row-major
//! ```
//!
//! Gzip is detected from the content (magic `1f 8b`), never from the file name.
//! The header is validated before anything large is allocated, so a corrupt or hostile
//! header (say, one claiming 2³¹ images in a 1 KB file) fails quickly with a one-line
//! error that names the file and says what is wrong.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

use crate::error::{Error, Result};

/// IDX type code for unsigned bytes, the only element type supported.
pub const TYPE_U8: u8 = 0x08;

/// Largest payload accepted, in bytes (2³¹). MNIST's biggest file holds 47 MB.
pub const MAX_IDX_BYTES: usize = 1 << 31;

/// Largest number of dimensions accepted (MNIST uses 1 for labels and 3 for images).
pub const MAX_DIMS: usize = 4;

/// Payload bytes reserved up front when the final size is only promised by an untrusted
/// header and cannot be checked against a file length (gzip, arbitrary readers). Beyond
/// this the buffer grows only as real data arrives.
const UNTRUSTED_RESERVE: usize = 1 << 20;

/// Deflate cannot expand data by more than about 1032:1, so a gzip file of `n` bytes can
/// never decompress to more than `n * DEFLATE_MAX_RATIO` bytes.
const DEFLATE_MAX_RATIO: u64 = 1032;

/// An unsigned-byte IDX array: its dimensions and its data in row-major order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// Dimensions, outermost first (for MNIST images: count, rows, cols).
    pub dims: Vec<usize>,
    /// `dims.iter().product()` bytes, row-major.
    pub data: Vec<u8>,
}

impl IdxArray {
    /// Number of elements, the product of `dims`.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the array holds no element (never true for an array read from a file).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// A validated header.
struct Header {
    dims: Vec<usize>,
    /// Payload length promised by the header.
    len: usize,
    /// Size of the header itself in bytes.
    header_len: usize,
}

/// Reads an unsigned-byte IDX file, raw or gzip-compressed (detected by content).
///
/// Checks the magic, the type code, the dimensions and that the file holds exactly the
/// number of bytes the header promises; every error names `path`.
pub fn read_idx(path: &Path) -> Result<IdxArray> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    let mut reader = BufReader::new(file);
    let (peek, n) = read_up_to::<2>(&mut reader, path)?;
    let prefix = &peek[..n];
    if !meta.is_file() {
        // A pipe or device: no length to check against, stream it like any reader.
        return parse_idx(prefix.chain(reader), path);
    }
    let file_len = meta.len();
    if is_gzip(prefix) {
        let limit = file_len
            .saturating_mul(DEFLATE_MAX_RATIO)
            .saturating_add(UNTRUSTED_RESERVE as u64);
        let reserve = usize::try_from(limit).unwrap_or(usize::MAX);
        return parse_gzip(prefix.chain(reader), path, reserve);
    }
    // Raw file: the file length tells us exactly how many payload bytes there are,
    // so a lying header is caught before allocating anything.
    let mut reader = prefix.chain(reader);
    let header = read_header(&mut reader, path)?;
    let have = file_len.saturating_sub(header.header_len as u64);
    if have != header.len as u64 {
        return Err(length_error(path, header.len, &have.to_string()));
    }
    let mut data = vec![0u8; header.len];
    reader.read_exact(&mut data).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            Error::format(path, "file shrank while being read")
        } else {
            Error::io(path, e)
        }
    })?;
    Ok(IdxArray {
        dims: header.dims,
        data,
    })
}

/// Parses an unsigned-byte IDX array from any reader, raw or gzip (detected by content).
///
/// `path_for_errors` only labels error messages. The payload buffer grows as data
/// arrives, so a header promising more than the stream holds costs no large allocation.
pub fn parse_idx(reader: impl Read, path_for_errors: &Path) -> Result<IdxArray> {
    let path = path_for_errors;
    let mut reader = reader;
    let (peek, n) = read_up_to::<2>(&mut reader, path)?;
    let prefix = &peek[..n];
    if is_gzip(prefix) {
        parse_gzip(prefix.chain(reader), path, UNTRUSTED_RESERVE)
    } else {
        parse_stream(prefix.chain(reader), path, UNTRUSTED_RESERVE)
    }
}

/// Writes an unsigned-byte IDX file, gzip-compressed if `gzip` is true.
///
/// `dims` must have 1 to 4 entries, each between 1 and `u32::MAX`, whose product is
/// `data.len()`.
pub fn write_idx(path: &Path, dims: &[usize], data: &[u8], gzip: bool) -> Result<()> {
    let fail = |msg: String| Error::format(path, format!("cannot write IDX: {msg}"));
    if dims.is_empty() || dims.len() > MAX_DIMS {
        return Err(fail(format!(
            "{} dimensions, expected 1 to {MAX_DIMS}",
            dims.len()
        )));
    }
    if let Some(i) = dims.iter().position(|&d| d == 0 || d > u32::MAX as usize) {
        return Err(fail(format!(
            "dimension {i} is {}, expected 1 to {}",
            dims[i],
            u32::MAX
        )));
    }
    let len = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if len != Some(data.len()) {
        return Err(fail(format!(
            "dimensions {} do not match the {} data bytes",
            fmt_dims(dims),
            data.len()
        )));
    }
    let mut header = Vec::with_capacity(4 + 4 * dims.len());
    header.extend_from_slice(&[0, 0, TYPE_U8, dims.len() as u8]);
    for &d in dims {
        header.extend_from_slice(&(d as u32).to_be_bytes());
    }
    let io_err = |e| Error::io(path, e);
    let file = File::create(path).map_err(io_err)?;
    let mut out = BufWriter::new(file);
    if gzip {
        let mut gz = GzEncoder::new(&mut out, Compression::default());
        gz.write_all(&header).map_err(io_err)?;
        gz.write_all(data).map_err(io_err)?;
        gz.finish().map_err(io_err)?;
    } else {
        out.write_all(&header).map_err(io_err)?;
        out.write_all(data).map_err(io_err)?;
    }
    let file = out
        .into_inner()
        .map_err(|e| Error::io(path, e.into_error()))?;
    file.sync_all().map_err(io_err)
}

fn is_gzip(prefix: &[u8]) -> bool {
    prefix == [0x1f, 0x8b]
}

/// Decompresses and parses; `reserve` bounds the up-front payload allocation.
fn parse_gzip(reader: impl Read, path: &Path, reserve: usize) -> Result<IdxArray> {
    parse_stream(MultiGzDecoder::new(reader), path, reserve)
}

/// Parses an uncompressed IDX stream whose length is not known in advance.
fn parse_stream(mut reader: impl Read, path: &Path, reserve: usize) -> Result<IdxArray> {
    let header = read_header(&mut reader, path)?;
    let expected = header.len;
    // One byte more than promised, to detect trailing data without reading it all.
    let mut data = Vec::with_capacity(expected.min(reserve));
    reader
        .take(expected as u64 + 1)
        .read_to_end(&mut data)
        .map_err(|e| stream_error(path, e))?;
    if data.len() != expected {
        let have = if data.len() > expected {
            "more".to_string()
        } else {
            data.len().to_string()
        };
        return Err(length_error(path, expected, &have));
    }
    Ok(IdxArray {
        dims: header.dims,
        data,
    })
}

/// Reads and validates the magic and the dimensions.
fn read_header(reader: &mut impl Read, path: &Path) -> Result<Header> {
    let (magic, n) = read_up_to::<4>(reader, path)?;
    if n < 4 {
        return Err(Error::format(
            path,
            format!("truncated: file ends inside the 4-byte IDX magic ({n} bytes)"),
        ));
    }
    if magic[0] != 0 || magic[1] != 0 {
        return Err(Error::format(
            path,
            format!(
                "not an IDX file: magic starts with {:02x} {:02x}, expected 00 00",
                magic[0], magic[1]
            ),
        ));
    }
    let type_code = magic[2];
    if type_code != TYPE_U8 {
        return Err(Error::format(
            path,
            format!(
                "unsupported IDX type code 0x{type_code:02x} ({}); only 0x08 (unsigned byte) is supported",
                type_name(type_code)
            ),
        ));
    }
    let ndims = magic[3] as usize;
    if ndims == 0 || ndims > MAX_DIMS {
        return Err(Error::format(
            path,
            format!("bad IDX header: {ndims} dimensions, expected 1 to {MAX_DIMS}"),
        ));
    }
    let want = 4 * ndims;
    let (raw, n) = read_up_to::<{ 4 * MAX_DIMS }>(&mut reader.take(want as u64), path)?;
    if n < want {
        return Err(Error::format(
            path,
            format!(
                "truncated: file ends inside the IDX header ({} of {} header bytes)",
                4 + n,
                4 + want
            ),
        ));
    }
    let dims: Vec<usize> = raw[..want]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    if let Some(i) = dims.iter().position(|&d| d == 0) {
        return Err(Error::format(
            path,
            format!(
                "bad IDX header: dimension {i} is 0 (dims {})",
                fmt_dims(&dims)
            ),
        ));
    }
    let len = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&len| len <= MAX_IDX_BYTES)
        .ok_or_else(|| {
            Error::format(
                path,
                format!(
                    "bad IDX header: dims {} exceed the {MAX_IDX_BYTES}-byte limit",
                    fmt_dims(&dims)
                ),
            )
        })?;
    Ok(Header {
        dims,
        len,
        header_len: 4 + 4 * ndims,
    })
}

fn length_error(path: &Path, promised: usize, have: &str) -> Error {
    let what = if have.parse::<usize>().is_ok_and(|h| h < promised) {
        "truncated"
    } else {
        "trailing data after the payload"
    };
    Error::format(
        path,
        format!("{what}: header promises {promised} bytes, file has {have}"),
    )
}

/// Turns a read error into a one-line error; decoding problems (a corrupt or cut gzip
/// stream) are format errors, the rest are I/O errors.
fn stream_error(path: &Path, e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput => {
            Error::format(path, format!("corrupt data: {e}"))
        }
        io::ErrorKind::UnexpectedEof => Error::format(path, format!("truncated: {e}")),
        _ => Error::io(path, e),
    }
}

/// Reads up to `N` bytes, stopping early only at end of input.
fn read_up_to<const N: usize>(reader: &mut impl Read, path: &Path) -> Result<([u8; N], usize)> {
    let mut buf = [0u8; N];
    let mut n = 0;
    while n < N {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(stream_error(path, e)),
        }
    }
    Ok((buf, n))
}

fn type_name(code: u8) -> &'static str {
    match code {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0b => "i16",
        0x0c => "i32",
        0x0d => "f32",
        0x0e => "f64",
        _ => "not an IDX type",
    }
}

fn fmt_dims(dims: &[usize]) -> String {
    dims.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("x")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// How long refusing a lying header may take before the test calls it a hang: about
    /// 100 times the release time, 15 times more in a debug build.
    fn hang_guard() -> Duration {
        Duration::from_secs(if cfg!(debug_assertions) { 15 } else { 1 })
    }

    /// An IDX u8 header for `dims`.
    fn header(dims: &[u32]) -> Vec<u8> {
        let mut h = vec![0, 0, TYPE_U8, dims.len() as u8];
        for d in dims {
            h.extend_from_slice(&d.to_be_bytes());
        }
        h
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    }

    /// Writes `bytes` to `name` in a fresh temporary directory.
    fn file_with(name: &str, bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }

    /// Reads `bytes` from a file named `name` and returns the error message, which must
    /// name the file and fit on one line.
    fn read_err(name: &str, bytes: &[u8]) -> String {
        let (_dir, path) = file_with(name, bytes);
        let err = read_idx(&path)
            .expect_err("read_idx should fail")
            .to_string();
        assert!(err.contains(name), "error does not name the file: {err}");
        assert!(!err.contains('\n'), "error is not one line: {err}");
        err
    }

    #[test]
    fn known_answer_parse() {
        let mut bytes = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3];
        bytes.extend(1..=12u8);
        let expect = IdxArray {
            dims: vec![2, 2, 3],
            data: (1..=12).collect(),
        };
        assert_eq!(parse_idx(&bytes[..], Path::new("mem")).unwrap(), expect);
        let (_dir, path) = file_with("known.idx", &bytes);
        assert_eq!(read_idx(&path).unwrap(), expect);
        let (_dir, path) = file_with("known.idx.gz", &gzip(&bytes));
        assert_eq!(read_idx(&path).unwrap(), expect);
        assert_eq!(
            parse_idx(&gzip(&bytes)[..], Path::new("mem")).unwrap(),
            expect
        );
    }

    #[test]
    fn round_trip_raw_and_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let dims = [3usize, 4, 5];
        let data: Vec<u8> = (0..60u8).map(|i| i.wrapping_mul(37)).collect();
        for gz in [false, true] {
            let path = dir.path().join(format!("a-{gz}"));
            write_idx(&path, &dims, &data, gz).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            if gz {
                assert_eq!(&bytes[..2], &[0x1f, 0x8b]);
            } else {
                let mut expect = header(&[3, 4, 5]);
                expect.extend_from_slice(&data);
                assert_eq!(bytes, expect, "raw layout");
            }
            let back = read_idx(&path).unwrap();
            assert_eq!(back.dims, dims);
            assert_eq!(back.data, data);
        }
    }

    #[test]
    fn gzip_detected_by_content_not_name() {
        let mut bytes = header(&[4]);
        bytes.extend([9, 8, 7, 6]);
        let (_d1, gz_named_raw) = file_with("raw-but-named.gz", &bytes);
        let (_d2, raw_named_gz) = file_with("gzip-but-named.idx", &gzip(&bytes));
        for path in [gz_named_raw, raw_named_gz] {
            assert_eq!(read_idx(&path).unwrap().data, [9, 8, 7, 6]);
        }
    }

    #[test]
    fn truncated_payload() {
        let mut bytes = header(&[3, 4]);
        bytes.extend([1u8; 10]);
        let err = read_err("short-idx", &bytes);
        assert!(
            err.contains("truncated: header promises 12 bytes, file has 10"),
            "{err}"
        );
        let err = read_err("short-idx.gz", &gzip(&bytes));
        assert!(
            err.contains("truncated: header promises 12 bytes, file has 10"),
            "{err}"
        );
    }

    #[test]
    fn truncated_header_and_empty_file() {
        let err = read_err("empty", &[]);
        assert!(err.contains("truncated"), "{err}");
        let err = read_err("cut-header", &header(&[3, 4])[..9]);
        assert!(err.contains("inside the IDX header"), "{err}");
        let err = read_err("cut-header.gz", &gzip(&header(&[3, 4])[..9]));
        assert!(err.contains("inside the IDX header"), "{err}");
    }

    #[test]
    fn trailing_bytes() {
        let mut bytes = header(&[3, 4]);
        bytes.extend([1u8; 14]);
        let err = read_err("long-idx", &bytes);
        assert!(err.contains("trailing"), "{err}");
        assert!(
            err.contains("header promises 12 bytes, file has 14"),
            "{err}"
        );
        let err = read_err("long-idx.gz", &gzip(&bytes));
        assert!(err.contains("trailing"), "{err}");
    }

    #[test]
    fn wrong_magic() {
        let mut bytes = header(&[2]);
        bytes.extend([1, 2]);
        bytes[0] = 0x89;
        let err = read_err("magic", &bytes);
        assert!(err.contains("not an IDX file"), "{err}");
        let err = read_err("text.txt", b"hello, world\n");
        assert!(err.contains("not an IDX file"), "{err}");
    }

    #[test]
    fn wrong_type_code() {
        let mut bytes = header(&[2]);
        bytes.extend([0u8; 8]);
        bytes[2] = 0x0d;
        let err = read_err("floats", &bytes);
        assert!(err.contains("type code 0x0d"), "{err}");
        assert!(err.contains("f32"), "{err}");
    }

    #[test]
    fn bad_dimension_count() {
        for ndims in [0u8, 5, 255] {
            let mut bytes = vec![0, 0, 8, ndims];
            bytes.extend([0, 0, 0, 1, 7]);
            let err = read_err("ndims", &bytes);
            assert!(err.contains(&format!("{ndims} dimensions")), "{err}");
        }
    }

    #[test]
    fn zero_dimension() {
        let err = read_err("zero-dim", &header(&[5, 0, 3]));
        assert!(err.contains("dimension 1 is 0"), "{err}");
    }

    #[test]
    fn oversized_or_overflowing_dims() {
        // The product overflows u64 (and usize).
        let err = read_err("overflow", &header(&[u32::MAX; 4]));
        assert!(err.contains("limit"), "{err}");
        // No overflow, but above the 2^31-byte cap.
        let err = read_err("too-big", &header(&[1 << 16, 1 << 15, 2]));
        assert!(err.contains("limit"), "{err}");
    }

    #[test]
    fn lying_header_raw_fails_fast() {
        // 2^31 items (exactly the cap, so the header alone is acceptable) in a 1 KB file.
        for dims in [&[1u32 << 31][..], &[1 << 21, 32, 32][..]] {
            let mut bytes = header(dims);
            bytes.extend([0u8; 1000]);
            let start = Instant::now();
            let err = read_err("liar-idx3-ubyte", &bytes);
            assert!(
                err.contains("truncated: header promises 2147483648 bytes, file has 1000"),
                "{err}"
            );
            // A guard against a hang, not a speed claim (measured 7-8 ms in release on a
            // shared 2-core AMD EPYC Zen 4; `cargo bench -p lenet5 --bench data` measures
            // it): generous, because tests run side by side on loaded machines.
            assert!(start.elapsed() < hang_guard(), "{:?}", start.elapsed());
        }
    }

    #[test]
    fn lying_header_gzip_fails_fast() {
        for dims in [&[1u32 << 31][..], &[1 << 21, 32, 32][..]] {
            let mut bytes = header(dims);
            bytes.extend([0u8; 1000]);
            let start = Instant::now();
            let err = read_err("liar-idx3-ubyte.gz", &gzip(&bytes));
            assert!(
                err.contains("truncated: header promises 2147483648 bytes, file has 1000"),
                "{err}"
            );
            let err = parse_idx(&gzip(&bytes)[..], Path::new("liar-in-memory"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("liar-in-memory: truncated"), "{err}");
            // A guard against a hang (measured 1-8 ms), as above.
            assert!(start.elapsed() < hang_guard(), "{:?}", start.elapsed());
        }
    }

    #[test]
    fn corrupt_or_cut_gzip_stream() {
        let mut bytes = header(&[64, 64]);
        bytes.extend((0..4096u32).map(|i| (i * i % 251) as u8));
        let gz = gzip(&bytes);
        let err = read_err("cut.gz", &gz[..gz.len() / 2]);
        assert!(err.contains("truncated"), "{err}");
        let mut bad = gz.clone();
        let mid = bad.len() / 2;
        bad[mid] ^= 0xff;
        bad[mid + 1] ^= 0x55;
        read_err("flipped.gz", &bad);
    }

    #[test]
    fn write_rejects_inconsistent_dims() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        assert!(write_idx(&path, &[2, 3], &[0; 5], false).is_err());
        assert!(write_idx(&path, &[], &[], false).is_err());
        assert!(write_idx(&path, &[0], &[], true).is_err());
        assert!(write_idx(&path, &[1, 1, 1, 1, 1], &[0], true).is_err());
        let err = write_idx(&path, &[2, 3], &[0; 5], false).unwrap_err();
        assert!(err.to_string().contains("out"), "{err}");
    }

    /// Random corruptions of valid files (raw and gzip) never panic, and whatever
    /// parses is self-consistent.
    #[test]
    fn fuzz_mutations_never_panic() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut base = header(&[3, 5, 2]);
        base.extend(0..30u8);
        let seeds = [base.clone(), gzip(&base)];
        let path = Path::new("fuzz");
        for _ in 0..3000 {
            let mut bytes = seeds[(next() % 2) as usize].clone();
            match next() % 4 {
                0 => {
                    let n = (next() % bytes.len() as u64) as usize;
                    bytes.truncate(n);
                }
                1 => bytes.extend((0..next() % 8).map(|_| next() as u8)),
                _ => {
                    for _ in 0..1 + next() % 4 {
                        let i = (next() % bytes.len() as u64) as usize;
                        bytes[i] = next() as u8;
                    }
                }
            }
            if let Ok(a) = parse_idx(&bytes[..], path) {
                assert!((1..=MAX_DIMS).contains(&a.dims.len()));
                assert_eq!(a.data.len(), a.dims.iter().product::<usize>());
            }
        }
    }
}
