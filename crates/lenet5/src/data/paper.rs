//! Ink on real paper: the stages that turn a photographed sheet into ink strength, shared
//! by the single-digit preprocessing ([`crate::data::image`]) and the number reader
//! ([`crate::read::ink`]).
//!
//! Every function works on a row-major plane of values in `0..=1` oriented as **dark ink
//! on light paper** (callers invert a light-on-dark picture first).
//!
//! 1. [`background`]: the paper's own brightness at every pixel — a morphological
//!    *closing* (running maximum, then running minimum, over a square window) erases every
//!    dark feature narrower than the window while keeping the edges of large regions (a
//!    shadow's edge) where they are; a 5x5 box mean then smooths it. It is kept above
//!    [`BACKGROUND_FLOOR`] of the paper level, so a marker stroke wider than the window is
//!    dimmed, never hollowed out.
//! 2. [`ink_from_background`]: ink = `1 − v / background` (division, not subtraction: light
//!    multiplies, so a digit in a shadow keeps its relative contrast).
//! 3. [`normalise`]: divided by a robust peak (the 90th percentile of the pixels at least a
//!    quarter of the maximum), values under [`NOISE_FLOOR`] of it become 0; `None` if the
//!    strongest ink is under the caller's minimum contrast (a blank page).
//! 4. [`remove_lines`]: ruled and squared paper, on the ink before normalisation. For
//!    angles within ±8° of horizontal (and of vertical), the pixels at least
//!    [`LINE_CONTRAST`] darker than the paper are counted along each line (a Hough
//!    transform restricted to near-axis angles, to half a degree, then a tenth around the
//!    best); the best angle's lines holding at least [`LINE_FRACTION`] of the frame's
//!    length, with ink in each quarter of it, are the paper's lines (when there are at
//!    least [`MIN_LINES`] of them). Each line's own darkness — a low quantile
//!    ([`LINE_QUANTILE`]) of the ink along all of it, so a digit covering much of the line
//!    does not count — is divided out of its pixels, as the background was: the line
//!    becomes paper, and a stroke crossing or running along it keeps what it adds to the
//!    line's darkness. The ink is then normalised again (stage 3), so the peak is the
//!    digit's and not a dark line's.
//! 5. Photos only (a picture with [`noise_level`] above [`NOISY`]): the ink is averaged
//!    over 3x3 (grainy pencil holds together, noise halves) and [`drop_noise`] zeroes
//!    what noise alone could make, judged in absolute terms (ink times paper level), so
//!    the same noise counts as more ink in a shadow.
//! 6. [`select_digit`]: the digit is the heaviest 8-connected blob of ink — preferring one
//!    inside the frame to a heavier one touching it (a shadow's tip, the end of a line)
//!    unless it weighs under [`BORDER_RATIO`] of it — together with every blob near it
//!    (within [`NEAR_FRACTION`] of its size; joined repeatedly) that is not a speck (under
//!    [`crate::data::image::SPECK_FRACTION`] of the heaviest) nor, for a digit inside the
//!    frame, a long thin blob touching the frame (a piece of a line); the rest of the
//!    picture is erased. Its bounding box is
//!    returned — unless the box covers [`TEXTURE_AREA`] of the picture and ink fills
//!    [`TEXTURE_FILL`] of it (noise or texture, not a digit: then there is no digit).

use crate::data::image::{NOISE_FLOOR, SPECK_FRACTION, round};

