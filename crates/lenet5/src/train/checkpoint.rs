//! Checkpoints in the safetensors format.
//!
//! Tensors keep PyTorch's names and shapes (`c1.weight` `[6,1,5,5]`, ...; the classic
//! network also stores its fixed `rbf.centers` `[10,84]`), optimiser state is stored as
//! `optim.<buffer>.<tensor>`, and the metadata holds the architecture, the epoch, the
//! training configuration, the metrics history and a SHA-256 over every tensor and
//! every other metadata entry. Loading verifies all of it: a flipped byte, a
//! truncated file, a wrong shape or a different architecture is an error that names
//! the file and the tensor, never a silently wrong model.
//!
//! Files are written atomically: to a temporary file in the same folder, synced,
//! then renamed over the target, so a crash leaves either the old or the new file.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use safetensors::{Dtype, SafeTensors};
use sha2::{Digest, Sha256};

use super::metrics::EpochMetrics;
use super::presets::TrainConfig;
use crate::error::{Error, Result};
use crate::model::{Arch, Network};
use crate::nn::rbf;

/// Version of the checkpoint layout written by this crate.
pub const FORMAT_VERSION: &str = "1";
/// Largest file accepted as a checkpoint (a LeNet-5 with Adam state is ~750 KB).
pub const MAX_CHECKPOINT_BYTES: u64 = 64 << 20;

/// A saved network with what is needed to resume its training.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    pub arch: Arch,
    pub params: Vec<f32>,
    /// Epochs completed.
    pub epoch: usize,
    pub config: Option<TrainConfig>,
    /// Optimiser buffers by name (`velocity`, `m`, `v`), each laid out like `params`.
    pub optim: Vec<(String, Vec<f32>)>,
    /// Adam's step counter.
    pub adam_t: u64,
    pub metrics: Vec<EpochMetrics>,
}

impl Checkpoint {
    /// A checkpoint holding just a network's weights.
    pub fn from_network(net: &Network) -> Self {
        Checkpoint {
            arch: net.arch,
            params: net.params.clone(),
            epoch: 0,
            config: None,
            optim: vec![],
            adam_t: 0,
            metrics: vec![],
        }
    }
    /// The network it holds.
    pub fn network(&self) -> Network {
        Network::from_params(self.arch, self.params.clone())
    }
}

