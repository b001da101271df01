//! `lenet5 visualize`: what every layer of the network computes for one picture.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::color::{self, Rgb};
use super::draw::{Canvas, Font, Surface};
use super::{MARGIN, short, stack};
use lenet5::data::image::load_image;
use lenet5::model::Arch;
use lenet5::model::classic::c3_connected;
use lenet5::nn::rbf::{GLYPH_H, GLYPH_LEN, GLYPH_W, centres};
use lenet5::{Activations, Error, Model, Prediction, Result};

/// The file names `visualize` writes, in order (plus `summary.png` and `index.html`).
pub const FILES: [&str; 6] = [
    "input.png",
    "c1.png",
    "s2.png",
    "c3.png",
    "s4.png",
    "f6-rbf.png",
];

/// What [`visualize`] did.
#[derive(Clone, Debug)]
pub struct Visualization {
    pub prediction: Prediction,
    /// True when the picture held no ink (the network then sees an empty field).
    pub blank: bool,
    /// Every file written.
    pub files: Vec<PathBuf>,
}

/// Reads the picture `image`, runs `model` on it and writes into `out_dir` (created if
/// needed) the pictures of [`FILES`], `summary.png` (all of them stacked) and `index.html`.
pub fn visualize(model: &Model, image: &Path, out_dir: &Path) -> Result<Visualization> {
    let img = load_image(image)?;
    let (prediction, pre) = model.predict_with_input(&img);
    let (_, act) = model.explain_28x28(&pre.pixels);
    let pics = pictures(model.arch(), &pre.pixels, &prediction, &act);
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
    let mut files = Vec::new();
    for (name, pic) in &pics {
        let path = out_dir.join(name);
        pic.save_png(&path)?;
        files.push(path);
    }
    let refs: Vec<&Canvas> = pics.iter().map(|(_, c)| c).collect();
    let path = out_dir.join("summary.png");
    stack(&refs, 24).save_png(&path)?;
    files.push(path);
    let path = out_dir.join("index.html");
    let html = index_html(model.arch(), image, &prediction, pre.blank);
    std::fs::write(&path, html).map_err(|e| Error::io(&path, e))?;
    files.push(path);
    Ok(Visualization {
        prediction,
        blank: pre.blank,
        files,
    })
}

/// The pictures of [`FILES`] (same order) for one 28x28 input and what the network made of it.
pub fn pictures(
    arch: Arch,
    pixels: &[u8; 784],
    p: &Prediction,
    a: &Activations,
) -> Vec<(&'static str, Canvas)> {
    let classic = arch == Arch::Classic;
    let name = |c: &'static str, m: &'static str| if classic { c } else { m };
    let c3_label = |i: usize| {
        if classic {
            let from: String = (0..6)
                .filter(|&s| c3_connected(s, i))
                .map(|s| char::from(b'0' + s as u8))
                .collect();
            vec![format!("map {i}"), format!("S2 {from}")]
        } else {
            vec![format!("map {i}")]
        }
    };
    let plain = |i: usize| vec![format!("map {i}")];
    vec![
        ("input.png", input_picture(arch, pixels, p)),
        (
            "c1.png",
            map_grid(
                name("C1: convolution", "conv1: convolution"),
                name(
                    "6 feature maps 28x28: 5x5 convolutions of the 32x32 padded input, squashed by 1.7159 tanh(2a/3)",
                    "6 feature maps 28x28: 5x5 convolutions of the input ('same' padding), ReLU",
                ),
                &a.c1,
                (6, 28, 6, 6),
                plain,
            ),
        ),
        (
            "s2.png",
            map_grid(
                name("S2: subsampling", "pool1: max-pooling"),
                name(
                    "6 maps 14x14: each unit sums a 2x2 block of C1, times a trained coefficient, plus a bias, squashed",
                    "6 maps 14x14: the largest of each 2x2 block of conv1",
                ),
                &a.s2,
                (6, 14, 6, 12),
                plain,
            ),
        ),
        (
            "c3.png",
            map_grid(
                name("C3: convolution", "conv2: convolution"),
                name(
                    "16 maps 10x10: 5x5 convolutions over the S2 maps listed under each (the paper's Table I)",
                    "16 maps 10x10: 5x5 convolutions over all six pool1 maps, ReLU",
                ),
                &a.c3,
                (16, 10, 8, 12),
                c3_label,
            ),
        ),
        (
            "s4.png",
            map_grid(
                name("S4: subsampling", "pool2: max-pooling"),
                name(
                    "16 maps 5x5: 2x2 subsampling of C3, like S2",
                    "16 maps 5x5: the largest of each 2x2 block of conv2",
                ),
                &a.s4,
                (16, 5, 8, 24),
                plain,
            ),
        ),
        (
            "f6-rbf.png",
            if classic {
                rbf_picture(p, a)
            } else {
                softmax_picture(p, a)
            },
        ),
    ]
}

