//! An Office Open XML workbook (SpreadsheetML, `.xlsx`) written by hand: the few parts Excel,
//! WPS and LibreOffice need, strings inline in the cells, one style per kind of cell.

use crate::text::escape_markup;
use crate::zip::ZipWriter;
use crate::{Cell, ExportError, Sheet};
use chrono::{NaiveDate, NaiveDateTime, Timelike};

/// The most rows a worksheet holds, title and header included.
pub const MAX_ROWS: usize = 1_048_576;
/// The most columns a worksheet holds (A to XFD).
pub const MAX_COLUMNS: usize = 16_384;
/// The most characters (UTF-16 code units) a cell holds.
pub const MAX_CELL_TEXT: usize = 32_767;

const MAX_SHEET_NAME: usize = 31;
/// Above this total width (in Excel's character units) a sheet is printed landscape: A4
/// portrait holds about 100 between 15 mm margins.
const PORTRAIT_WIDTH: f64 = 100.0;
/// Integers from here on lose digits in a spreadsheet (15 significant digits): they are
/// written as text.
const LARGEST_EXACT_INT: u64 = 999_999_999_999_999;
/// The height of one line of the default font (宋体 11 pt), in points, as Excel sizes rows.
const LINE_HEIGHT: f64 = 14.25;
/// The tallest row Excel allows, in points.
const MAX_ROW_HEIGHT: f64 = 409.0;
/// The width of a column without a [`crate::Column`] (Excel's default).
const DEFAULT_COLUMN_WIDTH: f64 = 8.43;

/// The cell formats of `styles.xml`, by their index in `cellXfs`.
mod style {
    pub(super) const HEADER: u32 = 1;
    pub(super) const TEXT: u32 = 2;
    pub(super) const INT: u32 = 3;
    pub(super) const DECIMAL: u32 = 4;
    pub(super) const PERCENT: u32 = 5;
    pub(super) const DATE: u32 = 6;
    pub(super) const DATE_TIME: u32 = 7;
    pub(super) const TITLE: u32 = 8;
    /// A number written as text ([`crate::NO_VALUE`], an integer of 16 digits): aligned to
    /// the right like the numbers around it.
    pub(super) const NUMBER_AS_TEXT: u32 = 9;
}

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// A workbook with one worksheet per sheet, in order, the first one open.
///
/// Each worksheet has the title line (if any) merged across the columns, the header in bold on
/// a light fill, frozen so that it stays in view, an autofilter on it, the column widths of
/// [`crate::Column`], thin borders around every cell, and A4 print settings: fitted to the page
/// width, landscape when the columns are wider than a portrait page, the header repeated on
/// every page, and the page number in the footer.
///
/// Text is written as inline strings; integers, decimals (`0.00`), percentages (`0.00%`),
/// dates (`yyyy-mm-dd`) and times (`yyyy-mm-dd hh:mm`) as numbers with a number format, so
/// that they sort, sum and filter as what they are. Values a spreadsheet cannot hold as such
/// are written as the text CSV shows: a date before 1900-03-01 or after 9999, an integer of 16
/// digits or more, and a percentage of nothing or a number that is not finite ([`crate::NO_VALUE`]).
///
/// Fails on a sheet name Excel refuses, two sheets of the same name, more rows, columns or
/// characters in a cell than a worksheet holds, or no sheet at all.
pub fn xlsx(sheets: &[Sheet]) -> Result<Vec<u8>, ExportError> {
    if sheets.is_empty() {
        return Err(ExportError::NoSheets);
    }
    let mut seen: Vec<String> = Vec::with_capacity(sheets.len());
    for sheet in sheets {
        check_sheet(sheet)?;
        let folded = sheet.name.to_lowercase();
        if seen.contains(&folded) {
            return Err(ExportError::DuplicateSheetName(sheet.name.clone()));
        }
        seen.push(folded);
    }

    let mut zip = ZipWriter::new();
    zip.add(
        "[Content_Types].xml",
        content_types(sheets.len()).as_bytes(),
    )?;
    zip.add("_rels/.rels", ROOT_RELS.as_bytes())?;
    zip.add("docProps/app.xml", app_properties(sheets).as_bytes())?;
    zip.add("docProps/core.xml", core_properties(sheets).as_bytes())?;
    zip.add("xl/workbook.xml", workbook(sheets).as_bytes())?;
    zip.add(
        "xl/_rels/workbook.xml.rels",
        workbook_rels(sheets.len()).as_bytes(),
    )?;
    zip.add("xl/styles.xml", STYLES.as_bytes())?;
    for (i, sheet) in sheets.iter().enumerate() {
        let xml = worksheet(sheet, i == 0)?;
        zip.add(&format!("xl/worksheets/sheet{}.xml", i + 1), xml.as_bytes())?;
    }
    zip.finish()
}

