//! One candidate piece → the 28x28 the network expects, by MNIST's own recipe: the ink's
//! box scaled so its longer side is 20 pixels (aspect kept), placed so the centre of mass
//! is at the centre of the 28x28 field (sub-pixel, clamped so the box stays inside),
//! brightest pixel 255. Like [`crate::data::image::preprocess`] steps 6–8, on a crop that
//! is already ink on black.

use crate::data::image::{BOX, SIDE, round};

/// A crop of ink (row-major `w x h`, values `>= 0`) → MNIST-style bytes. An empty crop
/// gives all zeros. The scale brings the longer of `w`, `h` and `min_side` to 20 pixels:
/// with `min_side` a fraction of the line height, a small fragment stays small instead of
/// being blown up into something digit-like.
pub fn to_28x28(w: usize, h: usize, v: &[f32], min_side: f32) -> [u8; SIDE * SIDE] {
    let Some(p) = Placement::of(w, h, v, min_side) else {
        return [0u8; SIDE * SIDE];
    };
    // Each output pixel: the mean of n x n samples of the crop (bilinear), in the order
    // row sample, column sample. The samples' source pixels and weights depend on one
    // axis each ([`taps`]), so the work is done one axis at a time, with the same
    // arithmetic as sampling each point from scratch:
    // 1. along x: every source row a row sample reads, sampled at every column sample,
    //    `across[k][ox] = v[y][x0] * (1 - fx) + v[y][x1] * fx` (0 where the sample falls
    //    outside the crop), laid out sample-major so that step 2 runs along 28 outputs;
    // 2. along y: `acc[ox] += across(y0)[k][ox] * (1 - fy) + across(y1)[k][ox] * fy` for
    //    each row sample, then each column sample (adding 0 for a sample outside the
    //    crop leaves the sum as it was, so the bytes are those of the definition).
    let n = p.n;
    let (cols, rows) = (taps(w, p.tx, p.s, n), taps(h, p.ty, p.s, n));
    // Step 1's rows are 32 outputs long (28 and 4 of padding): step 2 runs on whole
    // vectors.
    const ROW: usize = 32;
    // The column samples inside the crop: (where in a row's `across`, x0, x1, fx, 1 - fx).
    let col_samples: Vec<(usize, usize, usize, f32, f32)> = cols
        .chunks_exact(n)
        .enumerate()
        .flat_map(|(ox, t)| t.iter().enumerate().map(move |(k, t)| (k * ROW + ox, t)))
        .filter_map(|(at, t)| t.map(|(x0, x1, fx)| (at, x0, x1, fx, 1.0 - fx)))
        .collect();
    let mut slot = vec![usize::MAX; h]; // source row -> its samples in `across`
    let mut across: Vec<f32> = Vec::new(); // [used row][k][ox]
    let mut row_samples = |y: usize| -> usize {
        if slot[y] == usize::MAX {
            slot[y] = across.len();
            let r = &v[y * w..(y + 1) * w];
            across.resize(across.len() + n * ROW, 0.0);
            let out = &mut across[slot[y]..];
            for &(at, x0, x1, fx, gx) in &col_samples {
                out[at] = r[x0] * gx + r[x1] * fx;
            }
        }
        slot[y]
    };
    // Each output row's row samples: (top row's samples, bottom row's, fy, 1 - fy).
    let row_taps: Vec<Vec<(usize, usize, f32, f32)>> = rows
        .chunks_exact(n)
        .map(|t| {
            t.iter()
                .flatten()
                .map(|&(y0, y1, fy)| (row_samples(y0), row_samples(y1), fy, 1.0 - fy))
                .collect()
        })
        .collect();
    let mut f = [0f32; SIDE * SIDE];
    for (oy, taps) in row_taps.iter().enumerate() {
        let mut acc = [0f32; ROW];
        for &(t, b, fy, gy) in taps {
            for k in 0..n {
                let top: &[f32; ROW] = across[t + k * ROW..][..ROW].try_into().unwrap();
                let bot: &[f32; ROW] = across[b + k * ROW..][..ROW].try_into().unwrap();
                for l in 0..ROW {
                    acc[l] += top[l] * gy + bot[l] * fy;
                }
            }
        }
        for (o, a) in f[oy * SIDE..(oy + 1) * SIDE].iter_mut().zip(acc) {
            *o = a / (n * n) as f32;
        }
    }
    to_bytes(&f)
}

/// Where a crop goes in the 28x28: output coordinate = `t + s * input coordinate`
/// (continuous, pixel edges at integers), and `n x n` samples per output pixel.
struct Placement {
    s: f64,
    tx: f64,
    ty: f64,
    n: usize,
}

impl Placement {
    /// The placement of a crop with ink (`None`: empty).
    fn of(w: usize, h: usize, v: &[f32], min_side: f32) -> Option<Placement> {
        let (mut m, mut mx, mut my) = (0f64, 0f64, 0f64);
        for y in 0..h {
            for x in 0..w {
                let a = v[y * w + x] as f64;
                m += a;
                mx += a * (x as f64 + 0.5);
                my += a * (y as f64 + 0.5);
            }
        }
        if m <= 0.0 || w == 0 || h == 0 {
            return None;
        }
        let s = BOX as f64 / (w.max(h) as f64).max(min_side as f64);
        let place = |len: usize, c: f64| {
            // MNIST's centre of mass is pixel index 14, i.e. 14.5 in edge coordinates.
            let t = SIDE as f64 / 2.0 + 0.5 - s * c;
            let span = s * len as f64;
            t.clamp(0.0, SIDE as f64 - span)
        };
        Some(Placement {
            s,
            tx: place(w, mx / m),
            ty: place(h, my / m),
            // n grows with the reduction so nothing is skipped.
            n: ((1.0 / s).ceil() as usize * 2).clamp(2, 16),
        })
    }
}

