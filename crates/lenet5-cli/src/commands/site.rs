//! `lenet5 site OUT_DIR`: the demo as a static folder that any static file server (or a
//! course site, GitHub Pages) can host: the page of `lenet5 serve`, the engine in
//! WebAssembly, the networks, and MNIST images for the page to train on. docs/site.md
//! has how to build the `.wasm` this command copies, and what is in the folder.
//!
//! The page asks `api/model` what serves it; the server answers that itself, the site
//! has a file there (the manifest) naming the engine, the networks and the data.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use lenet5::bundled::{READER_NAME, READER_SOURCE};
use lenet5::data::Dataset;
use lenet5::data::idx::write_idx;
use lenet5::train::checkpoint::{Checkpoint, from_bytes, to_bytes};
use lenet5::{Error, Result};
use lenet5_web::{ASSETS, WASM_FILE};
use serde_json::{Value, json};

use crate::args::SiteArgs;

/// The manifest's path in the site (the server's `GET /api/model`, relative to the page).
pub const MANIFEST: &str = "api/model";

/// The command that builds the `.wasm` this command copies.
const BUILD_WASM: &str = "cargo build -p lenet5-web --target wasm32-unknown-unknown --profile wasm";

pub fn run(a: SiteArgs) -> Result<()> {
    let wasm = read_wasm(&a.wasm)?;
    let models =
        lenet5_serve::served_models(lenet5::bundled::resolve(&a.model, &super::current_dir()?)?)?;
    let out = &a.out;
    let mut sizes = Sizes::default();

    for asset in ASSETS {
        write(out, asset.path, asset.body.as_bytes(), &mut sizes.page)?;
    }
    write(out, WASM_FILE, &wasm, &mut sizes.page)?;

    let mut listed = Vec::new();
    for m in &models {
        // The weights only (no optimiser state): the same network, half the bytes.
        let bytes = to_bytes(&Checkpoint::from_network(m.model.network()));
        let file = format!("models/{}.safetensors", m.name);
        write(out, &file, &bytes, &mut sizes.page)?;
        listed.push(json!({"name": m.name, "file": file, "source": m.source}));
    }
    // The bundled reader, for the number mode (as `POST /api/read` reads by default).
    let reader_file = format!("models/{READER_NAME}.safetensors");
    write(out, &reader_file, &reader_checkpoint()?, &mut sizes.page)?;
    let reader = json!({"name": READER_NAME, "file": reader_file, "source": READER_SOURCE});

    let train = if a.train_images > 0 {
        let mnist = super::data(&a.data)?;
        let files = [
            ("train", first(&mnist.train, a.train_images)?),
            ("test", first(&mnist.test, a.test_images.max(1))?),
        ];
        let mut names = Vec::new();
        for (split, ds) in &files {
            for (kind, dims, bytes) in [
                ("images", vec![ds.len(), ds.rows, ds.cols], &ds.images),
                ("labels", vec![ds.len()], &ds.labels),
            ] {
                let file = format!("data/{split}-{kind}-idx{}-ubyte.gz", dims.len());
                let path = prepare(out, &file)?;
                write_idx(&path, &dims, bytes, true)?;
                sizes.data += file_len(&path)?;
                names.push(file);
            }
        }
        json!({
            "images": names[0], "labels": names[1],
            "test_images": names[2], "test_labels": names[3],
            "count": files[0].1.len(), "test_count": files[1].1.len(),
        })
    } else {
        Value::Null
    };

    let manifest = json!({
        "backend": "wasm",
        "wasm": WASM_FILE,
        "default": models.first().map(|m| m.name.as_str()),
        "models": listed,
        "reader": reader,
        "train": train,
        "lenet5": env!("CARGO_PKG_VERSION"),
    });
    let text = serde_json::to_string_pretty(&manifest).expect("JSON serialises");
    write(out, MANIFEST, text.as_bytes(), &mut sizes.page)?;

    let mb = |b: u64| b as f64 / 1e6;
    println!(
        "wrote the site to {}: page, engine, {} network{} and the reader: {:.2} MB, {:.2} MB gzipped{}",
        out.display(),
        models.len(),
        if models.len() == 1 { "" } else { "s" },
        mb(sizes.page.raw),
        mb(sizes.page.gzipped),
        if a.train_images > 0 {
            format!("; training images {:.2} MB (gzip files)", mb(sizes.data))
        } else {
            String::new()
        }
    );
    println!(
        "serve it with any static file server, e.g. `python3 -m http.server -d {}`",
        out.display()
    );
    Ok(())
}

