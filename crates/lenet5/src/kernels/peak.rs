//! The arithmetic ceiling of the back end in use: a loop of independent fused
//! multiply-adds, nothing else, that `lenet5 bench` times to measure the peak it reports
//! the kernels against (instead of computing one from a nominal clock).
//!
//! [`ACCUMULATORS`] independent chains of `a = a·m + c` on the back end's widest vectors
//! (16 lanes, 512-bit FMAs, on AVX-512; 8 lanes elsewhere): more chains than an FMA's
//! latency (4-5 cycles) times the FMA units per core (2 on Zen and recent Intel cores),
//! so the loop is bound by FMA throughput, not latency. `m` slightly below 1 keeps the
//! values bounded and finite however long it runs.

use super::simd::{Kind, Simd, backend};

/// Independent accumulator chains in [`fma_loop`] (covers 2 units × 5 cycles of latency).
pub const ACCUMULATORS: usize = 12;

/// Lanes of the vectors [`fma_loop`] runs on the back end `kind`.
pub fn fma_lanes(kind: Kind) -> usize {
    match kind {
        Kind::Avx512 => 16,
        Kind::Avx2 | Kind::Portable => 8,
    }
}

/// FLOPs that [`fma_loop`] performs for `iters` iterations on this thread's back end:
/// 2 per lane per FMA.
pub fn fma_loop_flops(iters: usize) -> f64 {
    (iters * ACCUMULATORS * fma_lanes(backend()) * 2) as f64
}

/// The loop of [`fma_loop`] on vectors of `V`.
#[inline(always)]
unsafe fn chains<V: Simd>(iters: usize, x: f32, m: f32, c: f32) -> f32 {
    // SAFETY: register arithmetic only.
    unsafe {
        let (mv, cv) = (V::splat(m), V::splat(c));
        let mut acc: [V::V; ACCUMULATORS] = std::array::from_fn(|i| V::splat(x + i as f32 * 1e-3));
        for _ in 0..iters {
            for a in acc.iter_mut() {
                *a = V::fma(*a, mv, cv);
            }
        }
        let mut total = 0.0;
        for a in acc {
            total += V::hsum(a);
        }
        total
    }
}

simd_kernel! {
    /// `iters` iterations of [`ACCUMULATORS`] independent vector FMAs `a = a·m + c`, the
    /// chains starting at `x`; `out[0]` = the sum of every lane of every chain (so the
    /// loop cannot be optimised away). FLOPs: [`fma_loop_flops`]`(iters)`.
    pub fn fma_loop(iters: usize, x: f32, m: f32, c: f32, out: &mut [f32]) {
        assert!(!out.is_empty());
        // SAFETY: only register arithmetic; the back end's instructions exist (dispatch).
        out[0] = unsafe {
            if S::WIDE_NATIVE {
                chains::<S::Wide>(iters, x, m, c)
            } else {
                chains::<S>(iters, x, m, c)
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::every_backend;

    #[test]
    fn the_loop_computes_what_it_claims() {
        // One chain, scalar: a ← a·m + c, `iters` times; the loop has ACCUMULATORS × lanes
        // of it, chain i starting at x + i/1000.
        let (iters, x, m, c) = (1000, 0.5f32, 0.999f32, 0.001f32);
        let mut want = 0.0f64;
        for i in 0..ACCUMULATORS {
            let mut a = x + i as f32 * 1e-3;
            for _ in 0..iters {
                a = a.mul_add(m, c);
            }
            want += a as f64;
        }
        every_backend(|name| {
            let mut out = [0.0];
            fma_loop(iters, x, m, c, &mut out);
            let lanes = fma_lanes(backend());
            let want = want * lanes as f64;
            assert_eq!(lanes, if name == "avx512" { 16 } else { 8 });
            assert_eq!(fma_loop_flops(1000), (1000 * 12 * lanes * 2) as f64);
            assert!(
                (out[0] as f64 - want).abs() < 1e-4 * want,
                "{name}: {} vs {want}",
                out[0]
            );
        });
    }
}