/// Averaged samples → bytes, brightest pixel 255.
fn to_bytes(f: &[f32; SIDE * SIDE]) -> [u8; SIDE * SIDE] {
    let mut out = [0u8; SIDE * SIDE];
    let peak = f.iter().copied().fold(0f32, f32::max);
    if peak > 0.0 {
        for (o, &a) in out.iter_mut().zip(f) {
            *o = round(255.0 * a / peak) as u8;
        }
    }
    out
}

/// Along one axis of a crop `len` pixels long placed at `out = t + s * in`: for output
/// pixel `o` and sub-sample `k` (index `o * n + k`), the two source pixels and the weight
/// of the second for bilinear sampling, edges clamped; `None` where the sample falls
/// outside the crop.
fn taps(len: usize, t: f64, s: f64, n: usize) -> Vec<Option<(usize, usize, f32)>> {
    (0..SIDE * n)
        .map(|i| {
            let (o, k) = (i / n, i % n);
            let c = (o as f64 + (k as f64 + 0.5) / n as f64 - t) / s;
            if c < 0.0 || c > len as f64 {
                return None;
            }
            let x = (c - 0.5).clamp(0.0, (len - 1) as f64);
            let x0 = x.floor() as usize;
            Some((x0, (x0 + 1).min(len - 1), (x - x0 as f64) as f32))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition: every sample bilinear from scratch (what [`taps`] precomputes).
    fn reference(w: usize, h: usize, v: &[f32], min_side: f32) -> [u8; SIDE * SIDE] {
        let Some(Placement { s, tx, ty, n }) = Placement::of(w, h, v, min_side) else {
            return [0u8; SIDE * SIDE];
        };
        let bilinear = |x: f64, y: f64| {
            let x = x.clamp(0.0, (w - 1) as f64);
            let y = y.clamp(0.0, (h - 1) as f64);
            let (x0, y0) = (x.floor() as usize, y.floor() as usize);
            let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
            let (fx, fy) = ((x - x0 as f64) as f32, (y - y0 as f64) as f32);
            let top = v[y0 * w + x0] * (1.0 - fx) + v[y0 * w + x1] * fx;
            let bot = v[y1 * w + x0] * (1.0 - fx) + v[y1 * w + x1] * fx;
            top * (1.0 - fy) + bot * fy
        };
        let mut f = [0f32; SIDE * SIDE];
        for oy in 0..SIDE {
            for ox in 0..SIDE {
                let mut acc = 0f32;
                for sy in 0..n {
                    let yc = (oy as f64 + (sy as f64 + 0.5) / n as f64 - ty) / s;
                    if yc < 0.0 || yc > h as f64 {
                        continue;
                    }
                    for sx in 0..n {
                        let xc = (ox as f64 + (sx as f64 + 0.5) / n as f64 - tx) / s;
                        if xc < 0.0 || xc > w as f64 {
                            continue;
                        }
                        acc += bilinear(xc - 0.5, yc - 0.5);
                    }
                }
                f[oy * SIDE + ox] = acc / (n * n) as f32;
            }
        }
        to_bytes(&f)
    }

    #[test]
    fn precomputed_taps_give_the_same_bytes_as_sampling_from_scratch() {
        // Crops from 1x1 to 400x90 (16 x 16 samples a pixel), reduced and enlarged, with and
        // without a floor.
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 40) as f32 / (1u64 << 24) as f32
        };
        for (w, h) in [
            (1, 1),
            (3, 17),
            (20, 20),
            (28, 9),
            (97, 61),
            (40, 120),
            (400, 90),
        ] {
            for min_side in [0.0, 30.0, 150.0] {
                let v: Vec<f32> = (0..w * h)
                    .map(|_| if next() < 0.4 { 0.0 } else { next() })
                    .collect();
                assert_eq!(
                    to_28x28(w, h, &v, min_side),
                    reference(w, h, &v, min_side),
                    "{w}x{h} floor {min_side}"
                );
            }
        }
    }

    #[test]
    fn a_bar_is_scaled_to_twenty_and_centred() {
        // A 4x40 vertical bar: long side 40 → 20, centred at column 14.
        let v = vec![1.0f32; 4 * 40];
        let p = to_28x28(4, 40, &v, 0.0);
        let rows: Vec<usize> = (0..SIDE)
            .filter(|&y| (0..SIDE).any(|x| p[y * SIDE + x] > 0))
            .collect();
        assert!((19..=21).contains(&rows.len()), "{} rows", rows.len());
        let (mut m, mut mx) = (0f64, 0f64);
        for y in 0..SIDE {
            for x in 0..SIDE {
                m += p[y * SIDE + x] as f64;
                mx += p[y * SIDE + x] as f64 * x as f64;
            }
        }
        assert!((mx / m - 14.0).abs() < 0.6, "centre {}", mx / m);
        assert_eq!(p.iter().copied().max(), Some(255));
        assert_eq!(to_28x28(3, 3, &[0.0; 9], 0.0), [0u8; 784]);
        // With a 40-pixel floor, a 4x20 bar spans only 10 rows.
        let p = to_28x28(4, 20, &vec![1.0f32; 80], 40.0);
        let rows = (0..SIDE)
            .filter(|&y| (0..SIDE).any(|x| p[y * SIDE + x] > 0))
            .count();
        assert!((10..=11).contains(&rows), "{rows} rows");
    }
}
