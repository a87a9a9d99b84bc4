//! Tables out of Hezhi, in the three forms a town office works with: an Excel workbook
//! (`.xlsx`) with real dates and numbers, a CSV file that Excel opens in Chinese without
//! garbling, and a print-ready A4 HTML page.
//!
//! Everything here builds bytes or a string in memory: no files, no clock, no async. The same
//! input always gives the same output, byte for byte, so an export can be hashed, cached or
//! compared in a test.
//!
//! ```
//! use chrono::NaiveDate;
//! use hezhi_export::{Cell, Column, Sheet};
//!
//! let mut sheet = Sheet::new("台账", vec![Column::new("事件编号", 22.0), Column::new("登记日期", 12.0)]);
//! sheet.title = Some("任城区矛盾纠纷排查化解台账".to_owned());
//! let reported = NaiveDate::from_ymd_opt(2026, 3, 2).expect("a valid date");
//! sheet.rows.push(vec![Cell::from("370811-2026-000012"), Cell::Date(reported)]);
//!
//! let workbook = hezhi_export::xlsx(std::slice::from_ref(&sheet)).expect("a valid sheet");
//! assert!(workbook.starts_with(b"PK\x03\x04"));
//! let csv = hezhi_export::csv(&sheet);
//! assert!(csv.starts_with("\u{FEFF}事件编号,登记日期\r\n".as_bytes()));
//! ```

use chrono::{NaiveDate, NaiveDateTime};
use std::fmt;

mod csv;
mod html;
mod text;
mod xlsx;
mod zip;

pub use crate::csv::csv;
pub use crate::html::{Section, html_document, html_document_landscape};
pub use crate::xlsx::{MAX_CELL_TEXT, MAX_COLUMNS, MAX_ROWS, xlsx};

/// What an absent value is shown as: a percentage of nothing (0 of 0 cases), or a number
/// that is not finite.
pub const NO_VALUE: &str = "—";

/// One value of a table. Each kind is written as what it is: numbers and dates as numbers
/// with a display format in a workbook, as text in CSV and HTML (see the `Display` impl).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    /// Shown with two decimals (`1234.50`); a workbook keeps the full value.
    Decimal(f64),
    /// A share: `0.9372` is shown as `93.72%`; `None` (nothing to divide by) as [`NO_VALUE`].
    Percent(Option<f64>),
    /// Shown as `2026-03-02`.
    Date(NaiveDate),
    /// Already in China time; shown to the minute, as `2026-03-02 09:00`.
    DateTime(NaiveDateTime),
}

impl fmt::Display for Cell {
    /// The text of the cell as CSV and HTML show it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Empty => Ok(()),
            Cell::Text(text) => f.write_str(text),
            Cell::Int(n) => write!(f, "{n}"),
            Cell::Decimal(x) => f.write_str(&fixed2(*x, "")),
            Cell::Percent(Some(share)) => f.write_str(&fixed2(share * 100.0, "%")),
            Cell::Percent(None) => f.write_str(NO_VALUE),
            Cell::Date(date) => write!(f, "{}", date.format("%Y-%m-%d")),
            Cell::DateTime(time) => write!(f, "{}", time.format("%Y-%m-%d %H:%M")),
        }
    }
}

/// `x` with two decimals and `suffix`, without a minus sign on a value that rounds to zero;
/// [`NO_VALUE`] for a value that is not finite.
fn fixed2(x: f64, suffix: &str) -> String {
    if !x.is_finite() {
        return NO_VALUE.to_owned();
    }
    let shown = format!("{x:.2}");
    match shown.strip_prefix('-') {
        Some(unsigned) if unsigned.bytes().all(|b| b == b'0' || b == b'.') => {
            format!("{unsigned}{suffix}")
        }
        _ => format!("{shown}{suffix}"),
    }
}

impl Cell {
    /// Whether the cell is a number and is aligned to the right.
    fn is_numeric(&self) -> bool {
        matches!(self, Cell::Int(_) | Cell::Decimal(_) | Cell::Percent(_))
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::Text(text.to_owned())
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell::Text(text)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Int(n)
    }
}

