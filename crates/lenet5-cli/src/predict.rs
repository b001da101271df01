//! The `lenet5 predict` front end: which files a command line names, reading them (or
//! standard input), and the text and JSON lines printed for each. The recognising itself
//! is [`Model::recognise`]; which model, [`lenet5::bundled::resolve_one`].
//!
//! ```no_run
//! use lenet5_cli::predict;
//! # fn main() -> lenet5::Result<()> {
//! let model = lenet5::bundled::resolve_one(None, std::path::Path::new("."))?.model;
//! for (name, input) in predict::expand_inputs(&["digits/".into(), "seven.png".into()]) {
//!     let r = input.and_then(|i| predict::recognise(&model, &i));
//!     println!("{}", predict::text_line(&name, &r, 3));
//! }
//! # Ok(()) }
//! ```
//!
//! * **Inputs** ([`expand_inputs`]): files (any name; the content decides the format:
//!   PNG, JPEG, BMP, PGM/PNM), folders (their image files, by extension
//!   [`IMAGE_EXTENSIONS`], not recursive, sorted by name) and `-` for standard input.
//! * **Verdicts** ([`Recognition`]): a blank image (no ink found) is "no digit found", not
//!   a digit; a prediction whose probability is under [`lenet5::api::LOW_CONFIDENCE`] is
//!   flagged.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

use lenet5::data::image::{DynamicImage, decode_image, load_image, to_gray_image};
use lenet5::{Error, Model, Recognition, Result};

/// Largest image accepted on standard input.
pub const MAX_STDIN_BYTES: u64 = 256 << 20;

/// File extensions (lower case) taken from a folder. Files named explicitly are read
/// whatever their name.
pub const IMAGE_EXTENSIONS: [&str; 8] = ["png", "jpg", "jpeg", "bmp", "pgm", "pnm", "ppm", "pbm"];

/// One image to recognise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// An image file.
    File(PathBuf),
    /// Standard input (`-` on the command line).
    Stdin,
}

impl Input {
    /// How messages and output name it: the path as given, or `-` for standard input.
    pub fn name(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::Stdin => "-".into(),
        }
    }

    /// A short name usable in a file name: the file's stem, or `stdin`.
    pub fn stem(&self) -> String {
        match self {
            Input::File(p) => p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "image".into()),
            Input::Stdin => "stdin".into(),
        }
    }

    /// Reads and decodes the image (standard input: at most [`MAX_STDIN_BYTES`]).
    pub fn read(&self) -> Result<DynamicImage> {
        match self {
            Input::File(p) => load_image(p),
            Input::Stdin => {
                let name = Path::new("<stdin>");
                let mut bytes = Vec::new();
                std::io::stdin()
                    .lock()
                    .take(MAX_STDIN_BYTES + 1)
                    .read_to_end(&mut bytes)
                    .map_err(|e| Error::io(name, e))?;
                if bytes.len() as u64 > MAX_STDIN_BYTES {
                    return Err(Error::format(
                        name,
                        format!(
                            "more than {} MiB on standard input; save the image to a file",
                            MAX_STDIN_BYTES >> 20
                        ),
                    ));
                }
                decode_image(&bytes, name)
            }
        }
    }
}

