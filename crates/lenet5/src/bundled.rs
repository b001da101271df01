//! The trained networks that ship inside the library, and the one place that decides
//! which model a command uses.
//!
//! | network | recipe | file |
//! |---|---|---|
//! | classic | `lenet5 train --preset classic-best` | `models/lenet5-classic.safetensors` |
//! | modern | `lenet5 train --preset modern-best` | `models/lenet5-modern.safetensors` |
//! | reader | `lenet5 train --preset modern-reader` | `models/lenet5-reader.safetensors` |
//!
//! All three are reproduced byte for byte by those commands (on x86-64 with AVX2 + FMA,
//! the back end they were made with, or AVX-512, which computes the same numbers); the
//! README gives their SHA-256. The reader is a modern network that was also trained on
//! the pieces the number reader cuts ([`crate::read::pieces`]), badly cut ones taught as
//! "not a digit": reading strings ([`resolve_reader`]) uses it by default.

use std::path::{Path, PathBuf};

use crate::api::Model;
use crate::error::{Error, Result};
use crate::model::Arch;

/// The bundled classic LeNet-5 (a checkpoint, as `lenet5 train` writes it).
pub static CLASSIC_BYTES: &[u8] = include_bytes!("../models/lenet5-classic.safetensors");
/// The bundled modern LeNet-5.
pub static MODERN_BYTES: &[u8] = include_bytes!("../models/lenet5-modern.safetensors");

/// The bundled reader: the modern network trained on MNIST and on the labelled pieces of
/// synthetic strings (`lenet5 train --preset modern-reader`).
pub static READER_BYTES: &[u8] = include_bytes!("../models/lenet5-reader.safetensors");
/// The name that chooses the bundled reader where models are chosen by name (the
/// server's `/api/read?model=`, the site's manifest, Python's `Model.bundled`).
pub const READER_NAME: &str = "reader";
/// The bundled reader as a model's source, when it is shown.
pub const READER_SOURCE: &str = "the bundled reader";

/// The checkpoint bytes of the bundled network of `arch`.
pub fn bytes(arch: Arch) -> &'static [u8] {
    match arch {
        Arch::Classic => CLASSIC_BYTES,
        Arch::Modern => MODERN_BYTES,
    }
}

/// The bundled network of `arch`.
pub fn model(arch: Arch) -> Model {
    Model::from_checkpoint_bytes(bytes(arch), &format!("<bundled {arch} model>"))
        .expect("the bundled models are verified by the test suite")
}

/// The bundled reader ([`READER_BYTES`]).
pub fn reader() -> Model {
    Model::from_checkpoint_bytes(READER_BYTES, "<bundled reader model>")
        .expect("the bundled models are verified by the test suite")
}

impl Model {
    /// The network that reads numbers best: a modern LeNet-5 trained on MNIST and on the
    /// pieces the number reader cuts from synthetic strings, badly cut ones taught as
    /// "not a digit" (`lenet5 train --preset modern-reader`). What [`Model::read`] should
    /// be called on; for single digits [`Model::bundled`] is as good or better.
    pub fn bundled_reader() -> Model {
        reader()
    }

    /// A network that ships inside the library: the classic one (`lenet5 train --preset
    /// classic-best`, 0.66 % test error) or the modern one (`--preset modern-best`,
    /// 0.41 %); the README has how to reproduce each byte for byte.
    pub fn bundled(arch: Arch) -> Model {
        model(arch)
    }
}

/// The checkpoint names `lenet5 train` writes by default, looked for in the current
/// folder when no model is given, in this order.
pub const DEFAULT_MODEL_FILES: [&str; 2] =
    ["lenet5-classic.safetensors", "lenet5-modern.safetensors"];

/// A model and where it came from (a path, or "the bundled classic LeNet-5").
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The network.
    pub model: Model,
    /// Where it came from, for messages.
    pub source: String,
}

/// A checkpoint file, loaded and verified, named by its path.
fn load_file(p: &Path) -> Result<Resolved> {
    Ok(Resolved {
        model: Model::load(p)?,
        source: p.display().to_string(),
    })
}

