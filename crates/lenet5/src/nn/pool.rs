//! 2x2, stride-2 pooling: the paper's trainable subsampling (S2, S4) and max-pooling
//! (the modern network).

use super::Params;
use crate::kernels::pool;

/// A 2x2, stride-2 pooling layer's shape: `maps` maps of `side`x`side` → `side/2`x`side/2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2x2 {
    pub maps: usize,
    /// Input side (even).
    pub side: usize,
}

impl Pool2x2 {
    /// `maps`@`side`x`side` → `maps`@`side/2`x`side/2`.
    pub const fn new(maps: usize, side: usize) -> Pool2x2 {
        Pool2x2 { maps, side }
    }
    /// Output side.
    pub const fn out_side(&self) -> usize {
        self.side / 2
    }
    /// Input elements per image.
    pub const fn in_len(&self) -> usize {
        self.maps * self.side * self.side
    }
    /// Output elements per image.
    pub const fn out_len(&self) -> usize {
        self.maps * self.out_side() * self.out_side()
    }

    /// Trainable subsampling of `n` images (the paper's S2, S4): per map c,
    /// `y[c,i,j] = coef[c] · (x[c,2i,2j] + x[c,2i,2j+1] + x[c,2i+1,2j] + x[c,2i+1,2j+1]) + bias[c]`,
    /// with `coef` = `p.weight`. x: `[n][maps][side][side]` → y: `[n][maps][side/2][side/2]`
    pub fn subsample_forward(&self, n: usize, x: &[f32], p: Params<&[f32]>, y: &mut [f32]) {
        let (w, wo) = (self.side, self.out_side());
        for s in 0..n {
            let xs = &x[s * self.in_len()..(s + 1) * self.in_len()];
            let ys = &mut y[s * self.out_len()..(s + 1) * self.out_len()];
            let planes = xs.chunks_exact(w * w).zip(ys.chunks_exact_mut(wo * wo));
            for (c, (xc, yc)) in planes.enumerate() {
                let (k, b) = (p.weight[c], p.bias[c]);
                for (xr, yr) in xc.chunks_exact(2 * w).zip(yc.chunks_exact_mut(wo)) {
                    let (r0, r1) = xr.split_at(w);
                    for ((o, a), d) in yr
                        .iter_mut()
                        .zip(r0.chunks_exact(2))
                        .zip(r1.chunks_exact(2))
                    {
                        *o = k * (a[0] + a[1] + d[0] + d[1]) + b;
                    }
                }
            }
        }
    }

    /// Backward of [`Pool2x2::subsample_forward`] for `n` images: accumulates `g.weight`
    /// (d coef) and `g.bias`, image by image; overwrites `dx` (when given) with
    /// `coef[c] · dy` spread over each 2x2 block.
    pub fn subsample_backward(
        &self,
        n: usize,
        x: &[f32],
        coef: &[f32],
        dy: &[f32],
        mut g: Params<&mut [f32]>,
        mut dx: Option<&mut [f32]>,
    ) {
        for s in 0..n {
            let dxs = dx
                .as_deref_mut()
                .map(|d| &mut d[s * self.in_len()..(s + 1) * self.in_len()]);
            self.subsample_backward_image(
                &x[s * self.in_len()..(s + 1) * self.in_len()],
                coef,
                &dy[s * self.out_len()..(s + 1) * self.out_len()],
                &mut g,
                dxs,
                |v| v,
            );
        }
    }

