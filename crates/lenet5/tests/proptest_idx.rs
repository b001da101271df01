//! Property tests of the IDX reader/writer: write → read round-trips for random
//! dimensions and data, raw and gzip, through a file and through a reader; a file cut
//! short or extended by any amount is refused with a one-line error naming it.

use std::io::Write;
use std::path::Path;

use lenet5::data::idx::{IdxArray, MAX_DIMS, parse_idx, read_idx, write_idx};
use proptest::prelude::*;

/// 1 to 4 dimensions of 1..=7, and data of matching length.
fn array() -> impl Strategy<Value = (Vec<usize>, Vec<u8>)> {
    prop::collection::vec(1usize..=7, 1..=MAX_DIMS).prop_flat_map(|dims| {
        let n = dims.iter().product::<usize>();
        (Just(dims), prop::collection::vec(any::<u8>(), n))
    })
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn raw_bytes(dims: &[usize], data: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 8, dims.len() as u8];
    for &d in dims {
        b.extend_from_slice(&(d as u32).to_be_bytes());
    }
    b.extend_from_slice(data);
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn write_then_read_round_trips((dims, data) in array(), gz in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.idx");
        write_idx(&path, &dims, &data, gz).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        prop_assert_eq!(bytes.starts_with(&[0x1f, 0x8b]), gz);
        let want = IdxArray { dims: dims.clone(), data: data.clone() };
        prop_assert_eq!(&read_idx(&path).unwrap(), &want);
        prop_assert_eq!(&parse_idx(&bytes[..], &path).unwrap(), &want);
        if !gz {
            prop_assert_eq!(bytes, raw_bytes(&dims, &data));
        }
    }

    #[test]
    fn wrong_length_is_refused(
        (dims, data) in array(),
        gz in any::<bool>(),
        cut in any::<bool>(),
        amount in 1usize..20,
    ) {
        let mut bytes = raw_bytes(&dims, &data);
        if cut {
            bytes.truncate(bytes.len().saturating_sub(amount));
        } else {
            bytes.extend(std::iter::repeat_n(7u8, amount));
        }
        let bytes = if gz { gzip(&bytes) } else { bytes };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad-length.idx");
        std::fs::write(&path, &bytes).unwrap();
        let e = read_idx(&path).unwrap_err().to_string();
        prop_assert!(e.contains("bad-length.idx") && !e.contains('\n'), "{}", e);
        let e = parse_idx(&bytes[..], Path::new("mem.idx")).unwrap_err().to_string();
        prop_assert!(e.contains("mem.idx") && !e.contains('\n'), "{}", e);
    }
}
