//! The three formats read back as their readers would: the workbook unzipped by a small zip
//! reader written here (central directory, inflate, CRC-32) and its XML checked for
//! well-formedness; the CSV and the HTML as text.

use chrono::{NaiveDate, NaiveDateTime};
use flate2::read::DeflateDecoder;
use hezhi_export::{
    Cell, Column, ExportError, MAX_CELL_TEXT, Section, Sheet, csv, html_document,
    html_document_landscape, xlsx,
};
use std::collections::BTreeMap;
use std::io::Read;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

fn time(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    date(y, m, d).and_hms_opt(h, min, 0).expect("a valid time")
}

/// A ledger as a town's centre keeps it.
fn ledger() -> Sheet {
    Sheet {
        name: "台账".to_owned(),
        title: Some("任城区矛盾纠纷排查化解台账（2026年3月）".to_owned()),
        columns: vec![
            Column::new("事件编号", 22.0),
            Column::new("事项", 30.5),
            Column::new("登记日期", 12.0),
            Column::new("登记时间", 17.0),
            Column::new("涉及人数", 9.0),
            Column::new("化解率", 9.0),
            Column::new("金额（元）", 12.0),
        ],
        rows: vec![
            vec![
                "370811-2026-000012".into(),
                "楼上漏水 <急> & \"协商\"\u{1}未果".into(),
                Cell::Date(date(2026, 3, 2)),
                Cell::DateTime(time(2026, 3, 2, 9, 0)),
                Cell::Int(3),
                Cell::Percent(Some(0.9372)),
                Cell::Decimal(1234.5),
            ],
            vec![
                "370811-2026-000013".into(),
                "=HYPERLINK(\"http://example.invalid\")".into(),
                Cell::Date(date(2026, 3, 3)),
                Cell::Empty,
                Cell::Int(0),
                Cell::Percent(None),
            ],
        ],
    }
}

fn summary() -> Sheet {
    let mut sheet = Sheet::new(
        "汇总",
        vec![Column::new("镇街", 14.0), Column::new("件数", 8.0)],
    );
    sheet.rows.push(vec!["南张街道".into(), Cell::Int(17)]);
    sheet
}

// ---- a small zip reader -------------------------------------------------------------------

fn u16_at(bytes: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes([bytes[at], bytes[at + 1]]))
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes"))
}

fn usize_at(bytes: &[u8], at: usize) -> usize {
    usize::try_from(u32_at(bytes, at)).expect("fits")
}

/// Every entry of a zip archive, by name, inflated, its CRC-32 and sizes checked against both
/// the central directory and the local header.
fn unzip(zip: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let end = zip
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .expect("an end of central directory record");
    assert_eq!(end + 22, zip.len(), "no comment after the end record");
    let count = u16_at(zip, end + 10);
    assert_eq!(count, u16_at(zip, end + 8), "one disk");
    let central_size = usize_at(zip, end + 12);
    let mut at = usize_at(zip, end + 16);
    assert_eq!(
        at + central_size,
        end,
        "the central directory ends at the end record"
    );

    let mut entries = BTreeMap::new();
    for _ in 0..count {
        assert_eq!(
            &zip[at..at + 4],
            b"PK\x01\x02",
            "a central directory header"
        );
        let method = u16_at(zip, at + 10);
        let crc = u32_at(zip, at + 16);
        let compressed_size = usize_at(zip, at + 20);
        let size = usize_at(zip, at + 24);
        let name_len = u16_at(zip, at + 28);
        let extra_len = u16_at(zip, at + 30);
        let comment_len = u16_at(zip, at + 32);
        let local = usize_at(zip, at + 42);
        let name = std::str::from_utf8(&zip[at + 46..at + 46 + name_len]).expect("a UTF-8 name");
        at += 46 + name_len + extra_len + comment_len;

        assert_eq!(
            &zip[local..local + 4],
            b"PK\x03\x04",
            "{name}: a local header"
        );
        assert_eq!(u16_at(zip, local + 8), method, "{name}: method");
        assert_eq!(u32_at(zip, local + 14), crc, "{name}: local CRC");
        assert_eq!(usize_at(zip, local + 18), compressed_size);
        assert_eq!(usize_at(zip, local + 22), size);
        let local_name_len = u16_at(zip, local + 26);
        let data_at = local + 30 + local_name_len + u16_at(zip, local + 28);
        assert_eq!(
            &zip[local + 30..local + 30 + local_name_len],
            name.as_bytes()
        );
        let compressed = &zip[data_at..data_at + compressed_size];

        let data = match method {
            0 => compressed.to_vec(),
            8 => {
                let mut data = Vec::new();
                DeflateDecoder::new(compressed)
                    .read_to_end(&mut data)
                    .expect("inflates");
                data
            }
            other => panic!("{name}: unknown method {other}"),
        };
        assert_eq!(data.len(), size, "{name}: size");
        assert_eq!(crc32fast::hash(&data), crc, "{name}: CRC-32");
        let previous = entries.insert(name.to_owned(), data);
        assert!(previous.is_none(), "{name} twice");
    }
    assert_eq!(at, end);
    entries
}

