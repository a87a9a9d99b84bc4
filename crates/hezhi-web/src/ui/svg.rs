//! Charts and maps drawn on the server as SVG: no script, no third-party library, readable by
//! screen readers (each figure has a title and each mark its own `<title>`).

use super::html::escape;
use hezhi_domain::{BoundingBox, Position, Shape};
use std::fmt::Write;

/// Colours of the map, from no open case to many (a sequential blue-to-red scale that stays
/// distinct in greyscale).
const SHADES: [(u64, &str); 5] = [
    (0, "#e8eef4"),
    (1, "#fde0a8"),
    (3, "#f9a65a"),
    (6, "#e8603c"),
    (11, "#b2182b"),
];

/// The colour of a region with `open` open cases.
pub fn shade(open: u64) -> &'static str {
    SHADES
        .iter()
        .rev()
        .find(|(from, _)| open >= *from)
        .map_or(SHADES[0].1, |(_, colour)| colour)
}

/// The legend of [`shade`]: the lower bound of each colour.
pub fn legend(label: &str) -> String {
    let mut out = String::from(r#"<p class="legend">"#);
    out.push_str(&escape(label));
    for (i, (from, colour)) in SHADES.iter().enumerate() {
        let text = match SHADES.get(i + 1) {
            Some((next, _)) if *next - 1 > *from => format!("{from}–{}", next - 1),
            Some(_) => from.to_string(),
            None => format!("≥{from}"),
        };
        let _ = write!(
            out,
            r##" <svg class="swatch" width="14" height="14" aria-hidden="true"><rect width="14" height="14" fill="{colour}" stroke="#3b4a5a"/></svg>{text}"##
        );
    }
    out.push_str("</p>");
    out
}

/// One area of a map: its shape, its label and its count.
#[derive(Debug)]
pub struct Area<'a> {
    pub shape: &'a Shape,
    pub label: String,
    pub open: u64,
}

const MAP_WIDTH: f64 = 640.0;

