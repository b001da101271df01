//! `lenet5 site` writes the page, the engine, the networks and the bundled reader, and a
//! manifest (`api/model`) naming them. (The site in a browser: crates/lenet5-web's
//! site_browser test.)

use std::process::Command;

#[test]
fn the_site_ships_the_networks_and_the_reader() {
    let dir = tempfile::tempdir().unwrap();
    // The command checks only that the engine is a WebAssembly module.
    let wasm = dir.path().join("engine.wasm");
    std::fs::write(&wasm, b"\0asm\x01\0\0\0").unwrap();
    let out = dir.path().join("site");
    let run = Command::new(env!("CARGO_BIN_EXE_lenet5"))
        .arg("site")
        .arg(&out)
        .arg("--wasm")
        .arg(&wasm)
        .args(["--train-images", "0"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(said.contains("2 networks and the reader"), "{said}");

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("api/model")).unwrap()).unwrap();
    assert_eq!(manifest["backend"], "wasm");
    assert_eq!(manifest["default"], "classic");
    assert!(manifest["train"].is_null());
    let names: Vec<&str> = manifest["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["classic", "modern"]);

    // The reader: apart from the networks (it reads the number mode's lines), the bundled
    // one, its weights and its recipe (a reading's confidence depends on it).
    let reader = &manifest["reader"];
    assert_eq!(reader["name"], "reader");
    let file = out.join(reader["file"].as_str().unwrap());
    let bytes = std::fs::read(&file).unwrap();
    let model = lenet5::Model::from_checkpoint_bytes(&bytes, "the site's reader").unwrap();
    assert!(model.knows_bad_cuts());
    assert_eq!(
        model.network().params,
        lenet5::Model::bundled_reader().network().params
    );
    assert!(bytes.len() < 300_000, "{} bytes", bytes.len());
}
