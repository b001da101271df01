//! Two drawing surfaces behind one trait: [`Canvas`] (an RGB raster, saved as PNG) and
//! [`Svg`] (hand-written SVG text). Charts are drawn once against [`Surface`] and come
//! out as either; pictures made of pixels (feature maps, digits) use [`Canvas`] directly.

use std::fmt::Write as _;
use std::path::Path;

use image::ImageEncoder;

use super::color::{Rgb, hex};
use super::font;
use lenet5::{Error, Result};

/// Where a text's `x` is: its left end, its middle or its right end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// How a text is drawn: size (`scale` times the 5x7 font: scale 2 = capitals 14 pixels
/// tall), colour, anchor, and direction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Font {
    pub scale: usize,
    pub color: Rgb,
    pub anchor: Anchor,
    /// Turned a quarter anticlockwise, reading upwards.
    pub vertical: bool,
}

impl Font {
    /// Horizontal, anchored at its start.
    pub const fn new(scale: usize, color: Rgb) -> Font {
        Font {
            scale,
            color,
            anchor: Anchor::Start,
            vertical: false,
        }
    }
    /// Anchored at its middle.
    pub const fn middle(self) -> Font {
        Font {
            anchor: Anchor::Middle,
            ..self
        }
    }
    /// Anchored at its end.
    pub const fn end(self) -> Font {
        Font {
            anchor: Anchor::End,
            ..self
        }
    }
    /// Reading upwards.
    pub const fn vertical(self) -> Font {
        Font {
            vertical: true,
            ..self
        }
    }
}

/// What charts draw on. Coordinates are pixels from the top-left corner; text is placed
/// by the top of its capital letters (`y`) and by its [`Font`]'s anchor along `x`.
pub trait Surface {
    /// Fills an axis-aligned rectangle.
    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, fill: Rgb);
    /// A polyline of the given stroke width, solid or dashed.
    fn polyline(&mut self, pts: &[(f32, f32)], width: f32, color: Rgb, dashed: bool);
    /// A filled disc.
    fn dot(&mut self, x: f32, y: f32, r: f32, color: Rgb);
    /// Text, horizontal, or turned a quarter anticlockwise when `font.vertical` (then `x`
    /// is the left edge of the capitals and the anchor works along the y axis, upwards).
    fn text(&mut self, x: f32, y: f32, s: &str, font: Font);
    /// A rectangle outline `width` thick, drawn inside the rectangle.
    fn frame(&mut self, x: f32, y: f32, w: f32, h: f32, width: f32, color: Rgb) {
        self.rect(x, y, w, width, color);
        self.rect(x, y + h - width, w, width, color);
        self.rect(x, y, width, h, color);
        self.rect(x + w - width, y, width, h, color);
    }
}

/// An RGB raster.
#[derive(Clone, Debug, PartialEq)]
pub struct Canvas {
    pub width: usize,
    pub height: usize,
    /// Row-major RGB bytes.
    pub data: Vec<u8>,
}

impl Canvas {
    /// A `width` x `height` canvas filled with `bg`.
    pub fn new(width: usize, height: usize, bg: Rgb) -> Canvas {
        let mut data = Vec::with_capacity(width * height * 3);
        for _ in 0..width * height {
            data.extend_from_slice(&bg);
        }
        Canvas {
            width,
            height,
            data,
        }
    }

    /// The colour at (x, y); `None` outside.
    pub fn get(&self, x: usize, y: usize) -> Option<Rgb> {
        (x < self.width && y < self.height).then(|| {
            let k = (y * self.width + x) * 3;
            [self.data[k], self.data[k + 1], self.data[k + 2]]
        })
    }

