//! Over-segmentation: the ink plane → small ordered pieces ("segments") that whole digits
//! are unions of.
//!
//! 1. Connected components of the ink (8-connected, any ink above 0); specks (under
//!    [`SPECK_FRACTION`] of the heaviest component's mass and shorter than a third of the
//!    line) are dropped.
//! 2. The line height is the median height of the heavy components (at least a fifth of
//!    the heaviest's mass): every length below is a fraction of it.
//! 3. Inside each component wider than [`CUT_MIN_WIDTH`] line heights, candidate cuts:
//!    for every column, the cheapest top-to-bottom path through the component that drifts
//!    at most [`CUT_DRIFT`] line heights sideways (cost = the ink it crosses), so a cut can
//!    follow the valley between two touching digits instead of a straight column. Columns
//!    are taken cheapest first, each at least [`CUT_SPACING`] line heights from the cuts
//!    already taken and from the ends: a dense over-segmentation whose cuts sit where
//!    little ink is crossed. Overlapping digits need it: the column that separates them
//!    crosses both digits' strokes and is rarely a local minimum of the cost (keeping only
//!    the minima, 0.18 line heights apart, gave clean cuts for 109 of 300 overlapping
//!    benchmark strings; this rule, 187). The graph and the network choose among them.
//! 4. The pixels of a component between two consecutive cut paths form one segment;
//!    segments are ordered by their centre of mass, left to right.
//!
//! With cuts disabled this is the connected-components baseline (one segment per
//! component, see [`super::baseline`]).

use super::ink::InkPlane;

/// Components lighter than this fraction of the heaviest (and short) are specks.
pub const SPECK_FRACTION: f32 = 0.03;
/// Components narrower than this (in line heights) are never cut.
pub const CUT_MIN_WIDTH: f32 = 0.6;
/// Closest two cuts (and a cut and the end of its component), in line heights.
pub const CUT_SPACING: f32 = 0.08;
/// How far a cut path may drift sideways from its column, in line heights.
pub const CUT_DRIFT: f32 = 0.04;
/// Most separate marks (kept connected components) a picture may hold: 20 digits broken
/// in up to five pieces each. More means the picture is not a line of digits (noise, a
/// photo of a page).
pub const MAX_MARKS: usize = 100;
/// Most segments the marks may be cut into: 20 digits of up to
/// [`super::search::MAX_SEGMENTS_PER_DIGIT`] segments each.
pub const MAX_SEGMENTS: usize = 240;
const _: () = assert!(MAX_MARKS <= MAX_SEGMENTS);

const NONE: u32 = u32::MAX;

/// The ordered segments of a plane.
#[derive(Clone, Debug)]
pub struct Segments {
    /// Which segment each plane pixel belongs to (`u32::MAX`: none), row-major.
    pub label: Vec<u32>,
    /// Each segment's box in plane pixels: `[x0, y0, x1, y1)`.
    pub boxes: Vec<[usize; 4]>,
    /// Each segment's ink mass.
    pub mass: Vec<f32>,
    /// Each segment's connected component.
    pub component: Vec<u32>,
    /// Each segment's group: components whose column ranges overlap by more than half
    /// the narrower one's width (a broken stroke, the dot of a speck) are one group;
    /// groups are numbered left to right and a digit never spans two.
    pub group: Vec<u32>,
    /// The line height in plane pixels.
    pub line_height: f32,
    /// For each boundary `j` in `0..=n` (between segments `j-1` and `j`): the ink crossed
    /// by the cut paths that a reading ending a digit there must use (0 between separate
    /// components).
    pub cut_ink: Vec<f32>,
    /// For each boundary: how many cut paths a digit ending there uses.
    pub cuts: Vec<u32>,
}

/// Why a plane could not be segmented.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// More than [`MAX_MARKS`] separate marks.
    TooManyMarks(usize),
    /// More than [`MAX_SEGMENTS`] segments once the marks are cut.
    TooManySegments(usize),
}