fn part(entries: &BTreeMap<String, Vec<u8>>, name: &str) -> String {
    let bytes = entries
        .get(name)
        .unwrap_or_else(|| panic!("no part {name}"));
    let text = String::from_utf8(bytes.clone()).expect("UTF-8 XML");
    assert_well_formed(name, &text);
    text
}

/// A strict enough XML check: one declaration, balanced and properly nested elements, quoted
/// attributes, no raw `<` or stray `&` in text or attribute values, no control character.
fn assert_well_formed(name: &str, xml: &str) {
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n")
        .unwrap_or_else(|| panic!("{name}: the XML declaration"));
    for c in body.chars() {
        assert!(
            !c.is_control() || matches!(c, '\t' | '\n' | '\r'),
            "{name}: control character {c:?}"
        );
    }
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = body;
    let mut roots = 0;
    while !rest.is_empty() {
        let Some(open) = rest.find('<') else {
            check_text(name, rest);
            assert!(
                rest.trim().is_empty() || !stack.is_empty(),
                "{name}: text outside"
            );
            break;
        };
        check_text(name, &rest[..open]);
        let close = rest[open..].find('>').expect("a closed tag") + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if let Some(end) = tag.strip_prefix('/') {
            assert_eq!(
                stack.pop(),
                Some(end),
                "{name}: </{end}> closes another element"
            );
            continue;
        }
        let empty = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let element = tag.split_whitespace().next().expect("an element name");
        check_attributes(name, &tag[element.len()..]);
        if stack.is_empty() {
            roots += 1;
        }
        if !empty {
            stack.push(element);
        }
    }
    assert!(stack.is_empty(), "{name}: unclosed {stack:?}");
    assert_eq!(roots, 1, "{name}: one root element");
}

fn check_text(name: &str, text: &str) {
    assert!(!text.contains('<'), "{name}: raw < in {text:?}");
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        rest = &rest[amp + 1..];
        let entity = rest.split(';').next().expect("an entity");
        let known = ["amp", "lt", "gt", "quot", "apos"].contains(&entity)
            || entity
                .strip_prefix('#')
                .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()));
        assert!(
            known && rest.contains(';'),
            "{name}: stray & before {rest:?}"
        );
    }
}

fn check_attributes(name: &str, attributes: &str) {
    let mut rest = attributes.trim();
    while !rest.is_empty() {
        let eq = rest.find('=').expect("attribute=value");
        let key = rest[..eq].trim();
        assert!(
            !key.is_empty() && !key.contains(char::is_whitespace),
            "{name}: attribute {key:?}"
        );
        let value = rest[eq + 1..].strip_prefix('"').expect("a quoted value");
        let end = value.find('"').expect("a closing quote");
        check_text(name, &value[..end]);
        rest = value[end + 1..].trim_start();
    }
}

/// The `cellXfs` entries of `styles.xml`, in order.
fn cell_formats(styles: &str) -> Vec<String> {
    let start = styles.find("<cellXfs").expect("cellXfs");
    let end = styles.find("</cellXfs>").expect("</cellXfs>");
    styles[start..end]
        .split("<xf ")
        .skip(1)
        .map(str::to_owned)
        .collect()
}