/// The local paper level is kept at least this fraction of the frame's bright paper.
pub const BACKGROUND_FLOOR: f32 = 0.35;
/// A paper line holds at least this fraction of the frame's length in ink pixels.
pub const LINE_FRACTION: f32 = 0.3;
/// Blobs within this fraction of the digit's size (long side of its box) belong to it.
pub const NEAR_FRACTION: f32 = 0.3;
/// Pixels at least this much darker than the paper (relative) count when looking for lines.
pub const LINE_CONTRAST: f32 = 0.06;
/// A "digit" whose box covers at least this fraction of the picture...
pub const TEXTURE_AREA: f32 = 0.75;
/// ...and whose ink covers at least this fraction of its box is texture, not a digit.
pub const TEXTURE_FILL: f32 = 0.6;
/// Ink under this many noise deviations (relative to the local paper) is noise.
pub const NOISE_SIGMAS: f32 = 5.0;
/// [`drop_noise`] never zeroes ink above this fraction of the strongest.
pub const NOISE_CAP: f32 = 0.4;
/// A picture whose [`noise_level`] is above this is a photo: its ink is smoothed and its
/// noise dropped (a clean drawing or scan is left as it is).
pub const NOISY: f32 = 0.002;
/// The darkness of a paper line is this quantile of the ink along it.
pub const LINE_QUANTILE: f32 = 0.35;
/// A blob inside the frame is the digit rather than a heavier one touching the frame if
/// it weighs at least this fraction of it.
pub const BORDER_RATIO: f32 = 0.1;
/// Fewest parallel lines that make ruled paper.
pub const MIN_LINES: usize = 3;
/// Largest angle from the axes at which paper lines are looked for, degrees.
pub const LINE_MAX_ANGLE: f32 = 8.0;

/// The window radius of [`background`] for a `w x h` plane: a tenth of the short side,
/// at least 6 pixels.
pub fn background_radius(w: usize, h: usize) -> usize {
    (w.min(h) / 10).max(6)
}

/// The paper level at each pixel (stage 1); `paper` is the bright paper level of the frame.
pub fn background(v: &[f32], w: usize, h: usize, paper: f32) -> Vec<f32> {
    if w == 0 || h == 0 {
        return Vec::new();
    }
    let r = background_radius(w, h);
    // The plane is extended by the window's radius on every side, each edge pixel
    // repeated outwards, before the closing: without it the window is cut short at the
    // frame, and where a shadow's edge meets the frame at a slant the strip of shadow
    // within the radius of its edge there (a wedge) would be taken for paper, its
    // darkness for ink.
    let (pw, ph) = (w + 2 * r, h + 2 * r);
    let mut a = Vec::with_capacity(pw * ph);
    for y in 0..ph {
        let sy = y.saturating_sub(r).min(h - 1);
        for x in 0..pw {
            a.push(v[sy * w + x.saturating_sub(r).min(w - 1)]);
        }
    }
    let mut b = vec![0f32; pw * ph];
    // Closing = max filter then min filter, each separable (rows, then columns).
    filter2d(&mut a, &mut b, pw, ph, |src, out| {
        running_extreme(src, r, true, out)
    });
    filter2d(&mut a, &mut b, pw, ph, |src, out| {
        running_extreme(src, r, false, out)
    });
    let s = 2;
    filter2d(&mut a, &mut b, pw, ph, |src, out| box_mean(src, s, out));
    let floor = (BACKGROUND_FLOOR * paper).max(0.02);
    let mut out = Vec::with_capacity(w * h);
    for y in 0..h {
        let row = &a[(y + r) * pw + r..(y + r) * pw + r + w];
        out.extend(row.iter().map(|x| x.max(floor).min(1.0)));
    }
    out
}

/// The mean over the `(2r+1) x (2r+1)` square around each pixel (clipped to the plane).
pub fn smooth(v: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    let mut a = v.to_vec();
    let mut b = vec![0f32; w * h];
    filter2d(&mut a, &mut b, w, h, |src, out| box_mean(src, r, out));
    a
}

/// The picture's fine noise (sensor noise, paper grain) as a standard deviation on `0..=1`:
/// from the median of how far each pixel is from the mean of its 3x3 neighbourhood
/// (robust to strokes and lines, a minority of the pixels). 0 for a clean drawing or a
/// scan whose paper is one flat value.
pub fn noise_level(v: &[f32], w: usize, h: usize) -> f32 {
    let m = smooth(v, w, h, 1);
    let mut d: Vec<f32> = v.iter().zip(&m).map(|(a, b)| (a - b).abs()).collect();
    if d.is_empty() {
        return 0.0;
    }
    let k = d.len() / 2;
    // |N(0, σ·sqrt(8/9))| has median 0.6745·0.943·σ.
    *d.select_nth_unstable_by(k, f32::total_cmp).1 / (0.6745 * 0.943)
}

