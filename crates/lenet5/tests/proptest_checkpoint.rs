//! Corruption detection of checkpoints: a changed byte anywhere (every byte of the
//! header, a dense sweep of the tensor data, and random positions and values) is
//! reported as corruption naming the file, never loaded silently; a checkpoint of the
//! wrong architecture or with a wrongly shaped, missing or unknown tensor is refused
//! with a message naming the tensor, even when its checksum is right.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use lenet5::model::{Arch, Network};
use lenet5::train::{Checkpoint, TrainConfig, checkpoint};
use proptest::prelude::*;
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

const NAME: &str = "model-under-test.safetensors";

fn sample(arch: Arch) -> Checkpoint {
    let net = Network::new(arch, 3);
    let mut c = Checkpoint::from_network(&net);
    c.epoch = 2;
    c.config = Some(TrainConfig::defaults(arch));
    c
}

/// Must be refused as a bad checkpoint, in one line naming the file, saying "corrupt".
fn assert_corrupt(bytes: &[u8], what: &str) {
    match checkpoint::from_bytes(bytes, Path::new(NAME)) {
        Ok(_) => panic!("{what}: loaded although a byte changed"),
        Err(e) => {
            let e = e.to_string();
            assert!(
                e.starts_with(&format!("{NAME}: bad checkpoint: ")),
                "{what}: {e}"
            );
            assert!(
                e.contains("corrupt"),
                "{what}: not reported as corruption: {e}"
            );
            assert!(!e.contains('\n'), "{what}: {e}");
        }
    }
}

fn header_len(bytes: &[u8]) -> usize {
    8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize
}

