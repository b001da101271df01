//! The segmentation graph and its best path.
//!
//! Nodes are the boundaries between consecutive segments (0 to n); an arc from `i` to
//! `j` is the piece made of segments `i..j` (at most [`MAX_SEGMENTS_PER_DIGIT`] of them,
//! no wider than [`MAX_PIECE_WIDTH`] line heights, no gap wider than [`MAX_INNER_GAP`]
//! inside). Every piece is normalised like a single digit, the network scores it, and
//! the arc's cost is [`piece_cost`]. The reading is the cheapest path from 0 to n
//! (Viterbi: the graph is ordered, so one pass left to right).

use super::ink::InkPlane;
use super::normalise::to_28x28;
use super::segment::Segments;
use crate::api::{Model, Prediction};
use crate::model::Arch;

/// Most segments one digit may be made of.
pub const MAX_SEGMENTS_PER_DIGIT: usize = 12;
/// Widest piece, in line heights.
pub const MAX_PIECE_WIDTH: f32 = 1.5;
/// A piece is scaled as if its longer side were at least this many line heights, so a
/// fragment keeps its small size in the 28x28 the network sees.
pub const MIN_SIDE: f32 = 0.75;
/// Widest gap between the segments of one piece, in line heights.
pub const MAX_INNER_GAP: f32 = 0.3;

/// One arc of the graph: segments `from..to`, its box in plane pixels and the network's
/// answer for it.
#[derive(Clone, Debug)]
pub struct Piece {
    /// First segment.
    pub from: usize,
    /// One past the last segment.
    pub to: usize,
    /// `[x0, y0, x1, y1)` in plane pixels.
    pub bbox: [usize; 4],
    /// What the network sees.
    pub pixels: [u8; 784],
}

/// Every arc of the graph over `seg`.
pub fn pieces(plane: &InkPlane, seg: &Segments) -> Vec<Piece> {
    let n = seg.boxes.len();
    let line = seg.line_height;
    let mut arcs = Vec::new(); // (from, to, box)
    for from in 0..n {
        let mut b = seg.boxes[from];
        for to in from + 1..=(from + MAX_SEGMENTS_PER_DIGIT).min(n) {
            if to > from + 1 {
                if seg.group[to - 1] != seg.group[from] {
                    break;
                }
                let s = seg.boxes[to - 1];
                let gap = s[0].saturating_sub(b[2]);
                b = [
                    b[0].min(s[0]),
                    b[1].min(s[1]),
                    b[2].max(s[2]),
                    b[3].max(s[3]),
                ];
                if gap as f32 > MAX_INNER_GAP * line
                    || (b[2] - b[0]) as f32 > MAX_PIECE_WIDTH * line
                {
                    break;
                }
            }
            arcs.push((from, to, b));
        }
    }
    // Normalising the pieces is most of the first pass's work: spread over the threads.
    crate::parallel::map(&arcs, |&(from, to, bbox)| Piece {
        from,
        to,
        bbox,
        pixels: crop(plane, seg, from, to, bbox, MIN_SIDE * line),
    })
}

/// The pixels of segments `from..to` inside box `b`, normalised to 28x28 (see
/// [`to_28x28`] for `min_side`).
pub fn crop(
    plane: &InkPlane,
    seg: &Segments,
    from: usize,
    to: usize,
    b: [usize; 4],
    min_side: f32,
) -> [u8; 784] {
    let v = segments_ink(plane, seg, from, to, b);
    to_28x28(b[2] - b[0], b[3] - b[1], &v, min_side)
}

/// The ink of segments `from..to` inside box `b = [x0, y0, x1, y1)` (row-major, 0
/// elsewhere).
pub fn segments_ink(
    plane: &InkPlane,
    seg: &Segments,
    from: usize,
    to: usize,
    b: [usize; 4],
) -> Vec<f32> {
    let [x0, y0, x1, y1] = b;
    let w = x1 - x0;
    let mut v = vec![0f32; w * (y1 - y0)];
    let (from, to) = (from as u32, to as u32);
    for (y, out) in (y0..y1).zip(v.chunks_exact_mut(w)) {
        let at = y * plane.w + x0..y * plane.w + x1;
        for (o, (&l, &a)) in out
            .iter_mut()
            .zip(seg.label[at.clone()].iter().zip(&plane.v[at]))
        {
            *o = if l >= from && l < to { a } else { 0.0 };
        }
    }
    v
}

/// String confidence = `exp(-sum of network costs / temperature)`: for the modern
/// network (cost = −ln p) the product of the digits' probabilities; for the classic one
/// the RBF distances of the whole path. Measured on 200 synthetic training strings per
/// tier: the classic network's probabilities are ≈ 1.00 for garbage and digits alike, so
/// their product cannot reject (98.5 % had to be rejected for 0.5 % error on separated
/// strings), the summed distances can (16 %).
pub fn temperature(arch: Arch) -> f32 {
    match arch {
        Arch::Classic => 20.0,
        Arch::Modern => 1.0,
    }
}

