//! The second pass: the pieces of the first reading that may be two overlapping digits
//! read as one are cut again, finely, and the graph is given their two-digit readings.
//!
//! The over-segmentation ([`super::segment`]) cuts every wide component every
//! [`super::segment::CUT_SPACING`] line heights with near-vertical paths: between two
//! digits overlapping by a few pixels it often offers no clean cut, and the cheapest path
//! then reads the two as one piece (most often a thin 1 swallowed by its neighbour).
//! Cutting every component more finely multiplies the arcs and the cheap badly cut
//! rivals; here only the suspects are re-cut:
//!
//! 1. a **suspect** is a piece of the best path at least [`SUSPECT_WIDTH`] line heights
//!    wide whose network cost is at least [`SUSPECT_COST`] (the [`MAX_SUSPECTS`]
//!    costliest; none when the path has more than [`MAX_DIGITS`] pieces, a reading that
//!    is refused anyway);
//! 2. its ink (the pixels of its segments) is split in two by **fine cut paths**: from
//!    every column, for each of [`FINE_PATHS`], the cheapest top-to-bottom path that may
//!    drift sideways (paying the ink it crosses and a price per pixel away from its
//!    column), and the four **drop-fall** paths of [`DROPS`] ([`drop_fall`]: a drop
//!    that rolls down the valleys between the strokes, from the top or the bottom,
//!    cutting through ink only when walled in, so a cut can step far sideways where
//!    one digit's stroke runs under the other's); splits leaving less than
//!    [`MIN_SHARE`] of the ink on a side, and splits that put the same pixels on each
//!    side as one already taken, are dropped, and of the rest the suspects get at most
//!    [`MAX_SPLITS`] together (costliest suspect first, the splits crossing the least
//!    ink first; only pictures of noise come near it);
//! 3. each split gives the graph a node inside the suspect, and two arcs (left part,
//!    right part) scored like every arc ([`super::search::piece_cost`]'s terms: the
//!    network, the width, the ink crossed by the cut at the arc's right end);
//! 4. the best path and its rivals are searched again on the augmented graph: the
//!    suspect is replaced where two digits are cheaper than one.

use std::collections::HashSet;

use super::MAX_DIGITS;
use super::ink::InkPlane;
use super::normalise::to_28x28;
use super::search::{
    CostWeights, MIN_SIDE, Piece, network_cost, network_cost_as, runner_up, segments_ink,
};
use super::segment::{Segments, cheapest_step};
use crate::api::{Model, Prediction};

/// Pieces of the first reading at least this wide (in line heights) may be re-cut...
pub const SUSPECT_WIDTH: f32 = 0.5;
/// ...if the network's cost of their reading is at least this (for the reader,
/// `−ln p`).
pub const SUSPECT_COST: f32 = 0.5;
/// The fine cut paths tried from every column: `(drift, stray)`, the drift in line
/// heights, the stray the cost per row of every pixel away from the starting column.
pub const FINE_PATHS: [(f32, f32); 3] = [(0.04, 0.0), (0.15, 0.1), (0.3, 0.1)];
/// The drop-fall paths tried from every column (Congedo et al. 1995): `(from the top,
/// leaning left)`, all four kinds.
pub const DROPS: [(bool, bool); 4] = [(true, true), (true, false), (false, true), (false, false)];
/// Ink above which a drop-fall path sees a pixel as a wall (the ink plane's values run
/// from the noise floor, 0.15, to about 1): a drop slips through the faint rim of a
/// stroke.
pub const DROP_WALL: f32 = 0.3;
/// Fine cut paths start every this many line heights (at least every pixel): every
/// column of MNIST-sized digits (line height about 20 pixels), and no more paths for a
/// large picture.
pub const FINE_STEP: f32 = 0.04;
/// Most suspects re-cut in one reading (the costliest first): a bound on the second
/// pass's work for pictures of scribbles (a 5-digit benchmark string has 0.15 suspects
/// on average in the overlapping tier).
pub const MAX_SUSPECTS: usize = 8;
/// Most splits the suspects of one reading are given together (the costliest suspect
/// first; of a suspect's splits, those whose path crosses the least ink): a bound on the
/// second pass's work for pictures of noise (the benchmark's 5-digit strings have at
/// most 130).
pub const MAX_SPLITS: usize = 256;
/// Least fraction of the suspect's ink each side of a split must hold.
pub const MIN_SHARE: f32 = 0.05;