/// Splits `plane` into segments (see the module documentation); `cut: false` keeps whole
/// connected components.
pub fn segment(plane: &InkPlane, cut: bool) -> Result<Segments, Refusal> {
    let (w, h) = (plane.w, plane.h);
    let (mut comp, n) = components(plane);
    // Component statistics.
    let mut boxes = vec![[usize::MAX, usize::MAX, 0, 0]; n];
    let mut mass = vec![0f32; n];
    for y in 0..h {
        for x in 0..w {
            let c = comp[y * w + x];
            if c != NONE {
                let b = &mut boxes[c as usize];
                b[0] = b[0].min(x);
                b[1] = b[1].min(y);
                b[2] = b[2].max(x + 1);
                b[3] = b[3].max(y + 1);
                mass[c as usize] += plane.v[y * w + x];
            }
        }
    }
    let heaviest = mass.iter().copied().fold(0.0, f32::max);
    let mut heights: Vec<usize> = (0..n)
        .filter(|&c| mass[c] >= 0.2 * heaviest)
        .map(|c| boxes[c][3] - boxes[c][1])
        .collect();
    heights.sort_unstable();
    let line = heights.get(heights.len() / 2).copied().unwrap_or(1).max(1) as f32;
    let keep: Vec<bool> = (0..n)
        .map(|c| {
            mass[c] >= SPECK_FRACTION * heaviest || (boxes[c][3] - boxes[c][1]) as f32 > line / 3.0
        })
        .collect();
    let marks = keep.iter().filter(|&&k| k).count();
    if marks > MAX_MARKS {
        return Err(Refusal::TooManyMarks(marks));
    }
    let group = groups(&boxes, &keep);
    for c in comp.iter_mut() {
        if *c != NONE && !keep[*c as usize] {
            *c = NONE;
        }
    }
    // Cut each wide component; sub-segment index per pixel.
    let mut sub = vec![0u32; w * h];
    let mut n_sub = vec![1u32; n];
    let mut cut_cost: Vec<Vec<f32>> = vec![Vec::new(); n];
    if cut {
        let mut segments = marks;
        for c in 0..n {
            let b = boxes[c];
            if !keep[c] || ((b[2] - b[0]) as f32) < CUT_MIN_WIDTH * line {
                continue;
            }
            let paths = cut_paths(plane, &comp, c as u32, b, line);
            // Refuse before labelling pixels: a wide scribble (or noise that is one
            // component) has hundreds of cuts.
            segments += paths.len();
            if segments > MAX_SEGMENTS {
                return Err(Refusal::TooManySegments(segments));
            }
            n_sub[c] = paths.len() as u32 + 1;
            cut_cost[c] = paths.iter().map(|p| p.0).collect();
            // Paths never cross (each is at or right of the previous one on every row),
            // so along a row the sub-segment index only grows: one scan per row.
            for y in b[1]..b[3] {
                let mut k = 0;
                for x in b[0]..b[2] {
                    while k < paths.len() && x >= paths[k].1[y - b[1]] {
                        k += 1;
                    }
                    if comp[y * w + x] == c as u32 {
                        sub[y * w + x] = k as u32;
                    }
                }
            }
        }
    }
    // Segment = (component, sub); gather statistics.
    let mut first = vec![0u32; n + 1];
    for c in 0..n {
        first[c + 1] = first[c] + if keep[c] { n_sub[c] } else { 0 };
    }
    // At most MAX_SEGMENTS: the marks (at most MAX_MARKS) plus the cuts, counted above.
    let total = first[n] as usize;
    let mut sb = vec![[usize::MAX, usize::MAX, 0, 0]; total];
    let mut sm = vec![0f32; total];
    let mut sx = vec![0f64; total];
    let mut label = vec![NONE; w * h];
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            if comp[i] == NONE {
                continue;
            }
            let s = (first[comp[i] as usize] + sub[i]) as usize;
            label[i] = s as u32;
            let b = &mut sb[s];
            b[0] = b[0].min(x);
            b[1] = b[1].min(y);
            b[2] = b[2].max(x + 1);
            b[3] = b[3].max(y + 1);
            sm[s] += plane.v[i];
            sx[s] += plane.v[i] as f64 * x as f64;
        }
    }
    // Order the non-empty segments by group, then centre of mass.
    let comp_of = |s: usize| (0..n).rfind(|&c| first[c] as usize <= s).unwrap_or(0) as u32;
    let mut order: Vec<usize> = (0..total).filter(|&s| sb[s][2] > 0).collect();
    let cx = |s: usize| sx[s] / (sm[s] as f64).max(1e-9);
    order.sort_by(|&a, &b| {
        let (ga, gb) = (group[comp_of(a) as usize], group[comp_of(b) as usize]);
        ga.cmp(&gb).then(cx(a).total_cmp(&cx(b))).then(a.cmp(&b))
    });
    let mut rank = vec![NONE; total];
    for (r, &s) in order.iter().enumerate() {
        rank[s] = r as u32;
    }
    for l in label.iter_mut() {
        if *l != NONE {
            *l = rank[*l as usize];
        }
    }
    let mut cut_ink = vec![0f32; order.len() + 1];
    let mut cuts = vec![0u32; order.len() + 1];
    for c in 0..n {
        for (k, &ink) in cut_cost[c].iter().enumerate() {
            let (l, r) = (first[c] as usize + k, first[c] as usize + k + 1);
            if rank[l] == NONE || rank[r] == NONE {
                continue;
            }
            let (a, b) = (rank[l].min(rank[r]) as usize, rank[l].max(rank[r]) as usize);
            for j in a + 1..=b {
                cut_ink[j] += ink;
                cuts[j] += 1;
            }
        }
    }
    Ok(Segments {
        group: order.iter().map(|&s| group[comp_of(s) as usize]).collect(),
        label,
        boxes: order.iter().map(|&s| sb[s]).collect(),
        mass: order.iter().map(|&s| sm[s]).collect(),
        component: order.iter().map(|&s| comp_of(s)).collect(),
        line_height: line,
        cut_ink,
        cuts,
    })
}

