//! ONNX export of both LeNet-5s, written with the minimal protobuf encoder of
//! [`super::proto`] (no ONNX or protobuf crate).
//!
//! # The exported graph
//!
//! Opset [`OPSET`] (ONNX IR version [`IR_VERSION`]), every tensor `float32` except `digit`.
//!
//! * **Input** `image`: `[N, 1, 28, 28]`, an MNIST-style image with values in `0..=1`
//!   (pixel / 255): **white ink (1) on black (0)**, digit size-normalised and centred as
//!   [`crate::data::image::preprocess`] does. `N` is free. The normalisation the network
//!   was trained with is *inside* the graph, so both architectures take the same input:
//!   * classic: `Pad` by 2 to 32x32 with 0, then `x·1.275 − 0.1` (background −0.1, ink
//!     1.175, as in the paper);
//!   * modern: `(x − 0.1307) / 0.3081`.
//! * **Outputs**
//!   * `outputs` `[N, 10]`: the raw outputs, RBF distances for classic (smaller = closer)
//!     or logits for modern — the same numbers as [`crate::Prediction::outputs`];
//!   * `scores` `[N, 10]`: class probabilities, `Softmax(−outputs)` (classic) or
//!     `Softmax(outputs)` (modern), as [`crate::Prediction::scores`];
//!   * `digit` `[N]` (`int64`): `ArgMin` (classic) / `ArgMax` (modern) of `outputs`.
//!
//! # How the layers map to ONNX operators
//!
//! Classic (the paper's network):
//!
//! | layer | ONNX |
//! |---|---|
//! | C1 | `Conv` 6@5x5, then the squashing `Mul(2/3)`, `Tanh`, `Mul(1.7159)` |
//! | S2, S4 | the 2x2 sum × coefficient + bias is exactly a depthwise `Conv` (`group` = maps, stride 2) whose 2x2 kernel is the coefficient repeated; then squash |
//! | C3 | a plain `Conv` 16@5x5 over all 6 maps with the stored weights, which are 0 where the connection table has no link (checked when the checkpoint is loaded) |
//! | C5 | `Conv` 120@5x5 (1x1 output), squash, `Flatten` |
//! | F6 | `Gemm` (transB), squash |
//! | RBF | `Reshape` to `[N,1,84]`, `Sub` the `[10,84]` centres, `Mul` by itself, `ReduceSum` over the 84 |
//!
//! Modern: `Conv`(pad 2), `Relu`, `MaxPool` 2x2, `Conv`, `Relu`, `MaxPool`, `Flatten`,
//! `Gemm`, `Relu`, `Gemm`, `Relu`, `Gemm`.
//!
//! Tensor names follow the checkpoint's (`c1.weight`, `fc1.bias`, ...); the S2/S4
//! kernels built from the coefficients are `s2.kernel` / `s4.kernel`.

use super::proto::Msg;
use crate::model::{Arch, Network, modern};
use crate::nn::act::{TANH_A, TANH_S};

/// The ONNX operator set the graph uses.
pub const OPSET: i64 = 13;
/// The ONNX IR version written (7 = the IR of opset 13's release, ONNX 1.8).
pub const IR_VERSION: i64 = 7;
/// Name of the graph input.
pub const INPUT: &str = "image";
/// Names of the graph outputs, in order.
pub const OUTPUTS: [&str; 3] = ["outputs", "scores", "digit"];