    /// [`Pool2x2::subsample_backward`] followed by the squashing function's backward on
    /// `dx`, `x` being that function's output (the classic S2 and S4 read C1's and C3's
    /// squashed outputs): `dx = (coef[c] · dy) · f'(x)`, each element with the same
    /// operations as the two passes ([`crate::nn::act::tanh_backward`]), so bit-identical
    /// to them, in one pass with the sides of LeNet-5's S2 (28) and S4 (10) known to the
    /// compiler. x: `[n][maps][side][side]`, dy: `[n][maps][side/2][side/2]` → dx: like x
    /// (overwritten).
    pub fn subsample_tanh_backward(
        &self,
        n: usize,
        x: &[f32],
        coef: &[f32],
        dy: &[f32],
        mut g: Params<&mut [f32]>,
        dx: &mut [f32],
    ) {
        let (il, ol) = (self.in_len(), self.out_len());
        for s in 0..n {
            let (xs, ds, dxs) = (
                &x[s * il..(s + 1) * il],
                &dy[s * ol..(s + 1) * ol],
                &mut dx[s * il..(s + 1) * il],
            );
            match self.side {
                28 => subsample_tanh_image::<28>(self.maps, xs, coef, ds, &mut g, dxs),
                10 => subsample_tanh_image::<10>(self.maps, xs, coef, ds, &mut g, dxs),
                _ => {
                    self.subsample_backward_image(xs, coef, ds, &mut g, Some(&mut *dxs), |v| v);
                    crate::nn::act::tanh_backward(xs, dxs);
                }
            }
        }
    }

    /// The curvature (Gauss-Newton diagonal) through subsampling, one image: as
    /// [`Pool2x2::subsample_backward`] with the 2x2 sum and the coefficient squared.
    pub fn subsample_curvature(
        &self,
        x: &[f32],
        coef: &[f32],
        dy: &[f32],
        mut g: Params<&mut [f32]>,
        dx: Option<&mut [f32]>,
    ) {
        self.subsample_backward_image(x, coef, dy, &mut g, dx, |v| v * v);
    }

    /// One image of the subsampling backward, with `f` applied to each 2x2 sum (in
    /// `g.weight`) and to each coefficient (in `dx`): the identity for the gradient, the
    /// square for the curvature.
    fn subsample_backward_image(
        &self,
        x: &[f32],
        coef: &[f32],
        dy: &[f32],
        g: &mut Params<&mut [f32]>,
        dx: Option<&mut [f32]>,
        f: impl Fn(f32) -> f32,
    ) {
        let (w, wo) = (self.side, self.out_side());
        let planes = x[..self.in_len()]
            .chunks_exact(w * w)
            .zip(dy[..self.out_len()].chunks_exact(wo * wo));
        for (c, (xc, gyc)) in planes.enumerate() {
            let (mut gc, mut gb) = (0.0f32, 0.0f32);
            for (xr, gr) in xc.chunks_exact(2 * w).zip(gyc.chunks_exact(wo)) {
                let (r0, r1) = xr.split_at(w);
                for ((&gy, a), d) in gr.iter().zip(r0.chunks_exact(2)).zip(r1.chunks_exact(2)) {
                    let s = a[0] + a[1] + d[0] + d[1];
                    gc += gy * f(s);
                    gb += gy;
                }
            }
            g.weight[c] += gc;
            g.bias[c] += gb;
        }
        if let Some(dx) = dx {
            let planes = dx[..self.in_len()]
                .chunks_exact_mut(w * w)
                .zip(dy[..self.out_len()].chunks_exact(wo * wo));
            for (c, (dxc, gyc)) in planes.enumerate() {
                let k = f(coef[c]);
                for (dr, gr) in dxc.chunks_exact_mut(2 * w).zip(gyc.chunks_exact(wo)) {
                    let (r0, r1) = dr.split_at_mut(w);
                    for ((&gy, a), d) in gr
                        .iter()
                        .zip(r0.chunks_exact_mut(2))
                        .zip(r1.chunks_exact_mut(2))
                    {
                        let v = k * gy;
                        a.fill(v);
                        d.fill(v);
                    }
                }
            }
        }
    }

    /// Max-pooling of `n` images (the modern network's pool1, pool2).
    /// x: `[n][maps][side][side]` → y: `[n][maps][side/2][side/2]`
    pub fn max_forward(&self, n: usize, x: &[f32], y: &mut [f32]) {
        pool::max_forward(n * self.maps, self.side, self.side, x, y);
    }

    /// Backward of [`Pool2x2::max_forward`] and of the ReLU before it: each block's
    /// gradient goes to its first maximal element when that maximum is > 0.
    /// x: the pooled input, y: its output, dy → dx: `[n][maps][side][side]` (overwritten)
    pub fn max_relu_backward(&self, n: usize, x: &[f32], y: &[f32], dy: &[f32], dx: &mut [f32]) {
        pool::max_relu_backward(n * self.maps, self.side, self.side, x, y, dy, dx);
    }
}