fn le_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The checksum a checkpoint carries in its `sha256` metadata entry: SHA-256 over the
/// tensors, **in name order** (name, NUL, each dimension as a little-endian u64, the
/// raw bytes), then the metadata sorted by key (key, NUL, value, NUL), leaving out
/// `sha256` itself. Public so that tools (the fuzz seeds, tests that forge files) can
/// write files the loader accepts.
pub fn checksum<'a>(
    tensors: impl IntoIterator<Item = (&'a str, &'a [usize], &'a [u8])>,
    meta: &HashMap<String, String>,
) -> String {
    let mut h = Sha256::new();
    for (name, shape, data) in tensors {
        h.update(name.as_bytes());
        h.update([0]);
        for d in shape {
            h.update((*d as u64).to_le_bytes());
        }
        h.update(data);
    }
    let sorted: BTreeMap<_, _> = meta
        .iter()
        .filter(|(k, _)| k.as_str() != "sha256")
        .collect();
    for (k, v) in sorted {
        h.update(k.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// [`checksum`] of a tensor map (name → (shape, raw bytes)), which iterates in name order.
pub fn checksum_of(
    tensors: &BTreeMap<String, (Vec<usize>, Vec<u8>)>,
    meta: &HashMap<String, String>,
) -> String {
    checksum(
        tensors
            .iter()
            .map(|(n, (s, d))| (n.as_str(), s.as_slice(), d.as_slice())),
        meta,
    )
}

/// Serialises a checkpoint to safetensors bytes.
pub fn to_bytes(c: &Checkpoint) -> Vec<u8> {
    let layout = c.arch.layout();
    let mut tensors: BTreeMap<String, (Vec<usize>, Vec<u8>)> = BTreeMap::new();
    for t in &layout.tensors {
        tensors.insert(
            t.name.to_string(),
            (t.shape.clone(), le_bytes(&c.params[t.range()])),
        );
        for (buf, v) in &c.optim {
            tensors.insert(
                format!("optim.{buf}.{}", t.name),
                (t.shape.clone(), le_bytes(&v[t.range()])),
            );
        }
    }
    if c.arch == Arch::Classic {
        tensors.insert(
            "rbf.centers".into(),
            (vec![10, 84], le_bytes(&rbf::centres())),
        );
    }
    let mut meta = HashMap::new();
    meta.insert("format".into(), "lenet5".into());
    meta.insert("format_version".into(), FORMAT_VERSION.into());
    meta.insert("arch".into(), c.arch.name().into());
    meta.insert("epoch".into(), c.epoch.to_string());
    meta.insert("adam_t".into(), c.adam_t.to_string());
    if let Some(cfg) = &c.config {
        meta.insert("seed".into(), cfg.seed.to_string());
        meta.insert(
            "config".into(),
            serde_json::to_string(cfg).expect("config serialises"),
        );
    }
    // Timings are left out so that the same training command writes the same bytes
    // (the bundled model is reproduced bit for bit); they live in the metrics log.
    let untimed: Vec<EpochMetrics> = c
        .metrics
        .iter()
        .map(|m| EpochMetrics {
            seconds: 0.0,
            images_per_sec: 0.0,
            ..m.clone()
        })
        .collect();
    meta.insert(
        "metrics".into(),
        serde_json::to_string(&untimed).expect("metrics serialise"),
    );
    let sum = checksum_of(&tensors, &meta);
    meta.insert("sha256".into(), sum);
    serialize_sorted(&tensors, &meta)
}

/// The safetensors layout (8-byte little-endian header length, JSON header, data),
/// written by hand so that the bytes are a pure function of the content: the
/// `safetensors` crate takes the metadata as a `HashMap`, whose order changes from
/// run to run. Keys and tensors are sorted; the header is padded with spaces to a
/// multiple of 8 bytes, as the format recommends. The crate reads it back.
fn serialize_sorted(
    tensors: &BTreeMap<String, (Vec<usize>, Vec<u8>)>,
    meta: &HashMap<String, String>,
) -> Vec<u8> {
    let sorted: BTreeMap<&String, &String> = meta.iter().collect();
    let mut header = serde_json::Map::new();
    header.insert(
        "__metadata__".into(),
        serde_json::to_value(sorted).expect("strings serialise"),
    );
    let mut offset = 0usize;
    for (name, (shape, data)) in tensors {
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + data.len()]}),
        );
        offset += data.len();
    }
    // serde_json's Map is a BTreeMap (no `preserve_order` feature): keys come out sorted.
    let mut h = serde_json::to_vec(&serde_json::Value::Object(header)).expect("header serialises");
    while !h.len().is_multiple_of(8) {
        h.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + h.len() + offset);
    out.extend_from_slice(&(h.len() as u64).to_le_bytes());
    out.extend_from_slice(&h);
    for (_, data) in tensors.values() {
        out.extend_from_slice(data);
    }
    out
}