/// The group of each kept component (see [`Segments::group`]), numbered left to right.
fn groups(boxes: &[[usize; 4]], keep: &[bool]) -> Vec<u32> {
    let mut by_x: Vec<usize> = (0..boxes.len()).filter(|&c| keep[c]).collect();
    by_x.sort_by_key(|&c| (boxes[c][0], c));
    let mut group = vec![NONE; boxes.len()];
    let (mut g, mut span) = (0u32, (0usize, 0usize));
    for (k, &c) in by_x.iter().enumerate() {
        let (x0, x1) = (boxes[c][0], boxes[c][2]);
        let overlap = span.1.min(x1).saturating_sub(span.0.max(x0));
        let narrower = (span.1 - span.0).min(x1 - x0);
        if k > 0 && 2 * overlap > narrower {
            span = (span.0.min(x0), span.1.max(x1));
        } else {
            if k > 0 {
                g += 1;
            }
            span = (x0, x1);
        }
        group[c] = g;
    }
    group
}

/// 8-connected components of the pixels with ink; `(label per pixel, count)`.
fn components(plane: &InkPlane) -> (Vec<u32>, usize) {
    let (comp, blobs) = crate::data::paper::blobs(&plane.v, plane.w, plane.h);
    (comp, blobs.len())
}

/// The cut paths inside component `c` (box `b`), left to right: each gives, for every row
/// of the box, the first column on its right side.
fn cut_paths(
    plane: &InkPlane,
    comp: &[u32],
    c: u32,
    b: [usize; 4],
    line: f32,
) -> Vec<(f32, Vec<usize>)> {
    let w = plane.w;
    let [x0, y0, x1, y1] = b;
    let ink = |x: usize, y: usize| {
        let i = y * w + x;
        if comp[i] == c { plane.v[i] } else { 0.0 }
    };
    let drift = ((CUT_DRIFT * line).round() as usize).max(1);
    let margin = ((CUT_SPACING * line).round() as usize).max(2);
    if x1 - x0 < 2 * margin + 1 {
        return Vec::new();
    }
    // Cheapest path for a start column, with its route.
    let path = |xs: usize| -> (f32, Vec<usize>) {
        let lo = xs.saturating_sub(drift).max(x0 + 1);
        let hi = (xs + drift).min(x1 - 1);
        let wn = hi - lo + 1;
        let mut cost: Vec<f32> = (lo..=hi)
            .map(|x| if x == xs { ink(x, y0) } else { f32::INFINITY })
            .collect();
        let mut back = vec![0u8; wn * (y1 - y0)];
        for y in y0 + 1..y1 {
            let prev = cost.clone();
            for k in 0..wn {
                let (best, from) = cheapest_step(&prev, k);
                cost[k] = best + ink(lo + k, y);
                back[(y - y0) * wn + k] = from;
            }
        }
        let (mut k, mut best) = (0, f32::INFINITY);
        for (i, &v) in cost.iter().enumerate() {
            if v < best {
                (k, best) = (i, v);
            }
        }
        let mut route = vec![0; y1 - y0];
        for y in (0..y1 - y0).rev() {
            route[y] = lo + k;
            if y > 0 {
                k = k + back[y * wn + k] as usize - 1;
            }
        }
        (best, route)
    };
    let starts: Vec<usize> = (x0 + margin..x1 - margin).collect();
    // Every start's path, kept: the chosen ones are taken from here, not traced again.
    let mut all: Vec<(f32, Vec<usize>)> = starts.iter().map(|&x| path(x)).collect();
    let mut cheapest_first: Vec<usize> = (0..starts.len()).collect();
    cheapest_first.sort_by(|&a, &b| all[a].0.total_cmp(&all[b].0).then(a.cmp(&b)));
    let mut chosen: Vec<usize> = Vec::new();
    for i in cheapest_first {
        if chosen
            .iter()
            .all(|&o| starts[o].abs_diff(starts[i]) >= margin)
        {
            chosen.push(i);
        }
    }
    chosen.sort_unstable();
    let mut paths: Vec<(f32, Vec<usize>)> = chosen
        .into_iter()
        .map(|i| std::mem::take(&mut all[i]))
        .collect();
    // Keep paths from crossing: each at or right of the previous one on every row.
    for k in 1..paths.len() {
        for y in 0..paths[k].1.len() {
            paths[k].1[y] = paths[k].1[y].max(paths[k - 1].1[y]);
        }
    }
    paths
}

/// Of a path's three possible places on the row above (`prev` holds their costs), the
/// cheapest for place `k`: (its cost, 0 = from the left, 1 = straight above, 2 = from the
/// right), straight above on ties, then the left. Shared by the cut paths here and the
/// fine paths of [`super::recut`].
pub(super) fn cheapest_step(prev: &[f32], k: usize) -> (f32, u8) {
    let (mut best, mut from) = (prev[k], 1u8);
    if k > 0 && prev[k - 1] < best {
        (best, from) = (prev[k - 1], 0);
    }
    if k + 1 < prev.len() && prev[k + 1] < best {
        (best, from) = (prev[k + 1], 2);
    }
    (best, from)
}