    /// Sets (x, y) if it is inside.
    pub fn put(&mut self, x: i64, y: i64, c: Rgb) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            let k = (y as usize * self.width + x as usize) * 3;
            self.data[k..k + 3].copy_from_slice(&c);
        }
    }

    /// Mixes `c` into (x, y) with opacity `a` in [0, 1].
    pub fn blend(&mut self, x: i64, y: i64, c: Rgb, a: f32) {
        if a <= 0.0 || x < 0 || y < 0 || x as usize >= self.width || y as usize >= self.height {
            return;
        }
        let a = a.min(1.0);
        let k = (y as usize * self.width + x as usize) * 3;
        for (d, &new) in self.data[k..k + 3].iter_mut().zip(&c) {
            let old = *d as f32;
            *d = (old + (new as f32 - old) * a).round() as u8;
        }
    }

    /// Fills whole pixels of a rectangle (clipped).
    pub fn fill(&mut self, x: i64, y: i64, w: i64, h: i64, c: Rgb) {
        let (x0, y0) = (x.max(0), y.max(0));
        let x1 = (x + w).min(self.width as i64);
        let y1 = (y + h).min(self.height as i64);
        for yy in y0..y1 {
            for xx in x0..x1 {
                self.put(xx, yy, c);
            }
        }
    }

    /// Draws `cells` (row-major, `cols` x `rows` colours) with each cell a `scale` x
    /// `scale` block (nearest neighbour), top-left at (x, y).
    pub fn cells(
        &mut self,
        x: i64,
        y: i64,
        cols: usize,
        rows: usize,
        scale: usize,
        color: impl Fn(usize) -> Rgb,
    ) {
        for r in 0..rows {
            for c in 0..cols {
                let s = scale as i64;
                self.fill(
                    x + c as i64 * s,
                    y + r as i64 * s,
                    s,
                    s,
                    color(r * cols + c),
                );
            }
        }
    }

    /// Copies `src` with its top-left at (x, y).
    pub fn blit(&mut self, src: &Canvas, x: i64, y: i64) {
        for yy in 0..src.height {
            for xx in 0..src.width {
                if let Some(c) = src.get(xx, yy) {
                    self.put(x + xx as i64, y + yy as i64, c);
                }
            }
        }
    }

    /// Text with its top-left at whole pixel (x, y), integer scale, no smoothing.
    pub fn text_at(&mut self, x: i64, y: i64, s: &str, scale: usize, c: Rgb) {
        let k = scale as i64;
        font::for_each_pixel(s, |gx, gy| {
            self.fill(x + gx as i64 * k, y + gy as i64 * k, k, k, c)
        });
    }

    /// The picture as PNG bytes.
    pub fn png_bytes(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new_with_quality(
            &mut out,
            image::codecs::png::CompressionType::Best,
            image::codecs::png::FilterType::Adaptive,
        )
        .write_image(
            &self.data,
            self.width as u32,
            self.height as u32,
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| {
            Error::Usage(format!(
                "cannot encode a {}x{} PNG: {e}",
                self.width, self.height
            ))
        })?;
        Ok(out)
    }

    /// Writes the picture as a PNG file.
    pub fn save_png(&self, path: &Path) -> Result<()> {
        let bytes = self.png_bytes()?;
        std::fs::write(path, bytes).map_err(|e| Error::io(path, e))
    }
}

fn dist_to_segment(px: f32, py: f32, a: (f32, f32), b: (f32, f32)) -> f32 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (qx, qy) = (a.0 + t * dx - px, a.1 + t * dy - py);
    (qx * qx + qy * qy).sqrt()
}

impl Canvas {
    /// An anti-aliased segment `width` thick (coverage from the distance to the segment).
    fn segment(&mut self, a: (f32, f32), b: (f32, f32), width: f32, c: Rgb) {
        let h = width / 2.0 + 1.0;
        let x0 = (a.0.min(b.0) - h).floor() as i64;
        let x1 = (a.0.max(b.0) + h).ceil() as i64;
        let y0 = (a.1.min(b.1) - h).floor() as i64;
        let y1 = (a.1.max(b.1) + h).ceil() as i64;
        for y in y0.max(0)..=y1.min(self.height as i64 - 1) {
            for x in x0.max(0)..=x1.min(self.width as i64 - 1) {
                let d = dist_to_segment(x as f32 + 0.5, y as f32 + 0.5, a, b);
                self.blend(x, y, c, (width / 2.0 + 0.5 - d).clamp(0.0, 1.0));
            }
        }
    }
}