/// Zeroes the ink of `ink` (1 − v / background, smoothed) that noise alone could make.
/// Noise (sensor noise, paper grain, JPEG) has the same strength in absolute terms
/// everywhere, so it is stronger *ink* where the paper is darker (in a shadow): the ink
/// times the paper level is compared with its spread over the picture (median and upper
/// quartile: paper makes most of a picture), and what is under [`NOISE_SIGMAS`] deviations
/// above the median is noise.
pub fn drop_noise(ink: &mut [f32], bg: &[f32]) {
    let mut abs: Vec<f32> = ink.iter().zip(bg).map(|(&x, &b)| x * b).collect();
    if abs.is_empty() {
        return;
    }
    let n = abs.len();
    let q50 = *abs.select_nth_unstable_by(n / 2, f32::total_cmp).1;
    let q75 = *abs.select_nth_unstable_by(n * 3 / 4, f32::total_cmp).1;
    let top = abs.iter().copied().fold(0f32, f32::max);
    // Never more than a fraction of the strongest ink: a tight crop of a bold digit may
    // be more than a quarter ink.
    let limit = (q50 + NOISE_SIGMAS * (q75 - q50) / 0.6745).min(NOISE_CAP * top);
    for (x, &b) in ink.iter_mut().zip(bg) {
        if *x * b < limit {
            *x = 0.0;
        }
    }
}

/// Applies a 1-D filter to every row then every column of `a` (w x h), result in `a`.
fn filter2d(a: &mut [f32], b: &mut [f32], w: usize, h: usize, f: impl Fn(&[f32], &mut [f32])) {
    for y in 0..h {
        f(&a[y * w..(y + 1) * w], &mut b[y * w..(y + 1) * w]);
    }
    transpose(b, w, h, a);
    for x in 0..w {
        f(&a[x * h..(x + 1) * h], &mut b[x * h..(x + 1) * h]);
    }
    transpose(b, h, w, a);
}

/// Stage 2: ink = `1 − v / background`, at least 0.
pub fn ink_from_background(v: &[f32], bg: &[f32]) -> Vec<f32> {
    v.iter()
        .zip(bg)
        .map(|(&v, &b)| (1.0 - v / b.max(1e-3)).max(0.0))
        .collect()
}

/// Stage 3: divide by a robust peak, zero what is under [`NOISE_FLOOR`] of it, stretch the
/// rest to `0..=1`. `None` (nothing changed) if the maximum is under `min_contrast`.
pub fn normalise(v: &mut [f32], min_contrast: f32) -> Option<()> {
    let maxv = v.iter().copied().fold(0f32, f32::max);
    if maxv < min_contrast || maxv <= 0.0 {
        return None;
    }
    let mut strong: Vec<f32> = v.iter().copied().filter(|&x| x >= 0.25 * maxv).collect();
    let idx = (strong.len() - 1) * 9 / 10;
    let peak = *strong.select_nth_unstable_by(idx, f32::total_cmp).1;
    for x in v.iter_mut() {
        let n = (*x / peak).min(1.0);
        *x = if n > NOISE_FLOOR {
            (n - NOISE_FLOOR) / (1.0 - NOISE_FLOOR)
        } else {
            0.0
        };
    }
    Some(())
}

/// One family of parallel lines found by [`remove_lines`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lines {
    /// Angle from the axis (horizontal or vertical), degrees.
    pub angle_deg: f32,
    /// Bands of the line coordinate `[first, last]` (inclusive) holding a line.
    pub bands: Vec<(i32, i32)>,
}