/// A string's confidence in `0..=1` from its path's summed network costs and, for a
/// network that knows bad cuts ([`Model::knows_bad_cuts`]), the margin to the cheapest
/// other text ([`rival_margin`]; `None`: not weighed, or there is none):
/// `exp(−Σ/T) · (1 − exp(−margin/T))` with `T =` [`temperature`].
///
/// Measured on 1,000 strings of MNIST *training* digits per tier: with the bundled
/// reader, the touching strings to reject for 0.5 % error fell from 37.6 % to 33.2 %
/// (separated 10.8 → 8.8 %). With networks trained on whole digits only, a badly cut
/// rival often costs little: the classic network's separated strings went from 58.0 %
/// to 63.5 %, the modern one's (on the test benchmark) from 18 % to 80 %; they are
/// not weighed.
pub fn string_confidence(arch: Arch, network_total: f32, margin: Option<f32>) -> f32 {
    let t = temperature(arch);
    let own = (-network_total / t).exp();
    match margin {
        Some(m) => own * (1.0 - (-m.max(0.0) / t).exp()),
        None => own,
    }
}

/// Weights of [`piece_cost`] for one architecture.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostWeights {
    /// Per unit of the network's "not this digit" measure.
    pub network: f32,
    /// Added for every piece (negative: favours more, smaller pieces).
    pub per_piece: f32,
    /// Per squared line height of width beyond one line height.
    pub too_wide: f32,
    /// Per unit of ink crossed by the cut that ends a piece.
    pub cut_ink: f32,
    /// Per cut path through a component that ends a piece.
    pub per_cut: f32,
}

impl CostWeights {
    /// The weights used for `arch`.
    pub fn for_arch(arch: Arch) -> CostWeights {
        match arch {
            Arch::Classic => CostWeights {
                network: 1.0,
                per_piece: 0.0,
                too_wide: 50.0,
                cut_ink: 1.0,
                per_cut: 0.0,
            },
            Arch::Modern => CostWeights {
                network: 1.0,
                per_piece: 0.0,
                too_wide: 5.0,
                cut_ink: 0.1,
                per_cut: 0.0,
            },
        }
    }
}

/// The network's measure of how little a piece looks like its best digit: the RBF
/// distance (classic: large for anything far from every prototype) or minus the log
/// probability (modern).
pub fn network_cost(arch: Arch, p: &Prediction) -> f32 {
    network_cost_as(arch, p, p.digit)
}

/// [`network_cost`] of reading the piece as `digit`.
pub fn network_cost_as(arch: Arch, p: &Prediction, digit: u8) -> f32 {
    match arch {
        Arch::Classic => p.outputs[digit as usize],
        Arch::Modern => -p.scores[digit as usize].max(1e-12).ln(),
    }
}

/// The second most likely digit of a piece: the other reading [`rival_margin`] tries.
pub fn runner_up(p: &Prediction) -> u8 {
    p.top(2)[1].0
}

/// Cost of reading `piece` as `digit` (including the cut at its right end); the graph
/// reads every piece as its best digit, [`rival_margin`] also as its runner-up.
pub fn piece_cost(
    arch: Arch,
    w: &CostWeights,
    piece: &Piece,
    p: &Prediction,
    digit: u8,
    seg: &Segments,
) -> f32 {
    let width = (piece.bbox[2] - piece.bbox[0]) as f32 / seg.line_height;
    let wide = (width - 1.0).max(0.0);
    w.network * network_cost_as(arch, p, digit)
        + w.per_piece
        + w.too_wide * wide * wide
        + w.cut_ink * seg.cut_ink[piece.to]
        + w.per_cut * seg.cuts[piece.to] as f32
}

/// The cheapest path from segment 0 to the last through the arcs (`costs[k]` for
/// `pieces[k]`): the indices of its pieces, left to right. `None` when no path exists.
pub fn best_path(n: usize, pieces: &[Piece], costs: &[f32]) -> Option<Vec<usize>> {
    let mut best = vec![f32::INFINITY; n + 1];
    let mut via = vec![usize::MAX; n + 1];
    best[0] = 0.0;
    // Pieces are listed by `from`, so every arc into a node is relaxed before it is left.
    for k in in_graph_order(pieces) {
        let (f, t) = (pieces[k].from, pieces[k].to);
        let c = best[f] + costs[k];
        if c < best[t] {
            best[t] = c;
            via[t] = k;
        }
    }
    if !best[n].is_finite() {
        return None;
    }
    let mut path = Vec::new();
    let mut node = n;
    while node > 0 {
        let k = via[node];
        path.push(k);
        node = pieces[k].from;
    }
    path.reverse();
    Some(path)
}