/// The second pass's parameters ([`Default`]: the constants above).
#[derive(Clone, Debug, PartialEq)]
pub struct RecutParams {
    /// [`SUSPECT_WIDTH`].
    pub suspect_width: f32,
    /// [`SUSPECT_COST`].
    pub suspect_cost: f32,
    /// [`FINE_PATHS`].
    pub fine_paths: Vec<(f32, f32)>,
    /// [`MIN_SHARE`].
    pub min_share: f32,
    /// [`DROPS`].
    pub drops: Vec<(bool, bool)>,
    /// [`DROP_WALL`].
    pub drop_wall: f32,
}

impl Default for RecutParams {
    fn default() -> Self {
        RecutParams {
            suspect_width: SUSPECT_WIDTH,
            suspect_cost: SUSPECT_COST,
            fine_paths: FINE_PATHS.to_vec(),
            min_share: MIN_SHARE,
            drops: DROPS.to_vec(),
            drop_wall: DROP_WALL,
        }
    }
}

/// One side of a split: its box in plane pixels and what the network sees.
#[derive(Clone, Debug)]
pub struct Part {
    /// `[x0, y0, x1, y1)` in plane pixels (the ink's box).
    pub bbox: [usize; 4],
    /// The part normalised like an arc of the graph.
    pub pixels: [u8; 784],
}

/// A suspect cut in two by one fine path.
#[derive(Clone, Debug)]
pub struct Split {
    /// The pixels left of the path.
    pub left: Part,
    /// The pixels on and right of it.
    pub right: Part,
    /// The ink the path crosses (the ink of the pixels it runs through).
    pub ink: f32,
}

/// Whether `piece` (an arc of the first reading, whose network cost is `network_cost`)
/// is re-cut.
pub fn is_suspect(p: &RecutParams, piece: &Piece, network_cost: f32, seg: &Segments) -> bool {
    let width = (piece.bbox[2] - piece.bbox[0]) as f32 / seg.line_height;
    width >= p.suspect_width && network_cost >= p.suspect_cost
}