/// Stage 4: divides the paper's lines out of `raw` (ink before normalisation,
/// [`ink_from_background`]). Lines are looked for among the pixels at least
/// [`LINE_CONTRAST`] darker than the paper. On each line found, the line's own darkness
/// (a low quantile, [`LINE_QUANTILE`], of the ink along the whole line, so a digit
/// covering much of the line does not count) is divided out of every pixel of it, as
/// the background was: a pixel of paper line becomes paper, a stroke of the digit that
/// crosses or runs along the line keeps what it adds to the line's darkness. Returns the
/// horizontal and vertical families found (empty bands when there are none).
pub fn remove_lines(raw: &mut [f32], w: usize, h: usize) -> (Lines, Lines) {
    let marked: Vec<f32> = raw
        .iter()
        .map(|&r| if r >= LINE_CONTRAST { 1.0 } else { 0.0 })
        .collect();
    let horizontal = find_lines(&marked, w, h, false);
    let vertical = find_lines(&marked, w, h, true);
    for (fam, vert) in [(&horizontal, false), (&vertical, true)] {
        divide_out(raw, w, fam, vert);
    }
    (horizontal, vertical)
}

/// Divides each line of `fam` (its band, one pixel wider each side) out of `raw`.
fn divide_out(raw: &mut [f32], w: usize, fam: &Lines, vert: bool) {
    if fam.bands.is_empty() {
        return;
    }
    let (s, c) = fam.angle_deg.to_radians().sin_cos();
    let rho_of = |i: usize| round(rho((i % w) as f32, (i / w) as f32, s, c, vert));
    let lo = fam.bands.iter().map(|b| b.0).min().unwrap_or(0) - 1;
    let hi = fam.bands.iter().map(|b| b.1).max().unwrap_or(0) + 1;
    let on = |r: i32| fam.bands.iter().any(|&(a, b)| r >= a - 1 && r <= b + 1);
    let n = (hi - lo + 1) as usize;
    let mut bins: Vec<Vec<f32>> = vec![Vec::new(); n];
    for (i, &x) in raw.iter().enumerate() {
        let r = rho_of(i);
        if r >= lo && r <= hi && on(r) {
            bins[(r - lo) as usize].push(x);
        }
    }
    // The transmittance of the line at each coordinate: 1 - its typical ink.
    let t: Vec<f32> = bins
        .iter_mut()
        .map(|b| {
            if b.len() < 8 {
                return 1.0;
            }
            let k = ((b.len() - 1) as f32 * LINE_QUANTILE) as usize;
            1.0 - b
                .select_nth_unstable_by(k, f32::total_cmp)
                .1
                .clamp(0.0, 0.95)
        })
        .collect();
    for (i, x) in raw.iter_mut().enumerate() {
        let r = rho_of(i);
        if r >= lo && r <= hi && on(r) {
            let tr = t[(r - lo) as usize];
            *x = (1.0 - (1.0 - *x) / tr).max(0.0);
        }
    }
}

/// The line coordinate of pixel (x, y) for a family at `angle` (radians) from the axis:
/// for horizontal lines `y·cos − x·sin`, for vertical ones `x·cos + y·sin`... written with
/// the roles of x and y swapped.
fn rho(x: f32, y: f32, s: f32, c: f32, vert: bool) -> f32 {
    if vert { x * c - y * s } else { y * c - x * s }
}

