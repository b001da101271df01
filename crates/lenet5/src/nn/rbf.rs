//! The Euclidean RBF output layer and its fixed 7x12 digit bitmaps.
//!
//! Output unit i computes the squared distance between the F6 vector x (84 values)
//! and its centre w_i: `y_i = Σ_j (x_j − w_ij)²`. The centres are fixed to −1/+1 from
//! the stylised bitmaps below (`#` = ink = +1, `.` = −1), read row by row, 7 wide and
//! 12 tall. The predicted class is the one with the *smallest* distance.

/// Width of a bitmap.
pub const GLYPH_W: usize = 7;
/// Height of a bitmap.
pub const GLYPH_H: usize = 12;
/// Values per centre: 7·12 = 84 = the number of F6 units.
pub const GLYPH_LEN: usize = GLYPH_W * GLYPH_H;

/// The ten digit bitmaps, one string of 12 rows × 7 columns each.
pub const GLYPHS: [&str; 10] = [
    // 0
    "..###..\
     .#...#.\
     #.....#\
     #.....#\
     #.....#\
     #.....#\
     #.....#\
     #.....#\
     #.....#\
     #.....#\
     .#...#.\
     ..###..",
    // 1
    "...#...\
     ..##...\
     .#.#...\
     ...#...\
     ...#...\
     ...#...\
     ...#...\
     ...#...\
     ...#...\
     ...#...\
     ...#...\
     .#####.",
    // 2
    "..###..\
     .#...#.\
     #.....#\
     ......#\
     .....#.\
     ....#..\
     ...#...\
     ..#....\
     .#.....\
     #......\
     #......\
     #######",
    // 3
    ".####..\
     #....#.\
     ......#\
     ......#\
     .....#.\
     ..###..\
     .....#.\
     ......#\
     ......#\
     ......#\
     #....#.\
     .####..",
    // 4
    ".....#.\
     ....##.\
     ...#.#.\
     ..#..#.\
     .#...#.\
     #....#.\
     #######\
     .....#.\
     .....#.\
     .....#.\
     .....#.\
     .....#.",
    // 5
    "#######\
     #......\
     #......\
     #......\
     #####..\
     .....#.\
     ......#\
     ......#\
     ......#\
     ......#\
     #....#.\
     .####..",
    // 6
    "..####.\
     .#.....\
     #......\
     #......\
     #.###..\
     ##...#.\
     #.....#\
     #.....#\
     #.....#\
     #.....#\
     .#...#.\
     ..###..",
    // 7
    "#######\
     ......#\
     ......#\
     .....#.\
     .....#.\
     ....#..\
     ....#..\
     ...#...\
     ...#...\
     ..#....\
     ..#....\
     ..#....",
    // 8
    "..###..\
     .#...#.\
     #.....#\
     #.....#\
     .#...#.\
     ..###..\
     .#...#.\
     #.....#\
     #.....#\
     #.....#\
     .#...#.\
     ..###..",
    // 9
    "..###..\
     .#...#.\
     #.....#\
     #.....#\
     #.....#\
     .#...##\
     ..###.#\
     ......#\
     ......#\
     ......#\
     .....#.\
     .####..",
];

/// The RBF centres: [10, 84], +1 for ink and −1 for background.
pub fn centres() -> Vec<f32> {
    let mut w = Vec::with_capacity(10 * GLYPH_LEN);
    for g in GLYPHS {
        let px: Vec<f32> = g
            .chars()
            .map(|c| if c == '#' { 1.0 } else { -1.0 })
            .collect();
        assert_eq!(px.len(), GLYPH_LEN, "every glyph is 7x12");
        w.extend(px);
    }
    w
}

/// Forward for a batch. x: [n, 84], centres: [10, 84] → y: [n, 10] squared distances.
pub fn rbf_forward(n: usize, x: &[f32], centres: &[f32], y: &mut [f32]) {
    for s in 0..n {
        let xs = &x[s * GLYPH_LEN..(s + 1) * GLYPH_LEN];
        for (i, c) in centres.chunks_exact(GLYPH_LEN).enumerate() {
            y[s * 10 + i] = xs.iter().zip(c).map(|(a, b)| (a - b) * (a - b)).sum();
        }
    }
}

/// Backward for a batch: `dx_j = Σ_i dy_i · 2(x_j − w_ij)` (overwrites dx: [n, 84]).
/// The centres are fixed, so they get no gradient.
pub fn rbf_backward(n: usize, x: &[f32], centres: &[f32], dy: &[f32], dx: &mut [f32]) {
    for s in 0..n {
        let xs = &x[s * GLYPH_LEN..(s + 1) * GLYPH_LEN];
        let dxs = &mut dx[s * GLYPH_LEN..(s + 1) * GLYPH_LEN];
        dxs.fill(0.0);
        for (i, c) in centres.chunks_exact(GLYPH_LEN).enumerate() {
            let g = 2.0 * dy[s * 10 + i];
            for ((d, a), b) in dxs.iter_mut().zip(xs).zip(c) {
                *d += g * (a - b);
            }
        }
    }
}

/// One glyph as printable ASCII art (12 lines of 7 characters).
pub fn glyph_art(digit: usize) -> String {
    GLYPHS[digit]
        .as_bytes()
        .chunks(GLYPH_W)
        .map(|r| String::from_utf8_lossy(r).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::gradcheck::{check_grad, rand_vec};

    #[test]
    fn glyphs_are_7x12_and_distinct() {
        let c = centres();
        assert_eq!(c.len(), 840);
        for i in 0..10 {
            for j in 0..i {
                let d = (0..84).filter(|&k| c[i * 84 + k] != c[j * 84 + k]).count();
                assert!(d >= 10, "glyphs {i} and {j} differ in only {d} pixels");
            }
        }
        assert_eq!(glyph_art(1).lines().count(), 12);
    }

    #[test]
    fn distance_known_answer_and_gradient() {
        let c = centres();
        // x equal to glyph 3 → distance 0 to 3, and 4·(#differing pixels) to the others.
        let x = c[3 * 84..4 * 84].to_vec();
        let mut y = [0.0; 10];
        rbf_forward(1, &x, &c, &mut y);
        assert_eq!(y[3], 0.0);
        let diff = (0..84).filter(|&k| c[8 * 84 + k] != c[3 * 84 + k]).count();
        assert_eq!(y[8], 4.0 * diff as f32);

        let n = 2;
        let x = rand_vec(n * 84, 1);
        let r = rand_vec(n * 10, 2);
        let loss = |x: &[f32]| {
            let mut y = vec![0.0; n * 10];
            rbf_forward(n, x, &c, &mut y);
            y.iter().zip(&r).map(|(a, b)| (*a * *b) as f64).sum::<f64>()
        };
        let mut dx = vec![0.0; x.len()];
        rbf_backward(n, &x, &c, &r, &mut dx);
        check_grad("rbf dx", &x, &dx, loss);
    }
}