/// The bundled reader's checkpoint for the site: its weights (no optimiser state, as for
/// the other networks) and its recipe, which says it was trained on the pieces the reader
/// cuts ([`lenet5::Model::knows_bad_cuts`]: a reading's confidence then weighs rivals).
fn reader_checkpoint() -> Result<Vec<u8>> {
    let full = from_bytes(
        lenet5::bundled::READER_BYTES,
        Path::new("<bundled reader model>"),
    )?;
    Ok(to_bytes(&Checkpoint {
        config: full.config.clone(),
        ..Checkpoint::from_network(&full.network())
    }))
}

/// Bytes written, as they are and as a static server would send them gzipped.
#[derive(Default)]
struct Sizes {
    page: Total,
    /// The training images' files (already gzip).
    data: u64,
}

#[derive(Default)]
struct Total {
    raw: u64,
    gzipped: u64,
}

/// The `.wasm` file, checked to be a WebAssembly module.
fn read_wasm(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::Usage(format!(
                "{} not found: build the engine in WebAssembly first ({BUILD_WASM}), or give its path with --wasm",
                path.display()
            ))
        } else {
            Error::io(path, e)
        }
    })?;
    if !bytes.starts_with(b"\0asm\x01\0\0\0") {
        return Err(Error::format(
            path,
            format!("not a WebAssembly module; build it with {BUILD_WASM}"),
        ));
    }
    Ok(bytes)
}

/// The first `n` images of `ds` (all of them if it has fewer).
fn first(ds: &Dataset, n: usize) -> Result<Dataset> {
    let n = n.min(ds.len());
    if n == 0 {
        return Err(Error::Data("the MNIST split is empty".into()));
    }
    Ok(Dataset {
        images: ds.images[..n * ds.image_size()].to_vec(),
        labels: ds.labels[..n].to_vec(),
        rows: ds.rows,
        cols: ds.cols,
    })
}

/// `out/name`, its folder created.
fn prepare(out: &Path, name: &str) -> Result<PathBuf> {
    let path = out.join(name);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    Ok(path)
}

fn write(out: &Path, name: &str, bytes: &[u8], total: &mut Total) -> Result<()> {
    let path = prepare(out, name)?;
    std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    total.raw += bytes.len() as u64;
    total.gzipped += gzipped_len(bytes);
    Ok(())
}

fn file_len(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len())
}

/// The size of `bytes` gzipped at the usual level (6), as a static server sends them.
pub fn gzipped_len(bytes: &[u8]) -> u64 {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = gz.write_all(bytes);
    gz.finish().map_or(0, |v| v.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wasm_must_exist_and_be_webassembly() {
        let dir = std::env::temp_dir().join(format!("lenet5-site-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let missing = read_wasm(&dir.join("none.wasm")).map_err(|e| e.to_string());
        assert!(missing.is_err_and(|e| e.contains("not found") && e.contains(BUILD_WASM)));
        let junk = dir.join("junk.wasm");
        std::fs::write(&junk, b"<html>").expect("write");
        let bad = read_wasm(&junk).map_err(|e| e.to_string());
        assert!(bad.is_err_and(|e| e.contains("not a WebAssembly module")));
        std::fs::write(&junk, b"\0asm\x01\0\0\0").expect("write");
        assert!(read_wasm(&junk).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_sites_reader_is_the_bundled_one() {
        let bytes = reader_checkpoint().expect("reader");
        let site = lenet5::Model::from_checkpoint_bytes(&bytes, "site reader").expect("loads");
        let bundled = lenet5::Model::bundled_reader();
        assert_eq!(site.network().params, bundled.network().params);
        assert!(site.knows_bad_cuts());
        // The weights and the recipe only: half the bundled file (which has Adam's state).
        assert!(bytes.len() < lenet5::bundled::READER_BYTES.len() * 6 / 10);
    }

    #[test]
    fn first_takes_a_prefix() {
        let ds = Dataset {
            images: (0..3 * 4).map(|v| v as u8).collect(),
            labels: vec![7, 8, 9],
            rows: 2,
            cols: 2,
        };
        let two = first(&ds, 2).expect("two");
        assert_eq!((two.labels, two.images), (vec![7, 8], (0..8).collect()));
        assert_eq!(first(&ds, 10).expect("all").len(), 3);
        let empty = Dataset {
            images: vec![],
            labels: vec![],
            rows: 2,
            cols: 2,
        };
        assert!(first(&empty, 5).is_err());
    }
}