/// Title (scale 2) and a note (scale 1, grey) at the top; returns the y below them.
fn header(c: &mut Canvas, title: &str, note: &str) -> usize {
    c.text_at(MARGIN as i64, MARGIN as i64, title, 2, color::INK);
    let mut y = MARGIN + 14 + 10;
    if !note.is_empty() {
        c.text_at(MARGIN as i64, y as i64, note, 1, color::GREY);
        y += 10 + 8;
    }
    y + 4
}

fn header_width(title: &str, note: &str) -> usize {
    super::font::text_width(title, 2).max(super::font::text_width(note, 1)) + 2 * MARGIN
}

fn input_picture(arch: Arch, pixels: &[u8; 784], p: &Prediction) -> Canvas {
    const S: usize = 10;
    let title = "input: the 28x28 the network sees";
    let note = match arch {
        Arch::Classic => {
            "ink shown dark; the classic network pads it to 32x32, paper -0.1, ink +1.175"
        }
        Arch::Modern => {
            "ink shown dark; the modern network normalises it with MNIST's mean and std"
        }
    };
    let verdict = format!("prediction: {}  (p = {:.3})", p.digit, p.confidence());
    let w = header_width(title, note).max(28 * S + 2 * MARGIN);
    let h = header_height(note) + 28 * S + 2 + 12 + 14 + MARGIN;
    let mut c = Canvas::new(w, h, color::WHITE);
    let y = header(&mut c, title, note);
    c.frame(
        MARGIN as f32 - 1.0,
        y as f32 - 1.0,
        (28 * S + 2) as f32,
        (28 * S + 2) as f32,
        1.0,
        color::GREY,
    );
    c.cells(MARGIN as i64, y as i64, 28, 28, S, |i| {
        color::ink_u8(pixels[i])
    });
    c.text_at(
        MARGIN as i64,
        (y + 28 * S + 2 + 12) as i64,
        &verdict,
        2,
        color::ACCENT,
    );
    c
}

fn header_height(note: &str) -> usize {
    MARGIN + 14 + 10 + if note.is_empty() { 0 } else { 18 } + 4
}

/// The colour range of a layer: a robust maximum of |v| (the 99th percentile of the
/// non-zero magnitudes, so one extreme unit does not wash out every other map), whether
/// any value is negative, and whether some values lie beyond the range (drawn at its ends).
fn colour_range(maps: &[f32]) -> (f32, bool, bool) {
    let mut mags: Vec<f32> = maps
        .iter()
        .filter(|v| v.is_finite() && **v != 0.0)
        .map(|v| v.abs())
        .collect();
    if mags.is_empty() {
        return (1.0, false, false);
    }
    mags.sort_by(f32::total_cmp);
    let top = mags[mags.len() - 1];
    let q = mags[((mags.len() - 1) as f32 * 0.99).round() as usize];
    let max = if q > 0.0 { q } else { top };
    let signed = maps.iter().any(|v| *v < 0.0);
    (max, signed, top > max)
}

/// Horizontal colour bar for the diverging map from −max (or 0 when nothing is
/// negative) to +max.
fn colour_bar(c: &mut Canvas, x: usize, y: usize, (max, signed, clipped): (f32, bool, bool)) {
    const W: usize = 240;
    let lo = if signed { -1.0 } else { 0.0 };
    for i in 0..W {
        let v = lo + (i as f32 + 0.5) / W as f32 * (1.0 - lo);
        c.fill(
            (x + i) as i64,
            y as i64,
            1,
            12,
            color::diverging(v * max, max),
        );
    }
    c.frame(
        x as f32 - 1.0,
        y as f32 - 1.0,
        W as f32 + 2.0,
        14.0,
        1.0,
        color::GREY,
    );
    let ty = y as f32 + 18.0;
    let more = if clipped { "≥" } else { "" };
    if signed {
        let less = if clipped { "≤" } else { "" };
        c.text(
            x as f32,
            ty,
            &format!("{less}-{}", short(max)),
            Font::new(1, color::INK),
        );
        c.text(
            (x + W / 2) as f32,
            ty,
            "0",
            Font::new(1, color::INK).middle(),
        );
    } else {
        c.text(x as f32, ty, "0", Font::new(1, color::INK));
    }
    c.text(
        (x + W) as f32,
        ty,
        &format!("{more}+{}", short(max)),
        Font::new(1, color::INK).end(),
    );
    c.text(
        (x + W + 12) as f32,
        y as f32 + 3.0,
        "colour scale (the same for all maps of this layer)",
        Font::new(1, color::GREY),
    );
}