// onnx.proto field numbers.
mod f {
    pub const MODEL_IR_VERSION: u32 = 1;
    pub const MODEL_PRODUCER_NAME: u32 = 2;
    pub const MODEL_PRODUCER_VERSION: u32 = 3;
    pub const MODEL_DOMAIN: u32 = 4;
    pub const MODEL_MODEL_VERSION: u32 = 5;
    pub const MODEL_DOC: u32 = 6;
    pub const MODEL_GRAPH: u32 = 7;
    pub const MODEL_OPSET: u32 = 8;
    pub const MODEL_METADATA: u32 = 14;
    pub const OPSET_DOMAIN: u32 = 1;
    pub const OPSET_VERSION: u32 = 2;
    pub const ENTRY_KEY: u32 = 1;
    pub const ENTRY_VALUE: u32 = 2;
    pub const GRAPH_NODE: u32 = 1;
    pub const GRAPH_NAME: u32 = 2;
    pub const GRAPH_INITIALIZER: u32 = 5;
    pub const GRAPH_DOC: u32 = 10;
    pub const GRAPH_INPUT: u32 = 11;
    pub const GRAPH_OUTPUT: u32 = 12;
    pub const NODE_INPUT: u32 = 1;
    pub const NODE_OUTPUT: u32 = 2;
    pub const NODE_NAME: u32 = 3;
    pub const NODE_OP_TYPE: u32 = 4;
    pub const NODE_ATTRIBUTE: u32 = 5;
    pub const ATTR_NAME: u32 = 1;
    pub const ATTR_I: u32 = 3;
    pub const ATTR_INTS: u32 = 8;
    pub const ATTR_TYPE: u32 = 20;
    pub const TENSOR_DIMS: u32 = 1;
    pub const TENSOR_DATA_TYPE: u32 = 2;
    pub const TENSOR_NAME: u32 = 8;
    pub const TENSOR_RAW_DATA: u32 = 9;
    pub const VALUE_NAME: u32 = 1;
    pub const VALUE_TYPE: u32 = 2;
    pub const VALUE_DOC: u32 = 3;
    pub const TYPE_TENSOR: u32 = 1;
    pub const TYPE_TENSOR_ELEM: u32 = 1;
    pub const TYPE_TENSOR_SHAPE: u32 = 2;
    pub const SHAPE_DIM: u32 = 1;
    pub const DIM_VALUE: u32 = 1;
    pub const DIM_PARAM: u32 = 2;
}

/// TensorProto.DataType values.
pub mod dtype {
    pub const FLOAT: i64 = 1;
    pub const INT64: i64 = 7;
}

/// AttributeProto.AttributeType values.
pub mod attr_type {
    pub const INT: i64 = 2;
    pub const INTS: i64 = 7;
}

/// A node attribute.
enum Attr {
    Int(&'static str, i64),
    Ints(&'static str, Vec<i64>),
}

impl Attr {
    fn encode(&self) -> Msg {
        let mut m = Msg::new();
        match self {
            Attr::Int(n, v) => m
                .string(f::ATTR_NAME, n)
                .int(f::ATTR_I, *v)
                .int(f::ATTR_TYPE, attr_type::INT),
            Attr::Ints(n, v) => m
                .string(f::ATTR_NAME, n)
                .ints(f::ATTR_INTS, v)
                .int(f::ATTR_TYPE, attr_type::INTS),
        };
        m
    }
}

/// A graph under construction: nodes in topological order and initializers.
struct Graph {
    nodes: Vec<Msg>,
    initializers: Vec<Msg>,
}

fn dims_i64(dims: &[usize]) -> Vec<i64> {
    dims.iter().map(|&d| d as i64).collect()
}

impl Graph {
    fn new() -> Self {
        Graph {
            nodes: vec![],
            initializers: vec![],
        }
    }

    fn tensor(name: &str, dims: &[usize], data_type: i64, raw: Vec<u8>) -> Msg {
        let mut t = Msg::new();
        t.ints(f::TENSOR_DIMS, &dims_i64(dims))
            .int(f::TENSOR_DATA_TYPE, data_type)
            .string(f::TENSOR_NAME, name)
            .bytes(f::TENSOR_RAW_DATA, &raw);
        t
    }

    /// A float32 constant; returns its name.
    fn constant(&mut self, name: &str, dims: &[usize], data: &[f32]) -> String {
        assert_eq!(dims.iter().product::<usize>(), data.len(), "{name}: shape");
        let raw = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.initializers
            .push(Self::tensor(name, dims, dtype::FLOAT, raw));
        name.to_string()
    }

    /// A float32 scalar constant (rank 0).
    fn scalar(&mut self, name: &str, v: f32) -> String {
        self.constant(name, &[], &[v])
    }

    /// An int64 constant (shapes, axes, pads).
    fn constant_i64(&mut self, name: &str, data: &[i64]) -> String {
        let raw = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.initializers
            .push(Self::tensor(name, &[data.len()], dtype::INT64, raw));
        name.to_string()
    }

    /// Appends a node computing `output` with operator `op`; returns `output`.
    fn node(&mut self, op: &str, inputs: &[&str], output: &str, attrs: &[Attr]) -> String {
        let mut n = Msg::new();
        for i in inputs {
            n.string(f::NODE_INPUT, i);
        }
        n.string(f::NODE_OUTPUT, output)
            .string(f::NODE_NAME, &format!("{op}:{output}"))
            .string(f::NODE_OP_TYPE, op);
        for a in attrs {
            n.msg(f::NODE_ATTRIBUTE, &a.encode());
        }
        self.nodes.push(n);
        output.to_string()
    }

    /// The paper's squashing function A·tanh(S·x) as `Mul`, `Tanh`, `Mul`.
    fn squash(&mut self, x: &str, out: &str) -> String {
        let s = format!("{out}/S");
        let a = format!("{out}/A");
        self.scalar(&s, TANH_S);
        self.scalar(&a, TANH_A);
        let pre = self.node("Mul", &[x, &s], &format!("{out}/scaled"), &[]);
        let t = self.node("Tanh", &[&pre], &format!("{out}/tanh"), &[]);
        self.node("Mul", &[&t, &a], out, &[])
    }
}

fn value_info(name: &str, elem: i64, dims: &[Result<usize, &str>], doc: &str) -> Msg {
    let mut shape = Msg::new();
    for d in dims {
        let mut dim = Msg::new();
        match d {
            Ok(v) => dim.int(f::DIM_VALUE, *v as i64),
            Err(p) => dim.string(f::DIM_PARAM, p),
        };
        shape.msg(f::SHAPE_DIM, &dim);
    }
    let mut tensor = Msg::new();
    tensor
        .int(f::TYPE_TENSOR_ELEM, elem)
        .msg(f::TYPE_TENSOR_SHAPE, &shape);
    let mut ty = Msg::new();
    ty.msg(f::TYPE_TENSOR, &tensor);
    let mut v = Msg::new();
    v.string(f::VALUE_NAME, name)
        .msg(f::VALUE_TYPE, &ty)
        .string(f::VALUE_DOC, doc);
    v
}

/// The named parameter tensor of `net`.
fn param<'a>(net: &'a Network, name: &str) -> &'a [f32] {
    let layout = net.arch.layout();
    let t = layout
        .get(name)
        .unwrap_or_else(|| panic!("the {} layout has {name}", net.arch));
    &net.params[t.range()]
}