/// The best angle and the line bands of one family (horizontal or vertical).
fn find_lines(v: &[f32], w: usize, h: usize, vert: bool) -> Lines {
    let (len, across) = if vert { (h, w) } else { (w, h) };
    let none = Lines {
        angle_deg: 0.0,
        bands: Vec::new(),
    };
    if len.min(across) < 64 {
        return none;
    }
    let pts: Vec<(f32, f32)> = (0..w * h)
        .filter(|&i| v[i] > 0.0)
        .map(|i| ((i % w) as f32, (i / w) as f32))
        .collect();
    if (pts.len() as f32) < LINE_FRACTION * len as f32 {
        return none;
    }
    let shift = (len as f32 * LINE_MAX_ANGLE.to_radians().sin()).ceil() as i32 + 2;
    let nbins = (across as i32 + 2 * shift + 2) as usize;
    let steps = (2.0 * LINE_MAX_ANGLE / 0.5).round() as i32;
    // The bin of point (x, y) for a family at `angle` degrees.
    let bin_at = |angle: f32| {
        let (s, c) = angle.to_radians().sin_cos();
        move |&(x, y): &(f32, f32)| {
            (round(rho(x, y, s, c, vert)) + shift).clamp(0, nbins as i32 - 1) as usize
        }
    };
    let histogram = |a: f32| {
        let bin = bin_at(a);
        let mut hist = vec![0u32; nbins];
        for p in &pts {
            hist[bin(p)] += 1;
        }
        let score: f64 = hist.iter().map(|&n| f64::from(n) * f64::from(n)).sum();
        (score, a, hist)
    };
    // The sharper of the best so far and the histogram at angle `a` (ties: the first).
    let sharper = |best: Option<(f64, f32, Vec<u32>)>, a: f32| {
        let cand = histogram(a);
        match best {
            Some(b) if cand.0.partial_cmp(&b.0) != Some(std::cmp::Ordering::Greater) => Some(b),
            _ => Some(cand),
        }
    };
    let best = (0..=steps)
        .map(|k| -LINE_MAX_ANGLE + 0.5 * k as f32)
        .fold(None, &sharper);
    let coarse = best.as_ref().map_or(0.0, |b| b.1);
    // Then to a tenth of a degree around the best: over a frame 500 px long, half a
    // degree moves a line by two pixels from one end to the other.
    let best = [-4, -3, -2, -1, 1, 2, 3, 4]
        .map(|k| coarse + 0.1 * k as f32)
        .into_iter()
        .fold(best, &sharper);
    let Some((_, angle, hist)) = best else {
        return none;
    };
    // The same counts per quarter of the frame's length: a paper line crosses the whole
    // frame, a digit's row of ink (however dark and wide) does not.
    let mut quarters = vec![[0u32; 4]; nbins];
    let bin = bin_at(angle);
    for p @ &(x, y) in &pts {
        let along = if vert { y } else { x };
        let q = ((along * 4.0 / len as f32) as usize).min(3);
        quarters[bin(p)][q] += 1;
    }
    let crosses = |b: usize| {
        quarters[b]
            .iter()
            .filter(|&&n| n as f32 >= 0.25 * LINE_FRACTION * len as f32)
            .count()
            == 4
    };
    let need = LINE_FRACTION * len as f32 / angle.to_radians().cos();
    // Scattered marks (noise in a dark corner) fill every bin alike: a line stands out
    // from the median bin by the threshold.
    let mut sorted = hist.clone();
    sorted.sort_unstable();
    let need = need + sorted[sorted.len() / 2] as f32;
    let mut bands: Vec<(i32, i32)> = Vec::new();
    let mut i = 0;
    while i < nbins {
        if (hist[i] as f32) < need {
            i += 1;
            continue;
        }
        // The peak of this run of bins over the threshold.
        let mut p = i;
        while p + 1 < nbins && hist[p + 1] >= hist[p] && hist[p + 1] as f32 >= need {
            p += 1;
        }
        // The line's width: down the flanks while they keep falling and hold 30 % of it.
        let floor = sorted[sorted.len() / 2] as f32;
        let edge = floor + 0.3 * (hist[p] as f32 - floor);
        let (mut a, mut b) = (p, p);
        while a > 0 && hist[a - 1] as f32 >= edge && hist[a - 1] <= hist[a] {
            a -= 1;
        }
        while b + 1 < nbins && hist[b + 1] as f32 >= edge && hist[b + 1] <= hist[b] {
            b += 1;
        }
        // A line is thin: a band wider than a few pixels is not paper ruling.
        if b - a < (across / 30).max(5) && crosses(p) {
            bands.push((a as i32 - shift, b as i32 - shift));
        }
        i = b + 1;
    }
    // Paper ruling repeats: one or two long strokes are a digit's bars in a tight crop.
    if bands.len() < MIN_LINES {
        bands.clear();
    }
    Lines {
        angle_deg: angle,
        bands,
    }
}

