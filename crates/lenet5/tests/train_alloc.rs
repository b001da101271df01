//! Audit of outside data: a batch far larger than the training set (say, from a
//! checkpoint's configuration) allocates only what the data can fill. This binary
//! counts the bytes held at once, as `idx_alloc.rs` counts its largest allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use lenet5::data::Dataset;
use lenet5::model::Arch;
use lenet5::train::{RunOptions, TrainConfig, Trainer};

/// The system allocator, counting the bytes held and remembering the most ever held.
struct Peak;

static HELD: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grow(n: usize) {
    let now = HELD.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Peak {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
        grow(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Peak = Peak;

/// 20 images need a few MB (one chunk's activations and gradients, the weights, the
/// optimiser's buffers); buffers for the batch taken at its word would need terabytes.
const LIMIT: usize = 32 << 20;

// One test function, so no other test in this binary allocates concurrently.
#[test]
fn huge_batch_allocates_only_what_is_used() {
    let ds = Dataset {
        images: vec![0; 20 * 784],
        labels: (0..20).map(|i| i % 10).collect(),
        rows: 28,
        cols: 28,
    };
    for (arch, batch) in [(Arch::Modern, usize::MAX / 2), (Arch::Classic, 1 << 40)] {
        let mut c = TrainConfig::defaults(arch);
        c.epochs = 1;
        c.batch = batch;
        c.hessian_samples = 10;
        let before = HELD.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let mut t = Trainer::new(c).unwrap();
        t.run(&ds, &ds, &mut RunOptions::quiet(2)).unwrap();
        let peak = PEAK.load(Ordering::Relaxed) - before;
        eprintln!("{arch}, batch {batch}: at most {peak} bytes held while training");
        assert_eq!(t.epoch, 1, "{arch}: the epoch ran");
        assert_eq!(t.history.len(), 1);
        assert!(
            peak < LIMIT,
            "{arch}, batch {batch}: {peak} bytes held to train on 20 images"
        );
    }
}