/// The models a command runs, decided in one place for every command:
/// 1. the files given (`--model`), if any;
/// 2. else the [`DEFAULT_MODEL_FILES`] found in `dir`;
/// 3. else the bundled networks, classic first.
///
/// A command that needs one model takes the first. Files are loaded and verified here, so
/// a corrupt checkpoint is an error that names it.
pub fn resolve(explicit: &[PathBuf], dir: &Path) -> Result<Vec<Resolved>> {
    if !explicit.is_empty() {
        return explicit.iter().map(|p| load_file(p)).collect();
    }
    let found: Vec<PathBuf> = DEFAULT_MODEL_FILES
        .iter()
        .map(|f| dir.join(f))
        .filter(|p| p.is_file())
        .collect();
    if !found.is_empty() {
        return found.iter().map(|p| load_file(p)).collect();
    }
    Ok([Arch::Classic, Arch::Modern]
        .into_iter()
        .map(|arch| Resolved {
            model: model(arch),
            source: format!("the bundled {arch} LeNet-5"),
        })
        .collect())
}

/// The one model a command runs (the first of [`resolve`]).
pub fn resolve_one(explicit: Option<&Path>, dir: &Path) -> Result<Resolved> {
    let explicit: Vec<PathBuf> = explicit.map(Path::to_path_buf).into_iter().collect();
    resolve(&explicit, dir)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::Usage("no model".into()))
}

/// The model that reads numbers: the file given, else the bundled reader.
pub fn resolve_reader(explicit: Option<&Path>) -> Result<Resolved> {
    match explicit {
        Some(p) => load_file(p),
        None => Ok(Resolved {
            model: reader(),
            source: READER_SOURCE.into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_models_load_with_their_architecture() {
        for arch in [Arch::Classic, Arch::Modern] {
            let m = model(arch);
            assert_eq!(m.arch(), arch);
            let p = m.forward_28x28(&[0u8; 784]);
            assert!(p.scores.iter().all(|s| s.is_finite()));
        }
    }

    #[test]
    fn the_bundled_reader_is_a_modern_network_that_knows_its_recipe() {
        let ckpt = crate::train::checkpoint::from_bytes(READER_BYTES, Path::new("reader")).unwrap();
        assert_eq!(ckpt.arch, Arch::Modern);
        let c = ckpt.config.expect("the reader records its recipe");
        assert_eq!(
            c,
            crate::train::TrainConfig::preset("modern-reader").unwrap()
        );
        let r = resolve_reader(None).unwrap();
        assert_eq!(r.model.arch(), Arch::Modern);
        assert!(r.model.knows_bad_cuts());
        assert!(!model(Arch::Modern).knows_bad_cuts() && !model(Arch::Classic).knows_bad_cuts());
        assert!(r.source.contains("bundled reader"), "{}", r.source);
    }

    #[test]
    fn an_empty_folder_resolves_to_both_bundled_networks() {
        let dir = tempfile::tempdir().unwrap();
        let r = resolve(&[], dir.path()).unwrap();
        let archs: Vec<Arch> = r.iter().map(|r| r.model.arch()).collect();
        assert_eq!(archs, [Arch::Classic, Arch::Modern]);
        assert!(r[0].source.contains("bundled classic"), "{}", r[0].source);
    }

    #[test]
    fn default_files_in_the_folder_win_over_the_bundle_and_explicit_over_both() {
        let dir = tempfile::tempdir().unwrap();
        let modern = dir.path().join(DEFAULT_MODEL_FILES[1]);
        std::fs::write(&modern, MODERN_BYTES).unwrap();
        let r = resolve(&[], dir.path()).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].model.arch(), Arch::Modern);
        assert_eq!(r[0].source, modern.display().to_string());
        let other = dir.path().join("other.safetensors");
        std::fs::write(&other, CLASSIC_BYTES).unwrap();
        let one = resolve_one(Some(&other), dir.path()).unwrap();
        assert_eq!(one.model.arch(), Arch::Classic);
        assert_eq!(one.source, other.display().to_string());
    }

    #[test]
    fn a_missing_explicit_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nope.safetensors");
        let e = resolve_one(Some(&p), dir.path()).unwrap_err().to_string();
        assert!(e.contains("nope.safetensors"), "{e}");
    }
}
