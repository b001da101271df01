//! The AVX-512 back end (x86-64 only; AVX-512 F and VL).
//!
//! 8-lane vectors are `__m256` as on AVX2 (the same instructions, EVEX-encoded, with
//! AVX-512's mask registers for partial loads and stores); the wide, 16-lane vectors are
//! one `__m512`. Every lane computes what the AVX2 back end computes in it: fused
//! multiply-adds, IEEE operations rounded once, the same `max`/`min` convention, and
//! horizontal sums in the same order, on 8-lane halves.

use super::{Backend, Simd};

/// The AVX-512 back end, 8-lane vectors (x86-64). Only reachable through `simd_kernel!`
/// after the run-time check, or from tests that check [`super::avx512_available`] first.
#[derive(Clone, Copy, Debug)]
pub struct Avx512;

/// The AVX-512 back end's 16-lane vectors ([`Backend::Wide`] of [`Avx512`]).
#[derive(Clone, Copy, Debug)]
pub struct Avx512x16;

mod imp {
    use super::{Avx512, Avx512x16, Backend, Simd};
    use std::arch::x86_64::*;

    /// The mask of the first `n` of 8 lanes.
    #[inline(always)]
    fn mask8(n: usize) -> __mmask8 {
        ((1u32 << n.min(8)) - 1) as __mmask8
    }

    /// The mask of the first `n` of 16 lanes.
    #[inline(always)]
    fn mask16(n: usize) -> __mmask16 {
        ((1u32 << n.min(16)) - 1) as __mmask16
    }

    /// Lane i of the result is lane 2i + `first` of a followed by b (indices 16.. name
    /// b's lanes): one `permutex2var`.
    #[inline(always)]
    unsafe fn every_second(a: __m512, b: __m512, first: i32) -> __m512 {
        unsafe {
            let even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            _mm512_permutex2var_ps(a, _mm512_add_epi32(even, _mm512_set1_epi32(first)), b)
        }
    }

    /// Lanes 8..16 of `v`.
    #[inline(always)]
    unsafe fn upper(v: __m512) -> __m256 {
        unsafe { _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v))) }
    }

    // SAFETY (whole impl): every intrinsic here needs AVX-512 F + VL (or AVX2/FMA, which
    // such CPUs have), which the trait's contract requires of the caller's CPU; pointer
    // validity is the caller's too. Masked loads and stores touch the masked lanes only.
    impl Simd for Avx512 {
        type V = __m256;
        const NAME: &'static str = "avx512";
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
            unsafe { _mm256_maskz_loadu_ps(mask8(n), p) }
        }
        #[inline(always)]
        unsafe fn store_part(p: *mut f32, v: __m256, n: usize) {
            unsafe { _mm256_mask_storeu_ps(p, mask8(n), v) }
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
            unsafe { _mm256_mask_blend_ps(_mm256_cmp_ps_mask::<_CMP_GT_OQ>(a, b), y, x) }
        }
        #[inline(always)]
        unsafe fn hsum(v: __m256) -> f32 {
            unsafe {
                // As on AVX2: (0+4, 1+5, 2+6, 3+7), then (0+4)+(2+6), (1+5)+(3+7), then the two.
                let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
                let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
                let s = _mm_add_ss(s, _mm_shuffle_ps::<1>(s, s));
                _mm_cvtss_f32(s)
            }
        }
        m256_evens_odds!();
    }

    impl Backend for Avx512 {
        type Wide = Avx512x16;
        const WIDE_NATIVE: bool = true;
        #[inline(always)]
        unsafe fn join(lo: __m256, hi: __m256) -> __m512 {
            unsafe {
                _mm512_castpd_ps(_mm512_insertf64x4::<1>(
                    _mm512_castpd256_pd512(_mm256_castps_pd(lo)),
                    _mm256_castps_pd(hi),
                ))
            }
        }
        #[inline(always)]
        unsafe fn halves(w: __m512) -> (__m256, __m256) {
            unsafe { (_mm512_castps512_ps256(w), upper(w)) }
        }
        #[inline(always)]
        unsafe fn load_both(p: *const f32) -> __m512 {
            // One broadcast load (the 256 bits as four doubles: the same bits).
            unsafe { _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_loadu_pd(p.cast()))) }
        }
    }

    // SAFETY: as for Avx512.
    impl Simd for Avx512x16 {
        type V = __m512;
        const NAME: &'static str = "avx512";
        const LANES: usize = 16;
        #[inline(always)]
        unsafe fn zero() -> __m512 {
            unsafe { _mm512_setzero_ps() }
        }
        #[inline(always)]
        unsafe fn splat(x: f32) -> __m512 {
            unsafe { _mm512_set1_ps(x) }
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> __m512 {
            unsafe { _mm512_loadu_ps(p) }
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, v: __m512) {
            unsafe { _mm512_storeu_ps(p, v) }
        }
        #[inline(always)]
        unsafe fn load_part(p: *const f32, n: usize) -> __m512 {
            unsafe { _mm512_maskz_loadu_ps(mask16(n), p) }
        }
        #[inline(always)]
        unsafe fn store_part(p: *mut f32, v: __m512, n: usize) {
            unsafe { _mm512_mask_storeu_ps(p, mask16(n), v) }
        }
        #[inline(always)]
        unsafe fn fma(a: __m512, b: __m512, c: __m512) -> __m512 {
            unsafe { _mm512_fmadd_ps(a, b, c) }
        }
        #[inline(always)]
        unsafe fn add(a: __m512, b: __m512) -> __m512 {
            unsafe { _mm512_add_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn sub(a: __m512, b: __m512) -> __m512 {
            unsafe { _mm512_sub_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn mul(a: __m512, b: __m512) -> __m512 {
            unsafe { _mm512_mul_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn div(a: __m512, b: __m512) -> __m512 {
            unsafe { _mm512_div_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn max(a: __m512, b: __m512) -> __m512 {
            // Same convention as the 256-bit max: b unless a is greater.
            unsafe { _mm512_max_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn min(a: __m512, b: __m512) -> __m512 {
            unsafe { _mm512_min_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn select_gt(a: __m512, b: __m512, x: __m512, y: __m512) -> __m512 {
            unsafe { _mm512_mask_blend_ps(_mm512_cmp_ps_mask::<_CMP_GT_OQ>(a, b), y, x) }
        }
        #[inline(always)]
        unsafe fn hsum(v: __m512) -> f32 {
            unsafe { Avx512::hsum(_mm512_castps512_ps256(v)) + Avx512::hsum(upper(v)) }
        }
        #[inline(always)]
        unsafe fn evens(a: __m512, b: __m512) -> __m512 {
            unsafe { every_second(a, b, 0) }
        }
        #[inline(always)]
        unsafe fn odds(a: __m512, b: __m512) -> __m512 {
            unsafe { every_second(a, b, 1) }
        }
    }
}
