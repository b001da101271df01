//! The lenet5 web page: HTML, scripts and style, written once and served both by
//! `lenet5 serve` (compiled into the binary) and as the static site (`lenet5 site`).
//!
//! Built for `wasm32-unknown-unknown` it is also the engine's WebAssembly interface (the
//! `wasm` module, `src/wasm/`, compiled only for that target; `assets/engine.js` is its
//! script side): the static site runs the networks, and trains one, in the page. Natively
//! this crate is just the files below, with no dependencies.

/// One file of the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Asset {
    /// Its name, relative to the page (`"app.js"`); the page itself is `"index.html"`.
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its text.
    pub body: &'static str,
}

const JS: &str = "text/javascript; charset=utf-8";

/// The page.
pub const INDEX_HTML: &str = include_str!("../assets/index.html");
/// Its entry script: picks the back end (the server's API, or the engine in
/// WebAssembly on the static site) and wires the page to it.
pub const APP_JS: &str = include_str!("../assets/app.js");
/// Its style sheet.
pub const STYLE_CSS: &str = include_str!("../assets/style.css");

/// Every file of the page, the page first. `lenet5 serve` serves each at `/<path>`
/// (`/` for the page); `lenet5 site` writes each into the site's folder.
pub const ASSETS: &[Asset] = &[
    Asset {
        path: "index.html",
        content_type: "text/html; charset=utf-8",
        body: INDEX_HTML,
    },
    Asset {
        path: "style.css",
        content_type: "text/css; charset=utf-8",
        body: STYLE_CSS,
    },
    Asset {
        path: "app.js",
        content_type: JS,
        body: APP_JS,
    },
    Asset {
        path: "pad.js",
        content_type: JS,
        body: include_str!("../assets/pad.js"),
    },
    Asset {
        path: "view.js",
        content_type: JS,
        body: include_str!("../assets/view.js"),
    },
    Asset {
        path: "reading.js",
        content_type: JS,
        body: include_str!("../assets/reading.js"),
    },
    Asset {
        path: "paint.js",
        content_type: JS,
        body: include_str!("../assets/paint.js"),
    },
    Asset {
        path: "wasm-backend.js",
        content_type: JS,
        body: include_str!("../assets/wasm-backend.js"),
    },
    Asset {
        path: "engine.js",
        content_type: JS,
        body: include_str!("../assets/engine.js"),
    },
    Asset {
        path: "train-panel.js",
        content_type: JS,
        body: include_str!("../assets/train-panel.js"),
    },
    Asset {
        path: "train-worker.js",
        content_type: JS,
        body: include_str!("../assets/train-worker.js"),
    },
    Asset {
        path: "chart.js",
        content_type: JS,
        body: include_str!("../assets/chart.js"),
    },
];

/// The file name of the engine in WebAssembly inside the site (what `cargo build -p
/// lenet5-web --target wasm32-unknown-unknown --release` names it).
pub const WASM_FILE: &str = "lenet5_web.wasm";

/// The version of the interface between `engine.js` and the `.wasm` (exported by the
/// module as `lenet5_abi_version`; the script refuses a module of another version).
pub const ABI_VERSION: u32 = 1;

#[cfg(target_arch = "wasm32")]
mod wasm;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_are_unique_and_nothing_comes_from_outside() {
        for (i, a) in ASSETS.iter().enumerate() {
            assert!(
                ASSETS[..i].iter().all(|b| b.path != a.path),
                "{} twice",
                a.path
            );
            assert!(
                !a.body.contains("http://") && !a.body.contains("https://"),
                "{} names an outside address",
                a.path
            );
        }
        assert_eq!(ASSETS[0].body, INDEX_HTML);
    }

    #[test]
    fn every_script_the_page_imports_is_an_asset() {
        // `import ... from './x.js'`, `new URL('./x.js', ...)` and `<script src="x.js">`.
        for a in ASSETS {
            for quote in ['\'', '"'] {
                for piece in a.body.split(quote).skip(1).step_by(2) {
                    let name = piece.trim_start_matches("./");
                    if name.ends_with(".js") && !name.contains('/') && !name.contains(' ') {
                        assert!(
                            ASSETS.iter().any(|b| b.path == name),
                            "{} refers to {name}, which is not in ASSETS",
                            a.path
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_abi_version_in_the_script_matches() {
        let engine = ASSETS
            .iter()
            .find(|a| a.path == "engine.js")
            .map(|a| a.body);
        let expect = format!("const ABI_VERSION = {ABI_VERSION};");
        assert!(engine.is_some_and(|b| b.contains(&expect)));
    }
}