/// Feature maps tiled `cols` per row, each labelled; `shape` = (maps, side, cols, scale).
fn map_grid(
    title: &str,
    note: &str,
    maps: &[f32],
    shape: (usize, usize, usize, usize),
    label: impl Fn(usize) -> Vec<String>,
) -> Canvas {
    let (n, side, cols, scale) = shape;
    let range = colour_range(maps);
    let max = range.0;
    let lines = label(0).len();
    let tile = side * scale;
    let gap = 18;
    let label_h = lines * 20;
    let rows = n.div_ceil(cols);
    let grid_w = cols * tile + (cols - 1) * gap;
    let w = header_width(title, note).max(grid_w + 2 * MARGIN);
    let top = header_height(note);
    let h = top + rows * (label_h + tile + 2) + (rows - 1) * gap + 20 + 30 + MARGIN;
    let mut c = Canvas::new(w, h, color::WHITE);
    header(&mut c, title, note);
    for i in 0..n {
        let (r, k) = (i / cols, i % cols);
        let x = MARGIN + k * (tile + gap);
        let mut y = top + r * (label_h + tile + 2 + gap);
        for (j, l) in label(i).iter().enumerate() {
            let (scale, col) = if j == 0 {
                (2, color::INK)
            } else {
                (1, color::GREY)
            };
            c.text_at(
                x as i64,
                (y + j * 20 + if j == 0 { 0 } else { 2 }) as i64,
                l,
                scale,
                col,
            );
        }
        y += label_h;
        c.frame(
            x as f32 - 1.0,
            y as f32 - 1.0,
            (tile + 2) as f32,
            (tile + 2) as f32,
            1.0,
            color::LIGHT,
        );
        let m = &maps[i * side * side..(i + 1) * side * side];
        c.cells(x as i64, y as i64, side, side, scale, |j| {
            color::diverging(m[j], max)
        });
    }
    let y = top + rows * (label_h + tile + 2) + (rows - 1) * gap + 20;
    colour_bar(&mut c, MARGIN, y, range);
    c
}

/// Draws a 7x12 picture of 84 values at `scale` with `col` giving each value's colour.
fn glyph_cells(
    c: &mut Canvas,
    x: usize,
    y: usize,
    scale: usize,
    v: &[f32],
    col: impl Fn(f32) -> Rgb,
) {
    c.frame(
        x as f32 - 1.0,
        y as f32 - 1.0,
        (GLYPH_W * scale + 2) as f32,
        (GLYPH_H * scale + 2) as f32,
        1.0,
        color::GREY,
    );
    c.cells(x as i64, y as i64, GLYPH_W, GLYPH_H, scale, |i| col(v[i]));
}

/// Classic: F6 as a 7x12 picture beside the ten RBF bitmaps with their distances.
fn rbf_picture(p: &Prediction, a: &Activations) -> Canvas {
    let title = "F6 -> RBF output: the 84 F6 units as a 7x12 picture beside each digit's bitmap";
    let note = "bitmaps: white -1, black +1; numbers: squared distance from F6 to each bitmap (the nearest wins) and p = softmax(-distance)";
    let (fs, gs, gap) = (16, 10, 22);
    let left = MARGIN + GLYPH_W * fs + 48;
    let gw = GLYPH_W * gs;
    let w = header_width(title, note).max(left + 10 * gw + 9 * gap + MARGIN);
    let top = header_height(note);
    let h = top + 20 + GLYPH_H * fs + 20 + 14 + MARGIN;
    let mut c = Canvas::new(w, h, color::WHITE);
    header(&mut c, title, note);
    c.text_at(MARGIN as i64, top as i64, "F6", 2, color::INK);
    glyph_cells(&mut c, MARGIN, top + 22, fs, &a.f6, color::ink_pm1);
    let y0 = top + 22 + 40;
    let cen = centres();
    let win = p.digit as usize;
    for d in 0..10 {
        let x = left + d * (gw + gap);
        let col = if d == win { color::ACCENT } else { color::INK };
        c.text(
            (x + gw / 2) as f32,
            (y0 - 24) as f32,
            &d.to_string(),
            Font::new(2, col).middle(),
        );
        if d == win {
            c.frame(
                x as f32 - 5.0,
                y0 as f32 - 5.0,
                (gw + 10) as f32,
                (GLYPH_H * gs + 10) as f32,
                3.0,
                color::ACCENT,
            );
        }
        glyph_cells(
            &mut c,
            x,
            y0,
            gs,
            &cen[d * GLYPH_LEN..(d + 1) * GLYPH_LEN],
            color::ink_pm1,
        );
        let ty = y0 + GLYPH_H * gs + 12;
        c.text(
            (x + gw / 2) as f32,
            ty as f32,
            &short(a.output[d]),
            Font::new(2, col).middle(),
        );
        c.text(
            (x + gw / 2) as f32,
            (ty + 22) as f32,
            &format!("p {:.3}", p.scores[d]),
            Font::new(1, color::GREY).middle(),
        );
    }
    c
}