fn check_sheet(sheet: &Sheet) -> Result<(), ExportError> {
    let name = &sheet.name;
    let refuse = |reason| {
        Err(ExportError::SheetName {
            name: name.clone(),
            reason,
        })
    };
    if name.is_empty() {
        return refuse("it is empty");
    }
    if name.encode_utf16().count() > MAX_SHEET_NAME {
        return refuse("it is longer than 31 characters");
    }
    if name.contains(['[', ']', ':', '*', '?', '/', '\\']) {
        return refuse("it contains one of [ ] : * ? / \\");
    }
    if name.chars().any(char::is_control) || name.contains(['\u{FFFE}', '\u{FFFF}']) {
        return refuse("it contains a control character");
    }
    if name.starts_with('\'') || name.ends_with('\'') {
        return refuse("it starts or ends with an apostrophe");
    }
    if name.eq_ignore_ascii_case("History") {
        return refuse("Excel reserves it");
    }
    let layout = Layout::of(sheet);
    if layout.last_row > MAX_ROWS {
        return Err(ExportError::TooManyRows {
            sheet: name.clone(),
            rows: layout.last_row,
        });
    }
    if layout.columns > MAX_COLUMNS {
        return Err(ExportError::TooManyColumns {
            sheet: name.clone(),
            columns: layout.columns,
        });
    }
    Ok(())
}

/// Where things are on a worksheet, by 1-based row number.
#[derive(Debug, Clone, Copy)]
struct Layout {
    header_row: usize,
    last_row: usize,
    columns: usize,
}

impl Layout {
    fn of(sheet: &Sheet) -> Layout {
        let header_row = if sheet.title.is_some() { 2 } else { 1 };
        Layout {
            header_row,
            last_row: header_row + sheet.rows.len(),
            columns: sheet.width(),
        }
    }
}

