//! The connected-components baseline: every group of components (specks dropped,
//! components that overlap by more than half the narrower one's width merged, as a broken
//! stroke is: [`super::segment::Segments::group`]) is one digit. Touching digits become one wrong digit; this is what segmentation has to
//! beat.

use super::ink::InkPlane;
use super::search;
use super::segment;
use super::{Reading, assemble, refusal};
use crate::api::{Model, Prediction};

/// Reads `plane` by connected components only.
pub fn read(model: &Model, plane: &InkPlane) -> Reading {
    if plane.is_blank() {
        return Reading::empty(plane, true, None);
    }
    let seg = match segment::segment(plane, false) {
        Ok(s) => s,
        Err(r) => return Reading::empty(plane, false, Some(refusal(&r))),
    };
    // Without cuts every segment is a component; a group is one digit.
    let mut groups: Vec<(usize, usize, [usize; 4])> = Vec::new();
    for (i, b) in seg.boxes.iter().enumerate() {
        match groups.last_mut() {
            Some(g) if seg.group[g.0] == seg.group[i] => {
                g.1 = i + 1;
                g.2 = [
                    g.2[0].min(b[0]),
                    g.2[1].min(b[1]),
                    g.2[2].max(b[2]),
                    g.2[3].max(b[3]),
                ];
            }
            _ => groups.push((i, i + 1, *b)),
        }
    }
    let imgs: Vec<[u8; 784]> = groups
        .iter()
        .map(|&(f, t, b)| search::crop(plane, &seg, f, t, b, 0.0))
        .collect();
    let preds: Vec<Prediction> = model.forward_batch_28x28(&imgs);
    let chosen: Vec<([usize; 4], &Prediction)> =
        groups.iter().zip(&preds).map(|(g, p)| (g.2, p)).collect();
    let total: f32 = preds
        .iter()
        .map(|p| search::network_cost(model.arch(), p))
        .sum();
    let mut r = assemble(plane, &chosen);
    if !r.text.is_empty() {
        r.confidence = (-total / search::temperature(model.arch())).exp();
    }
    r
}