/// A `Conv` with weights and bias from the network.
fn conv(
    g: &mut Graph,
    net: &Network,
    x: &str,
    layer: &str,
    dims: [usize; 4],
    attrs: &[Attr],
    out: &str,
) -> String {
    let w = g.constant(
        &format!("{layer}.weight"),
        &dims,
        param(net, &format!("{layer}.weight")),
    );
    let b = g.constant(
        &format!("{layer}.bias"),
        &[dims[0]],
        param(net, &format!("{layer}.bias")),
    );
    g.node("Conv", &[x, &w, &b], out, attrs)
}

/// A `Gemm` `y = x·Wᵀ + b` with weights [dout, din] from the network.
fn gemm(
    g: &mut Graph,
    net: &Network,
    x: &str,
    layer: &str,
    dout: usize,
    din: usize,
    out: &str,
) -> String {
    let w = g.constant(
        &format!("{layer}.weight"),
        &[dout, din],
        param(net, &format!("{layer}.weight")),
    );
    let b = g.constant(
        &format!("{layer}.bias"),
        &[dout],
        param(net, &format!("{layer}.bias")),
    );
    g.node("Gemm", &[x, &w, &b], out, &[Attr::Int("transB", 1)])
}

/// The paper's trainable subsampling as a depthwise 2x2 stride-2 `Conv`.
fn subsample(g: &mut Graph, net: &Network, x: &str, layer: &str, maps: usize, out: &str) -> String {
    let coef = param(net, &format!("{layer}.weight"));
    let kernel: Vec<f32> = coef.iter().flat_map(|&c| [c; 4]).collect();
    let w = g.constant(&format!("{layer}.kernel"), &[maps, 1, 2, 2], &kernel);
    let b = g.constant(
        &format!("{layer}.bias"),
        &[maps],
        param(net, &format!("{layer}.bias")),
    );
    g.node(
        "Conv",
        &[x, &w, &b],
        out,
        &[
            Attr::Int("group", maps as i64),
            Attr::Ints("kernel_shape", vec![2, 2]),
            Attr::Ints("strides", vec![2, 2]),
        ],
    )
}

