//! 2x2, stride-2 max-pooling (the modern network), with the ReLU before it folded into
//! its backward pass.

/// 2x2 max-pooling of `planes` maps of h x w (h, w even):
/// `y[c][i][j]` = max(`x[c][2i][2j]`, `x[c][2i][2j+1]`, `x[c][2i+1][2j]`, `x[c][2i+1][2j+1]`).
/// x: `[planes][h][w]` → y: `[planes][h/2][w/2]`
pub fn max_forward(planes: usize, h: usize, w: usize, x: &[f32], y: &mut [f32]) {
    let (ho, wo) = (h / 2, w / 2);
    let x = &x[..planes * h * w];
    let y = &mut y[..planes * ho * wo];
    let mx = |a: f32, b: f32| if a > b { a } else { b };
    for (xr, yr) in x.chunks_exact(2 * w).zip(y.chunks_exact_mut(wo)) {
        let (r0, r1) = xr.split_at(w);
        for ((o, a), b) in yr
            .iter_mut()
            .zip(r0.chunks_exact(2))
            .zip(r1.chunks_exact(2))
        {
            *o = mx(mx(a[0], a[1]), mx(b[0], b[1]));
        }
    }
}

/// Backward of [`max_forward`] followed by the ReLU before it: each block's gradient goes
/// to its first maximal element (row-major) when that maximum is > 0, all else is 0.
/// x: `[planes][h][w]` (the pooled input), y: its pooled output, dy: `[planes][h/2][w/2]`
/// → dx: `[planes][h][w]` (overwritten)
pub fn max_relu_backward(
    planes: usize,
    h: usize,
    w: usize,
    x: &[f32],
    y: &[f32],
    dy: &[f32],
    dx: &mut [f32],
) {
    let (ho, wo) = (h / 2, w / 2);
    let x = &x[..planes * h * w];
    let dx = &mut dx[..planes * h * w];
    dx.fill(0.0);
    for (((xr, dr), yr), gr) in x
        .chunks_exact(2 * w)
        .zip(dx.chunks_exact_mut(2 * w))
        .zip(y[..planes * ho * wo].chunks_exact(wo))
        .zip(dy[..planes * ho * wo].chunks_exact(wo))
    {
        for (j, (&m, &g)) in yr.iter().zip(gr).enumerate() {
            if m > 0.0 {
                let k = if xr[2 * j] == m {
                    2 * j
                } else if xr[2 * j + 1] == m {
                    2 * j + 1
                } else if xr[w + 2 * j] == m {
                    w + 2 * j
                } else {
                    w + 2 * j + 1
                };
                dr[k] = g;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::rand_vec;

    /// The obvious max-pool backward, then ReLU's: the gradient of each 2x2 block goes
    /// to its first maximal element (row-major), and only where that element is > 0.
    fn reference_backward(planes: usize, h: usize, w: usize, x: &[f32], dy: &[f32]) -> Vec<f32> {
        let (ho, wo) = (h / 2, w / 2);
        let mut dx = vec![0.0; planes * h * w];
        for c in 0..planes {
            for i in 0..ho {
                for j in 0..wo {
                    let at = |di: usize, dj: usize| c * h * w + (2 * i + di) * w + 2 * j + dj;
                    let mut best = at(0, 0);
                    for k in [at(0, 1), at(1, 0), at(1, 1)] {
                        if x[k] > x[best] {
                            best = k;
                        }
                    }
                    if x[best] > 0.0 {
                        dx[best] = dy[(c * ho + i) * wo + j];
                    }
                }
            }
        }
        dx
    }

    #[test]
    fn max_pooling_forward_and_backward_match_the_reference() {
        let (c, h, w) = (3, 10, 6);
        let mut x = rand_vec(c * h * w, 51);
        x[7] = 0.0; // some ties at zero, as after a ReLU
        x[8] = 0.0;
        for v in x.iter_mut().step_by(3) {
            *v = v.max(0.0);
        }
        let mut y = vec![0.0; c * h * w / 4];
        max_forward(c, h, w, &x, &mut y);
        for (k, &v) in y.iter().enumerate() {
            let (p, i, j) = (k / 15, (k % 15) / 3, k % 3);
            let at = |di: usize, dj: usize| x[p * h * w + (2 * i + di) * w + 2 * j + dj];
            assert_eq!(v, at(0, 0).max(at(0, 1)).max(at(1, 0)).max(at(1, 1)));
        }
        let dy = rand_vec(y.len(), 52);
        let mut dx = vec![9.0; x.len()];
        max_relu_backward(c, h, w, &x, &y, &dy, &mut dx);
        assert_eq!(dx, reference_backward(c, h, w, &x, &dy));
        assert!(dx.iter().filter(|&&g| g != 0.0).count() <= y.len());
    }
}