/// One image of [`Pool2x2::subsample_tanh_backward`], `maps` maps of `W`x`W`.
#[inline(always)]
fn subsample_tanh_image<const W: usize>(
    maps: usize,
    x: &[f32],
    coef: &[f32],
    dy: &[f32],
    g: &mut Params<&mut [f32]>,
    dx: &mut [f32],
) {
    use crate::nn::act::tanh_deriv_from_output as deriv;
    let wo = W / 2;
    for c in 0..maps {
        let xc = &x[c * W * W..(c + 1) * W * W];
        let gyc = &dy[c * wo * wo..(c + 1) * wo * wo];
        let dxc = &mut dx[c * W * W..(c + 1) * W * W];
        let k = coef[c];
        let (mut gc, mut gb) = (0.0f32, 0.0f32);
        for i in 0..wo {
            let (r0, r1) = xc[2 * i * W..(2 * i + 2) * W].split_at(W);
            let gr = &gyc[i * wo..(i + 1) * wo];
            // The products gy · (sum of the 2x2 block), then the two sums in order.
            let mut prod = [0.0f32; W];
            for j in 0..wo {
                let s = r0[2 * j] + r0[2 * j + 1] + r1[2 * j] + r1[2 * j + 1];
                prod[j] = gr[j] * s;
            }
            for j in 0..wo {
                gc += prod[j];
                gb += gr[j];
            }
            // dx = (k · gy) spread over the block, times f'(x).
            let mut v = [0.0f32; W];
            for j in 0..wo {
                let t = k * gr[j];
                v[2 * j] = t;
                v[2 * j + 1] = t;
            }
            let (d0, d1) = dxc[2 * i * W..(2 * i + 2) * W].split_at_mut(W);
            for q in 0..W {
                d0[q] = v[q] * deriv(r0[q]);
                d1[q] = v[q] * deriv(r1[q]);
            }
        }
        g.weight[c] += gc;
        g.bias[c] += gb;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::gradcheck::{check_grad, max_rel_error, rand_vec};

    #[test]
    fn subsample_known_answer() {
        let x = [1.0, 2.0, 3.0, 4.0]; // one 2x2 block
        let mut y = [0.0];
        let p = Params {
            weight: &[0.5][..],
            bias: &[0.25][..],
        };
        Pool2x2::new(1, 2).subsample_forward(1, &x, p, &mut y);
        assert_eq!(y[0], 0.5 * 10.0 + 0.25);
    }

    #[test]
    fn subsample_gradients() {
        let (n, layer) = (2, Pool2x2::new(3, 4));
        let x = rand_vec(n * layer.in_len(), 1);
        let coef = rand_vec(layer.maps, 2);
        let bias = rand_vec(layer.maps, 3);
        let r = rand_vec(n * layer.out_len(), 4);
        let loss = |x: &[f32], c: &[f32], b: &[f32]| {
            let mut y = vec![0.0; n * layer.out_len()];
            let p = Params { weight: c, bias: b };
            layer.subsample_forward(n, x, p, &mut y);
            y.iter().zip(&r).map(|(a, b)| (*a * *b) as f64).sum::<f64>()
        };
        let (mut dc, mut db, mut dx) = (vec![0.0; 3], vec![0.0; 3], vec![0.0; x.len()]);
        let g = Params {
            weight: &mut dc[..],
            bias: &mut db[..],
        };
        layer.subsample_backward(n, &x, &coef, &r, g, Some(&mut dx));
        check_grad("subsample dx", &x, &dx, |v| loss(v, &coef, &bias));
        check_grad("subsample dcoef", &coef, &dc, |v| loss(&x, v, &bias));
        check_grad("subsample dbias", &bias, &db, |v| loss(&x, &coef, v));
    }

    /// The fused subsampling + squashing backward against the two passes, bit for bit,
    /// on S2's and S4's shapes and on one the fused path does not specialise.
    #[test]
    fn subsample_tanh_backward_is_bit_identical_to_the_two_passes() {
        use crate::kernels::simd::{Kind, with_backend};
        use crate::nn::act::tanh_backward;
        for layer in [
            Pool2x2::new(6, 28),
            Pool2x2::new(16, 10),
            Pool2x2::new(3, 6),
        ] {
            let n = 2;
            let x: Vec<f32> = rand_vec(n * layer.in_len(), 11)
                .iter()
                .map(|v| 1.7 * v)
                .collect();
            let coef = rand_vec(layer.maps, 12);
            let mut dy = rand_vec(n * layer.out_len(), 13);
            dy[3] = 0.0;
            dy[4] = -0.0;
            let (g0w, g0b) = (rand_vec(layer.maps, 14), rand_vec(layer.maps, 15));
            for k in Kind::available_all() {
                with_backend(k, || {
                    let (mut dc, mut db, mut dx) = (g0w.clone(), g0b.clone(), vec![9.0; x.len()]);
                    let g = Params {
                        weight: &mut dc[..],
                        bias: &mut db[..],
                    };
                    layer.subsample_backward(n, &x, &coef, &dy, g, Some(&mut dx));
                    tanh_backward(&x, &mut dx);
                    let (mut dc2, mut db2, mut dx2) =
                        (g0w.clone(), g0b.clone(), vec![7.0; x.len()]);
                    let g = Params {
                        weight: &mut dc2[..],
                        bias: &mut db2[..],
                    };
                    layer.subsample_tanh_backward(n, &x, &coef, &dy, g, &mut dx2);
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&dx2), bits(&dx), "{layer:?} {k:?} dx");
                    assert_eq!(bits(&dc2), bits(&dc), "{layer:?} {k:?} dcoef");
                    assert_eq!(bits(&db2), bits(&db), "{layer:?} {k:?} dbias");
                });
            }
        }
    }

    #[test]
    fn subsample_curvature_squares_the_sums_and_the_coefficients() {
        let layer = Pool2x2::new(1, 2);
        let (x, dy) = ([1.0, 2.0, 3.0, 4.0], [0.5]);
        let (mut dc, mut db, mut dx) = ([0.0], [0.0], [0.0; 4]);
        let g = Params {
            weight: &mut dc[..],
            bias: &mut db[..],
        };
        layer.subsample_curvature(&x, &[3.0], &dy, g, Some(&mut dx));
        assert_eq!((dc, db, dx), ([0.5 * 100.0], [0.5], [9.0 * 0.5; 4]));
    }

    #[test]
    fn max_pooling_known_answer_and_gradients() {
        let layer = Pool2x2::new(1, 2);
        let x = [1.0, 5.0, 3.0, 2.0];
        let mut y = [0.0];
        layer.max_forward(1, &x, &mut y);
        assert_eq!(y[0], 5.0);
        let mut dx = [9.0; 4];
        layer.max_relu_backward(1, &x, &y, &[2.0], &mut dx);
        assert_eq!(dx, [0.0, 2.0, 0.0, 0.0]);

        // Positive random inputs (past a ReLU) have distinct values, so the max is
        // differentiable there.
        let (n, layer) = (2, Pool2x2::new(2, 4));
        let x: Vec<f32> = rand_vec(n * layer.in_len(), 5)
            .iter()
            .map(|v| v + 1.5)
            .collect();
        let r = rand_vec(n * layer.out_len(), 6);
        let mut y = vec![0.0; n * layer.out_len()];
        layer.max_forward(n, &x, &mut y);
        let mut dx = vec![0.0; x.len()];
        layer.max_relu_backward(n, &x, &y, &r, &mut dx);
        let loss = |x: &[f32]| {
            let mut y = vec![0.0; n * layer.out_len()];
            layer.max_forward(n, x, &mut y);
            y.iter().zip(&r).map(|(a, b)| (*a * *b) as f64).sum::<f64>()
        };
        // Step 1e-2 could swap two close maxima; check with a looser but still
        // index-sensitive bound.
        let e = max_rel_error(&x, &dx, loss);
        assert!(e < 0.05, "maxpool gradient error {e}");
    }
}
