//! The simple path every fast kernel is tested against, and the one the SDLM curvature
//! pass runs (any shape, one image at a time): matrix products through `matrixmultiply`
//! (which picks AVX/FMA kernels at run time and falls back to portable code elsewhere),
//! im2col / col2im, and the obvious seven-loop convolution.
//!
//! All matrices are row-major, contiguous.

use super::ConvShape;

/// `c[m×n] (+)= a[m×k] · b[k×n]`. With `acc` false, `c` is overwritten.
pub fn gemm_nn(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32], acc: bool) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    // SAFETY: the asserts above guarantee every index the kernel touches is in bounds.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            k as isize,
            1,
            b.as_ptr(),
            n as isize,
            1,
            if acc { 1.0 } else { 0.0 },
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// `c[m×n] (+)= a[m×k] · b[n×k]ᵀ`.
pub fn gemm_nt(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32], acc: bool) {
    assert!(a.len() >= m * k && b.len() >= n * k && c.len() >= m * n);
    // SAFETY: bounds checked above.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            k as isize,
            1,
            b.as_ptr(),
            1,
            k as isize,
            if acc { 1.0 } else { 0.0 },
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// `c[m×n] (+)= a[k×m]ᵀ · b[k×n]`.
pub fn gemm_tn(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32], acc: bool) {
    assert!(a.len() >= k * m && b.len() >= k * n && c.len() >= m * n);
    // SAFETY: bounds checked above.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            1,
            m as isize,
            b.as_ptr(),
            n as isize,
            1,
            if acc { 1.0 } else { 0.0 },
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// im2col for one image: `col[(c·k+ki)·k+kj][oy·wo+ox] = x[c][oy+ki−pad][ox+kj−pad]` (0 outside).
/// x: [cin, h, w] → col: [cin·k·k, ho·wo]
pub fn im2col(s: &ConvShape, x: &[f32], col: &mut [f32]) {
    let (ho, wo, k, p) = (s.ho(), s.wo(), s.k, s.pad as isize);
    for c in 0..s.cin {
        let xc = &x[c * s.h * s.w..(c + 1) * s.h * s.w];
        for ki in 0..k {
            for kj in 0..k {
                let row = &mut col[((c * k + ki) * k + kj) * ho * wo..][..ho * wo];
                for oy in 0..ho {
                    let iy = oy as isize + ki as isize - p;
                    let dst = &mut row[oy * wo..(oy + 1) * wo];
                    if iy < 0 || iy >= s.h as isize {
                        dst.fill(0.0);
                        continue;
                    }
                    let src = &xc[iy as usize * s.w..(iy as usize + 1) * s.w];
                    // Output columns ox with ix = ox + kj − p inside the row: lo..hi.
                    let (lo, hi) = in_row(wo, s.w, kj, p);
                    dst[..lo].fill(0.0);
                    dst[hi..].fill(0.0);
                    if lo < hi {
                        let ix0 = (lo as isize + kj as isize - p) as usize;
                        dst[lo..hi].copy_from_slice(&src[ix0..ix0 + hi - lo]);
                    }
                }
            }
        }
    }
}

/// The output columns `lo..hi` (of `wo`) whose input column ox + kj − p lies inside a row
/// of `w`.
fn in_row(wo: usize, w: usize, kj: usize, p: isize) -> (usize, usize) {
    let shift = kj as isize - p;
    let lo = (-shift).clamp(0, wo as isize) as usize;
    let hi = (w as isize - shift).clamp(0, wo as isize) as usize;
    (lo, hi.max(lo))
}

/// col2im for one image, the adjoint of [`im2col`]: `dx[c][iy][ix] += Σ dcol[..]`.
/// dcol: [cin·k·k, ho·wo] → dx: [cin, h, w] (overwritten)
pub fn col2im(s: &ConvShape, dcol: &[f32], dx: &mut [f32]) {
    let (ho, wo, k, p) = (s.ho(), s.wo(), s.k, s.pad as isize);
    dx[..s.in_len()].fill(0.0);
    for c in 0..s.cin {
        let xc = &mut dx[c * s.h * s.w..(c + 1) * s.h * s.w];
        for ki in 0..k {
            for kj in 0..k {
                let row = &dcol[((c * k + ki) * k + kj) * ho * wo..][..ho * wo];
                for oy in 0..ho {
                    let iy = oy as isize + ki as isize - p;
                    if iy < 0 || iy >= s.h as isize {
                        continue;
                    }
                    let dst = &mut xc[iy as usize * s.w..(iy as usize + 1) * s.w];
                    let (lo, hi) = in_row(wo, s.w, kj, p);
                    if lo < hi {
                        let ix0 = (lo as isize + kj as isize - p) as usize;
                        let src = &row[oy * wo + lo..oy * wo + hi];
                        for (d, &g) in dst[ix0..ix0 + hi - lo].iter_mut().zip(src) {
                            *d += g;
                        }
                    }
                }
            }
        }
    }
}

/// The slow, obvious convolution, used as the reference in tests.
pub fn conv_forward_naive(s: &ConvShape, x: &[f32], w: &[f32], b: &[f32], y: &mut [f32]) {
    let (ho, wo, k) = (s.ho(), s.wo(), s.k);
    for o in 0..s.cout {
        for oy in 0..ho {
            for ox in 0..wo {
                let mut acc = b[o] as f64;
                for c in 0..s.cin {
                    for ki in 0..k {
                        for kj in 0..k {
                            let iy = (oy + ki) as isize - s.pad as isize;
                            let ix = (ox + kj) as isize - s.pad as isize;
                            if iy < 0 || ix < 0 || iy >= s.h as isize || ix >= s.w as isize {
                                continue;
                            }
                            let xv = x[(c * s.h + iy as usize) * s.w + ix as usize];
                            acc += (w[((o * s.cin + c) * k + ki) * k + kj] * xv) as f64;
                        }
                    }
                }
                y[(o * ho + oy) * wo + ox] = acc as f32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::ConvShape;
    use crate::kernels::testing::rand_vec;

    /// im2col and col2im element by element, bounds checked per pixel: the row-segment
    /// versions must give the same bits.
    #[test]
    fn im2col_and_col2im_match_the_per_pixel_definition() {
        let shapes = [
            ConvShape::new(1, 32, 6, 5, 0),
            ConvShape::new(6, 14, 16, 5, 0),
            ConvShape::new(1, 28, 6, 5, 2),
            ConvShape::new(2, 7, 3, 3, 1),
            ConvShape::new(1, 3, 1, 5, 2),
        ];
        for s in shapes {
            let (ho, wo, k, p) = (s.ho(), s.wo(), s.k, s.pad as isize);
            let x = rand_vec(s.in_len(), 1);
            let dcol = rand_vec(s.col_rows() * s.col_cols(), 2);
            let mut col = vec![f32::NAN; dcol.len()];
            im2col(&s, &x, &mut col);
            let mut dx = vec![f32::NAN; s.in_len()];
            col2im(&s, &dcol, &mut dx);
            let mut dx0 = vec![0.0f32; s.in_len()];
            for c in 0..s.cin {
                for ki in 0..k {
                    for kj in 0..k {
                        let r = (c * k + ki) * k + kj;
                        for oy in 0..ho {
                            for ox in 0..wo {
                                let (iy, ix) =
                                    (oy as isize + ki as isize - p, ox as isize + kj as isize - p);
                                let inside =
                                    iy >= 0 && iy < s.h as isize && ix >= 0 && ix < s.w as isize;
                                let at =
                                    c * s.h * s.w + (iy.max(0) as usize) * s.w + ix.max(0) as usize;
                                let want = if inside { x[at] } else { 0.0 };
                                assert_eq!(
                                    col[r * ho * wo + oy * wo + ox].to_bits(),
                                    want.to_bits(),
                                    "{s:?}"
                                );
                                if inside {
                                    dx0[at] += dcol[r * ho * wo + oy * wo + ox];
                                }
                            }
                        }
                    }
                }
            }
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&dx), bits(&dx0), "{s:?}");
        }
    }

    fn naive(m: usize, k: usize, n: usize, a: &[f32], b: &[f32]) -> Vec<f32> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        c
    }

    fn transpose(r: usize, c: usize, a: &[f32]) -> Vec<f32> {
        let mut t = vec![0.0; r * c];
        for i in 0..r {
            for j in 0..c {
                t[j * r + i] = a[i * c + j];
            }
        }
        t
    }

    #[test]
    fn gemm_variants_match_naive() {
        let (m, k, n) = (7, 13, 5);
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
        let want = naive(m, k, n, &a, &b);
        let mut c = vec![9.0; m * n];
        gemm_nn(m, k, n, &a, &b, &mut c, false);
        let close = |x: &[f32], y: &[f32]| x.iter().zip(y).all(|(p, q)| (p - q).abs() < 1e-5);
        assert!(close(&c, &want));
        gemm_nt(m, k, n, &a, &transpose(k, n, &b), &mut c, false);
        assert!(close(&c, &want));
        gemm_tn(m, k, n, &transpose(m, k, &a), &b, &mut c, false);
        assert!(close(&c, &want));
        gemm_nn(m, k, n, &a, &b, &mut c, true);
        let twice: Vec<f32> = want.iter().map(|x| 2.0 * x).collect();
        assert!(close(&c, &twice));
    }

    #[test]
    fn col2im_is_adjoint_of_im2col() {
        // <im2col(x), d> == <x, col2im(d)> for all x, d.
        let s = ConvShape {
            cin: 2,
            h: 6,
            w: 5,
            cout: 1,
            k: 3,
            pad: 1,
        };
        let x: Vec<f32> = (0..s.in_len()).map(|i| (i as f32 * 0.7).sin()).collect();
        let d: Vec<f32> = (0..s.col_rows() * s.col_cols())
            .map(|i| (i as f32 * 0.3).cos())
            .collect();
        let mut col = vec![0.0; d.len()];
        im2col(&s, &x, &mut col);
        let mut dx = vec![0.0; x.len()];
        col2im(&s, &d, &mut dx);
        let lhs: f64 = col.iter().zip(&d).map(|(a, b)| (*a * *b) as f64).sum();
        let rhs: f64 = x.iter().zip(&dx).map(|(a, b)| (*a * *b) as f64).sum();
        assert!((lhs - rhs).abs() < 1e-4, "{lhs} vs {rhs}");
        // A known entry: row (c=1, ki=0, kj=0), output (0,0) reads x[1][-1][-1] = padding.
        assert_eq!(col[(9) * 30], 0.0);
        // row (c=0, ki=1, kj=1) at output (2,3) reads x[0][2][3].
        assert_eq!(col[4 * 30 + 2 * 5 + 3], x[2 * 5 + 3]);
    }
}