#[test]
fn every_header_byte_and_a_dense_sweep_of_the_data_are_checked() {
    for arch in [Arch::Modern, Arch::Classic] {
        let good = checkpoint::to_bytes(&sample(arch));
        assert!(checkpoint::from_bytes(&good, Path::new(NAME)).is_ok());
        let hl = header_len(&good);
        let masks = [0x01u8, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff, 0x5a];
        // Every byte of the length prefix and the JSON header (padding included).
        for pos in 0..hl {
            let mut b = good.clone();
            b[pos] ^= masks[pos % masks.len()];
            assert_corrupt(&b, &format!("{arch}: header byte {pos} flipped"));
            // Padding replaced by other whitespace, which a JSON parser would skip.
            if good[pos] == b' ' {
                for ws in [b'\n', b'\t', b'\r'] {
                    let mut b = good.clone();
                    b[pos] = ws;
                    assert_corrupt(&b, &format!("{arch}: header space {pos} -> {ws:#x}"));
                }
            }
        }
        // The tensor data: every 61st byte (every tensor, every byte lane), and the last.
        let step = if cfg!(debug_assertions) { 509 } else { 61 };
        for pos in (hl..good.len()).step_by(step).chain([good.len() - 1]) {
            let mut b = good.clone();
            b[pos] ^= masks[pos % masks.len()];
            assert_corrupt(&b, &format!("{arch}: data byte {pos} flipped"));
        }
        // Cut anywhere, or extended.
        for len in [0, 7, 8, hl - 1, hl, hl + 1, good.len() / 2, good.len() - 1] {
            assert_corrupt(&good[..len], &format!("{arch}: cut to {len} bytes"));
        }
        let mut longer = good.clone();
        longer.push(0);
        assert_corrupt(&longer, &format!("{arch}: one byte appended"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_changed_byte_is_reported(pos in any::<prop::sample::Index>(), x in 1u8..=255, classic in any::<bool>()) {
        let arch = if classic { Arch::Classic } else { Arch::Modern };
        let mut b = checkpoint::to_bytes(&sample(arch));
        let i = pos.index(b.len());
        b[i] ^= x;
        assert_corrupt(&b, &format!("{arch}: byte {i} ^= {x:#x}"));
    }
}

// ---- Forged files with a correct checksum: what the checksum cannot catch. ----------

type Tensors = BTreeMap<String, (Vec<usize>, Vec<u8>)>;

fn open(bytes: &[u8]) -> (Tensors, HashMap<String, String>) {
    let st = SafeTensors::deserialize(bytes).unwrap();
    let (_, md) = SafeTensors::read_metadata(bytes).unwrap();
    let mut t = Tensors::new();
    for n in st.names() {
        let v = st.tensor(n).unwrap();
        t.insert(n.to_string(), (v.shape().to_vec(), v.data().to_vec()));
    }
    (t, md.metadata().clone().unwrap())
}

fn forge(t: &Tensors, mut meta: HashMap<String, String>) -> Vec<u8> {
    meta.insert("sha256".into(), checkpoint::checksum_of(t, &meta));
    let views: Vec<(String, TensorView)> = t
        .iter()
        .map(|(n, (s, d))| {
            (
                n.clone(),
                TensorView::new(Dtype::F32, s.clone(), d).unwrap(),
            )
        })
        .collect();
    safetensors::serialize(views, Some(meta)).unwrap()
}

fn refused(bytes: &[u8], tensor: &str, what: &str) -> String {
    let e = checkpoint::from_bytes(bytes, Path::new(NAME))
        .map(|_| ())
        .expect_err(what)
        .to_string();
    assert!(
        e.starts_with(&format!("{NAME}: bad checkpoint: ")),
        "{what}: {e}"
    );
    assert!(
        e.contains(&format!("`{tensor}`")),
        "{what}: does not name `{tensor}`: {e}"
    );
    assert!(!e.contains('\n'), "{what}: {e}");
    e
}

#[test]
fn the_forger_matches_the_real_checksum() {
    let good = checkpoint::to_bytes(&sample(Arch::Modern));
    let (t, meta) = open(&good);
    assert_eq!(checkpoint::checksum_of(&t, &meta), meta["sha256"]);
    assert!(checkpoint::from_bytes(&forge(&t, meta), Path::new(NAME)).is_ok());
}

#[test]
fn wrong_architecture_is_refused_naming_the_tensor() {
    for (from, to, tensor) in [
        (Arch::Modern, "classic", "c1.weight"),
        (Arch::Classic, "modern", "conv1.weight"),
    ] {
        let (t, mut meta) = open(&checkpoint::to_bytes(&sample(from)));
        meta.insert("arch".into(), to.into());
        meta.remove("config");
        let e = refused(&forge(&t, meta), tensor, &format!("{from} relabelled {to}"));
        assert!(e.contains("missing"), "{e}");
    }
}

#[test]
fn wrong_shape_missing_or_unknown_tensor_is_refused_naming_it() {
    let (t, meta) = open(&checkpoint::to_bytes(&sample(Arch::Classic)));
    // Same bytes, another shape.
    let mut t2 = t.clone();
    t2.get_mut("c1.weight").unwrap().0 = vec![6, 25];
    let e = refused(&forge(&t2, meta.clone()), "c1.weight", "reshaped c1.weight");
    assert!(e.contains("[6, 25]") && e.contains("[6, 1, 5, 5]"), "{e}");
    // A layer of the other size (F6 with 80 units).
    let mut t2 = t.clone();
    t2.insert("f6.weight".into(), (vec![80, 120], vec![0; 80 * 120 * 4]));
    refused(&forge(&t2, meta.clone()), "f6.weight", "f6 with 80 units");
    // A tensor missing.
    let mut t2 = t.clone();
    t2.remove("c3.bias");
    let e = refused(&forge(&t2, meta.clone()), "c3.bias", "no c3.bias");
    assert!(e.contains("missing"), "{e}");
    // A tensor no LeNet-5 has.
    let mut t2 = t.clone();
    t2.insert("c7.weight".into(), (vec![2], vec![0; 8]));
    refused(&forge(&t2, meta.clone()), "c7.weight", "extra c7.weight");
    // Optimiser state of the wrong shape.
    let mut t2 = t.clone();
    t2.insert("optim.velocity.c1.bias".into(), (vec![7], vec![0; 28]));
    refused(
        &forge(&t2, meta.clone()),
        "optim.velocity.c1.bias",
        "bad optimiser tensor",
    );
    // Weights on connections the C3 table does not have.
    let mut t2 = t.clone();
    let w = &mut t2.get_mut("c3.weight").unwrap().1;
    // C3 map 0 is not connected to S2 map 3: weight [0, 3, 0, 0].
    let i = 3 * 25 * 4;
    w[i..i + 4].copy_from_slice(&0.5f32.to_le_bytes());
    refused(
        &forge(&t2, meta.clone()),
        "c3.weight",
        "weight outside the C3 table",
    );
    // A non-finite weight.
    let mut t2 = t;
    t2.get_mut("f6.bias").unwrap().1[..4].copy_from_slice(&f32::NAN.to_le_bytes());
    refused(&forge(&t2, meta), "f6.bias", "NaN weight");
}
