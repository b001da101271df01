//! The ONNX export parses back as a well-formed ModelProto: our own protobuf decoder reads
//! the model, graph, nodes and initializers; every node input is defined before use; the
//! weights are the network's, bit for bit. (Numerical parity with onnxruntime is checked
//! by .ci/onnx-check.sh, which needs Python.)

use std::collections::{HashMap, HashSet};

use lenet5::export::onnx::{self, INPUT, IR_VERSION, OPSET, OUTPUTS};
use lenet5::export::proto::{Field, parse};
use lenet5::model::{Arch, Network};

fn fields(b: &[u8]) -> Vec<Field<'_>> {
    parse(b).expect("well-formed protobuf")
}

fn get<'a>(fs: &[Field<'a>], n: u32) -> Vec<lenet5::export::proto::Value<'a>> {
    fs.iter()
        .filter(|f| f.number == n)
        .map(|f| f.value)
        .collect()
}

fn string(fs: &[Field<'_>], n: u32) -> String {
    get(fs, n)
        .first()
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

struct Node {
    op: String,
    inputs: Vec<String>,
    outputs: Vec<String>,
    attrs: HashMap<String, Vec<i64>>,
}

struct Tensor {
    dims: Vec<i64>,
    dtype: i64,
    raw: Vec<u8>,
}

struct Parsed {
    ir: i64,
    opset: i64,
    nodes: Vec<Node>,
    inits: HashMap<String, Tensor>,
    inputs: Vec<String>,
    outputs: Vec<String>,
    metadata: HashMap<String, String>,
}

fn decode(bytes: &[u8]) -> Parsed {
    let model = fields(bytes);
    let ir = get(&model, 1)[0].as_i64().unwrap();
    let opset_msg = fields(get(&model, 8)[0].as_bytes().unwrap());
    assert_eq!(string(&opset_msg, 1), "", "default domain");
    let opset = get(&opset_msg, 2)[0].as_i64().unwrap();
    let metadata = get(&model, 14)
        .iter()
        .map(|v| {
            let e = fields(v.as_bytes().unwrap());
            (string(&e, 1), string(&e, 2))
        })
        .collect();
    let graphs = get(&model, 7);
    assert_eq!(graphs.len(), 1);
    let graph = fields(graphs[0].as_bytes().unwrap());
    let nodes = get(&graph, 1)
        .iter()
        .map(|v| {
            let n = fields(v.as_bytes().unwrap());
            let strs = |k| {
                get(&n, k)
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            };
            let attrs = get(&n, 5)
                .iter()
                .map(|a| {
                    let a = fields(a.as_bytes().unwrap());
                    let ints: Vec<i64> = get(&a, 3)
                        .iter()
                        .chain(get(&a, 8).iter())
                        .map(|v| v.as_i64().unwrap())
                        .collect();
                    assert!(!get(&a, 20).is_empty(), "attribute type is set");
                    (string(&a, 1), ints)
                })
                .collect();
            Node {
                op: string(&n, 4),
                inputs: strs(1),
                outputs: strs(2),
                attrs,
            }
        })
        .collect();
    let inits = get(&graph, 5)
        .iter()
        .map(|v| {
            let t = fields(v.as_bytes().unwrap());
            (
                string(&t, 8),
                Tensor {
                    dims: get(&t, 1).iter().map(|v| v.as_i64().unwrap()).collect(),
                    dtype: get(&t, 2)[0].as_i64().unwrap(),
                    raw: get(&t, 9)[0].as_bytes().unwrap().to_vec(),
                },
            )
        })
        .collect();
    let names = |k| {
        get(&graph, k)
            .iter()
            .map(|v| string(&fields(v.as_bytes().unwrap()), 1))
            .collect()
    };
    Parsed {
        ir,
        opset,
        nodes,
        inits,
        inputs: names(11),
        outputs: names(12),
        metadata,
    }
}

fn floats(raw: &[u8]) -> Vec<f32> {
    raw.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[test]
fn exported_models_parse_back_with_the_networks_weights() {
    for arch in [Arch::Classic, Arch::Modern] {
        let net = Network::new(arch, 7);
        let bytes = onnx::export(&net, "test.safetensors");
        let p = decode(&bytes);
        assert_eq!((p.ir, p.opset), (IR_VERSION, OPSET));
        assert_eq!(p.metadata["arch"], arch.name());
        assert_eq!(p.metadata["source"], "test.safetensors");
        assert_eq!(p.inputs, [INPUT]);
        assert_eq!(p.outputs, OUTPUTS);

        // Topological order: every input is the graph input, an initializer or an earlier output.
        let mut defined: HashSet<String> = p.inits.keys().cloned().collect();
        defined.insert(INPUT.to_string());
        for n in &p.nodes {
            for i in &n.inputs {
                assert!(defined.contains(i), "{arch}: {} reads undefined {i}", n.op);
            }
            for o in &n.outputs {
                assert!(defined.insert(o.clone()), "{arch}: {o} defined twice");
            }
        }
        for o in OUTPUTS {
            assert!(defined.contains(o), "{arch}: output {o} never computed");
        }

        // Every parameter tensor is an initializer with the checkpoint's name, shape and bits
        // (S2/S4 coefficients become 2x2 depthwise kernels).
        for t in &arch.layout().tensors {
            let want = &net.params[t.range()];
            if let Some(layer) = t
                .name
                .strip_suffix(".weight")
                .filter(|l| *l == "s2" || *l == "s4")
            {
                let k = &p.inits[&format!("{layer}.kernel")];
                assert_eq!(k.dims, [want.len() as i64, 1, 2, 2]);
                let got = floats(&k.raw);
                for (c, &coef) in want.iter().enumerate() {
                    assert_eq!(got[c * 4..c * 4 + 4], [coef; 4], "{layer} map {c}");
                }
                continue;
            }
            let init = p
                .inits
                .get(t.name)
                .unwrap_or_else(|| panic!("{arch}: no initializer {}", t.name));
            assert_eq!(init.dtype, onnx::dtype::FLOAT);
            let want_dims: Vec<i64> = t.shape.iter().map(|&d| d as i64).collect();
            // C5 is stored as a conv kernel [120,16,5,5] like the checkpoint.
            assert_eq!(init.dims, want_dims, "{arch}: {} shape", t.name);
            assert_eq!(floats(&init.raw), want, "{arch}: {} values", t.name);
        }

        let ops: Vec<&str> = p.nodes.iter().map(|n| n.op.as_str()).collect();
        let count = |op: &str| ops.iter().filter(|&&o| o == op).count();
        match arch {
            Arch::Classic => {
                assert_eq!(count("Conv"), 5, "C1, S2, C3, S4, C5");
                assert_eq!(count("Tanh"), 6, "C1..F6 squashed");
                assert_eq!(count("Gemm"), 1);
                assert_eq!(count("ReduceSum"), 1);
                assert_eq!(ops[0], "Pad");
                let groups: Vec<i64> = p
                    .nodes
                    .iter()
                    .filter_map(|n| n.attrs.get("group").map(|g| g[0]))
                    .collect();
                assert_eq!(groups, [6, 16], "S2 and S4 are depthwise");
                let c: Vec<f32> = floats(&p.inits["rbf.centers"].raw);
                assert_eq!(c, net.centres);
                assert!(ops.ends_with(&["ReduceSum", "Neg", "Softmax", "ArgMin"]));
            }
            Arch::Modern => {
                assert_eq!(count("Conv"), 2);
                assert_eq!(count("MaxPool"), 2);
                assert_eq!(count("Relu"), 4);
                assert_eq!(count("Gemm"), 3);
                let conv1 = p.nodes.iter().find(|n| n.op == "Conv").unwrap();
                assert_eq!(conv1.attrs["pads"], [2, 2, 2, 2]);
                assert!(ops.ends_with(&["Gemm", "Softmax", "ArgMax"]));
            }
        }
    }
}

#[test]
fn export_is_deterministic() {
    let net = Network::new(Arch::Classic, 3);
    assert_eq!(onnx::export(&net, "a"), onnx::export(&net, "a"));
}