/// The areas drawn to scale: longitude shrunk by the cosine of the middle latitude so that
/// the map is not stretched, north up.
pub fn map(title: &str, areas: &[Area<'_>]) -> String {
    let Some(bbox) = areas
        .iter()
        .map(|a| a.shape.bbox())
        .reduce(|a, b| BoundingBox {
            min_lat: a.min_lat.min(b.min_lat),
            min_lon: a.min_lon.min(b.min_lon),
            max_lat: a.max_lat.max(b.max_lat),
            max_lon: a.max_lon.max(b.max_lon),
        })
    else {
        return String::new();
    };
    let squeeze = ((bbox.min_lat + bbox.max_lat) / 2.0).to_radians().cos();
    let span_x = ((bbox.max_lon - bbox.min_lon) * squeeze).max(1e-9);
    let span_y = (bbox.max_lat - bbox.min_lat).max(1e-9);
    let scale = MAP_WIDTH / span_x;
    let height = (span_y * scale).clamp(120.0, 900.0);
    let scale = scale.min(height / span_y);
    let point = |p: &Position| {
        (
            (p.lon - bbox.min_lon) * squeeze * scale,
            (bbox.max_lat - p.lat) * scale,
        )
    };
    let mut out = format!(
        r#"<svg class="map" viewBox="-4 -4 {:.0} {:.0}" role="img" aria-labelledby="map-title" xmlns="http://www.w3.org/2000/svg"><title id="map-title">{}</title>"#,
        MAP_WIDTH + 8.0,
        height + 8.0,
        escape(title)
    );
    let mut labels = String::new();
    for area in areas {
        // The label sits at the mean of the outer ring's corners: inside a convex grid, and
        // near enough for the rest; the area's own <title> names it exactly.
        if let Some(ring) = area
            .shape
            .polygons()
            .first()
            .map(|p| p.exterior().positions())
        {
            let n = ring.len().max(1) as f64;
            let (sx, sy) = ring
                .iter()
                .map(&point)
                .fold((0.0, 0.0), |(ax, ay), (x, y)| (ax + x, ay + y));
            let _ = write!(
                labels,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="14" fill="#1d2733" stroke="#ffffff" stroke-width="3" paint-order="stroke">{}</text>"##,
                sx / n,
                sy / n,
                escape(&format!("{} {}", area.label, area.open))
            );
        }
        let mut d = String::new();
        for polygon in area.shape.polygons() {
            for ring in std::iter::once(polygon.exterior()).chain(polygon.holes()) {
                for (i, p) in ring.positions().iter().enumerate() {
                    let (x, y) = point(p);
                    let _ = write!(d, "{}{x:.1} {y:.1} ", if i == 0 { "M" } else { "L" });
                }
                d.push('Z');
            }
        }
        let _ = write!(
            out,
            r##"<path d="{d}" fill="{}" fill-rule="evenodd" stroke="#3b4a5a" stroke-width="1"><title>{}</title></path>"##,
            shade(area.open),
            escape(&format!("{}: {}", area.label, area.open))
        );
    }
    out.push_str(&labels);
    out.push_str("</svg>");
    out
}

/// A map without shapes: one tile per region, in code order, coloured like [`map`].
pub fn tiles(title: &str, tiles: &[(String, u64)]) -> String {
    const COLUMNS: usize = 6;
    const SIZE: f64 = 104.0;
    let rows = tiles.len().div_ceil(COLUMNS).max(1);
    let mut out = format!(
        r#"<svg class="map" viewBox="0 0 {:.0} {:.0}" role="img" aria-labelledby="map-title" xmlns="http://www.w3.org/2000/svg"><title id="map-title">{}</title>"#,
        COLUMNS as f64 * SIZE,
        rows as f64 * SIZE,
        escape(title)
    );
    for (i, (label, open)) in tiles.iter().enumerate() {
        let x = (i % COLUMNS) as f64 * SIZE;
        let y = (i / COLUMNS) as f64 * SIZE;
        let short: String = label.chars().take(6).collect();
        let ink = if *open >= 6 { "#ffffff" } else { "#1d2733" };
        let _ = write!(
            out,
            r##"<g><title>{full}</title><rect x="{x:.0}" y="{y:.0}" width="{w:.0}" height="{w:.0}" rx="6" fill="{fill}" stroke="#3b4a5a"/><text x="{tx:.0}" y="{ty:.0}" text-anchor="middle" font-size="14" fill="{ink}">{short}</text><text x="{tx:.0}" y="{ny:.0}" text-anchor="middle" font-size="22" font-weight="700" fill="{ink}">{open}</text></g>"##,
            full = escape(&format!("{label}: {open}")),
            w = SIZE - 6.0,
            fill = shade(*open),
            tx = x + (SIZE - 6.0) / 2.0,
            ty = y + 40.0,
            ny = y + 72.0,
            short = escape(&short),
        );
    }
    out.push_str("</svg>");
    out
}

/// Daily counts as columns with a line through their tops; `days` is every day of the
/// period in order, each with its count (zero included).
pub fn trend(title: &str, days: &[(String, u64)]) -> String {
    const WIDTH: f64 = 640.0;
    const HEIGHT: f64 = 220.0;
    const LEFT: f64 = 40.0;
    const BOTTOM: f64 = 28.0;
    let top = days.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let plot_w = WIDTH - LEFT - 8.0;
    let plot_h = HEIGHT - BOTTOM - 12.0;
    let step = plot_w / days.len().max(1) as f64;
    let mut out = format!(
        r#"<svg class="trend" viewBox="0 0 {WIDTH:.0} {HEIGHT:.0}" role="img" aria-labelledby="trend-title" xmlns="http://www.w3.org/2000/svg"><title id="trend-title">{}</title>"#,
        escape(title)
    );
    // Axis and the top value.
    let base = HEIGHT - BOTTOM;
    let _ = write!(
        out,
        r##"<line x1="{LEFT}" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="#3b4a5a"/><text x="{x:.0}" y="20" font-size="12" text-anchor="end" fill="#4a5563">{top}</text><text x="{x:.0}" y="{base}" font-size="12" text-anchor="end" fill="#4a5563">0</text>"##,
        x = LEFT - 6.0
    );
    let mut line = String::new();
    for (i, (day, n)) in days.iter().enumerate() {
        let h = *n as f64 / top as f64 * plot_h;
        let x = LEFT + i as f64 * step;
        let _ = write!(
            out,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="#9cc3e6"><title>{}</title></rect>"##,
            x + step * 0.15,
            base - h,
            step * 0.7,
            escape(&format!("{day}: {n}"))
        );
        let _ = write!(line, "{:.1},{:.1} ", x + step / 2.0, base - h);
    }
    let _ = write!(
        out,
        r##"<polyline points="{}" fill="none" stroke="#1f5f99" stroke-width="2"/>"##,
        line.trim_end()
    );
    if let (Some((first, _)), Some((last, _))) = (days.first(), days.last()) {
        let _ = write!(
            out,
            r##"<text x="{LEFT}" y="{:.0}" font-size="12" fill="#4a5563">{}</text><text x="{WIDTH}" y="{:.0}" font-size="12" text-anchor="end" fill="#4a5563">{}</text>"##,
            HEIGHT - 8.0,
            escape(first),
            HEIGHT - 8.0,
            escape(last)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shades_rise_with_the_count() {
        assert_eq!(shade(0), "#e8eef4");
        assert_eq!(shade(1), "#fde0a8");
        assert_eq!(shade(2), "#fde0a8");
        assert_eq!(shade(5), "#f9a65a");
        assert_eq!(shade(10), "#e8603c");
        assert_eq!(shade(500), "#b2182b");
        let legend = legend("未办结事件");
        assert!(legend.contains("1–2") && legend.contains("≥11"), "{legend}");
    }

    #[test]
    fn a_trend_has_a_column_per_day_and_escapes_its_labels() {
        let days = vec![
            ("2026-11-01".to_owned(), 3),
            ("2026-11-02".to_owned(), 0),
            ("2026-11-03".to_owned(), 6),
        ];
        let svg = trend("每日受理 <量>", &days);
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("<title>2026-11-03: 6</title>"));
        assert!(svg.contains("每日受理 &lt;量&gt;"));
        // The highest column reaches the top of the plot.
        assert!(svg.contains(r#"height="180.0""#), "{svg}");
    }

    #[test]
    fn a_map_draws_each_area_to_scale_with_its_count() {
        let square = |lon: f64| {
            Shape::from_geojson(&serde_json::json!({
                "type": "Polygon",
                "coordinates": [[[lon, 35.0], [lon + 0.01, 35.0], [lon + 0.01, 35.01], [lon, 35.01], [lon, 35.0]]]
            }))
            .expect("a square")
        };
        let (a, b) = (square(116.0), square(116.01));
        let svg = map(
            "网格",
            &[
                Area {
                    shape: &a,
                    label: "一网格".into(),
                    open: 0,
                },
                Area {
                    shape: &b,
                    label: "二网格".into(),
                    open: 7,
                },
            ],
        );
        assert_eq!(svg.matches("<path").count(), 2);
        assert!(svg.contains("<title>二网格: 7</title>"));
        assert!(svg.contains(r##"fill="#e8603c""##));
        // Two squares side by side, squeezed by cos(35°): wider than tall.
        assert!(svg.contains(r#"viewBox="-4 -4 648 "#), "{svg}");
        assert_eq!(map("空", &[]), "");
    }

    #[test]
    fn tiles_wrap_in_rows_of_six() {
        let regions: Vec<(String, u64)> = (0..7).map(|i| (format!("村{i}"), i)).collect();
        let svg = tiles("各村", &regions);
        assert_eq!(svg.matches("<rect").count(), 7);
        assert!(svg.contains(r#"viewBox="0 0 624 208""#), "{svg}");
    }
}
