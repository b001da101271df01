//! Per-layer output shapes, trainable parameters and connections, computed from the
//! layer shapes and the C3 table (never typed in).

use super::Arch;
use super::classic::c3_connected;

/// One row of the summary.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    pub fixed: usize,
    /// Connections: for each output unit, its inputs plus its bias.
    pub connections: usize,
}

/// A 5x5 convolution whose map `o` reads `inputs(o)` input maps.
fn conv(
    name: &'static str,
    kind: &'static str,
    cout: usize,
    hw: usize,
    inputs: impl Fn(usize) -> usize,
) -> LayerSummary {
    let per_map = |o: usize| 25 * inputs(o) + 1;
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

/// The summary of `arch`, input to output.
pub fn summary(arch: Arch) -> Vec<LayerSummary> {
    match arch {
        Arch::Classic => vec![
            conv("C1", "conv 5x5, tanh", 6, 28, |_| 1),
            pool("S2", true, 6, 14),
            conv("C3", "conv 5x5 (table), tanh", 16, 10, |o| {
                (0..6).filter(|&i| c3_connected(i, o)).count()
            }),
            pool("S4", true, 16, 5),
            conv("C5", "conv 5x5 (full), tanh", 120, 1, |_| 16),
            full("F6", "full, tanh", 120, 84),
            LayerSummary {
                name: "OUTPUT",
                kind: "Euclidean RBF (fixed 7x12 bitmaps)",
                output: (10, 1, 1),
                params: 0,
                fixed: 10 * 84,
                connections: 10 * 84,
            },
        ],
        Arch::Modern => vec![
            conv("conv1", "conv 5x5 pad 2, ReLU", 6, 28, |_| 1),
            pool("pool1", false, 6, 14),
            conv("conv2", "conv 5x5, ReLU", 16, 10, |_| 6),
            pool("pool2", false, 16, 5),
            full("fc1", "full, ReLU", 400, 120),
            full("fc2", "full, ReLU", 120, 84),
            full("fc3", "full, softmax", 84, 10),
        ],
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
    let input = match arch {
        Arch::Classic => "1@32x32",
        Arch::Modern => "1@28x28",
    };
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
