//! Optimiser updates over the flat parameter vector (per-pattern SDLM runs one per
//! image, so these are hot there). Multiplies and adds are kept separate (no FMA): the
//! results are the same as the scalar formulas, on every back end.

use super::simd::LANES;

simd_kernel! {
    /// SDLM: `p[i]` −= `step[i]` · `g[i]`.
    pub fn sdlm(p: &mut [f32], g: &[f32], step: &[f32]) {
        let n = p.len();
        assert!(g.len() >= n && step.len() >= n);
        let (pp, gp, sp) = (p.as_mut_ptr(), g.as_ptr(), step.as_ptr());
        let mut i = 0;
        // SAFETY: full vectors at i + 8 ≤ n, then n − i < 8 lanes; g and step hold ≥ n.
        unsafe {
            while i + LANES <= n {
                let v = S::sub(
                    S::load(pp.add(i)),
                    S::mul(S::load(sp.add(i)), S::load(gp.add(i))),
                );
                S::store(pp.add(i), v);
                i += LANES;
            }
            for j in i..n {
                *pp.add(j) -= *sp.add(j) * *gp.add(j);
            }
        }
    }
}

simd_kernel! {
    /// SGD with momentum (PyTorch's convention): v ← m·v + g + λ·p; p ← p − lr·v.
    pub fn sgd(p: &mut [f32], g: &[f32], v: &mut [f32], lr: f32, m: f32, wd: f32) {
        let n = p.len();
        assert!(g.len() >= n && v.len() >= n);
        let (pp, gp, vp) = (p.as_mut_ptr(), g.as_ptr(), v.as_mut_ptr());
        let mut i = 0;
        // SAFETY: as in sdlm_update_g.
        unsafe {
            let (lv, mv, wv) = (S::splat(lr), S::splat(m), S::splat(wd));
            while i + LANES <= n {
                let pv = S::load(pp.add(i));
                let nv = S::add(
                    S::add(S::mul(mv, S::load(vp.add(i))), S::load(gp.add(i))),
                    S::mul(wv, pv),
                );
                S::store(vp.add(i), nv);
                S::store(pp.add(i), S::sub(pv, S::mul(lv, nv)));
                i += LANES;
            }
            for j in i..n {
                *vp.add(j) = m * *vp.add(j) + *gp.add(j) + wd * *pp.add(j);
                *pp.add(j) -= lr * *vp.add(j);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::{every_backend, rand_vec};

    #[test]
    fn updates_equal_the_scalar_formulas() {
        let n = 37;
        let (p0, g, st) = (rand_vec(n, 61), rand_vec(n, 62), rand_vec(n, 63));
        let v0 = rand_vec(n, 64);
        every_backend(|name| {
            let mut p = p0.clone();
            sdlm(&mut p, &g, &st);
            for i in 0..n {
                assert_eq!(p[i], p0[i] - st[i] * g[i], "{name}");
            }
            let (mut p, mut v) = (p0.clone(), v0.clone());
            sgd(&mut p, &g, &mut v, 0.1, 0.9, 5e-4);
            for i in 0..n {
                let vv = 0.9 * v0[i] + g[i] + 5e-4 * p0[i];
                assert_eq!((v[i], p[i]), (vv, p0[i] - 0.1 * vv), "{name}");
            }
        });
    }
}
