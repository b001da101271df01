//! 2x2, stride-2 pooling: the paper's trainable subsampling (S2, S4) and max-pooling
//! (the modern network).

/// Trainable subsampling, one image:
/// `y[c,i,j] = coef[c] · (x[c,2i,2j] + x[c,2i,2j+1] + x[c,2i+1,2j] + x[c,2i+1,2j+1]) + bias[c]`
/// x: [ch, h, w] → y: [ch, h/2, w/2]
pub fn subsample_forward(
    ch: usize,
    h: usize,
    w: usize,
    x: &[f32],
    coef: &[f32],
    bias: &[f32],
    y: &mut [f32],
) {
    let (ho, wo) = (h / 2, w / 2);
    let planes = x[..ch * h * w]
        .chunks_exact(h * w)
        .zip(y[..ch * ho * wo].chunks_exact_mut(ho * wo));
    for (c, (xc, yc)) in planes.enumerate() {
        let (k, b) = (coef[c], bias[c]);
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

/// Backward of [`subsample_forward`], one image. Accumulates `dcoef`, `dbias`;
/// overwrites `dx` (when given) with `coef[c] · dy` spread over each 2x2 block.
/// `square` computes the Gauss-Newton diagonal instead (used by SDLM): the 2x2 sum
/// and the coefficient enter squared.
#[allow(clippy::too_many_arguments)]
pub fn subsample_backward(
    ch: usize,
    h: usize,
    w: usize,
    x: &[f32],
    coef: &[f32],
    dy: &[f32],
    dcoef: &mut [f32],
    dbias: &mut [f32],
    dx: Option<&mut [f32]>,
    square: bool,
) {
    let (ho, wo) = (h / 2, w / 2);
    let planes = x[..ch * h * w]
        .chunks_exact(h * w)
        .zip(dy[..ch * ho * wo].chunks_exact(ho * wo));
    for (c, (xc, gyc)) in planes.enumerate() {
        let (mut gc, mut gb) = (0.0f32, 0.0f32);
        for (xr, gr) in xc.chunks_exact(2 * w).zip(gyc.chunks_exact(wo)) {
            let (r0, r1) = xr.split_at(w);
            for ((&g, a), d) in gr.iter().zip(r0.chunks_exact(2)).zip(r1.chunks_exact(2)) {
                let s = a[0] + a[1] + d[0] + d[1];
                gc += g * if square { s * s } else { s };
                gb += g;
            }
        }
        dcoef[c] += gc;
        dbias[c] += gb;
    }
    if let Some(dx) = dx {
        let planes = dx[..ch * h * w]
            .chunks_exact_mut(h * w)
            .zip(dy[..ch * ho * wo].chunks_exact(ho * wo));
        for (c, (dxc, gyc)) in planes.enumerate() {
            let k = if square { coef[c] * coef[c] } else { coef[c] };
            for (dr, gr) in dxc.chunks_exact_mut(2 * w).zip(gyc.chunks_exact(wo)) {
                let (r0, r1) = dr.split_at_mut(w);
                for ((&g, a), d) in gr
                    .iter()
                    .zip(r0.chunks_exact_mut(2))
                    .zip(r1.chunks_exact_mut(2))
                {
                    let v = k * g;
                    a.fill(v);
                    d.fill(v);
                }
            }
        }
    }
}

/// 2x2 max-pooling, one image. x: [ch, h, w] → y: [ch, h/2, w/2]
pub fn maxpool_forward(ch: usize, h: usize, w: usize, x: &[f32], y: &mut [f32]) {
    let (ho, wo) = (h / 2, w / 2);
    for c in 0..ch {
        let xc = &x[c * h * w..];
        for i in 0..ho {
            let (r0, r1) = (&xc[2 * i * w..], &xc[(2 * i + 1) * w..]);
            for j in 0..wo {
                y[(c * ho + i) * wo + j] = r0[2 * j]
                    .max(r0[2 * j + 1])
                    .max(r1[2 * j].max(r1[2 * j + 1]));
            }
        }
    }
}

/// Backward of [`maxpool_forward`]: each block's gradient goes to its first maximal
/// element (row-major), the others get 0. Overwrites dx: [ch, h, w].
pub fn maxpool_backward(ch: usize, h: usize, w: usize, x: &[f32], dy: &[f32], dx: &mut [f32]) {
    let (ho, wo) = (h / 2, w / 2);
    dx[..ch * h * w].fill(0.0);
    for c in 0..ch {
        let base = c * h * w;
        for i in 0..ho {
            for j in 0..wo {
                let idx = [
                    base + 2 * i * w + 2 * j,
                    base + 2 * i * w + 2 * j + 1,
                    base + (2 * i + 1) * w + 2 * j,
                    base + (2 * i + 1) * w + 2 * j + 1,
                ];
                let mut best = idx[0];
                for &k in &idx[1..] {
                    if x[k] > x[best] {
                        best = k;
                    }
                }
                dx[best] = dy[(c * ho + i) * wo + j];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::gradcheck::{check_grad, rand_vec};

    #[test]
    fn subsample_known_answer() {
        let x = [1.0, 2.0, 3.0, 4.0]; // one 2x2 block
        let mut y = [0.0];
        subsample_forward(1, 2, 2, &x, &[0.5], &[0.25], &mut y);
        assert_eq!(y[0], 0.5 * 10.0 + 0.25);
    }

    #[test]
    fn subsample_gradients() {
        let (ch, h, w) = (3, 6, 4);
        let x = rand_vec(ch * h * w, 1);
        let coef = rand_vec(ch, 2);
        let bias = rand_vec(ch, 3);
        let r = rand_vec(ch * h * w / 4, 4);
        let loss = |x: &[f32], c: &[f32], b: &[f32]| {
            let mut y = vec![0.0; ch * h * w / 4];
            subsample_forward(ch, h, w, x, c, b, &mut y);
            y.iter().zip(&r).map(|(a, b)| (*a * *b) as f64).sum::<f64>()
        };
        let (mut dc, mut db, mut dx) = (vec![0.0; ch], vec![0.0; ch], vec![0.0; x.len()]);
        subsample_backward(
            ch,
            h,
            w,
            &x,
            &coef,
            &r,
            &mut dc,
            &mut db,
            Some(&mut dx),
            false,
        );
        check_grad("subsample dx", &x, &dx, |v| loss(v, &coef, &bias));
        check_grad("subsample dcoef", &coef, &dc, |v| loss(&x, v, &bias));
        check_grad("subsample dbias", &bias, &db, |v| loss(&x, &coef, v));
    }

    #[test]
    fn maxpool_known_answer_and_gradients() {
        let x = [1.0, 5.0, 3.0, 2.0];
        let mut y = [0.0];
        maxpool_forward(1, 2, 2, &x, &mut y);
        assert_eq!(y[0], 5.0);
        let mut dx = [9.0; 4];
        maxpool_backward(1, 2, 2, &x, &[2.0], &mut dx);
        assert_eq!(dx, [0.0, 2.0, 0.0, 0.0]);

        // Random inputs have distinct values, so the max is differentiable there.
        let (ch, h, w) = (2, 4, 6);
        let x = rand_vec(ch * h * w, 5);
        let r = rand_vec(ch * h * w / 4, 6);
        let mut dx = vec![0.0; x.len()];
        maxpool_backward(ch, h, w, &x, &r, &mut dx);
        let loss = |x: &[f32]| {
            let mut y = vec![0.0; ch * h * w / 4];
            maxpool_forward(ch, h, w, x, &mut y);
            y.iter().zip(&r).map(|(a, b)| (*a * *b) as f64).sum::<f64>()
        };
        // Step 1e-2 could swap two close maxima; check with a looser but still index-sensitive bound.
        let e = crate::nn::gradcheck::max_rel_error(&x, &dx, loss);
        assert!(e < 0.05, "maxpool gradient error {e}");
    }
}
