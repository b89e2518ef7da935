//! The trend chart, drawn on the server as SVG: it needs no script, obeys the page's content
//! security policy (presentation attributes, no inline style), prints, and reads the same in
//! both directions. A chart library in the browser would add a download and a script for
//! twelve bars.

use std::fmt::Write as _;

/// Bars for `points` (label, value in minor units): gains above the zero line, losses below
/// it, both scaled into the same plotting height. The page puts the values beside it in a
/// table for screen readers; the chart itself is one image with a name.
pub fn bars(points: &[(String, i64)], title: &str) -> String {
    const W: i64 = 600;
    const TOP: i64 = 10;
    const PLOT: i64 = 140;
    let up = points.iter().map(|(_, v)| *v).max().unwrap_or(0).max(0);
    let down = points
        .iter()
        .map(|(_, v)| v.saturating_neg())
        .max()
        .unwrap_or(0)
        .max(0);
    let span = up.saturating_add(down).max(1);
    // Pixels for `v` of the span, in i128: minor units times pixels can pass i64.
    let scale =
        |v: i64| i64::try_from(i128::from(v) * i128::from(PLOT) / i128::from(span)).unwrap_or(PLOT);
    // With nothing but zeros the line sits at the bottom, as for gains only.
    let base = if up == 0 && down == 0 {
        TOP + PLOT
    } else {
        TOP + scale(up)
    };
    let n = i64::try_from(points.len()).unwrap_or(1).max(1);
    let slot = W / n;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg class="chart" viewBox="0 0 {W} 180" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg" direction="ltr">"##,
        askama_escape(title)
    );
    for (i, (label, value)) in points.iter().enumerate() {
        let i = i64::try_from(i).unwrap_or(0);
        let height = scale(value.saturating_abs());
        let x = i * slot + slot / 6;
        let (y, fill) = if *value >= 0 {
            (base - height, "#0b5cad")
        } else {
            (base, "#a4161a")
        };
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="{y}" width="{}" height="{height}" fill="{fill}"/><text x="{}" y="172" font-size="11" text-anchor="middle" fill="#1b1f24">{}</text>"##,
            slot * 2 / 3,
            x + slot / 3,
            askama_escape(label),
        );
    }
    let _ = write!(
        svg,
        r##"<line x1="0" y1="{base}" x2="{W}" y2="{base}" stroke="#4a5360"/>"##
    );
    svg.push_str("</svg>");
    svg
}

/// Text for an SVG attribute or element.
fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gains_and_losses_share_the_plot_and_labels_are_escaped() {
        let svg = bars(&[("2026-11".into(), 500), ("<b>".into(), -250)], "Trend");
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert!(
            svg.contains(r##"fill="#a4161a""##),
            "a loss is drawn below the line"
        );
    }
}