/// How much more the cheapest path spelling another text costs than the best path
/// (`None`: no other text can be read). Every arc may be read as its best digit
/// (`costs[k]`, `digits[k].0`) or as its runner-up (`rival_costs[k]`, `digits[k].1`):
/// a confident string has no cheap rival, whether another cut or another digit. Up to
/// [`RIVALS`] distinct texts are kept per node (a k-best Viterbi).
pub fn rival_margin(
    n: usize,
    pieces: &[Piece],
    costs: &[f32],
    rival_costs: &[f32],
    digits: &[(u8, u8)],
) -> Option<f32> {
    // For each node, the cheapest paths into it with distinct texts, cheapest first.
    let mut at: Vec<Vec<(f32, Vec<u8>)>> = vec![Vec::new(); n + 1];
    at[0].push((0.0, Vec::new()));
    for k in in_graph_order(pieces) {
        let (from, to) = (pieces[k].from, pieces[k].to);
        let incoming = at[from].clone();
        for (c0, text) in incoming {
            for (cost, d) in [(costs[k], digits[k].0), (rival_costs[k], digits[k].1)] {
                let mut t = text.clone();
                t.push(d);
                let c = c0 + cost;
                let list = &mut at[to];
                match list.iter_mut().find(|(_, x)| *x == t) {
                    Some(e) => e.0 = e.0.min(c),
                    None => list.push((c, t)),
                }
                list.sort_by(|a, b| a.0.total_cmp(&b.0));
                list.truncate(RIVALS);
            }
        }
    }
    let end = &at[n];
    (end.len() >= 2).then(|| end[1].0 - end[0].0)
}

/// Distinct texts kept per node by [`rival_margin`].
pub const RIVALS: usize = 4;

/// The arcs' indices ordered by `(from, to)`: every arc into a node comes before any arc
/// out of it, so one pass relaxes the graph (Viterbi, [`rival_margin`]).
pub fn in_graph_order(pieces: &[Piece]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..pieces.len()).collect();
    order.sort_by_key(|&k| (pieces[k].from, pieces[k].to));
    order
}

/// Runs the network on every piece (batched).
pub fn score(model: &Model, pieces: &[Piece]) -> Vec<Prediction> {
    let imgs: Vec<[u8; 784]> = pieces.iter().map(|p| p.pixels).collect();
    model.forward_batch_28x28(&imgs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arc(from: usize, to: usize) -> Piece {
        Piece {
            from,
            to,
            bbox: [0, 0, 1, 1],
            pixels: [0; 784],
        }
    }

    #[test]
    fn the_best_path_and_its_cheapest_rival_text() {
        // Two segments: read "14" (0.1 + 0.2), or "19" with the second piece's runner-up
        // (0.1 + 0.5), or the two segments as one "8" (3.0).
        let pieces = [arc(0, 1), arc(1, 2), arc(0, 2)];
        let costs = [0.1, 0.2, 3.0];
        let rival = [2.0, 0.5, 4.0];
        let digits = [(1, 7), (4, 9), (8, 3)];
        assert_eq!(best_path(2, &pieces, &costs), Some(vec![0, 1]));
        let m = rival_margin(2, &pieces, &costs, &rival, &digits).unwrap();
        assert!((m - 0.3).abs() < 1e-6, "{m}");
        // Without the runner-up readings the rival is the "8": 3.0 − 0.3.
        let m = rival_margin(2, &pieces, &costs, &costs, &[(1, 1), (4, 4), (8, 8)]).unwrap();
        assert!((m - 2.7).abs() < 1e-6, "{m}");
        // One arc, read the same either way: no other text.
        assert_eq!(
            rival_margin(1, &[arc(0, 1)], &[0.1], &[0.1], &[(5, 5)]),
            None
        );
    }

    #[test]
    fn string_confidence_weighs_the_rival_margin() {
        let own = (-0.5f32).exp();
        let c = string_confidence(Arch::Modern, 0.5, Some(0.5));
        assert!((c - own * (1.0 - (-0.5f32).exp())).abs() < 1e-6);
        assert_eq!(string_confidence(Arch::Modern, 0.5, None), own);
        // A rival as cheap as the best leaves nothing.
        assert_eq!(string_confidence(Arch::Modern, 0.5, Some(0.0)), 0.0);
        // The classic network's distances are scaled by its temperature, 20.
        let c = string_confidence(Arch::Classic, 10.0, Some(20.0));
        assert!((c - (-0.5f32).exp() * (1.0 - (-1.0f32).exp())).abs() < 1e-6);
    }
}