/// Parses and verifies checkpoint bytes; `path` is only used in error messages.
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Checkpoint> {
    let bad = |msg: String| Error::checkpoint(path, msg);
    let st = SafeTensors::deserialize(bytes).map_err(|e| {
        bad(format!(
            "not a valid safetensors file ({e}); the file is truncated or corrupt"
        ))
    })?;
    let (header_len, md) =
        SafeTensors::read_metadata(bytes).map_err(|e| bad(format!("unreadable header ({e})")))?;
    // The JSON header is compact and padded with spaces; the JSON parser would accept
    // other whitespace there, so check the padding too: then no byte is unchecked.
    let header = bytes.get(8..8 + header_len).unwrap_or_default();
    if header.iter().rev().find(|&&b| b != b' ') != Some(&b'}') {
        return Err(bad(
            "header padding altered: the file is corrupt (a byte changed since it was written)"
                .into(),
        ));
    }
    let meta = md.metadata().clone().unwrap_or_default();
    let get = |k: &str| {
        meta.get(k).ok_or_else(|| {
            bad(format!(
                "metadata lacks `{k}`; not a lenet5 checkpoint, or a corrupt one"
            ))
        })
    };
    // The checksum first: any changed byte is reported as corruption, before anything
    // the changed byte might have garbled (a name, the architecture) is interpreted.
    let mut tensors: BTreeMap<String, (Vec<usize>, Vec<u8>)> = BTreeMap::new();
    let mut dtypes: Vec<(String, Dtype)> = vec![];
    for name in st.names() {
        let t = st
            .tensor(name)
            .map_err(|e| bad(format!("tensor `{name}`: {e}")))?;
        dtypes.push((name.to_string(), t.dtype()));
        tensors.insert(name.to_string(), (t.shape().to_vec(), t.data().to_vec()));
    }
    let want = get("sha256")?;
    if &checksum_of(&tensors, &meta) != want {
        return Err(bad(
            "checksum mismatch: the file is corrupt (a byte changed since it was written)".into(),
        ));
    }
    if get("format")? != "lenet5" {
        return Err(bad("metadata `format` is not `lenet5`".into()));
    }
    if get("format_version")? != FORMAT_VERSION {
        return Err(bad(format!(
            "format version {} is not supported (this lenet5 reads {FORMAT_VERSION})",
            get("format_version")?
        )));
    }
    let arch_s = get("arch")?;
    let arch =
        Arch::parse(arch_s).ok_or_else(|| bad(format!("unknown architecture `{arch_s}`")))?;
    if let Some((name, dtype)) = dtypes.iter().find(|(_, d)| *d != Dtype::F32) {
        return Err(bad(format!(
            "tensor `{name}` has dtype {dtype:?}, expected F32 (the file is corrupt or was not written by lenet5)"
        )));
    }
    let read = |name: &str, shape: &[usize]| -> Result<Vec<f32>> {
        let (s, d) = tensors.get(name).ok_or_else(|| {
            bad(format!(
                "tensor `{name}` is missing (expected for the {arch} architecture)"
            ))
        })?;
        if s.as_slice() != shape {
            return Err(bad(format!(
                "tensor `{name}` has shape {s:?}, the {arch} architecture needs {shape:?}"
            )));
        }
        let v: Vec<f32> = d
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if let Some(i) = v.iter().position(|x| !x.is_finite()) {
            return Err(bad(format!(
                "tensor `{name}` holds a non-finite value at index {i}"
            )));
        }
        Ok(v)
    };
    let layout = arch.layout();
    let mut params = vec![0.0f32; layout.total()];
    for t in &layout.tensors {
        params[t.range()].copy_from_slice(&read(t.name, &t.shape)?);
    }
    if arch == Arch::Classic {
        if read("rbf.centers", &[10, 84])? != rbf::centres() {
            return Err(bad(
                "tensor `rbf.centers` differs from this lenet5's RBF bitmaps".into(),
            ));
        }
        let net = Network::from_params(arch, params.clone());
        let c3 = layout.get("c3.weight").expect("classic has c3");
        if params[c3.range()]
            .iter()
            .zip(&net.mask)
            .any(|(w, m)| *m == 0.0 && *w != 0.0)
        {
            return Err(bad(
                "tensor `c3.weight` has weights on connections absent from the C3 table".into(),
            ));
        }
    }
    let known: Vec<String> = layout
        .tensors
        .iter()
        .map(|t| t.name.to_string())
        .chain(["rbf.centers".to_string()])
        .collect();
    let mut optim: Vec<(String, Vec<f32>)> = vec![];
    for name in tensors.keys() {
        if known.contains(name) {
            continue;
        }
        let rest = name.strip_prefix("optim.").ok_or_else(|| {
            bad(format!(
                "unexpected tensor `{name}` for the {arch} architecture"
            ))
        })?;
        let (buf, tname) = rest
            .split_once('.')
            .ok_or_else(|| bad(format!("unexpected tensor `{name}`")))?;
        if optim.iter().all(|(b, _)| b != buf) {
            optim.push((buf.to_string(), vec![0.0; layout.total()]));
        }
        let t = layout
            .get(tname)
            .ok_or_else(|| bad(format!("tensor `{name}` names no parameter of {arch}")))?;
        let v = read(name, &t.shape)?;
        let slot = optim
            .iter_mut()
            .find(|(b, _)| b == buf)
            .expect("inserted above");
        slot.1[t.range()].copy_from_slice(&v);
    }
    let parse_num = |k: &str| -> Result<u64> {
        meta.get(k).map_or(Ok(0), |v| {
            v.parse()
                .map_err(|_| bad(format!("metadata `{k}` is not a number")))
        })
    };
    let config = match meta.get("config") {
        Some(s) => Some(
            serde_json::from_str::<TrainConfig>(s)
                .map_err(|e| bad(format!("metadata `config`: {e}")))?,
        ),
        None => None,
    };
    if let Some(cfg) = &config
        && cfg.arch != arch
    {
        return Err(bad(
            "metadata `config` names another architecture than `arch`".into(),
        ));
    }
    let mut metrics: Vec<EpochMetrics> = match meta.get("metrics") {
        Some(s) => serde_json::from_str(s).map_err(|e| bad(format!("metadata `metrics`: {e}")))?,
        None => vec![],
    };
    // Checkpoints keep no timings (see `to_bytes`); older files did: drop them so that
    // load → save → load is the identity.
    for m in &mut metrics {
        m.seconds = 0.0;
        m.images_per_sec = 0.0;
    }
    Ok(Checkpoint {
        arch,
        params,
        epoch: parse_num("epoch")? as usize,
        config,
        optim,
        adam_t: parse_num("adam_t")?,
        metrics,
    })
}