/// The letters of the 0-based column `index`: A, …, Z, AA, …
fn column_letters(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        let rest = (n - 1) % 26;
        letters.push(char::from(b'A' + rest as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// The reference of a cell: `A1`, with a 0-based column and a 1-based row.
fn cell_ref(column: usize, row: usize) -> String {
    format!("{}{row}", column_letters(column))
}

/// The sheet's name as a formula names it: quoted, apostrophes doubled.
fn quoted_name(sheet: &Sheet) -> String {
    format!("'{}'", sheet.name.replace('\'', "''"))
}

/// Excel's serial day number of `date` (days since 1899-12-30), for the dates Excel shows as
/// such: from 1900-03-01 (before it, Excel counts a 29 February 1900 that never was) to the
/// end of 9999.
fn date_serial(date: NaiveDate) -> Option<i64> {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    let first = NaiveDate::from_ymd_opt(1900, 3, 1)?;
    let last = NaiveDate::from_ymd_opt(9999, 12, 31)?;
    (first..=last)
        .contains(&date)
        .then(|| (date - epoch).num_days())
}

/// Excel's serial number of `time`: the day, and the time of day as a fraction of it (to the
/// second).
fn date_time_serial(time: NaiveDateTime) -> Option<f64> {
    let day = date_serial(time.date())?;
    Some(day as f64 + f64::from(time.num_seconds_from_midnight()) / 86_400.0)
}

/// `text` as the content of a `<t>` element: line ends made `\n`, escaped, and an underscore
/// that would start an `_xHHHH_` escape (which Excel decodes) escaped itself, as `_x005F_`.
fn cell_text(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let escaped = escape_markup(&text);
    if !escaped.contains("_x") {
        return escaped;
    }
    let bytes = escaped.as_bytes();
    let mut out = String::with_capacity(escaped.len() + 8);
    let mut start = 0;
    for (i, _) in escaped.match_indices("_x") {
        let code = bytes.get(i + 2..i + 7);
        let is_escape =
            code.is_some_and(|code| code[..4].iter().all(u8::is_ascii_hexdigit) && code[4] == b'_');
        if is_escape {
            out.push_str(&escaped[start..i]);
            out.push_str("_x005F_");
            start = i + 1;
        }
    }
    out.push_str(&escaped[start..]);
    out
}

/// An inline string cell; too long a text is refused.
fn string_cell(
    out: &mut String,
    sheet: &Sheet,
    reference: &str,
    style: u32,
    text: &str,
) -> Result<(), ExportError> {
    if text.encode_utf16().count() > MAX_CELL_TEXT {
        return Err(ExportError::TextTooLong {
            sheet: sheet.name.clone(),
            cell: reference.to_owned(),
        });
    }
    let content = cell_text(text);
    let space =
        if content.starts_with(char::is_whitespace) || content.ends_with(char::is_whitespace) {
            " xml:space=\"preserve\""
        } else {
            ""
        };
    out.push_str(&format!(
        "<c r=\"{reference}\" s=\"{style}\" t=\"inlineStr\"><is><t{space}>{content}</t></is></c>"
    ));
    Ok(())
}

fn number_cell(out: &mut String, reference: &str, style: u32, value: impl std::fmt::Display) {
    out.push_str(&format!(
        "<c r=\"{reference}\" s=\"{style}\"><v>{value}</v></c>"
    ));
}

fn data_cell(
    out: &mut String,
    sheet: &Sheet,
    reference: &str,
    cell: &Cell,
) -> Result<(), ExportError> {
    match cell {
        Cell::Empty => out.push_str(&format!("<c r=\"{reference}\" s=\"{}\"/>", style::TEXT)),
        Cell::Text(text) => string_cell(out, sheet, reference, style::TEXT, text)?,
        Cell::Int(n) if n.unsigned_abs() <= LARGEST_EXACT_INT => {
            number_cell(out, reference, style::INT, n);
        }
        Cell::Decimal(x) if x.is_finite() => number_cell(out, reference, style::DECIMAL, x),
        Cell::Percent(Some(x)) if x.is_finite() => {
            number_cell(out, reference, style::PERCENT, x);
        }
        Cell::Int(_) | Cell::Decimal(_) | Cell::Percent(_) => {
            string_cell(
                out,
                sheet,
                reference,
                style::NUMBER_AS_TEXT,
                &cell.to_string(),
            )?;
        }
        Cell::Date(date) => match date_serial(*date) {
            Some(serial) => number_cell(out, reference, style::DATE, serial),
            None => string_cell(out, sheet, reference, style::TEXT, &cell.to_string())?,
        },
        Cell::DateTime(time) => match date_time_serial(*time) {
            Some(serial) => number_cell(out, reference, style::DATE_TIME, serial),
            None => string_cell(out, sheet, reference, style::TEXT, &cell.to_string())?,
        },
    }
    Ok(())
}

fn worksheet(sheet: &Sheet, selected: bool) -> Result<String, ExportError> {
    let layout = Layout::of(sheet);
    let Layout {
        header_row,
        last_row,
        columns,
    } = layout;
    let total_width: f64 = sheet.columns.iter().map(|c| clamped_width(c.width)).sum();
    let orientation = if total_width > PORTRAIT_WIDTH {
        "landscape"
    } else {
        "portrait"
    };
    let cells: usize = sheet.rows.iter().map(Vec::len).sum();
    let mut out = String::with_capacity(2048 + 48 * (cells + sheet.columns.len()));
    out.push_str(XML_DECLARATION);
    out.push_str(&format!(
        "<worksheet xmlns=\"{MAIN_NS}\" xmlns:r=\"{REL_NS}\">\
         <sheetPr><pageSetUpPr fitToPage=\"1\"/></sheetPr>"
    ));
    let dimension = if columns == 0 {
        cell_ref(0, header_row)
    } else {
        format!("A1:{}", cell_ref(columns - 1, last_row))
    };
    out.push_str(&format!("<dimension ref=\"{dimension}\"/>"));

    let tab_selected = if selected { " tabSelected=\"1\"" } else { "" };
    let first_data = cell_ref(0, header_row + 1);
    out.push_str(&format!(
        "<sheetViews><sheetView{tab_selected} workbookViewId=\"0\">\
         <pane ySplit=\"{header_row}\" topLeftCell=\"{first_data}\" activePane=\"bottomLeft\" \
         state=\"frozen\"/>\
         <selection pane=\"bottomLeft\" activeCell=\"{first_data}\" sqref=\"{first_data}\"/>\
         </sheetView></sheetViews>"
    ));

    if !sheet.columns.is_empty() {
        out.push_str("<cols>");
        for (i, column) in sheet.columns.iter().enumerate() {
            let n = i + 1;
            out.push_str(&format!(
                "<col min=\"{n}\" max=\"{n}\" width=\"{}\" customWidth=\"1\"/>",
                clamped_width(column.width)
            ));
        }
        out.push_str("</cols>");
    }

    out.push_str("<sheetData>");
    if let Some(title) = &sheet.title {
        out.push_str("<row r=\"1\" ht=\"28\" customHeight=\"1\">");
        string_cell(&mut out, sheet, "A1", style::TITLE, title)?;
        out.push_str("</row>");
    }
    let headers = sheet.columns.iter().map(|column| column.header.as_str());
    out.push_str(&format!(
        "<row r=\"{header_row}\"{}>",
        row_height(sheet, headers.enumerate())
    ));
    for (i, column) in sheet.columns.iter().enumerate() {
        let reference = cell_ref(i, header_row);
        string_cell(&mut out, sheet, &reference, style::HEADER, &column.header)?;
    }
    out.push_str("</row>");
    for (r, row) in sheet.rows.iter().enumerate() {
        let n = header_row + 1 + r;
        let texts = row.iter().enumerate().filter_map(|(i, cell)| match cell {
            Cell::Text(text) => Some((i, text.as_str())),
            _ => None,
        });
        out.push_str(&format!("<row r=\"{n}\"{}>", row_height(sheet, texts)));
        for (i, cell) in row.iter().enumerate() {
            data_cell(&mut out, sheet, &cell_ref(i, n), cell)?;
        }
        for i in row.len()..sheet.columns.len() {
            data_cell(&mut out, sheet, &cell_ref(i, n), &Cell::Empty)?;
        }
        out.push_str("</row>");
    }
    out.push_str("</sheetData>");

    if let Some(range) = filter_range(sheet) {
        out.push_str(&format!("<autoFilter ref=\"{range}\"/>"));
    }
    if sheet.title.is_some() && columns > 1 {
        out.push_str(&format!(
            "<mergeCells count=\"1\"><mergeCell ref=\"A1:{}\"/></mergeCells>",
            cell_ref(columns - 1, 1)
        ));
    }
    out.push_str(&format!(
        "<printOptions horizontalCentered=\"1\"/>\
         <pageMargins left=\"0.6\" right=\"0.6\" top=\"0.6\" bottom=\"0.7\" header=\"0.3\" \
         footer=\"0.3\"/>\
         <pageSetup paperSize=\"9\" orientation=\"{orientation}\" fitToWidth=\"1\" \
         fitToHeight=\"0\"/>\
         <headerFooter><oddFooter>&amp;C第 &amp;P 页，共 &amp;N 页</oddFooter></headerFooter>\
         </worksheet>"
    ));
    Ok(out)
}

/// The height of a row whose wrapped texts need more than one line, e.g. ` ht="28.5"`, and
/// nothing for a row of single lines. Excel fits a row to its wrapped text when it opens a
/// file, but LibreOffice and WPS keep the height written (the default when there is none) and
/// draw a second line over the next row: so the lines are estimated here, from the column
/// widths, counting a Chinese character as two units and any other as one, without
/// `customHeight`, so that Excel still fits the row again when a cell is edited.
fn row_height<'a>(sheet: &Sheet, texts: impl Iterator<Item = (usize, &'a str)>) -> String {
    let lines = texts
        .map(|(column, text)| {
            let width = sheet
                .columns
                .get(column)
                .map_or(DEFAULT_COLUMN_WIDTH, |c| clamped_width(c.width));
            lines_needed(text, width)
        })
        .max()
        .unwrap_or(1);
    if lines <= 1 {
        return String::new();
    }
    let height = (lines as f64 * LINE_HEIGHT).min(MAX_ROW_HEIGHT);
    format!(" ht=\"{height}\"")
}

/// How many lines `text` takes in a column `width` units wide, wrapped.
fn lines_needed(text: &str, width: f64) -> usize {
    let room = (width - 1.0).max(1.0);
    text.replace("\r\n", "\n")
        .split(['\n', '\r'])
        .map(|line| {
            let units: f64 = line.chars().map(char_units).sum();
            ((units / room).ceil() as usize).max(1)
        })
        .sum()
}

/// The width of `c` in Excel's units: two for the wide characters of Chinese, Japanese and
/// Korean (and full-width forms), one for the rest.
fn char_units(c: char) -> f64 {
    let wide = matches!(c,
        '\u{1100}'..='\u{115F}'
        | '\u{2E80}'..='\u{A4CF}'
        | '\u{AC00}'..='\u{D7A3}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FE30}'..='\u{FE4F}'
        | '\u{FF00}'..='\u{FF60}'
        | '\u{FFE0}'..='\u{FFE6}'
        | '\u{20000}'..='\u{3FFFD}');
    if wide { 2.0 } else { 1.0 }
}

/// The width written for a column: between 1 and 255, 10 if it is not a number.
fn clamped_width(width: f64) -> f64 {
    if width.is_finite() {
        width.clamp(1.0, 255.0)
    } else {
        10.0
    }
}

/// The header and the rows under it, e.g. `A2:F40`; none for a sheet without columns.
fn filter_range(sheet: &Sheet) -> Option<String> {
    let layout = Layout::of(sheet);
    let last_column = sheet.columns.len().checked_sub(1)?;
    Some(format!(
        "{}:{}",
        cell_ref(0, layout.header_row),
        cell_ref(last_column, layout.last_row)
    ))
}

/// `A2:F40` as a defined name writes it: `$A$2:$F$40`.
fn absolute(range: &str) -> String {
    range
        .split(':')
        .map(|corner| {
            let digits = corner.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
            format!("${}${}", &corner[..digits], &corner[digits..])
        })
        .collect::<Vec<_>>()
        .join(":")
}

fn workbook(sheets: &[Sheet]) -> String {
    let mut out = String::from(XML_DECLARATION);
    out.push_str(&format!(
        "<workbook xmlns=\"{MAIN_NS}\" xmlns:r=\"{REL_NS}\">\
         <workbookPr/><bookViews><workbookView activeTab=\"0\"/></bookViews><sheets>"
    ));
    for (i, sheet) in sheets.iter().enumerate() {
        out.push_str(&format!(
            "<sheet name=\"{}\" sheetId=\"{}\" r:id=\"rId{}\"/>",
            escape_markup(&sheet.name),
            i + 1,
            i + 1
        ));
    }
    out.push_str("</sheets>");
    let mut names = String::new();
    for (i, sheet) in sheets.iter().enumerate() {
        let Some(range) = filter_range(sheet) else {
            continue;
        };
        let quoted = escape_markup(&quoted_name(sheet));
        let header_row = Layout::of(sheet).header_row;
        names.push_str(&format!(
            "<definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"{i}\" hidden=\"1\">\
             {quoted}!{}</definedName>\
             <definedName name=\"_xlnm.Print_Titles\" localSheetId=\"{i}\">\
             {quoted}!${header_row}:${header_row}</definedName>",
            absolute(&range)
        ));
    }
    if !names.is_empty() {
        out.push_str(&format!("<definedNames>{names}</definedNames>"));
    }
    out.push_str("</workbook>");
    out
}

fn workbook_rels(sheet_count: usize) -> String {
    let mut out = String::from(XML_DECLARATION);
    out.push_str(
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    );
    for n in 1..=sheet_count {
        out.push_str(&format!(
            "<Relationship Id=\"rId{n}\" Type=\"{REL_NS}/worksheet\" \
             Target=\"worksheets/sheet{n}.xml\"/>"
        ));
    }
    out.push_str(&format!(
        "<Relationship Id=\"rId{}\" Type=\"{REL_NS}/styles\" Target=\"styles.xml\"/>\
         </Relationships>",
        sheet_count + 1
    ));
    out
}

fn content_types(sheet_count: usize) -> String {
    let mut out = String::from(XML_DECLARATION);
    out.push_str(
        "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
         <Default Extension=\"rels\" \
         ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
         <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
         <Override PartName=\"/xl/workbook.xml\" \
         ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
         <Override PartName=\"/xl/styles.xml\" \
         ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>\
         <Override PartName=\"/docProps/core.xml\" \
         ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
         <Override PartName=\"/docProps/app.xml\" \
         ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>",
    );
    for n in 1..=sheet_count {
        out.push_str(&format!(
            "<Override PartName=\"/xl/worksheets/sheet{n}.xml\" \
             ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
        ));
    }
    out.push_str("</Types>");
    out
}

const ROOT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" \
Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" \
Target=\"xl/workbook.xml\"/>\
<Relationship Id=\"rId2\" \
Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" \
Target=\"docProps/core.xml\"/>\
<Relationship Id=\"rId3\" \
Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" \
Target=\"docProps/app.xml\"/>\
</Relationships>";

fn app_properties(sheets: &[Sheet]) -> String {
    let names: String = sheets
        .iter()
        .map(|sheet| format!("<vt:lpstr>{}</vt:lpstr>", escape_markup(&sheet.name)))
        .collect();
    let count = sheets.len();
    format!(
        "{XML_DECLARATION}<Properties \
         xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\" \
         xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\">\
         <Application>Hezhi</Application>\
         <HeadingPairs><vt:vector size=\"2\" baseType=\"variant\">\
         <vt:variant><vt:lpstr>工作表</vt:lpstr></vt:variant>\
         <vt:variant><vt:i4>{count}</vt:i4></vt:variant></vt:vector></HeadingPairs>\
         <TitlesOfParts><vt:vector size=\"{count}\" baseType=\"lpstr\">{names}</vt:vector>\
         </TitlesOfParts></Properties>"
    )
}

/// The document's title is the first sheet's title line, or its name. No dates: the same
/// tables make the same file.
fn core_properties(sheets: &[Sheet]) -> String {
    let title = sheets
        .first()
        .map(|sheet| sheet.title.as_deref().unwrap_or(&sheet.name))
        .unwrap_or_default();
    format!(
        "{XML_DECLARATION}<cp:coreProperties \
         xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\
         <dc:title>{}</dc:title><dc:creator>和治</dc:creator></cp:coreProperties>",
        escape_markup(title)
    )
}

/// One font (宋体, present on every Chinese Windows and mapped by WPS and LibreOffice), bold
/// for the header, larger for the title; a light blue fill and thin borders for the header;
/// thin borders for every data cell. The cell formats are listed in [`style`].
const STYLES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
<numFmts count=\"2\">\
<numFmt numFmtId=\"164\" formatCode=\"yyyy-mm-dd\"/>\
<numFmt numFmtId=\"165\" formatCode=\"yyyy-mm-dd hh:mm\"/>\
</numFmts>\
<fonts count=\"3\">\
<font><sz val=\"11\"/><name val=\"宋体\"/><family val=\"3\"/><charset val=\"134\"/></font>\
<font><b/><sz val=\"11\"/><name val=\"宋体\"/><family val=\"3\"/><charset val=\"134\"/></font>\
<font><b/><sz val=\"14\"/><name val=\"宋体\"/><family val=\"3\"/><charset val=\"134\"/></font>\
</fonts>\
<fills count=\"3\">\
<fill><patternFill patternType=\"none\"/></fill>\
<fill><patternFill patternType=\"gray125\"/></fill>\
<fill><patternFill patternType=\"solid\"><fgColor rgb=\"FFDDEBF7\"/><bgColor indexed=\"64\"/>\
</patternFill></fill>\
</fills>\
<borders count=\"2\">\
<border><left/><right/><top/><bottom/><diagonal/></border>\
<border><left style=\"thin\"><color auto=\"1\"/></left><right style=\"thin\"><color auto=\"1\"/>\
</right><top style=\"thin\"><color auto=\"1\"/></top><bottom style=\"thin\"><color auto=\"1\"/>\
</bottom><diagonal/></border>\
</borders>\
<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/>\
</cellStyleXfs>\
<cellXfs count=\"10\">\
<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>\
<xf numFmtId=\"0\" fontId=\"1\" fillId=\"2\" borderId=\"1\" xfId=\"0\" applyFont=\"1\" \
applyFill=\"1\" applyBorder=\"1\" applyAlignment=\"1\">\
<alignment horizontal=\"center\" vertical=\"center\" wrapText=\"1\"/></xf>\
<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"1\" xfId=\"0\" applyBorder=\"1\" \
applyAlignment=\"1\"><alignment vertical=\"center\" wrapText=\"1\"/></xf>\
<xf numFmtId=\"1\" fontId=\"0\" fillId=\"0\" borderId=\"1\" xfId=\"0\" applyNumberFormat=\"1\" \
applyBorder=\"1\" applyAlignment=\"1\"><alignment vertical=\"center\"/></xf>\
<xf numFmtId=\"2\" fontId=\"0\" fillId=\"0\" borderId=\"1\" xfId=\"0\" applyNumberFormat=\"1\" \
applyBorder=\"1\" applyAlignment=\"1\"><alignment vertical=\"center\"/></xf>\
<xf numFmtId=\"10\" fontId=\"0\" fillId=\"0\" borderId=\"1\" xfId=\"0\" applyNumberFormat=\"1\" \
applyBorder=\"1\" applyAlignment=\"1\"><alignment vertical=\"center\"/></xf>\
<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"1\" xfId=\"0\" applyNumberFormat=\"1\" \
applyBorder=\"1\" applyAlignment=\"1\"><alignment horizontal=\"center\" vertical=\"center\"/></xf>\
<xf numFmtId=\"165\" fontId=\"0\" fillId=\"0\" borderId=\"1\" xfId=\"0\" applyNumberFormat=\"1\" \
applyBorder=\"1\" applyAlignment=\"1\"><alignment horizontal=\"center\" vertical=\"center\"/></xf>\
<xf numFmtId=\"0\" fontId=\"2\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\" \
applyAlignment=\"1\"><alignment horizontal=\"center\" vertical=\"center\"/></xf>\
<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"1\" xfId=\"0\" applyBorder=\"1\" \
applyAlignment=\"1\"><alignment horizontal=\"right\" vertical=\"center\"/></xf>\
</cellXfs>\
<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>\
</styleSheet>";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_lettered_as_excel_does() {
        let letters: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702, 16_383]
            .into_iter()
            .map(column_letters)
            .collect();
        assert_eq!(
            letters,
            ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA", "XFD"]
        );
        assert_eq!(absolute("A2:XFD40"), "$A$2:$XFD$40");
    }

    #[test]
    fn dates_are_excel_serial_days() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(date_serial(date(2026, 3, 2)), Some(46_083));
        assert_eq!(date_serial(date(1900, 3, 1)), Some(61));
        assert_eq!(date_serial(date(1900, 2, 28)), None);
        assert_eq!(date_serial(date(9999, 12, 31)), Some(2_958_465));
        let nine = date(2026, 3, 2).and_hms_opt(9, 0, 0).expect("time");
        assert_eq!(date_time_serial(nine), Some(46_083.375));
    }

    #[test]
    fn wrapped_lines_are_estimated_from_the_column_width() {
        assert_eq!(lines_needed("事项", 10.0), 1);
        assert_eq!(lines_needed("楼上漏水\r\n第二行", 30.0), 2);
        // Ten Chinese characters are twenty units: three lines in a column of 8 (7 of room).
        assert_eq!(lines_needed("一二三四五六七八九十", 8.0), 3);
        assert_eq!(lines_needed("0123456789", 11.0), 1);
        assert_eq!(lines_needed("", 5.0), 1);
    }

    #[test]
    fn text_that_looks_like_an_excel_escape_is_kept_as_written() {
        assert_eq!(cell_text("a_x0041_b"), "a_x005F_x0041_b");
        assert_eq!(cell_text("_x12_ and _xZZZZ_"), "_x12_ and _xZZZZ_");
        assert_eq!(cell_text("一\r\n二\r三"), "一\n二\n三");
    }
}