/// The cell `reference` of a worksheet, e.g. `<c r="C3" s="6"><v>46083</v></c>`.
fn cell<'a>(sheet: &'a str, reference: &str) -> &'a str {
    let start = sheet
        .find(&format!("<c r=\"{reference}\""))
        .unwrap_or_else(|| panic!("no cell {reference}"));
    let rest = &sheet[start..];
    let end = if rest[..rest.find('>').expect(">")].ends_with('/') {
        rest.find("/>").expect("/>") + 2
    } else {
        rest.find("</c>").expect("</c>") + 4
    };
    &rest[..end]
}

fn style_of(cell: &str) -> usize {
    let at = cell.find(" s=\"").expect("a style") + 4;
    cell[at..at + cell[at..].find('"').expect("\"")]
        .parse()
        .expect("a style index")
}

// ---- the workbook -------------------------------------------------------------------------

#[test]
fn the_workbook_is_a_zip_of_well_formed_parts_each_named_in_the_content_types() {
    let entries = unzip(&xlsx(&[ledger(), summary()]).expect("a workbook"));
    let names: Vec<&str> = entries.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "[Content_Types].xml",
            "_rels/.rels",
            "docProps/app.xml",
            "docProps/core.xml",
            "xl/_rels/workbook.xml.rels",
            "xl/styles.xml",
            "xl/workbook.xml",
            "xl/worksheets/sheet1.xml",
            "xl/worksheets/sheet2.xml",
        ]
    );
    let types = part(&entries, "[Content_Types].xml");
    for name in &names[2..] {
        part(&entries, name);
        if name.ends_with(".xml") {
            assert!(types.contains(&format!("PartName=\"/{name}\"")), "{name}");
        }
    }
    let rels = part(&entries, "xl/_rels/workbook.xml.rels");
    assert!(rels.contains("Target=\"worksheets/sheet2.xml\""));
    assert!(rels.contains("Target=\"styles.xml\""));
    assert!(part(&entries, "_rels/.rels").contains("Target=\"xl/workbook.xml\""));
}

#[test]
fn the_workbook_lists_every_sheet_in_order() {
    let entries = unzip(&xlsx(&[ledger(), summary()]).expect("a workbook"));
    let workbook = part(&entries, "xl/workbook.xml");
    let first = workbook
        .find("<sheet name=\"台账\" sheetId=\"1\" r:id=\"rId1\"/>")
        .expect("the ledger");
    let second = workbook
        .find("<sheet name=\"汇总\" sheetId=\"2\" r:id=\"rId2\"/>")
        .expect("the summary");
    assert!(first < second);
    assert!(workbook.contains(
        "<definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"0\" hidden=\"1\">\
         &#39;台账&#39;!$A$2:$G$4</definedName>"
    ));
    assert!(workbook.contains(
        "<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"1\">&#39;汇总&#39;!$1:$1"
    ));
    let app = part(&entries, "docProps/app.xml");
    assert!(app.contains("<vt:lpstr>台账</vt:lpstr><vt:lpstr>汇总</vt:lpstr>"));
}

#[test]
fn the_header_is_frozen_below_the_title_and_the_columns_have_their_widths() {
    let entries = unzip(&xlsx(&[ledger(), summary()]).expect("a workbook"));
    let sheet1 = part(&entries, "xl/worksheets/sheet1.xml");
    assert!(sheet1.contains(
        "<pane ySplit=\"2\" topLeftCell=\"A3\" activePane=\"bottomLeft\" state=\"frozen\"/>"
    ));
    assert!(sheet1.contains("<sheetView tabSelected=\"1\" workbookViewId=\"0\">"));
    assert!(sheet1.contains("<col min=\"1\" max=\"1\" width=\"22\" customWidth=\"1\"/>"));
    assert!(sheet1.contains("<col min=\"2\" max=\"2\" width=\"30.5\" customWidth=\"1\"/>"));
    assert!(sheet1.contains("<col min=\"7\" max=\"7\" width=\"12\" customWidth=\"1\"/>"));
    assert!(sheet1.contains("<autoFilter ref=\"A2:G4\"/>"));
    assert!(sheet1.contains("<mergeCell ref=\"A1:G1\"/>"));
    assert!(sheet1.contains("<dimension ref=\"A1:G4\"/>"));
    assert!(sheet1.contains("<row r=\"1\" ht=\"28\" customHeight=\"1\">"));
    assert!(
        sheet1.contains("<row r=\"3\">"),
        "one line: the height is left to the reader"
    );
    assert!(sheet1.contains("paperSize=\"9\" orientation=\"landscape\""));
    assert!(cell(&sheet1, "A1").contains("任城区矛盾纠纷排查化解台账（2026年3月）"));

    // Without a title, the header is the first row and is frozen there.
    let sheet2 = part(&entries, "xl/worksheets/sheet2.xml");
    assert!(sheet2.contains(
        "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"
    ));
    assert!(!sheet2.contains("tabSelected"));
    assert!(!sheet2.contains("<mergeCells"));
    assert!(sheet2.contains("orientation=\"portrait\""));
    assert!(cell(&sheet2, "A1").contains("<t>镇街</t>"));
}

