//! A report as one self-contained HTML page, laid out for A4 paper: the browser's "print" (or
//! "save as PDF") gives the paper a town office files.

use crate::text::escape_markup;
use crate::{Cell, Sheet};

/// One table of a printed report, under its heading.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub heading: String,
    /// A line under the heading: the period covered, the source, a remark.
    pub note: Option<String>,
    pub columns: Vec<String>,
    /// A row shorter than `columns` is padded with empty cells.
    pub rows: Vec<Vec<Cell>>,
}

impl From<&Sheet> for Section {
    /// The sheet's title line (or its name) as the heading, its headers as the columns.
    fn from(sheet: &Sheet) -> Section {
        Section {
            heading: sheet.title.clone().unwrap_or_else(|| sheet.name.clone()),
            note: None,
            columns: sheet.columns.iter().map(|c| c.header.clone()).collect(),
            rows: sheet.rows.clone(),
        }
    }
}

/// A complete HTML document (`lang="zh-CN"`, UTF-8, CSS inside, no script and no link to
/// anything) printing on A4 portrait with 15 mm margins: `title` centred on top, `subtitle`
/// (e.g. the period and the office; left out when empty) under it, then each section's heading,
/// note and table.
///
/// Tables have borders; their header repeats on every printed page and no row is cut across
/// two pages. Numbers and percentages are aligned to the right; dates, and codes such as case
/// numbers (up to 32 ASCII letters, digits and `-_./:+#@`), are kept on one line; a Chinese header is not
/// broken between its characters; line breaks in a text are kept.
/// A table without rows says so (`无记录`). All text is escaped.
pub fn html_document(title: &str, subtitle: &str, sections: &[Section]) -> String {
    document(title, subtitle, sections, Orientation::Portrait)
}

/// [`html_document`] for tables too wide for a portrait page: A4 landscape.
pub fn html_document_landscape(title: &str, subtitle: &str, sections: &[Section]) -> String {
    document(title, subtitle, sections, Orientation::Landscape)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Orientation {
    Portrait,
    Landscape,
}

const FONTS: &str = "\"Noto Sans CJK SC\", \"Source Han Sans SC\", \"WenQuanYi Micro Hei\", \
                     \"Microsoft YaHei\", \"PingFang SC\", SimSun, sans-serif";

fn document(title: &str, subtitle: &str, sections: &[Section], orientation: Orientation) -> String {
    let (page, width) = match orientation {
        Orientation::Portrait => ("portrait", "180mm"),
        Orientation::Landscape => ("landscape", "267mm"),
    };
    let mut out = String::with_capacity(4096);
    out.push_str(&format!(
        "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n\
         @page {{ size: A4 {page}; margin: 15mm }}\n\
         * {{ box-sizing: border-box }}\n\
         html {{ -webkit-print-color-adjust: exact; print-color-adjust: exact }}\n\
         body {{ margin: 0 auto; max-width: {width}; color: #000; background: #fff; \
         font-family: {FONTS}; font-size: 10.5pt; line-height: 1.5 }}\n\
         @media screen {{ body {{ padding: 15mm 0 }} }}\n\
         h1 {{ margin: 0 0 2mm; font-size: 16pt; text-align: center }}\n\
         .subtitle {{ margin: 0 0 6mm; font-size: 10.5pt; text-align: center }}\n\
         section {{ margin: 0 0 8mm }}\n\
         h2 {{ margin: 0 0 1mm; font-size: 12pt; break-after: avoid; page-break-after: avoid }}\n\
         .note {{ margin: 0 0 2mm; font-size: 9pt; color: #333 }}\n\
         table {{ width: 100%; border-collapse: collapse }}\n\
         thead {{ display: table-header-group }}\n\
         tr {{ break-inside: avoid; page-break-inside: avoid }}\n\
         th, td {{ border: 0.75pt solid #000; padding: 1mm 1.5mm; text-align: left; \
         vertical-align: top; white-space: pre-line; overflow-wrap: anywhere }}\n\
         th {{ background: #ddebf7; font-weight: bold; text-align: center; \
         vertical-align: middle; word-break: keep-all; overflow-wrap: normal }}\n\
         td.num {{ text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums }}\n\
         td.nowrap {{ white-space: nowrap; font-variant-numeric: tabular-nums }}\n\
         td.empty {{ text-align: center; color: #555 }}\n\
         </style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape_markup(title),
        escape_markup(title)
    ));
    if !subtitle.is_empty() {
        out.push_str(&format!(
            "<p class=\"subtitle\">{}</p>\n",
            escape_markup(subtitle)
        ));
    }
    for section in sections {
        push_section(&mut out, section);
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Whether `text` looks like a code — a case number, a phone, a region code: at most 32
/// letters, digits and `-_./:+#@`. A code is kept on one line rather than broken at its hyphens.
fn is_code(text: &str) -> bool {
    (1..=32).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:+#@".contains(&b))
}

fn push_section(out: &mut String, section: &Section) {
    out.push_str(&format!(
        "<section>\n<h2>{}</h2>\n",
        escape_markup(&section.heading)
    ));
    if let Some(note) = &section.note {
        out.push_str(&format!("<p class=\"note\">{}</p>\n", escape_markup(note)));
    }
    out.push_str("<table>\n<thead><tr>");
    for column in &section.columns {
        out.push_str(&format!("<th>{}</th>", escape_markup(column)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    if section.rows.is_empty() {
        out.push_str(&format!(
            "<tr><td class=\"empty\" colspan=\"{}\">无记录</td></tr>\n",
            section.columns.len().max(1)
        ));
    }
    for row in &section.rows {
        out.push_str("<tr>");
        for cell in row {
            let class = match cell {
                _ if cell.is_numeric() => " class=\"num\"",
                Cell::Date(_) | Cell::DateTime(_) => " class=\"nowrap\"",
                Cell::Text(text) if is_code(text) => " class=\"nowrap\"",
                _ => "",
            };
            out.push_str(&format!(
                "<td{class}>{}</td>",
                escape_markup(&cell.to_string())
            ));
        }
        for _ in row.len()..section.columns.len() {
            out.push_str("<td></td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}