impl Surface for Canvas {
    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, fill: Rgb) {
        let (x0, y0) = (x.round() as i64, y.round() as i64);
        let (x1, y1) = ((x + w).round() as i64, (y + h).round() as i64);
        self.fill(x0, y0, x1 - x0, y1 - y0, fill);
    }

    fn polyline(&mut self, pts: &[(f32, f32)], width: f32, color: Rgb, dashed: bool) {
        for w in pts.windows(2) {
            let (a, b) = (w[0], w[1]);
            if !dashed {
                self.segment(a, b, width, color);
                continue;
            }
            let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
            let (on, off) = (6.0 * width.max(1.0), 4.0 * width.max(1.0));
            let mut s = 0.0;
            while s < len {
                let e = (s + on).min(len);
                let p = |t: f32| (a.0 + (b.0 - a.0) * t / len, a.1 + (b.1 - a.1) * t / len);
                self.segment(p(s), p(e), width, color);
                s += on + off;
            }
        }
    }

    fn dot(&mut self, x: f32, y: f32, r: f32, color: Rgb) {
        for yy in (y - r - 1.0).floor() as i64..=(y + r + 1.0).ceil() as i64 {
            for xx in (x - r - 1.0).floor() as i64..=(x + r + 1.0).ceil() as i64 {
                let d = ((xx as f32 + 0.5 - x).powi(2) + (yy as f32 + 0.5 - y).powi(2)).sqrt();
                self.blend(xx, yy, color, (r + 0.5 - d).clamp(0.0, 1.0));
            }
        }
    }

    fn text(&mut self, x: f32, y: f32, s: &str, f: Font) {
        let Font {
            scale,
            anchor,
            color,
            vertical,
        } = f;
        let w = font::text_width(s, scale) as f32;
        let shift = match anchor {
            Anchor::Start => 0.0,
            Anchor::Middle => w / 2.0,
            Anchor::End => w,
        };
        let k = scale as i64;
        if vertical {
            // Reading upwards: glyph column gx goes up the y axis, glyph row gy goes right.
            let (x0, y0) = (x.round() as i64, (y + shift).round() as i64);
            font::for_each_pixel(s, |gx, gy| {
                self.fill(x0 + gy as i64 * k, y0 - (gx as i64 + 1) * k, k, k, color)
            });
        } else {
            self.text_at(
                (x - shift).round() as i64,
                y.round() as i64,
                s,
                scale,
                color,
            );
        }
    }
}

/// An SVG document being written.
#[derive(Clone, Debug)]
pub struct Svg {
    pub width: f32,
    pub height: f32,
    body: String,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Svg {
    /// An empty `width` x `height` document with a white background.
    pub fn new(width: f32, height: f32) -> Svg {
        let mut s = Svg {
            width,
            height,
            body: String::new(),
        };
        s.rect(0.0, 0.0, width, height, super::color::WHITE);
        s
    }

    /// The finished document.
    pub fn finish(&self) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
             font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\">\n{}</svg>\n",
            self.body,
            w = self.width,
            h = self.height
        )
    }

    /// Writes the document to `path`.
    pub fn save(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.finish()).map_err(|e| Error::io(path, e))
    }
}