/// No blob: the label of a pixel without ink in [`blobs`].
pub(crate) const NO_BLOB: u32 = u32::MAX;

/// One 8-connected blob of ink: its mass (the sum of its values) and its box
/// `x0..x1, y0..y1` (exclusive ends).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Blob {
    pub mass: f32,
    pub x0: usize,
    pub y0: usize,
    pub x1: usize,
    pub y1: usize,
}

/// The 8-connected blobs of the pixels above 0 of a `w`x`h` plane, numbered in reading
/// order of their first pixel: `(label per pixel, or NO_BLOB; the blobs)`. The one
/// labelling of the crate: the digit's blob here, specks in `image.rs`, the number
/// reader's components.
pub(crate) fn blobs(v: &[f32], w: usize, h: usize) -> (Vec<u32>, Vec<Blob>) {
    let mut label = vec![NO_BLOB; w * h];
    let mut found: Vec<Blob> = Vec::new();
    let mut stack = Vec::new();
    for start in 0..w * h {
        if v[start] <= 0.0 || label[start] != NO_BLOB {
            continue;
        }
        let id = found.len() as u32;
        let mut b = Blob {
            mass: 0.0,
            x0: w,
            y0: h,
            x1: 0,
            y1: 0,
        };
        label[start] = id;
        stack.push(start);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            b.mass += v[i];
            b.x0 = b.x0.min(x);
            b.y0 = b.y0.min(y);
            b.x1 = b.x1.max(x + 1);
            b.y1 = b.y1.max(y + 1);
            for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                    let j = ny * w + nx;
                    if v[j] > 0.0 && label[j] == NO_BLOB {
                        label[j] = id;
                        stack.push(j);
                    }
                }
            }
        }
        found.push(b);
    }
    (label, found)
}