impl From<NaiveDate> for Cell {
    fn from(date: NaiveDate) -> Cell {
        Cell::Date(date)
    }
}

impl From<NaiveDateTime> for Cell {
    fn from(time: NaiveDateTime) -> Cell {
        Cell::DateTime(time)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    /// `None` is an empty cell.
    fn from(value: Option<T>) -> Cell {
        value.map_or(Cell::Empty, Into::into)
    }
}

/// One column of a table: its header and, in a workbook, its width.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: String,
    /// In Excel's units (the width of one `0` of the default font); a Chinese character takes
    /// about two. Kept between 1 and 255; a width that is not finite is 10.
    pub width: f64,
}

impl Column {
    pub fn new(header: impl Into<String>, width: f64) -> Column {
        Column {
            header: header.into(),
            width,
        }
    }
}

/// A table: a worksheet of a workbook, or the whole of a CSV file.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The worksheet's tab, e.g. `台账`: 1 to 31 characters, none of `[ ] : * ? / \`, not
    /// starting or ending with `'`, unique in its workbook (letter case aside).
    pub name: String,
    /// A title line above the header in a workbook (merged across the columns). CSV leaves it
    /// out: the header is its first line.
    pub title: Option<String>,
    pub columns: Vec<Column>,
    /// The rows under the header. A row shorter than `columns` is padded with empty cells; the
    /// cells of a longer one are written all the same, without a header.
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    /// A sheet with no title and no rows yet.
    pub fn new(name: impl Into<String>, columns: Vec<Column>) -> Sheet {
        Sheet {
            name: name.into(),
            title: None,
            columns,
            rows: Vec::new(),
        }
    }

    /// The number of columns written: the headers, or the longest row if it is longer.
    fn width(&self) -> usize {
        self.rows
            .iter()
            .map(Vec::len)
            .fold(self.columns.len(), usize::max)
    }
}

/// Why a workbook could not be made. CSV and HTML always can.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("a workbook needs at least one sheet")]
    NoSheets,
    #[error("the sheet name {name:?} cannot be used: {reason}")]
    SheetName { name: String, reason: &'static str },
    #[error("two sheets are named {0:?} (Excel ignores letter case)")]
    DuplicateSheetName(String),
    #[error("sheet {sheet:?} has {rows} rows; a worksheet holds at most {MAX_ROWS}")]
    TooManyRows { sheet: String, rows: usize },
    #[error("sheet {sheet:?} has {columns} columns; a worksheet holds at most {MAX_COLUMNS}")]
    TooManyColumns { sheet: String, columns: usize },
    #[error("cell {cell} of sheet {sheet:?} has more than {MAX_CELL_TEXT} characters")]
    TextTooLong { sheet: String, cell: String },
    #[error("the workbook is too large for a zip file without ZIP64")]
    TooLarge,
    #[error("compressing the workbook failed: {0}")]
    Compress(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_show_as_people_write_them() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let time = date.and_hms_opt(9, 0, 59).expect("time");
        let shown = |cell: Cell| cell.to_string();
        assert_eq!(shown(Cell::Date(date)), "2026-03-02");
        assert_eq!(shown(Cell::DateTime(time)), "2026-03-02 09:00");
        assert_eq!(shown(Cell::Percent(Some(0.9372))), "93.72%");
        assert_eq!(shown(Cell::Percent(Some(1.0))), "100.00%");
        assert_eq!(shown(Cell::Percent(None)), "—");
        assert_eq!(shown(Cell::Decimal(1234.5)), "1234.50");
        assert_eq!(shown(Cell::Decimal(-0.001)), "0.00");
        assert_eq!(shown(Cell::Decimal(-1.5)), "-1.50");
        assert_eq!(shown(Cell::Decimal(f64::NAN)), "—");
        assert_eq!(shown(Cell::Int(-42)), "-42");
        assert_eq!(shown(Cell::Empty), "");
        assert_eq!(shown(Cell::from(None::<i64>)), "");
    }
}
