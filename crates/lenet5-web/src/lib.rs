//! The lenet5 web page: HTML, script and style, written once and served both by
//! `lenet5 serve` (compiled into the binary) and as the static site.

/// The page.
pub const INDEX_HTML: &str = include_str!("../assets/index.html");
/// Its script.
pub const APP_JS: &str = include_str!("../assets/app.js");
/// Its style sheet.
pub const STYLE_CSS: &str = include_str!("../assets/style.css");