#[test]
fn the_header_is_bold_on_a_fill_with_thin_borders() {
    let entries = unzip(&xlsx(&[ledger()]).expect("a workbook"));
    let sheet = part(&entries, "xl/worksheets/sheet1.xml");
    let styles = part(&entries, "xl/styles.xml");
    let header = cell(&sheet, "B2");
    assert!(
        header.contains("t=\"inlineStr\"><is><t>事项</t></is>"),
        "{header}"
    );
    let format = &cell_formats(&styles)[style_of(header)];
    assert!(
        format.contains("fontId=\"1\" fillId=\"2\" borderId=\"1\""),
        "{format}"
    );
    let fonts = &styles[styles.find("<fonts").expect("fonts")..];
    let bold_font = fonts.split("<font>").nth(2).expect("font 1");
    assert!(bold_font.starts_with("<b/>"), "{bold_font}");
    let fills = &styles[styles.find("<fills").expect("fills")..];
    let fill = fills.split("<fill>").nth(3).expect("fill 2");
    assert!(fill.contains("patternType=\"solid\""), "{fill}");
    let borders = &styles[styles.find("<borders").expect("borders")..];
    let border = borders.split("<border>").nth(2).expect("border 1");
    assert!(border.contains("<left style=\"thin\">"), "{border}");
}

#[test]
fn dates_numbers_and_percentages_are_numbers_with_their_formats() {
    let entries = unzip(&xlsx(&[ledger()]).expect("a workbook"));
    let sheet = part(&entries, "xl/worksheets/sheet1.xml");
    let styles = part(&entries, "xl/styles.xml");
    let formats = cell_formats(&styles);
    let number_format = |reference: &str| {
        let format = &formats[style_of(cell(&sheet, reference))];
        let at = format.find("numFmtId=\"").expect("numFmtId") + 10;
        let id = &format[at..at + format[at..].find('"').expect("\"")];
        match id {
            "1" => "0".to_owned(),
            "2" => "0.00".to_owned(),
            "10" => "0.00%".to_owned(),
            custom => {
                let declared = format!("<numFmt numFmtId=\"{custom}\" formatCode=\"");
                let at = styles.find(&declared).expect("a declared format") + declared.len();
                styles[at..at + styles[at..].find('"').expect("\"")].to_owned()
            }
        }
    };

    let reported = cell(&sheet, "C3");
    assert!(reported.contains("<v>46083</v>"), "{reported}");
    assert!(
        !reported.contains("t=\""),
        "a number, not a string: {reported}"
    );
    assert_eq!(number_format("C3"), "yyyy-mm-dd");
    assert!(cell(&sheet, "C4").contains("<v>46084</v>"));

    assert!(cell(&sheet, "D3").contains("<v>46083.375</v>"));
    assert_eq!(number_format("D3"), "yyyy-mm-dd hh:mm");

    assert!(cell(&sheet, "E3").contains("<v>3</v>"));
    assert_eq!(number_format("E3"), "0");
    assert!(cell(&sheet, "F3").contains("<v>0.9372</v>"));
    assert_eq!(number_format("F3"), "0.00%");
    assert!(cell(&sheet, "G3").contains("<v>1234.5</v>"));
    assert_eq!(number_format("G3"), "0.00");

    // A percentage of nothing is the text "—", aligned to the right.
    let nothing = cell(&sheet, "F4");
    assert!(
        nothing.contains("t=\"inlineStr\"><is><t>—</t>"),
        "{nothing}"
    );
    assert!(formats[style_of(nothing)].contains("horizontal=\"right\""));
    // An empty cell and the cells a short row lacks keep the borders of their column.
    for reference in ["D4", "G4"] {
        let empty = cell(&sheet, reference);
        assert!(empty.ends_with("/>"), "{empty}");
        assert!(formats[style_of(empty)].contains("borderId=\"1\""));
    }
}