/// Stage 5: keeps the digit (the heaviest blob and the blobs near it), erases the rest;
/// returns its box `(x0, y0, x1, y1)` (exclusive ends), or `None` if there is no ink.
pub fn select_digit(v: &mut [f32], w: usize, h: usize) -> Option<(usize, usize, usize, usize)> {
    let (label, found) = blobs(v, w, h);
    // (mass, x0, y0, x1, y1)
    let blobs: Vec<(f32, usize, usize, usize, usize)> = found
        .iter()
        .map(|b| (b.mass, b.x0, b.y0, b.x1, b.y1))
        .collect();
    // A blob as long as the frame and thin is what is left of a paper line, not a digit.
    let line_like = |b: &(f32, usize, usize, usize, usize)| {
        let (bw, bh) = ((b.3 - b.1) as f32, (b.4 - b.2) as f32);
        (bw >= 0.8 * w as f32 && bh < 0.15 * bw) || (bh >= 0.8 * h as f32 && bw < 0.15 * bh)
    };
    // A blob touching the frame is often not the digit (the narrow tip of a shadow where
    // its edge meets the frame, the end of a line, the edge of the sheet): a blob inside
    // the frame is preferred unless it is much lighter.
    let at_border =
        |b: &(f32, usize, usize, usize, usize)| b.1 == 0 || b.2 == 0 || b.3 == w || b.4 == h;
    let heaviest_of = |inside: bool| {
        (0..blobs.len())
            .filter(|&k| !line_like(&blobs[k]) && (!inside || !at_border(&blobs[k])))
            .max_by(|&a, &b| blobs[a].0.total_cmp(&blobs[b].0))
    };
    let any = heaviest_of(false)?;
    let main = match heaviest_of(true) {
        Some(k) if blobs[k].0 >= BORDER_RATIO * blobs[any].0 => k,
        _ => any,
    };
    let inside = !at_border(&blobs[main]);
    // A long thin blob: a piece of a line, a sliver of shadow edge.
    let thin = |b: &(f32, usize, usize, usize, usize)| {
        let (bw, bh) = (b.3 - b.1, b.4 - b.2);
        bw.max(bh) >= 4 * bw.min(bh)
    };
    let heaviest = blobs[main].0;
    let mut keep = vec![false; blobs.len()];
    keep[main] = true;
    let (_, mut x0, mut y0, mut x1, mut y1) = blobs[main];
    loop {
        let reach = NEAR_FRACTION * (x1 - x0).max(y1 - y0) as f32;
        let mut grew = false;
        for (k, b) in blobs.iter().enumerate() {
            if keep[k]
                || b.0 < SPECK_FRACTION * heaviest
                || line_like(b)
                || (inside && at_border(b) && thin(b))
            {
                continue;
            }
            let gap_x = (b.1 as f32 - x1 as f32)
                .max(x0 as f32 - b.3 as f32)
                .max(0.0);
            let gap_y = (b.2 as f32 - y1 as f32)
                .max(y0 as f32 - b.4 as f32)
                .max(0.0);
            if gap_x.max(gap_y) <= reach {
                keep[k] = true;
                grew = true;
                x0 = x0.min(b.1);
                y0 = y0.min(b.2);
                x1 = x1.max(b.3);
                y1 = y1.max(b.4);
            }
        }
        if !grew {
            break;
        }
    }
    for (x, &l) in v.iter_mut().zip(&label) {
        if l != NO_BLOB && !keep[l as usize] {
            *x = 0.0;
        }
    }
    // Ink filling most of a box that fills most of the picture is texture (noise, a
    // photo of fabric), not a written digit.
    let area = ((x1 - x0) * (y1 - y0)) as f32;
    let inked = (y0..y1)
        .map(|y| (x0..x1).filter(|&x| v[y * w + x] > 0.0).count())
        .sum::<usize>() as f32;
    if area >= TEXTURE_AREA * (w * h) as f32 && inked >= TEXTURE_FILL * area {
        v.iter_mut().for_each(|x| *x = 0.0);
        return None;
    }
    Some((x0, y0, x1, y1))
}

/// `out[i]` = max (or min) of `src[i-r ..= i+r]` clipped to the slice, in O(n).
pub(crate) fn running_extreme(src: &[f32], r: usize, max: bool, out: &mut [f32]) {
    let n = src.len();
    let dominates = |a: f32, b: f32| if max { a >= b } else { a <= b };
    let mut dq = std::collections::VecDeque::with_capacity(2 * r + 1);
    for i in 0..n + r {
        if i < n {
            while dq
                .back()
                .is_some_and(|&j: &usize| dominates(src[i], src[j]))
            {
                dq.pop_back();
            }
            dq.push_back(i);
        }
        if i >= r {
            let c = i - r;
            while dq.front().is_some_and(|&j| j + r < c) {
                dq.pop_front();
            }
            out[c] = src[dq[0]];
        }
    }
}

/// `out[i]` = mean of `src[i-r ..= i+r]` clipped to the slice.
pub(crate) fn box_mean(src: &[f32], r: usize, out: &mut [f32]) {
    let n = src.len();
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0f64);
    for &v in src {
        prefix.push(prefix[prefix.len() - 1] + f64::from(v));
    }
    for (i, o) in out.iter_mut().enumerate() {
        let (a, b) = (i.saturating_sub(r), (i + r + 1).min(n));
        *o = ((prefix[b] - prefix[a]) / (b - a) as f64) as f32;
    }
}

/// `dst` (h x w) = transpose of `src` (w x h, row-major).
pub(crate) fn transpose(src: &[f32], w: usize, h: usize, dst: &mut [f32]) {
    for y in 0..h {
        for x in 0..w {
            dst[x * h + y] = src[y * w + x];
        }
    }
}