/// Modern: the 84 fc2 units as a 7x12 picture and the ten probabilities as bars.
fn softmax_picture(p: &Prediction, a: &Activations) -> Canvas {
    let title = "fc2 -> fc3 -> softmax: the 84 fc2 units and the ten class probabilities";
    let note = "fc2 drawn as 7x12 only to fit the page (ReLU, white 0, dark = largest); bars: softmax of the logits";
    let fs = 16;
    let left = MARGIN + GLYPH_W * fs + 48;
    let bar_w = 420;
    let row = 22;
    let w = header_width(title, note).max(left + 30 + bar_w + 260 + MARGIN);
    let top = header_height(note);
    let h = top + 22 + (GLYPH_H * fs).max(10 * row) + MARGIN + 8;
    let mut c = Canvas::new(w, h, color::WHITE);
    header(&mut c, title, note);
    c.text_at(MARGIN as i64, top as i64, "fc2", 2, color::INK);
    let max =
        a.f6.iter()
            .fold(0.0f32, |m, v| if v.is_finite() { m.max(*v) } else { m });
    let max = if max > 0.0 { max } else { 1.0 };
    glyph_cells(&mut c, MARGIN, top + 22, fs, &a.f6, |v| {
        color::sequential(v / max)
    });
    c.text_at(left as i64, top as i64, "digit  probability", 2, color::INK);
    for d in 0..10 {
        let y = top + 26 + d * row;
        let win = d == p.digit as usize;
        let col = if win { color::ACCENT } else { color::SERIES[0] };
        c.text(
            (left + 12) as f32,
            y as f32 + 2.0,
            &d.to_string(),
            Font::new(2, if win { color::ACCENT } else { color::INK }).middle(),
        );
        let bx = left + 30;
        c.fill(bx as i64, y as i64, bar_w as i64, 18, [244, 244, 244]);
        let len = (p.scores[d].clamp(0.0, 1.0) * bar_w as f32).round() as i64;
        c.fill(bx as i64, y as i64, len.max(1), 18, col);
        let mut t = String::new();
        let _ = write!(t, "p {:.3}   logit {}", p.scores[d], short(a.output[d]));
        c.text_at(
            (bx + bar_w + 10) as i64,
            y as i64 + 2,
            &t,
            2,
            if win { color::ACCENT } else { color::INK },
        );
    }
    c
}

fn index_html(arch: Arch, image: &Path, p: &Prediction, blank: bool) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>lenet5: {img}</title>\n\
         <style>body{{font-family:sans-serif;margin:2em;color:#222}}img{{image-rendering:pixelated;display:block;margin:0.5em 0 2em}}\
         table{{border-collapse:collapse}}td,th{{padding:2px 10px;text-align:right}}tr.win{{color:#d66000;font-weight:bold}}</style>\n\
         </head><body>\n<h1>{img}: the {arch} LeNet-5 says <b>{d}</b> (p = {c:.3})</h1>\n",
        img = esc(&image.display().to_string()),
        arch = arch,
        d = p.digit,
        c = p.confidence()
    );
    if blank {
        h += "<p><b>The picture holds no ink</b>: the network saw an empty field.</p>\n";
    }
    let out = if arch == Arch::Classic {
        "RBF distance"
    } else {
        "logit"
    };
    let _ = writeln!(
        h,
        "<table><tr><th>digit</th><th>probability</th><th>{out}</th></tr>"
    );
    for d in 0..10 {
        let cls = if d == p.digit as usize {
            " class=\"win\""
        } else {
            ""
        };
        let _ = writeln!(
            h,
            "<tr{cls}><td>{d}</td><td>{:.4}</td><td>{:.4}</td></tr>",
            p.scores[d], p.outputs[d]
        );
    }
    h += "</table>\n";
    for f in FILES {
        let _ = writeln!(h, "<h2>{f}</h2><img src=\"{f}\" alt=\"{f}\">");
    }
    h += "</body></html>\n";
    h
}