#[test]
fn text_is_escaped_and_characters_xml_forbids_are_dropped() {
    let entries = unzip(&xlsx(&[ledger()]).expect("a workbook"));
    let sheet = part(&entries, "xl/worksheets/sheet1.xml");
    assert!(
        cell(&sheet, "B3").contains("<t>楼上漏水 &lt;急&gt; &amp; &quot;协商&quot;未果</t>"),
        "{}",
        cell(&sheet, "B3")
    );
    // A formula is only ever text in a workbook written with inline strings.
    assert!(cell(&sheet, "B4").contains("t=\"inlineStr\""));
    assert!(!sheet.contains("<f>"));
}

#[test]
fn awkward_names_and_values_still_make_well_formed_xml() {
    let mut sheet = Sheet::new(
        "A&B <\"C\"> 'x",
        vec![Column::new(" 前后有空格 ", f64::NAN), Column::new("x", 1e9)],
    );
    sheet.title = Some("\u{b}标题\u{FFFF}".to_owned());
    sheet.rows = vec![
        vec!["_x0041_\r\n第二行".into(), Cell::Int(i64::MIN)],
        vec![Cell::Date(date(1899, 1, 1)), Cell::Decimal(f64::INFINITY)],
        vec![Cell::DateTime(time(2026, 3, 2, 23, 59)), Cell::Int(1 << 60)],
    ];
    let entries = unzip(&xlsx(&[sheet]).expect("a workbook"));
    for name in entries.keys() {
        part(&entries, name);
    }
    let ws = part(&entries, "xl/worksheets/sheet1.xml");
    assert!(ws.contains("<col min=\"1\" max=\"1\" width=\"10\" customWidth=\"1\"/>"));
    assert!(ws.contains("<col min=\"2\" max=\"2\" width=\"255\" customWidth=\"1\"/>"));
    assert!(cell(&ws, "A2").contains("<t xml:space=\"preserve\"> 前后有空格 </t>"));
    assert!(cell(&ws, "A1").contains("<t>标题</t>"));
    assert!(cell(&ws, "A3").contains("<t>_x005F_x0041_\n第二行</t>"));
    // Two lines, and a header too wide for its column: taller rows, for the readers that do
    // not fit rows to their text themselves.
    assert!(ws.contains("<row r=\"3\" ht=\"28.5\">"));
    assert!(ws.contains("<row r=\"2\" ht=\"28.5\">"));
    assert!(ws.contains("<row r=\"4\">"));
    assert!(cell(&ws, "B3").contains("<t>-9223372036854775808</t>"));
    assert!(cell(&ws, "A4").contains("<t>1899-01-01</t>"));
    assert!(cell(&ws, "B4").contains("<t>—</t>"));
    assert!(cell(&ws, "B5").contains("<t>1152921504606846976</t>"));
    let workbook = part(&entries, "xl/workbook.xml");
    assert!(workbook.contains("<sheet name=\"A&amp;B &lt;&quot;C&quot;&gt; &#39;x\""));
    assert!(workbook.contains("&#39;A&amp;B &lt;&quot;C&quot;&gt; &#39;&#39;x&#39;!$A$2:$B$5"));
}

#[test]
fn the_same_tables_make_the_same_bytes() {
    let once = xlsx(&[ledger(), summary()]).expect("a workbook");
    let again = xlsx(&[ledger(), summary()]).expect("a workbook");
    assert_eq!(once, again);
}