impl Surface for Svg {
    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, fill: Rgb) {
        let _ = writeln!(
            self.body,
            "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"{}\"/>",
            hex(fill)
        );
    }

    fn polyline(&mut self, pts: &[(f32, f32)], width: f32, color: Rgb, dashed: bool) {
        let p: Vec<String> = pts.iter().map(|(x, y)| format!("{x:.2},{y:.2}")).collect();
        let dash = if dashed {
            format!(" stroke-dasharray=\"{} {}\"", 6.0 * width, 4.0 * width)
        } else {
            String::new()
        };
        let _ = writeln!(
            self.body,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{width}\" stroke-linejoin=\"round\"{dash}/>",
            p.join(" "),
            hex(color)
        );
    }

    fn dot(&mut self, x: f32, y: f32, r: f32, color: Rgb) {
        let _ = writeln!(
            self.body,
            "<circle cx=\"{x:.2}\" cy=\"{y:.2}\" r=\"{r}\" fill=\"{}\"/>",
            hex(color)
        );
    }

    fn text(&mut self, x: f32, y: f32, s: &str, f: Font) {
        let Font {
            scale,
            anchor,
            color,
            vertical,
        } = f;
        let a = match anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let size = 10.0 * scale as f32;
        let cap = (font::CAP_H * scale) as f32;
        let body = esc(s);
        if vertical {
            let (bx, by) = (x + cap, y);
            let _ = writeln!(
                self.body,
                "<text x=\"{bx}\" y=\"{by}\" font-size=\"{size}\" text-anchor=\"{a}\" fill=\"{}\" transform=\"rotate(-90 {bx} {by})\">{body}</text>",
                hex(color)
            );
        } else {
            let _ = writeln!(
                self.body,
                "<text x=\"{x}\" y=\"{}\" font-size=\"{size}\" text-anchor=\"{a}\" fill=\"{}\">{body}</text>",
                y + cap,
                hex(color)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::viz::color::{BLACK, WHITE};

    fn ink_box(c: &Canvas) -> Option<(usize, usize, usize, usize)> {
        let mut b: Option<(usize, usize, usize, usize)> = None;
        for y in 0..c.height {
            for x in 0..c.width {
                if c.get(x, y) != Some(WHITE) {
                    b = Some(match b {
                        None => (x, y, x, y),
                        Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
                    });
                }
            }
        }
        b
    }

    #[test]
    fn text_is_placed_by_anchor_and_turns_for_vertical() {
        let w = font::text_width("ab1", 2);
        let mut c = Canvas::new(200, 200, WHITE);
        c.text(100.0, 10.0, "ab1", Font::new(2, BLACK).end());
        let (x0, y0, x1, _) = ink_box(&c).unwrap();
        assert!(x1 < 100 && x0 >= 100 - w && y0 >= 10, "{x0} {y0} {x1}");
        let mut v = Canvas::new(200, 200, WHITE);
        v.text(20.0, 150.0, "ab1", Font::new(2, BLACK).vertical());
        let (x0, y0, x1, y1) = ink_box(&v).unwrap();
        // Reads upwards from y = 150, capitals 14 pixels wide to the right of x = 20.
        assert!(
            x0 >= 20 && x1 < 20 + 18 && y1 < 150 && y0 >= 150 - w,
            "{x0} {y0} {x1} {y1}"
        );
        assert!(y1 - y0 > x1 - x0, "vertical text is taller than wide");
    }

    #[test]
    fn lines_and_dots_stay_inside_and_svg_escapes_text() {
        let mut c = Canvas::new(20, 20, WHITE);
        c.polyline(&[(-50.0, -50.0), (70.0, 70.0)], 3.0, BLACK, false);
        c.dot(100.0, 100.0, 5.0, BLACK);
        assert!((0..20).all(|k| c.get(k, k).is_some_and(|p| p != WHITE)));
        // Dashed: ink along the line, with gaps.
        let mut d = Canvas::new(100, 5, WHITE);
        d.polyline(&[(0.0, 2.5), (100.0, 2.5)], 1.0, BLACK, true);
        let row: Vec<bool> = (0..100).map(|x| d.get(x, 2) != Some(WHITE)).collect();
        assert!(row[..6].iter().all(|&b| b) && row.iter().any(|&b| !b));
        let mut s = Svg::new(10.0, 10.0);
        s.text(0.0, 0.0, "a<b & \"c\"", Font::new(1, BLACK));
        let doc = s.finish();
        assert!(doc.contains("a&lt;b &amp; &quot;c&quot;"), "{doc}");
        assert!(!doc.contains("a<b"));
    }
}
