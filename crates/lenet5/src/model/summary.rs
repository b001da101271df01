//! Per-layer output shapes, trainable parameters and connections, computed from the
//! layer shapes and the C3 table (never typed in).

use serde::Serialize;

use super::Arch;

/// One row of the summary (as JSON, the layers of the server's `GET /api/model` and of
/// the WebAssembly engine's model description).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LayerSummary {
    /// Layer name as in the paper (C1, S2, ...) or PyTorch (conv1, ...).
    pub name: &'static str,
    /// What it does.
    pub kind: &'static str,
    /// Output shape (maps, height, width).
    pub output: (usize, usize, usize),
    /// Trainable parameters (fixed ones, like the RBF centres, in `fixed`).
    pub params: usize,
    /// Fixed (non-trainable) parameters.
    #[serde(rename = "fixed_params")]
    pub fixed: usize,
    /// Connections: for each output unit, its inputs plus its bias.
    pub connections: usize,
}

/// A `k`x`k` convolution with `cout` output maps of `hw`x`hw`, whose map `o` reads
/// `inputs(o)` input maps.
fn conv(
    name: &'static str,
    kind: &'static str,
    (cout, hw, k): (usize, usize, usize),
    inputs: impl Fn(usize) -> usize,
) -> LayerSummary {
    let per_map = |o: usize| k * k * inputs(o) + 1;
    LayerSummary {
        name,
        kind,
        output: (cout, hw, hw),
        params: (0..cout).map(per_map).sum(),
        fixed: 0,
        connections: (0..cout).map(|o| per_map(o) * hw * hw).sum(),
    }
}

/// 2x2 pooling: trainable subsampling (coefficient + bias per map) or max-pooling.
fn pool(name: &'static str, trainable: bool, c: usize, hw: usize) -> LayerSummary {
    LayerSummary {
        name,
        kind: if trainable {
            "2x2 sum · coef + bias, tanh"
        } else {
            "2x2 max-pool"
        },
        output: (c, hw, hw),
        params: if trainable { 2 * c } else { 0 },
        fixed: 0,
        connections: c * hw * hw * if trainable { 5 } else { 4 },
    }
}

fn full(name: &'static str, kind: &'static str, din: usize, dout: usize) -> LayerSummary {
    LayerSummary {
        name,
        kind,
        output: (dout, 1, 1),
        params: (din + 1) * dout,
        fixed: 0,
        connections: (din + 1) * dout,
    }
}

/// The summary of `arch`, input to output, from the layer definitions.
pub fn summary(arch: Arch) -> Vec<LayerSummary> {
    match arch {
        Arch::Classic => {
            use super::classic::*;
            vec![
                conv("C1", "conv 5x5, tanh", (C1.cout, C1.ho(), C1.k), |_| C1.cin),
                pool("S2", true, S2.maps, S2.out_side()),
                conv(
                    "C3",
                    "conv 5x5 (table), tanh",
                    (C3.cout, C3.ho(), C3.k),
                    |o| (0..C3.cin).filter(|&i| c3_connected(i, o)).count(),
                ),
                pool("S4", true, S4.maps, S4.out_side()),
                conv(
                    "C5",
                    "conv 5x5 (full), tanh",
                    (C5.outputs, 1, S4.out_side()),
                    |_| S4.maps,
                ),
                full("F6", "full, tanh", F6.inputs, F6.outputs),
                LayerSummary {
                    name: "OUTPUT",
                    kind: "Euclidean RBF (fixed 7x12 bitmaps)",
                    output: (CLASSES, 1, 1),
                    params: 0,
                    fixed: CLASSES * F6.outputs,
                    connections: CLASSES * F6.outputs,
                },
            ]
        }
        Arch::Modern => {
            use super::modern::*;
            vec![
                conv(
                    "conv1",
                    "conv 5x5 pad 2, ReLU",
                    (CONV1.cout, CONV1.ho(), CONV1.k),
                    |_| CONV1.cin,
                ),
                pool("pool1", false, POOL1.maps, POOL1.out_side()),
                conv(
                    "conv2",
                    "conv 5x5, ReLU",
                    (CONV2.cout, CONV2.ho(), CONV2.k),
                    |_| CONV2.cin,
                ),
                pool("pool2", false, POOL2.maps, POOL2.out_side()),
                full("fc1", "full, ReLU", FC1.inputs, FC1.outputs),
                full("fc2", "full, ReLU", FC2.inputs, FC2.outputs),
                full("fc3", "full, softmax", FC3.inputs, FC3.outputs),
            ]
        }
    }
}

/// Total trainable parameters of `arch`.
pub fn trainable_params(arch: Arch) -> usize {
    summary(arch).iter().map(|l| l.params).sum()
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The summary as a text table.
pub fn render(arch: Arch) -> String {
    let rows = summary(arch);
    let side = match arch {
        Arch::Classic => super::classic::INPUT_SIDE,
        Arch::Modern => super::modern::INPUT_SIDE,
    };
    let input = format!("1@{side}x{side}");
    let mut s = format!("LeNet-5 ({arch}), input {input}\n");
    s += &format!(
        "{:<7} {:<36} {:>10} {:>12} {:>12}\n",
        "layer", "kind", "output", "params", "connections"
    );
    for l in &rows {
        let p = if l.fixed > 0 {
            format!("{} fixed", thousands(l.fixed))
        } else {
            thousands(l.params)
        };
        let (c, h, w) = l.output;
        let out = if h == 1 {
            format!("{c}")
        } else {
            format!("{c}@{h}x{w}")
        };
        s += &format!(
            "{:<7} {:<36} {:>10} {:>12} {:>12}\n",
            l.name,
            l.kind,
            out,
            p,
            thousands(l.connections)
        );
    }
    let conns: usize = rows.iter().map(|l| l.connections).sum();
    s += &format!(
        "total trainable parameters: {}   connections: {}\n",
        thousands(trainable_params(arch)),
        thousands(conns)
    );
    s
}
