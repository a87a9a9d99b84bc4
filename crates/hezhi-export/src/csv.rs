//! CSV as Excel and WPS in a Chinese office open it with a double click: UTF-8 with a byte
//! order mark (without it Excel reads the file as GBK and garbles every character), fields
//! separated by commas, lines ended by CRLF, quoted as RFC 4180 says.

use crate::{Cell, Sheet};

/// Characters that make a spreadsheet read a field as a formula when they start it.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The sheet as CSV: the header line, then one line per row, each line ended by CRLF.
///
/// The title line is left out. Numbers, dates and percentages are written as
/// [`Cell`]'s `Display` shows them (`1234.50`, `2026-03-02`, `2026-03-02 09:00`, `93.72%`,
/// `—`). A row shorter than the header is padded with empty fields. A text (or a header) that
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return is written after a single quote
/// (`'=1+1`), so that a spreadsheet shows it rather than computes it (CSV injection).
pub fn csv(sheet: &Sheet) -> Vec<u8> {
    let mut out = String::from("\u{FEFF}");
    let mut fields: Vec<String> = sheet
        .columns
        .iter()
        .map(|column| guarded(&column.header))
        .collect();
    push_record(&mut out, &fields);
    for row in &sheet.rows {
        fields.clear();
        fields.extend(row.iter().map(|cell| match cell {
            Cell::Text(text) => guarded(text),
            other => other.to_string(),
        }));
        while fields.len() < sheet.columns.len() {
            fields.push(String::new());
        }
        push_record(&mut out, &fields);
    }
    out.into_bytes()
}

/// `text`, after a single quote if a spreadsheet would take it for a formula.
fn guarded(text: &str) -> String {
    if text.starts_with(FORMULA_STARTS) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn push_record(out: &mut String, fields: &[String]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if field.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&field.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(field);
        }
    }
    out.push_str("\r\n");
}