/// Reads and verifies a checkpoint file.
pub fn load(path: &Path) -> Result<Checkpoint> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() > MAX_CHECKPOINT_BYTES {
        return Err(Error::checkpoint(
            path,
            format!(
                "{} bytes is far too large for a LeNet-5 checkpoint",
                meta.len()
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    from_bytes(&bytes, path)
}

pub use crate::files::{TEST_PAUSE_ENV, write_atomic};

/// Writes a checkpoint atomically ([`write_atomic`]).
pub fn save(path: &Path, c: &Checkpoint) -> Result<()> {
    write_atomic(path, &to_bytes(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use safetensors::tensor::TensorView;

    fn sample(arch: Arch) -> Checkpoint {
        let net = Network::new(arch, 3);
        let mut c = Checkpoint::from_network(&net);
        c.epoch = 2;
        c.config = Some(TrainConfig::defaults(arch));
        c.optim = vec![(
            "velocity".into(),
            net.params.iter().map(|v| v * 0.5).collect(),
        )];
        c
    }

    #[test]
    fn round_trip_both_architectures() {
        for arch in [Arch::Classic, Arch::Modern] {
            let c = sample(arch);
            let b = to_bytes(&c);
            assert_eq!(from_bytes(&b, Path::new("x")).unwrap(), c);
        }
    }

    #[test]
    fn bytes_do_not_depend_on_timings() {
        let m = |secs: f64| EpochMetrics {
            epoch: 1,
            lr: 0.1,
            train_loss: 0.5,
            train_acc: 0.9,
            test_loss: 0.4,
            test_acc: 0.95,
            test_errors: 500,
            seconds: secs,
            images_per_sec: 60000.0 / secs,
        };
        let mut a = sample(Arch::Classic);
        let mut b = a.clone();
        a.metrics = vec![m(3.0)];
        b.metrics = vec![m(4.5)];
        assert_eq!(to_bytes(&a), to_bytes(&b));
        let back = from_bytes(&to_bytes(&a), Path::new("x")).unwrap();
        assert_eq!(back.metrics[0].test_errors, 500);
    }

    #[test]
    fn every_flipped_byte_is_detected() {
        let b = to_bytes(&sample(Arch::Modern));
        // Flip one bit at many positions across header and data: never a silent load.
        for pos in (0..b.len()).step_by(997).chain([0, 7, 8, 100, b.len() - 1]) {
            let mut c = b.clone();
            c[pos] ^= 0x10;
            let e = from_bytes(&c, Path::new("m.safetensors"));
            match e {
                Err(err) => assert!(err.to_string().contains("m.safetensors"), "{err}"),
                // A flip in the header's space padding changes nothing that is read.
                Ok(ck) => assert_eq!(
                    ck,
                    sample(Arch::Modern),
                    "byte {pos} flipped but loaded different data"
                ),
            }
        }
        let cut = from_bytes(&b[..b.len() / 2], Path::new("m.safetensors")).unwrap_err();
        assert!(cut.to_string().contains("truncated or corrupt"), "{cut}");
    }

    #[test]
    fn wrong_architecture_names_the_tensor() {
        let b = to_bytes(&sample(Arch::Modern));
        let st = SafeTensors::deserialize(&b).unwrap();
        let (_, md) = SafeTensors::read_metadata(&b).unwrap();
        // Relabel a modern file as classic and fix its checksum: shapes must still be refused.
        let mut meta = md.metadata().clone().unwrap();
        meta.insert("arch".into(), "classic".into());
        meta.remove("config");
        let mut tensors = BTreeMap::new();
        for n in st.names() {
            let t = st.tensor(n).unwrap();
            tensors.insert(n.to_string(), (t.shape().to_vec(), t.data().to_vec()));
        }
        meta.insert("sha256".into(), checksum_of(&tensors, &meta));
        let views: Vec<(String, TensorView)> = tensors
            .iter()
            .map(|(n, (s, d))| {
                (
                    n.clone(),
                    TensorView::new(Dtype::F32, s.clone(), d).unwrap(),
                )
            })
            .collect();
        let forged = safetensors::serialize(views, Some(meta)).unwrap();
        let err = from_bytes(&forged, Path::new("f")).unwrap_err().to_string();
        assert!(
            err.contains("c1.weight") && err.contains("missing"),
            "{err}"
        );
    }

    #[test]
    fn atomic_write_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.safetensors");
        save(&p, &sample(Arch::Classic)).unwrap();
        save(&p, &sample(Arch::Classic)).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        assert_eq!(load(&p).unwrap(), sample(Arch::Classic));
    }
}