fn classic_graph(g: &mut Graph, net: &Network) {
    let k5 = || Attr::Ints("kernel_shape", vec![5, 5]);
    let pads = g.constant_i64("input/pads", &[0, 0, 2, 2, 0, 0, 2, 2]);
    let x = g.node("Pad", &[INPUT, &pads], "input/padded", &[]);
    let scale = g.scalar("input/scale", 1.275);
    let offset = g.scalar("input/offset", -0.1);
    let x = g.node("Mul", &[&x, &scale], "input/scaled", &[]);
    let x = g.node("Add", &[&x, &offset], "input/normalised", &[]);
    let x = conv(g, net, &x, "c1", [6, 1, 5, 5], &[k5()], "C1/conv");
    let x = g.squash(&x, "C1");
    let x = subsample(g, net, &x, "s2", 6, "S2/pool");
    let x = g.squash(&x, "S2");
    let x = conv(g, net, &x, "c3", [16, 6, 5, 5], &[k5()], "C3/conv");
    let x = g.squash(&x, "C3");
    let x = subsample(g, net, &x, "s4", 16, "S4/pool");
    let x = g.squash(&x, "S4");
    let x = conv(g, net, &x, "c5", [120, 16, 5, 5], &[k5()], "C5/conv");
    let x = g.squash(&x, "C5/maps");
    let x = g.node("Flatten", &[&x], "C5", &[Attr::Int("axis", 1)]);
    let x = gemm(g, net, &x, "f6", 84, 120, "F6/gemm");
    let x = g.squash(&x, "F6");
    let shape = g.constant_i64("rbf/shape", &[-1, 1, 84]);
    let x = g.node("Reshape", &[&x, &shape], "rbf/x", &[]);
    let centres = g.constant("rbf.centers", &[10, 84], &net.centres);
    let d = g.node("Sub", &[&x, &centres], "rbf/diff", &[]);
    let d2 = g.node("Mul", &[&d, &d], "rbf/diff2", &[]);
    let axes = g.constant_i64("rbf/axes", &[2]);
    let y = g.node(
        "ReduceSum",
        &[&d2, &axes],
        OUTPUTS[0],
        &[Attr::Int("keepdims", 0)],
    );
    let neg = g.node("Neg", &[&y], "rbf/negated", &[]);
    g.node("Softmax", &[&neg], OUTPUTS[1], &[Attr::Int("axis", 1)]);
    g.node(
        "ArgMin",
        &[&y],
        OUTPUTS[2],
        &[Attr::Int("axis", 1), Attr::Int("keepdims", 0)],
    );
}

fn modern_graph(g: &mut Graph, net: &Network) {
    let k5 = || Attr::Ints("kernel_shape", vec![5, 5]);
    let pool = || {
        [
            Attr::Ints("kernel_shape", vec![2, 2]),
            Attr::Ints("strides", vec![2, 2]),
        ]
    };
    let mean = g.scalar("input/mean", modern::MEAN);
    let std = g.scalar("input/std", modern::STD);
    let x = g.node("Sub", &[INPUT, &mean], "input/centred", &[]);
    let x = g.node("Div", &[&x, &std], "input/normalised", &[]);
    let x = conv(
        g,
        net,
        &x,
        "conv1",
        [6, 1, 5, 5],
        &[k5(), Attr::Ints("pads", vec![2, 2, 2, 2])],
        "conv1/conv",
    );
    let x = g.node("Relu", &[&x], "conv1", &[]);
    let x = g.node("MaxPool", &[&x], "pool1", &pool());
    let x = conv(g, net, &x, "conv2", [16, 6, 5, 5], &[k5()], "conv2/conv");
    let x = g.node("Relu", &[&x], "conv2", &[]);
    let x = g.node("MaxPool", &[&x], "pool2/maps", &pool());
    let x = g.node("Flatten", &[&x], "pool2", &[Attr::Int("axis", 1)]);
    let x = gemm(g, net, &x, "fc1", 120, 400, "fc1/gemm");
    let x = g.node("Relu", &[&x], "fc1", &[]);
    let x = gemm(g, net, &x, "fc2", 84, 120, "fc2/gemm");
    let x = g.node("Relu", &[&x], "fc2", &[]);
    let y = gemm(g, net, &x, "fc3", 10, 84, OUTPUTS[0]);
    g.node("Softmax", &[&y], OUTPUTS[1], &[Attr::Int("axis", 1)]);
    g.node(
        "ArgMax",
        &[&y],
        OUTPUTS[2],
        &[Attr::Int("axis", 1), Attr::Int("keepdims", 0)],
    );
}

