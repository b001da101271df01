//! A header that lies about its size (2^31 bytes promised, 1 KB present) must be rejected
//! before any large allocation. This binary counts the largest single allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use lenet5::data::idx::{parse_idx, read_idx};

/// The system allocator, remembering the largest block ever requested.
struct Peak;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Peak {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Peak = Peak;

/// Far below the 2 GiB a trusting reader would reserve, above the reader's small buffers.
const LIMIT: usize = 16 << 20;

fn liar(dims: &[u32]) -> Vec<u8> {
    let mut bytes = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes.extend([0u8; 1000]);
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

// One test function, so no other test in this binary allocates concurrently.
#[test]
fn lying_headers_cause_no_large_allocation() {
    let dir = tempfile::tempdir().unwrap();
    for dims in [
        &[1u32 << 31][..],
        &[1 << 21, 32, 32][..],
        &[1 << 19, 64, 64][..],
    ] {
        let raw = liar(dims);
        let gz = gzip(&raw);
        let raw_path = dir.path().join("liar-idx3-ubyte");
        let gz_path = dir.path().join("liar-idx3-ubyte.gz");
        std::fs::write(&raw_path, &raw).unwrap();
        std::fs::write(&gz_path, &gz).unwrap();

        LARGEST.store(0, Ordering::Relaxed);
        let err = read_idx(&raw_path).unwrap_err().to_string();
        assert!(err.contains("truncated"), "{err}");
        let err = read_idx(&gz_path).unwrap_err().to_string();
        assert!(err.contains("truncated"), "{err}");
        let err = parse_idx(&raw[..], &raw_path).unwrap_err().to_string();
        assert!(err.contains("truncated"), "{err}");
        let err = parse_idx(&gz[..], &gz_path).unwrap_err().to_string();
        assert!(err.contains("truncated"), "{err}");
        let largest = LARGEST.load(Ordering::Relaxed);
        assert!(
            largest < LIMIT,
            "largest allocation {largest} bytes for dims {dims:?} (limit {LIMIT})"
        );
    }
}