fn is_image_name(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// The images named on a command line, each with its name for messages: `-` is standard
/// input, a folder stands for its image files (by extension, hidden files skipped, not
/// recursive, sorted by name), any other path is a file. An unreadable folder or one
/// without images is an error in the list (so the other inputs are still processed).
pub fn expand_inputs(args: &[PathBuf]) -> Vec<(String, Result<Input>)> {
    let mut out = Vec::new();
    for a in args {
        let name = a.display().to_string();
        if a.as_os_str() == "-" {
            out.push((name, Ok(Input::Stdin)));
        } else if a.is_dir() {
            match list_images(a) {
                Ok(files) if files.is_empty() => out.push((
                    name,
                    Err(Error::format(
                        a,
                        format!(
                            "folder has no image files ({})",
                            IMAGE_EXTENSIONS.join(", ")
                        ),
                    )),
                )),
                Ok(files) => out.extend(
                    files
                        .into_iter()
                        .map(|f| (f.display().to_string(), Ok(Input::File(f)))),
                ),
                Err(e) => out.push((name, Err(e))),
            }
        } else {
            out.push((name, Ok(Input::File(a.clone()))));
        }
    }
    out
}

fn list_images(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let p = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !hidden && is_image_name(&p) && p.is_file() {
            files.push(p);
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

/// Reads, decodes and recognises one input. Errors name the file and what is wrong.
pub fn recognise(model: &Model, input: &Input) -> Result<Recognition> {
    Ok(model.recognise(&input.read()?))
}

fn pct(p: f32) -> String {
    format!("{:.1}%", 100.0 * p)
}

/// The human-readable result line for one input: `name: digit (confidence)`, flags for
/// blank and low-confidence images, and with `top` > 1 the `top` most likely digits.
/// For an error: `name: error: what is wrong` (the error already names the file, so
/// the name is not repeated).
pub fn text_line(name: &str, r: &Result<Recognition>, top: usize) -> String {
    let r = match r {
        Err(e) => return format!("error: {e}"),
        Ok(r) => r,
    };
    if r.blank() {
        return format!(
            "{name}: no digit found (the image is blank: no ink stands out from the background)"
        );
    }
    let p = &r.prediction;
    let mut line = format!("{name}: {} ({})", p.digit, pct(p.confidence()));
    if r.low_confidence() {
        let second = p.top(2)[1];
        line.push_str(&format!(
            "  low confidence: the network is unsure, next best {} ({})",
            second.0,
            pct(second.1)
        ));
    }
    if top > 1 {
        let list: Vec<String> = p
            .top(top)
            .iter()
            .map(|(d, s)| format!("{d} {}", pct(*s)))
            .collect();
        line.push_str(&format!("  top {}: {}", top.min(10), list.join(", ")));
    }
    line
}

#[derive(Serialize)]
struct JsonOk<'a> {
    file: &'a str,
    digit: Option<u8>,
    confidence: Option<f32>,
    low_confidence: bool,
    scores: Option<[f32; 10]>,
    outputs: Option<[f32; 10]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top: Option<Vec<(u8, f32)>>,
    inverted: bool,
    blank: bool,
}

#[derive(Serialize)]
struct JsonErr<'a> {
    file: &'a str,
    error: String,
}

/// The JSON object (one line) for one input. Fields: `file`, `digit` (null when blank),
/// `confidence`, `low_confidence`, `scores` (10 probabilities), `outputs` (10 raw outputs:
/// RBF distances or logits), `top` (with `top` > 1: `[[digit, probability], ...]`),
/// `inverted` (dark ink on a light background was inverted), `blank`. For a blank image
/// `digit`, `confidence`, `scores` and `outputs` are null. For an error: `file` and `error`.
pub fn json_line(name: &str, r: &Result<Recognition>, top: usize) -> String {
    let s = match r {
        Err(e) => serde_json::to_string(&JsonErr {
            file: name,
            error: e.to_string(),
        }),
        Ok(r) => {
            let p = &r.prediction;
            let live = !r.blank();
            serde_json::to_string(&JsonOk {
                file: name,
                digit: r.digit(),
                confidence: live.then(|| p.confidence()),
                low_confidence: r.low_confidence(),
                scores: live.then_some(p.scores),
                outputs: live.then_some(p.outputs),
                top: (live && top > 1).then(|| p.top(top)),
                inverted: r.input.inverted,
                blank: r.blank(),
            })
        }
    };
    // Only plain fields and finite-or-not floats (non-finite become null): cannot fail.
    s.unwrap_or_else(|e| format!("{{\"file\":{:?},\"error\":\"{e}\"}}", name))
}

/// Where `--show-input BASE` writes the 28x28 image of each input: with one input, `BASE`
/// itself; with several, `BASE`'s stem + `-` + the input's stem + `BASE`'s extension
/// (`out.png` → `out-seven.png`, `out-stdin.png`), with `-2`, `-3`, ... added when two
/// inputs share a stem.
pub fn show_input_paths(base: &Path, inputs: &[Input]) -> Vec<PathBuf> {
    if inputs.len() == 1 {
        return vec![base.to_path_buf()];
    }
    let stem = base
        .file_stem()
        .map_or_else(|| "input".into(), |s| s.to_string_lossy().into_owned());
    let ext = base
        .extension()
        .map_or_else(|| "png".into(), |e| e.to_string_lossy().into_owned());
    let mut used = std::collections::HashSet::new();
    inputs
        .iter()
        .map(|i| {
            let mut name = format!("{stem}-{}.{ext}", i.stem());
            let mut k = 2;
            while !used.insert(name.clone()) {
                name = format!("{stem}-{}-{k}.{ext}", i.stem());
                k += 1;
            }
            base.with_file_name(name)
        })
        .collect()
}

/// Saves the 28x28 input the network saw (PNG, or another format by extension).
pub fn save_input_image(r: &Recognition, path: &Path) -> Result<()> {
    to_gray_image(&r.input)
        .save(path)
        .map_err(|e| Error::format(path, format!("cannot write the 28x28 input image: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::image::{GrayImage, Luma, RgbImage};
    use lenet5::model::{Arch, Network};

    fn model() -> Model {
        Model::from_network(Network::new(Arch::Modern, 1))
    }

    #[test]
    fn blank_and_tiny_images_say_no_digit_found() {
        let m = model();
        for img in [
            DynamicImage::ImageLuma8(GrayImage::from_pixel(1, 1, Luma([0]))),
            DynamicImage::ImageRgb8(RgbImage::from_pixel(50, 30, ::image::Rgb([250, 250, 250]))),
        ] {
            let r = m.recognise(&img);
            assert!(r.blank() && r.digit().is_none() && !r.low_confidence());
            let t = text_line("x.png", &Ok(r.clone()), 3);
            assert!(t.contains("no digit found"), "{t}");
            let j: serde_json::Value =
                serde_json::from_str(&json_line("x.png", &Ok(r), 3)).unwrap();
            assert_eq!(j["blank"], true);
            assert!(j["digit"].is_null() && j["scores"].is_null());
        }
    }

    #[test]
    fn json_has_the_documented_fields() {
        let mut img = GrayImage::from_pixel(60, 60, Luma([255]));
        for y in 10..50 {
            for x in 28..33 {
                img.put_pixel(x, y, Luma([0]));
            }
        }
        let r = model().recognise(&DynamicImage::ImageLuma8(img));
        assert!(!r.blank() && r.input.inverted);
        let j: serde_json::Value =
            serde_json::from_str(&json_line("one.png", &Ok(r.clone()), 3)).unwrap();
        assert_eq!(j["file"], "one.png");
        assert_eq!(j["digit"], r.prediction.digit);
        assert_eq!(j["scores"].as_array().unwrap().len(), 10);
        assert_eq!(j["outputs"].as_array().unwrap().len(), 10);
        assert_eq!(j["top"].as_array().unwrap().len(), 3);
        assert_eq!(j["inverted"], true);
        let t = text_line("one.png", &Ok(r.clone()), 3);
        assert!(
            t.starts_with(&format!("one.png: {} (", r.prediction.digit)),
            "{t}"
        );
        assert!(t.contains("  top 3: "), "{t}");
        let no_top: serde_json::Value =
            serde_json::from_str(&json_line("one.png", &Ok(r), 1)).unwrap();
        assert!(no_top.get("top").is_none());
        let e: Result<Recognition> = Err(Error::format("bad.txt", "not an image"));
        let j: serde_json::Value = serde_json::from_str(&json_line("bad.txt", &e, 1)).unwrap();
        assert_eq!(j["error"], "bad.txt: not an image");
        assert_eq!(text_line("bad.txt", &e, 1), "error: bad.txt: not an image");
    }

    #[test]
    fn show_input_names_are_distinct() {
        let ins = [
            Input::File("a/7.png".into()),
            Input::File("b/7.jpg".into()),
            Input::Stdin,
        ];
        let p = show_input_paths(Path::new("out/seen.png"), &ins);
        assert_eq!(
            p,
            [
                PathBuf::from("out/seen-7.png"),
                PathBuf::from("out/seen-7-2.png"),
                PathBuf::from("out/seen-stdin.png")
            ]
        );
        assert_eq!(
            show_input_paths(Path::new("x.png"), &ins[..1]),
            [PathBuf::from("x.png")]
        );
    }
}