/// The distinct splits of `piece`'s ink by fine cut paths, in a fixed order (column by
/// column, left to right, then [`RecutParams::fine_paths`]' order), at most `max` of
/// them (those whose path crosses the least ink).
pub fn splits(
    p: &RecutParams,
    plane: &InkPlane,
    seg: &Segments,
    piece: &Piece,
    max: usize,
) -> Vec<Split> {
    let [x0, y0, x1, y1] = piece.bbox;
    let (bw, bh) = (x1 - x0, y1 - y0);
    if bw < 3 || max == 0 {
        return Vec::new();
    }
    let line = seg.line_height;
    // The suspect's ink, cropped to its box.
    let v = segments_ink(plane, seg, piece.from, piece.to, piece.bbox);
    let total: f32 = v.iter().sum();
    if total <= 0.0 {
        return Vec::new();
    }
    let mut seen: HashSet<Vec<u16>> = HashSet::new();
    // One path start every FINE_STEP line heights (every column of MNIST-sized digits).
    let step = ((FINE_STEP * line).round() as usize).max(1);
    let starts: Vec<usize> = (1..bw).step_by(step).collect();
    let mut routes: Vec<(f32, Vec<usize>)> = crate::parallel::map(&starts, |&xs| {
        let fine = p.fine_paths.iter().map(|&(drift, stray)| {
            let d = ((drift * line).round() as usize).max(1);
            fine_path(&v, bw, bh, xs, d, stray)
        });
        let drops = p.drops.iter().map(|&(from_top, leaning_left)| {
            drop_fall(&v, bw, bh, xs, from_top, leaning_left, p.drop_wall)
        });
        fine.chain(drops).collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    routes.retain(|(_, route)| {
        // The partition: how many inked pixels of each row are left of the path.
        let key: Vec<u16> = (0..bh)
            .map(|y| {
                v[y * bw..y * bw + route[y]]
                    .iter()
                    .filter(|&&a| a > 0.0)
                    .count() as u16
            })
            .collect();
        if !seen.insert(key) {
            return false;
        }
        let left: f32 = (0..bh)
            .map(|y| v[y * bw..y * bw + route[y]].iter().sum::<f32>())
            .sum();
        let right = total - left;
        left > 0.0 && right > 0.0 && left.min(right) >= p.min_share * total
    });
    if routes.len() > max {
        let mut by_ink: Vec<usize> = (0..routes.len()).collect();
        by_ink.sort_by(|&a, &b| routes[a].0.total_cmp(&routes[b].0).then(a.cmp(&b)));
        let mut keep = vec![false; routes.len()];
        for &i in &by_ink[..max] {
            keep[i] = true;
        }
        let mut i = 0;
        routes.retain(|_| {
            i += 1;
            keep[i - 1]
        });
    }
    // Normalising the two sides is most of the work: spread over the threads.
    crate::parallel::map(&routes, |(ink, route)| Split {
        left: crop_part(&v, bw, x0, y0, MIN_SIDE * line, &|y| 0..route[y]),
        right: crop_part(&v, bw, x0, y0, MIN_SIDE * line, &|y| route[y]..bw),
        ink: *ink,
    })
}

/// The ink of `v` (`bw` wide, at `(x0, y0)` in the plane) in columns `cols(y)` of each
/// row `y`, cropped to its box and normalised like an arc of the graph.
fn crop_part(
    v: &[f32],
    bw: usize,
    x0: usize,
    y0: usize,
    min_side: f32,
    cols: &dyn Fn(usize) -> std::ops::Range<usize>,
) -> Part {
    let bh = v.len() / bw;
    let mut b = [usize::MAX, usize::MAX, 0, 0];
    for y in 0..bh {
        let r = cols(y);
        let row = &v[y * bw..(y + 1) * bw][r.clone()];
        if let Some(first) = row.iter().position(|&a| a > 0.0) {
            let last = row.iter().rposition(|&a| a > 0.0).unwrap_or(first);
            b = [
                b[0].min(r.start + first),
                b[1].min(y),
                b[2].max(r.start + last + 1),
                b[3].max(y + 1),
            ];
        }
    }
    let (w, h) = (b[2] - b[0], b[3] - b[1]);
    let mut c = vec![0f32; w * h];
    for y in 0..h {
        let r = cols(b[1] + y);
        let (from, to) = (r.start.max(b[0]), r.end.min(b[2]));
        if from < to {
            c[y * w + from - b[0]..y * w + to - b[0]]
                .copy_from_slice(&v[(b[1] + y) * bw + from..(b[1] + y) * bw + to]);
        }
    }
    Part {
        bbox: [x0 + b[0], y0 + b[1], x0 + b[2], y0 + b[3]],
        pixels: to_28x28(w, h, &c, min_side),
    }
}

/// A drop-fall path through the `w x h` ink `v` (Congedo et al. 1995), from column `xs`:
/// a drop falls from above the top row (`from_top`; else it rises from below the bottom
/// row, the picture upside down), moving on to the next row straight ahead when that
/// pixel is paper, else diagonally (towards the left first when `leaning_left`), else
/// sideways along its row (the same side first, never back), and through the ink
/// straight ahead when walled in. A pixel is a wall when its ink is above `wall`.
/// Returns the ink of the pixels it cut through and, for every row, the first column on
/// its right side (the column it leaves the row by).
pub fn drop_fall(
    v: &[f32],
    w: usize,
    h: usize,
    xs: usize,
    from_top: bool,
    leaning_left: bool,
    wall: f32,
) -> (f32, Vec<usize>) {
    let row = |i: usize| if from_top { i } else { h - 1 - i };
    let ink = |x: usize, i: usize| v[row(i) * w + x];
    let free = |x: usize, i: usize| (1..w).contains(&x) && ink(x, i) <= wall;
    let sides: [isize; 2] = if leaning_left { [-1, 1] } else { [1, -1] };
    // The side a drop at column x of row i can go down to diagonally: the first free one
    // in its leaning order, only the side it moved to along the row if it moved.
    let diagonal = |x: usize, i: usize, moved: isize| {
        sides
            .into_iter()
            .find(|&d| free(x.wrapping_add_signed(d), i + 1) && (moved == 0 || d == moved))
    };
    let mut route = vec![0; h];
    let mut x = xs.clamp(1, w - 1);
    let mut cut = 0.0;
    // Entering the first row.
    if !free(x, 0) {
        if let Some(&d) = sides.iter().find(|&&d| free(x.wrapping_add_signed(d), 0)) {
            x = x.wrapping_add_signed(d);
        } else {
            cut += ink(x, 0);
        }
    }
    for i in 0..h {
        // Along row i: sideways while the way ahead is walled and the side is free.
        let mut moved: isize = 0;
        let mut steps = 0;
        while i + 1 < h && !free(x, i + 1) && steps < w {
            if diagonal(x, i, moved).is_some() {
                break;
            }
            let side = sides
                .iter()
                .find(|&&d| free(x.wrapping_add_signed(d), i) && (moved == 0 || d == moved));
            match side {
                Some(&d) => {
                    x = x.wrapping_add_signed(d);
                    moved = d;
                    steps += 1;
                }
                None => break,
            }
        }
        route[row(i)] = x;
        if i + 1 == h {
            break;
        }
        // Down to row i + 1: straight, else diagonally, else through the ink.
        if !free(x, i + 1) {
            match diagonal(x, i, moved) {
                Some(d) => x = x.wrapping_add_signed(d),
                None => cut += ink(x, i + 1),
            }
        }
    }
    (cut, route)
}

/// The cheapest top-to-bottom path through the `w x h` ink `v` near column `xs`: on
/// every row at most `drift` columns from `xs` (and inside `1..w`), moving at most one
/// column a row, paying each pixel's ink plus `stray` per column away from `xs`. Returns
/// the ink crossed and, for every row, the first column on the path's right side.
pub fn fine_path(
    v: &[f32],
    w: usize,
    h: usize,
    xs: usize,
    drift: usize,
    stray: f32,
) -> (f32, Vec<usize>) {
    let lo = xs.saturating_sub(drift).max(1);
    let hi = (xs + drift).min(w - 1);
    let wn = hi - lo + 1;
    let step = |k: usize, y: usize| v[y * w + lo + k] + stray * (lo + k).abs_diff(xs) as f32;
    let mut cost: Vec<f32> = (0..wn).map(|k| step(k, 0)).collect();
    let mut back = vec![1u8; wn * h];
    for y in 1..h {
        let prev = cost.clone();
        for k in 0..wn {
            let (best, from) = cheapest_step(&prev, k);
            cost[k] = best + step(k, y);
            back[y * wn + k] = from;
        }
    }
    let mut k = 0;
    for i in 1..wn {
        if cost[i] < cost[k] {
            k = i;
        }
    }
    let mut route = vec![0; h];
    let mut ink = 0.0;
    for y in (0..h).rev() {
        route[y] = lo + k;
        ink += v[y * w + lo + k];
        if y > 0 {
            k = k + back[y * wn + k] as usize - 1;
        }
    }
    (ink, route)
}

/// The costs of a split's two arcs read as `(left digit, right digit)` given their
/// network costs: each arc's width term, the left one's cut (the fine path) and the
/// right one's (the suspect's own right end, `right_end_ink` over `right_end_cuts`
/// paths): the same terms as [`super::search::piece_cost`].
pub fn split_costs(
    w: &CostWeights,
    s: &Split,
    line: f32,
    net: (f32, f32),
    right_end_ink: f32,
    right_end_cuts: u32,
) -> (f32, f32) {
    let wide = |b: [usize; 4]| {
        let x = ((b[2] - b[0]) as f32 / line - 1.0).max(0.0);
        w.too_wide * x * x
    };
    (
        w.network * net.0 + w.per_piece + wide(s.left.bbox) + w.cut_ink * s.ink + w.per_cut,
        w.network * net.1
            + w.per_piece
            + wide(s.right.bbox)
            + w.cut_ink * right_end_ink
            + w.per_cut * right_end_cuts as f32,
    )
}

/// A reading's graph: arcs between nodes `0..=nodes` numbered so that every arc goes
/// forward, the network's answer for each, and each arc's cost read as its best digit
/// (`costs`) and as its runner-up (`rival_costs`).
#[derive(Clone, Debug)]
pub struct Graph {
    /// The last node (the end of the line).
    pub nodes: usize,
    /// The arcs.
    pub pieces: Vec<Piece>,
    /// The network's answer for each arc.
    pub preds: Vec<Prediction>,
    /// Each arc's cost read as its best digit.
    pub costs: Vec<f32>,
    /// Each arc's cost read as its runner-up.
    pub rival_costs: Vec<f32>,
}

impl Graph {
    /// Each arc's best digit and runner-up.
    pub fn digits(&self) -> Vec<(u8, u8)> {
        self.preds.iter().map(|q| (q.digit, runner_up(q))).collect()
    }
}

/// The second pass over `g` (the first graph, whose best path is `path`): every suspect
/// of the path gets a node per distinct split and the split's two arcs. Nodes are
/// renumbered so that a split's node comes after its suspect's first node and before
/// the next original node. Returns `g` unchanged when nothing is suspect.
pub fn second_pass(
    model: &Model,
    plane: &InkPlane,
    seg: &Segments,
    w: &CostWeights,
    p: &RecutParams,
    g: Graph,
    path: &[usize],
) -> Graph {
    let arch = model.arch();
    // A path of more than MAX_DIGITS pieces is refused whatever the second pass does
    // (it only adds pieces): noise need not be re-cut.
    if path.len() > MAX_DIGITS {
        return g;
    }
    // The costliest suspects first, at most MAX_SUSPECTS of them, then in path order.
    let mut suspects: Vec<(f32, usize)> = path
        .iter()
        .map(|&k| (network_cost(arch, &g.preds[k]), k))
        .filter(|&(c, k)| is_suspect(p, &g.pieces[k], c, seg))
        .collect();
    suspects.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    suspects.truncate(MAX_SUSPECTS);
    // Their splits, the costliest suspect first, within MAX_SPLITS in all.
    let mut left = MAX_SPLITS;
    let mut cut: Vec<(usize, Vec<Split>)> = suspects
        .into_iter()
        .map(|(_, k)| {
            let s = splits(p, plane, seg, &g.pieces[k], left);
            left -= s.len();
            (k, s)
        })
        .collect();
    // Then in path order.
    cut.sort_unstable_by_key(|&(k, _)| g.pieces[k].from);
    let (suspects, cuts): (Vec<usize>, Vec<Vec<Split>>) = cut.into_iter().unzip();
    if cuts.iter().all(Vec::is_empty) {
        return g;
    }
    // Node keys: original node i is (i, 0), split j of the suspect starting at node f is
    // (f, 1 + j); suspects on one path start at distinct nodes.
    let mut keys: Vec<(usize, usize)> = (0..=g.nodes).map(|i| (i, 0)).collect();
    for (s, &k) in suspects.iter().enumerate() {
        keys.extend((0..cuts[s].len()).map(|j| (g.pieces[k].from, 1 + j)));
    }
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| keys[i]);
    let mut rank = vec![0usize; keys.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r;
    }
    let images: Vec<[u8; 784]> = cuts
        .iter()
        .flatten()
        .flat_map(|s| [s.left.pixels, s.right.pixels])
        .collect();
    let answers = model.forward_batch_28x28(&images);
    let spans: Vec<(usize, usize)> = suspects
        .iter()
        .map(|&k| (g.pieces[k].from, g.pieces[k].to))
        .collect();
    let Graph {
        nodes,
        mut pieces,
        mut preds,
        mut costs,
        mut rival_costs,
    } = g;
    for q in pieces.iter_mut() {
        q.from = rank[q.from];
        q.to = rank[q.to];
    }
    let (mut node, mut a) = (nodes + 1, 0);
    for (&(from, to), splits) in spans.iter().zip(&cuts) {
        for split in splits {
            let (l, r) = (&answers[a], &answers[a + 1]);
            a += 2;
            let mid = rank[node];
            node += 1;
            let cost = |dl: u8, dr: u8| {
                split_costs(
                    w,
                    split,
                    seg.line_height,
                    (network_cost_as(arch, l, dl), network_cost_as(arch, r, dr)),
                    seg.cut_ink[to],
                    seg.cuts[to],
                )
            };
            let best = cost(l.digit, r.digit);
            let second = cost(runner_up(l), runner_up(r));
            for (part, f, t, q, c, c2) in [
                (&split.left, rank[from], mid, l, best.0, second.0),
                (&split.right, mid, rank[to], r, best.1, second.1),
            ] {
                pieces.push(Piece {
                    from: f,
                    to: t,
                    bbox: part.bbox,
                    pixels: part.pixels,
                });
                preds.push(q.clone());
                costs.push(c);
                rival_costs.push(c2);
            }
        }
    }
    Graph {
        nodes: rank[nodes],
        pieces,
        preds,
        costs,
        rival_costs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::{search, segment};

    #[test]
    fn two_bars_joined_by_a_bridge_are_split_between_them_once() {
        // Bars at columns 8..11 and 16..19, rows 2..22, joined by a bridge on row 12.
        let (w, h) = (30, 24);
        let mut px = vec![0u8; w * h];
        for y in 2..22 {
            for x in (8..11).chain(16..19) {
                px[y * w + x] = 255;
            }
        }
        for x in 11..16 {
            px[12 * w + x] = 255;
        }
        let plane = InkPlane::from_ink_bytes(w, h, &px);
        let seg = segment::segment(&plane, false).unwrap();
        let pieces = search::pieces(&plane, &seg);
        assert_eq!(pieces.len(), 1);
        let s = splits(
            &RecutParams::default(),
            &plane,
            &seg,
            &pieces[0],
            MAX_SPLITS,
        );
        // One bar a side, the path crossing the bridge alone.
        assert!(
            s.iter().any(|s| s.left.bbox[0] == 8
                && s.left.bbox[2] <= 16
                && s.right.bbox[0] >= 11
                && s.right.bbox[2] == 19
                && s.ink <= 1.0),
            "{:?}",
            s.iter()
                .map(|s| (s.left.bbox, s.right.bbox, s.ink))
                .collect::<Vec<_>>()
        );
        // Every split is a different partition, and leaves ink on both sides.
        for (i, a) in s.iter().enumerate() {
            assert!(a.left.pixels.iter().any(|&v| v > 0));
            assert!(a.right.pixels.iter().any(|&v| v > 0));
            for b in &s[i + 1..] {
                assert!(a.left.bbox != b.left.bbox || a.left.pixels != b.left.pixels);
            }
        }
    }

    #[test]
    fn a_drop_falls_along_a_staircase_and_cuts_only_when_walled_in() {
        // Ink everywhere but a staircase: column 3 on rows 0-2, row 2 from column 3 to
        // 7, column 7 on rows 2-5.
        let (w, h) = (12, 6);
        let free = |x: usize, y: usize| {
            (x == 3 && y <= 2) || (y == 2 && (3..=7).contains(&x)) || (x == 7 && y >= 2)
        };
        let v: Vec<f32> = (0..w * h)
            .map(|i| if free(i % w, i / w) { 0.0 } else { 1.0 })
            .collect();
        for leaning_left in [true, false] {
            // From the top at column 3: down, along row 2 (the left is walled) to
            // column 6, diagonally down to 7, down.
            assert_eq!(
                drop_fall(&v, w, h, 3, true, leaning_left, 0.3),
                (0.0, vec![3, 3, 6, 7, 7, 7])
            );
        }
        // From the bottom at column 7: up, along row 2 to column 3, up. The same
        // partition of the ink.
        let (ink, route) = drop_fall(&v, w, h, 7, false, true, 0.3);
        assert_eq!((ink, route[0], route[1], route[3]), (0.0, 3, 3, 7));
        // A fine path drifting 2 columns cannot follow it.
        assert!(fine_path(&v, w, h, 3, 2, 0.0).0 >= 1.0);
        // Faint ink (0.2) is no wall; ink above the wall is cut through where the drop
        // is walled in: a bar across row 3 (0.9, but 0.5 below the drop), walls beside
        // the drop on row 2.
        let mut v = vec![0.2f32; w * h];
        for x in 0..w {
            v[3 * w + x] = if x == 5 { 0.5 } else { 0.9 };
        }
        v[2 * w + 4] = 0.9;
        v[2 * w + 6] = 0.9;
        assert_eq!(drop_fall(&v, w, h, 5, true, true, 0.3), (0.5, vec![5; 6]));
        assert_eq!(drop_fall(&v, w, h, 5, true, true, 0.6), (0.0, vec![5; 6]));
    }

    #[test]
    fn drop_fall_paths_split_digits_the_fine_paths_cannot() {
        // Two shapes joined by one pixel, the gap between them stepping 12 columns to
        // the right halfway down: A is columns 2..11 on rows 0..13 and columns 2..23 on
        // rows 13..25; B is columns 12..39 on rows 0..12 and 24..39 on rows 12..25; the
        // joint is (23, 12).
        let (w, h) = (42, 25);
        let a =
            |x: usize, y: usize| (2..11).contains(&x) && y <= 12 || (2..23).contains(&x) && y >= 13;
        let b = |x: usize, y: usize| {
            (12..39).contains(&x) && y < 12 || (24..39).contains(&x) && y >= 12
        };
        let px: Vec<u8> = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                if a(x, y) || b(x, y) || (x, y) == (23, 12) {
                    255
                } else {
                    0
                }
            })
            .collect();
        let plane = InkPlane::from_ink_bytes(w, h, &px);
        let seg = segment::segment(&plane, false).unwrap();
        let pieces = search::pieces(&plane, &seg);
        assert_eq!(pieces.len(), 1);
        let clean = |p: &RecutParams| {
            splits(p, &plane, &seg, &pieces[0], MAX_SPLITS)
                .iter()
                .any(|s| s.ink < 0.5 && s.left.bbox == [2, 0, 23, 25] && s.right.bbox[0] == 12)
        };
        assert!(clean(&RecutParams::default()));
        let no_drops = RecutParams {
            drops: Vec::new(),
            ..RecutParams::default()
        };
        assert!(!clean(&no_drops));
    }

    #[test]
    fn a_fine_path_finds_the_gap_and_pays_for_straying() {
        // 9 x 4 ink, full but for column 6, which is empty.
        let (w, h) = (9, 4);
        let v: Vec<f32> = (0..w * h)
            .map(|i| if i % w == 6 { 0.0 } else { 1.0 })
            .collect();
        let (ink, route) = fine_path(&v, w, h, 4, 2, 0.0);
        assert_eq!((ink, route), (0.0, vec![6; 4]));
        // Too far for a drift of 1: the path crosses ink on every row.
        let (ink, _) = fine_path(&v, w, h, 4, 1, 0.0);
        assert_eq!(ink, 4.0);
        // A stray cost of 0.6 a column a row: two columns away costs 1.2 > 1 a row.
        let (_, route) = fine_path(&v, w, h, 4, 2, 0.6);
        assert!(route.iter().all(|&x| x != 6), "{route:?}");
    }
}
