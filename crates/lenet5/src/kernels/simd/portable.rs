//! The portable back end: `[f32; 8]` with plain Rust arithmetic.

use std::marker::PhantomData;

use super::{Backend, LANES, Simd};

/// The portable back end: `[f32; 8]`, plain arithmetic.
#[derive(Clone, Copy, Debug)]
pub struct Portable;

impl Simd for Portable {
    type V = [f32; 8];
    const NAME: &'static str = "portable";
    const LANES: usize = 8;
    #[inline(always)]
    unsafe fn zero() -> Self::V {
        [0.0; 8]
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self::V {
        [x; 8]
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self::V {
        // SAFETY: the caller guarantees 8 readable floats at p.
        unsafe { std::ptr::read_unaligned(p as *const [f32; 8]) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: Self::V) {
        // SAFETY: the caller guarantees 8 writable floats at p.
        unsafe { std::ptr::write_unaligned(p as *mut [f32; 8], v) }
    }
    #[inline(always)]
    unsafe fn load_part(p: *const f32, n: usize) -> Self::V {
        let mut v = [0.0; 8];
        for (i, l) in v.iter_mut().enumerate().take(n) {
            // SAFETY: the caller guarantees n readable floats at p.
            *l = unsafe { *p.add(i) };
        }
        v
    }
    #[inline(always)]
    unsafe fn store_part(p: *mut f32, v: Self::V, n: usize) {
        for (i, l) in v.iter().enumerate().take(n) {
            // SAFETY: the caller guarantees n writable floats at p.
            unsafe { *p.add(i) = *l };
        }
    }
    #[inline(always)]
    unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V {
        std::array::from_fn(|i| a[i] * b[i] + c[i])
    }
    #[inline(always)]
    unsafe fn add(a: Self::V, b: Self::V) -> Self::V {
        std::array::from_fn(|i| a[i] + b[i])
    }
    #[inline(always)]
    unsafe fn sub(a: Self::V, b: Self::V) -> Self::V {
        std::array::from_fn(|i| a[i] - b[i])
    }
    #[inline(always)]
    unsafe fn mul(a: Self::V, b: Self::V) -> Self::V {
        std::array::from_fn(|i| a[i] * b[i])
    }
    #[inline(always)]
    unsafe fn div(a: Self::V, b: Self::V) -> Self::V {
        std::array::from_fn(|i| a[i] / b[i])
    }
    #[inline(always)]
    unsafe fn max(a: Self::V, b: Self::V) -> Self::V {
        // Same convention as `_mm256_max_ps`: b when a is not greater.
        std::array::from_fn(|i| if a[i] > b[i] { a[i] } else { b[i] })
    }
    #[inline(always)]
    unsafe fn min(a: Self::V, b: Self::V) -> Self::V {
        std::array::from_fn(|i| if a[i] < b[i] { a[i] } else { b[i] })
    }
    #[inline(always)]
    unsafe fn select_gt(a: Self::V, b: Self::V, x: Self::V, y: Self::V) -> Self::V {
        std::array::from_fn(|i| if a[i] > b[i] { x[i] } else { y[i] })
    }
    #[inline(always)]
    unsafe fn hsum(v: Self::V) -> f32 {
        ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]))
    }
}

impl Backend for Portable {
    type Wide = Pair<Portable>;
    const WIDE_NATIVE: bool = false;
    #[inline(always)]
    unsafe fn join(lo: Self::V, hi: Self::V) -> [Self::V; 2] {
        [lo, hi]
    }
    #[inline(always)]
    unsafe fn halves(w: [Self::V; 2]) -> (Self::V, Self::V) {
        (w[0], w[1])
    }
}

/// 16-lane vectors as two 8-lane vectors of `S` (lanes 0..8, 8..16): the wide vectors of
/// the back ends without 512-bit registers. Every operation is `S`'s on each half.
#[derive(Clone, Copy, Debug)]
pub struct Pair<S>(PhantomData<S>);

// SAFETY (whole impl): `S`'s contract, on the two halves; pointers cover 16 lanes
// (or the `n` of a partial load or store).
impl<S: Simd> Simd for Pair<S> {
    type V = [S::V; 2];
    const NAME: &'static str = S::NAME;
    const LANES: usize = 2 * LANES;
    #[inline(always)]
    unsafe fn zero() -> Self::V {
        unsafe { [S::zero(); 2] }
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self::V {
        unsafe { [S::splat(x); 2] }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self::V {
        unsafe { [S::load(p), S::load(p.add(LANES))] }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: Self::V) {
        unsafe {
            S::store(p, v[0]);
            S::store(p.add(LANES), v[1]);
        }
    }
    #[inline(always)]
    unsafe fn load_part(p: *const f32, n: usize) -> Self::V {
        unsafe {
            if n < LANES {
                [S::load_part(p, n), S::zero()]
            } else if n == LANES {
                [S::load(p), S::zero()]
            } else {
                [S::load(p), S::load_part(p.add(LANES), n - LANES)]
            }
        }
    }
    #[inline(always)]
    unsafe fn store_part(p: *mut f32, v: Self::V, n: usize) {
        unsafe {
            if n < LANES {
                S::store_part(p, v[0], n);
            } else {
                S::store(p, v[0]);
                if n > LANES {
                    S::store_part(p.add(LANES), v[1], n - LANES);
                }
            }
        }
    }
    #[inline(always)]
    unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V {
        unsafe { [S::fma(a[0], b[0], c[0]), S::fma(a[1], b[1], c[1])] }
    }
    #[inline(always)]
    unsafe fn add(a: Self::V, b: Self::V) -> Self::V {
        unsafe { [S::add(a[0], b[0]), S::add(a[1], b[1])] }
    }
    #[inline(always)]
    unsafe fn sub(a: Self::V, b: Self::V) -> Self::V {
        unsafe { [S::sub(a[0], b[0]), S::sub(a[1], b[1])] }
    }
    #[inline(always)]
    unsafe fn mul(a: Self::V, b: Self::V) -> Self::V {
        unsafe { [S::mul(a[0], b[0]), S::mul(a[1], b[1])] }
    }
    #[inline(always)]
    unsafe fn div(a: Self::V, b: Self::V) -> Self::V {
        unsafe { [S::div(a[0], b[0]), S::div(a[1], b[1])] }
    }
    #[inline(always)]
    unsafe fn max(a: Self::V, b: Self::V) -> Self::V {
        unsafe { [S::max(a[0], b[0]), S::max(a[1], b[1])] }
    }
    #[inline(always)]
    unsafe fn min(a: Self::V, b: Self::V) -> Self::V {
        unsafe { [S::min(a[0], b[0]), S::min(a[1], b[1])] }
    }
    #[inline(always)]
    unsafe fn select_gt(a: Self::V, b: Self::V, x: Self::V, y: Self::V) -> Self::V {
        unsafe {
            [
                S::select_gt(a[0], b[0], x[0], y[0]),
                S::select_gt(a[1], b[1], x[1], y[1]),
            ]
        }
    }
    #[inline(always)]
    unsafe fn hsum(v: Self::V) -> f32 {
        unsafe { S::hsum(v[0]) + S::hsum(v[1]) }
    }
}
