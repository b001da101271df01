//! What both browser tests (the server's page, `e2e.mjs`, and the static site,
//! `site.mjs`) check the same way in the results their scripts print.

use serde_json::Value;

/// The number mode's results (`check: "number"`): "2026" and "31415" read by the bundled
/// reader (the mode's default), then "2026" by the classic network chosen on the switch;
/// each read as written, and the status line naming the network that read it.
pub fn assert_numbers_read(results: &[Value]) {
    let numbers: Vec<_> = results.iter().filter(|r| r["check"] == "number").collect();
    let by: Vec<(&str, &str)> = numbers
        .iter()
        .map(|r| {
            (
                r["model"].as_str().unwrap_or(""),
                r["written"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        by,
        [("reader", "2026"), ("reader", "31415"), ("classic", "2026")],
        "number mode: two numbers by the reader (its default), one by the classic network"
    );
    for r in numbers {
        assert_eq!(r["number"], r["written"], "number mode read {r}");
        assert!(
            r["status"].as_str().is_some_and(|s| s.starts_with(&format!(
                "{} network read",
                r["model"].as_str().unwrap_or("?")
            ))),
            "the status names the network that read: {r}"
        );
    }
}