/// What the exported graph's input and outputs mean, stored as its documentation.
pub fn describe(arch: Arch) -> String {
    let out = match arch {
        Arch::Classic => {
            "outputs [N,10]: RBF distances (smaller = closer); scores [N,10]: Softmax(-outputs); \
             digit [N] int64: ArgMin(outputs)"
        }
        Arch::Modern => {
            "outputs [N,10]: logits; scores [N,10]: Softmax(outputs); digit [N] int64: \
             ArgMax(outputs)"
        }
    };
    format!(
        "LeNet-5 ({arch}), exported by lenet5 {}. Input image [N,1,28,28] float32: \
         MNIST-style digit, white ink (1.0) on black (0.0), values pixel/255; the \
         normalisation is inside the graph. {out}.",
        env!("CARGO_PKG_VERSION")
    )
}

/// The ONNX model (a serialised `ModelProto`) computing `net`. See the module docs for the
/// graph's input, outputs and operators. `source` (e.g. the checkpoint's file name) is
/// recorded in the model's metadata.
pub fn export(net: &Network, source: &str) -> Vec<u8> {
    let mut g = Graph::new();
    match net.arch {
        Arch::Classic => classic_graph(&mut g, net),
        Arch::Modern => modern_graph(&mut g, net),
    }
    let n = || Err("N");
    let mut graph = Msg::new();
    for node in &g.nodes {
        graph.msg(f::GRAPH_NODE, node);
    }
    graph.string(f::GRAPH_NAME, &format!("lenet5_{}", net.arch));
    for t in &g.initializers {
        graph.msg(f::GRAPH_INITIALIZER, t);
    }
    graph.string(f::GRAPH_DOC, &describe(net.arch));
    graph.msg(
        f::GRAPH_INPUT,
        &value_info(
            INPUT,
            dtype::FLOAT,
            &[n(), Ok(1), Ok(28), Ok(28)],
            "MNIST-style 28x28 digit, white ink (1) on black (0), values in 0..1",
        ),
    );
    let raw_doc = match net.arch {
        Arch::Classic => "RBF distances to the 10 digit bitmaps (smaller = closer)",
        Arch::Modern => "logits",
    };
    graph.msg(
        f::GRAPH_OUTPUT,
        &value_info(OUTPUTS[0], dtype::FLOAT, &[n(), Ok(10)], raw_doc),
    );
    graph.msg(
        f::GRAPH_OUTPUT,
        &value_info(
            OUTPUTS[1],
            dtype::FLOAT,
            &[n(), Ok(10)],
            "class probabilities",
        ),
    );
    graph.msg(
        f::GRAPH_OUTPUT,
        &value_info(OUTPUTS[2], dtype::INT64, &[n()], "the predicted digit"),
    );

    let mut opset = Msg::new();
    opset
        .string(f::OPSET_DOMAIN, "")
        .int(f::OPSET_VERSION, OPSET);
    let mut model = Msg::new();
    model
        .int(f::MODEL_IR_VERSION, IR_VERSION)
        .string(f::MODEL_PRODUCER_NAME, "lenet5")
        .string(f::MODEL_PRODUCER_VERSION, env!("CARGO_PKG_VERSION"))
        .string(f::MODEL_DOMAIN, "lenet5")
        .int(f::MODEL_MODEL_VERSION, 1)
        .string(f::MODEL_DOC, &describe(net.arch))
        .msg(f::MODEL_GRAPH, &graph)
        .msg(f::MODEL_OPSET, &opset);
    for (k, v) in [
        ("arch", net.arch.name()),
        ("source", source),
        ("input", "image [N,1,28,28] float32, white ink 1 on black 0"),
    ] {
        let mut e = Msg::new();
        e.string(f::ENTRY_KEY, k).string(f::ENTRY_VALUE, v);
        model.msg(f::MODEL_METADATA, &e);
    }
    model.into_bytes()
}
