//! The AVX2 + FMA back end (x86-64 only).

use super::{Backend, Pair, Simd};

/// The AVX2 + FMA back end (x86-64). Only reachable through `simd_kernel!` after
/// the run-time check, or from tests that check [`super::avx2_available`] first.
#[derive(Clone, Copy, Debug)]
pub struct Avx2;

mod imp {
    use super::{Avx2, Backend, Pair, Simd};
    use std::arch::x86_64::*;

    /// Lane masks for partial loads and stores: row n has its first n lanes set.
    static MASKS: [[i32; 8]; 8] = {
        let mut m = [[0i32; 8]; 8];
        let mut n = 0;
        while n < 8 {
            let mut i = 0;
            while i < n {
                m[n][i] = -1;
                i += 1;
            }
            n += 1;
        }
        m
    };

    // SAFETY (whole impl): every intrinsic here needs AVX2/FMA, which the trait's
    // contract requires of the caller's CPU; pointer validity is the caller's too.
    impl Simd for Avx2 {
        type V = __m256;
        const NAME: &'static str = "avx2+fma";
        const LANES: usize = 8;
        #[inline(always)]
        unsafe fn zero() -> __m256 {
            unsafe { _mm256_setzero_ps() }
        }
        #[inline(always)]
        unsafe fn splat(x: f32) -> __m256 {
            unsafe { _mm256_set1_ps(x) }
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> __m256 {
            unsafe { _mm256_loadu_ps(p) }
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, v: __m256) {
            unsafe { _mm256_storeu_ps(p, v) }
        }
        #[inline(always)]
        unsafe fn load_part(p: *const f32, n: usize) -> __m256 {
            unsafe {
                let m = _mm256_loadu_si256(MASKS[n & 7].as_ptr() as *const __m256i);
                _mm256_maskload_ps(p, m)
            }
        }
        #[inline(always)]
        unsafe fn store_part(p: *mut f32, v: __m256, n: usize) {
            unsafe {
                let m = _mm256_loadu_si256(MASKS[n & 7].as_ptr() as *const __m256i);
                _mm256_maskstore_ps(p, m, v)
            }
        }
        #[inline(always)]
        unsafe fn fma(a: __m256, b: __m256, c: __m256) -> __m256 {
            unsafe { _mm256_fmadd_ps(a, b, c) }
        }
        #[inline(always)]
        unsafe fn add(a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_add_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn sub(a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_sub_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn mul(a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_mul_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn div(a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_div_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn max(a: __m256, b: __m256) -> __m256 {
            // max_ps returns the second operand unless the first is greater.
            unsafe { _mm256_max_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn min(a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_min_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn select_gt(a: __m256, b: __m256, x: __m256, y: __m256) -> __m256 {
            unsafe { _mm256_blendv_ps(y, x, _mm256_cmp_ps::<_CMP_GT_OQ>(a, b)) }
        }
        #[inline(always)]
        unsafe fn hsum(v: __m256) -> f32 {
            unsafe {
                // lanes (0+4, 1+5, 2+6, 3+7), then (0+4)+(2+6), (1+5)+(3+7), then the two.
                let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
                let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
                let s = _mm_add_ss(s, _mm_shuffle_ps::<1>(s, s));
                _mm_cvtss_f32(s)
            }
        }
        m256_evens_odds!();
    }

    impl Backend for Avx2 {
        type Wide = Pair<Avx2>;
        const WIDE_NATIVE: bool = false;
        #[inline(always)]
        unsafe fn join(lo: __m256, hi: __m256) -> [__m256; 2] {
            [lo, hi]
        }
        #[inline(always)]
        unsafe fn halves(w: [__m256; 2]) -> (__m256, __m256) {
            (w[0], w[1])
        }
    }
}