#[test]
fn sheets_excel_would_refuse_are_refused() {
    assert_eq!(xlsx(&[]), Err(ExportError::NoSheets));
    for name in [
        "",
        "a/b",
        "a[1]",
        "问题?",
        "'引号",
        "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二",
        "History",
        "tab\there",
    ] {
        let result = xlsx(&[Sheet::new(name, Vec::new())]);
        assert!(
            matches!(result, Err(ExportError::SheetName { .. })),
            "{name:?}: {result:?}"
        );
    }
    let thirty_one = "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一";
    assert!(xlsx(&[Sheet::new(thirty_one, Vec::new())]).is_ok());
    assert_eq!(
        xlsx(&[
            Sheet::new("Data", Vec::new()),
            Sheet::new("data", Vec::new())
        ]),
        Err(ExportError::DuplicateSheetName("data".to_owned()))
    );
    let mut long = summary();
    long.rows[0][0] = Cell::Text("字".repeat(MAX_CELL_TEXT + 1));
    assert_eq!(
        xlsx(&[long]),
        Err(ExportError::TextTooLong {
            sheet: "汇总".to_owned(),
            cell: "A2".to_owned()
        })
    );
}

#[test]
fn a_sheet_without_rows_or_columns_is_still_a_workbook() {
    let entries = unzip(&xlsx(&[Sheet::new("空表", Vec::new())]).expect("a workbook"));
    let sheet = part(&entries, "xl/worksheets/sheet1.xml");
    assert!(!sheet.contains("<cols>"));
    assert!(!sheet.contains("<autoFilter"));
    assert!(!part(&entries, "xl/workbook.xml").contains("<definedNames>"));
}

// ---- CSV ----------------------------------------------------------------------------------

#[test]
fn csv_is_utf8_with_a_bom_crlf_lines_and_the_header_first() {
    let bytes = csv(&ledger());
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
    let text = String::from_utf8(bytes[3..].to_vec()).expect("UTF-8");
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines.len(), 4, "{text:?}");
    assert_eq!(
        lines[0],
        "事件编号,事项,登记日期,登记时间,涉及人数,化解率,金额（元）"
    );
    assert_eq!(
        lines[1],
        "370811-2026-000012,\"楼上漏水 <急> & \"\"协商\"\"\u{1}未果\",2026-03-02,\
         2026-03-02 09:00,3,93.72%,1234.50"
    );
    assert_eq!(
        lines[2],
        "370811-2026-000013,\"'=HYPERLINK(\"\"http://example.invalid\"\")\",2026-03-03,,0,—,"
    );
    assert_eq!(lines[3], "", "the last line ends with CRLF too");
    assert!(!text.contains("排查化解台账"), "no title line");
}

#[test]
fn csv_quotes_commas_quotes_and_line_breaks() {
    let mut sheet = Sheet::new("x", vec![Column::new("备注,说明", 10.0)]);
    sheet.rows = vec![
        vec!["甲,乙".into()],
        vec!["他说\"好\"".into()],
        vec!["第一行\n第二行".into()],
        vec!["回车\r".into()],
        vec!["普通".into()],
    ];
    let text = String::from_utf8(csv(&sheet)).expect("UTF-8");
    assert_eq!(
        text,
        "\u{FEFF}\"备注,说明\"\r\n\"甲,乙\"\r\n\"他说\"\"好\"\"\"\r\n\"第一行\n第二行\"\r\n\
         \"回车\r\"\r\n普通\r\n"
    );
}

#[test]
fn csv_guards_every_text_a_spreadsheet_would_compute() {
    let mut sheet = Sheet::new("x", vec![Column::new("=1+1", 10.0)]);
    for text in [
        "=SUM(A1:A9)",
        "+86 138",
        "-1",
        "@cmd",
        "\tx",
        "\rx",
        "a=b",
        "—",
    ] {
        sheet.rows.push(vec![text.into()]);
    }
    sheet.rows.push(vec![Cell::Int(-5)]);
    sheet.rows.push(vec![Cell::Decimal(-1.5)]);
    let text = String::from_utf8(csv(&sheet)).expect("UTF-8");
    let lines: Vec<&str> = text.trim_start_matches('\u{FEFF}').split("\r\n").collect();
    assert_eq!(
        lines,
        [
            "'=1+1",
            "'=SUM(A1:A9)",
            "'+86 138",
            "'-1",
            "'@cmd",
            "'\tx",
            "\"'\rx\"",
            "a=b",
            "—",
            "-5",
            "-1.50",
            ""
        ]
    );
}

// ---- HTML ---------------------------------------------------------------------------------

fn report() -> Vec<Section> {
    vec![
        Section {
            heading: "一、总体情况 <汇总>".to_owned(),
            note: Some("统计口径：登记时间 & 办结时间".to_owned()),
            columns: vec!["镇街".to_owned(), "件数".to_owned(), "化解率".to_owned()],
            rows: vec![
                vec![
                    "<script>alert(1)</script>".into(),
                    Cell::Int(17),
                    Cell::Percent(Some(0.9372)),
                ],
                vec!["\"南张\" & '北张'".into(), Cell::Int(0)],
            ],
        },
        Section::from(&summary()),
        Section {
            heading: "二、超期事件".to_owned(),
            note: None,
            columns: vec!["事件编号".to_owned(), "到期时间".to_owned()],
            rows: Vec::new(),
        },
    ]
}

#[test]
fn the_html_page_is_a_self_contained_a4_document() {
    let page = html_document(
        "任城区综治中心月报",
        "2026年3月 · 任城区综治中心",
        &report(),
    );
    assert!(page.starts_with("<!doctype html>\n<html lang=\"zh-CN\">"));
    assert!(page.contains("<meta charset=\"utf-8\">"));
    assert!(page.contains("@page { size: A4 portrait; margin: 15mm }"));
    assert!(page.contains("thead { display: table-header-group }"));
    assert!(page.contains("tr { break-inside: avoid; page-break-inside: avoid }"));
    for font in [
        "\"Noto Sans CJK SC\"",
        "\"WenQuanYi Micro Hei\"",
        "\"Microsoft YaHei\"",
        "SimSun",
        "sans-serif",
    ] {
        assert!(page.contains(font), "{font}");
    }
    assert!(!page.contains("<script"), "no script, even from the data");
    assert!(!page.contains("<link"));
    assert!(!page.contains("http"));
    assert!(page.contains("<title>任城区综治中心月报</title>"));
    assert!(page.contains("<p class=\"subtitle\">2026年3月 · 任城区综治中心</p>"));
    assert!(page.ends_with("</html>\n"));

    let landscape = html_document_landscape("宽表", "", &report());
    assert!(landscape.contains("size: A4 landscape"));
    assert!(!landscape.contains("class=\"subtitle\""));
}

#[test]
fn the_html_page_escapes_all_text_and_aligns_numbers_right() {
    let page = html_document("<月报> & \"总结\"", "", &report());
    assert!(page.contains("<h1>&lt;月报&gt; &amp; &quot;总结&quot;</h1>"));
    assert!(page.contains("<h2>一、总体情况 &lt;汇总&gt;</h2>"));
    assert!(page.contains("<p class=\"note\">统计口径：登记时间 &amp; 办结时间</p>"));
    assert!(page.contains("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"));
    assert!(page.contains("<td class=\"num\">17</td><td class=\"num\">93.72%</td>"));
    assert!(page.contains(
        "<td>&quot;南张&quot; &amp; &#39;北张&#39;</td><td class=\"num\">0</td><td></td>"
    ));
    assert!(page.contains("td.num { text-align: right"));
    assert!(page.contains("<h2>汇总</h2>"));
    assert!(page.contains("<td class=\"empty\" colspan=\"2\">无记录</td>"));
}

#[test]
fn the_html_page_keeps_dates_and_case_numbers_on_one_line() {
    let section = Section::from(&ledger());
    let page = html_document("台账", "", &[section]);
    assert!(page.contains("<td class=\"nowrap\">370811-2026-000012</td>"));
    assert!(page.contains("<td class=\"nowrap\">2026-03-02</td>"));
    assert!(page.contains("<td class=\"nowrap\">2026-03-02 09:00</td>"));
    assert!(page.contains("<td class=\"num\">1234.50</td>"));
    assert!(page.contains("<td>楼上漏水 &lt;急&gt; &amp; &quot;协商&quot;未果</td>"));
}
