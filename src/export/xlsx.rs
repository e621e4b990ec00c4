//! `soa.xlsx` and `register.xlsx`: the tables of [`super::csv`] as Excel workbooks.
//!
//! The first sheet holds the table with the CSV's columns in the CSV's order: a bold header row
//! frozen in place, an autofilter over the whole table, column widths fitted to their contents
//! (capped, so that a long justification does not push the rest off screen), dates as real
//! Excel dates (`yyyy-mm-dd`), yes/no as text and, when `base-url` is set, each id a link to its
//! page of the published handbook. The second sheet, "About", holds the build's metadata.
//!
//! The bytes depend only on the sources and the build date: the workbook's creation time is
//! the build date and rust_xlsxwriter gives every zip entry the same fixed timestamp.

use super::csv::{Cell, Table};
use crate::dates::Date;
use crate::model::Handbook;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Url, Workbook, Worksheet, XlsxError};

/// The widest a fitted column gets, in pixels (about 60 characters).
const MAX_COLUMN_PIXELS: u32 = 420;

/// The workbook of `table`, with the metadata sheet of `hb`'s build, into `w`.
pub fn write(table: &Table, hb: &Handbook, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let bytes = build(table, hb).map_err(|e| {
        std::io::Error::other(format!("cannot make the workbook of the {}: {e}", table.name.to_lowercase()))
    })?;
    w.write_all(&bytes)
}

fn build(table: &Table, hb: &Handbook) -> Result<Vec<u8>, XlsxError> {
    let cfg = &hb.config;
    let mut wb = Workbook::new();
    let mut props = DocProperties::new()
        .set_title(format!("{}: {}", cfg.title, table.name))
        .set_company(&cfg.organisation)
        .set_author(generator());
    if let Some(created) = excel_date(hb.build_date) {
        props = props.set_creation_datetime(&created);
    }
    wb.set_properties(&props);
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let link_base = cfg.base_url.as_deref();

    let ws = wb.add_worksheet();
    ws.set_name(table.name)?;
    for (c, name) in table.header.iter().enumerate() {
        ws.write_string_with_format(0, col(c), *name, &bold)?;
    }
    for (r, row) in table.rows().enumerate() {
        let r = (r + 1) as u32;
        for (c, cell) in row.iter().enumerate() {
            write_cell(ws, r, col(c), cell, &date, link_base)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, table.len as u32, col(table.header.len().saturating_sub(1)))?;
    ws.set_autofit_max_width(MAX_COLUMN_PIXELS).autofit();

    let about = wb.add_worksheet();
    about.set_name("About")?;
    let rows: [(&str, Cell); 7] = [
        ("table", Cell::Text(table.name.to_string())),
        ("handbook", Cell::Text(cfg.title.clone())),
        ("organisation", Cell::Text(cfg.organisation.clone())),
        ("build_date", Cell::Date(Some(hb.build_date))),
        ("classification", Cell::Text(cfg.classification.clone())),
        ("ismsbook_version", Cell::Text(env!("CARGO_PKG_VERSION").to_string())),
        ("base_url", Cell::Text(cfg.base_url.clone().unwrap_or_default())),
    ];
    for (r, (key, value)) in rows.iter().enumerate() {
        about.write_string_with_format(r as u32, 0, *key, &bold)?;
        write_cell(about, r as u32, 1, value, &date, link_base)?;
    }
    about.set_autofit_max_width(MAX_COLUMN_PIXELS).autofit();
    wb.save_to_buffer()
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

/// The generator as named in the workbook's properties.
fn generator() -> String {
    format!("ismsbook {}", env!("CARGO_PKG_VERSION"))
}

/// A date Excel can hold (years 1900 to 9999), else `None`: such a date is written as text.
fn excel_date(d: Date) -> Option<ExcelDateTime> {
    let year = u16::try_from(d.year).ok()?;
    ExcelDateTime::from_ymd(year, u8::try_from(d.month).ok()?, u8::try_from(d.day).ok()?).ok()
}

/// The most characters an Excel cell holds.
const MAX_CELL_CHARS: usize = 32_767;

/// `s` as a cell can hold it: whole when it fits, else cut at a line or a `; ` between list
/// items where possible and ended by a note that the CSV holds the whole text (a control
/// implemented by thousands of documents lists more ids than a cell holds).
fn fit_cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.len() <= MAX_CELL_CHARS || s.chars().count() <= MAX_CELL_CHARS {
        return std::borrow::Cow::Borrowed(s);
    }
    const NOTE: &str = " … (cut: an Excel cell holds 32,767 characters; the CSV has the whole text)";
    let room = MAX_CELL_CHARS - NOTE.chars().count();
    let end = s.char_indices().nth(room).map_or(s.len(), |(i, _)| i);
    let head = &s[..end];
    let cut = head.rfind(['\n', ';', ',']).filter(|&i| i > end / 2).unwrap_or(end);
    std::borrow::Cow::Owned(format!("{}{NOTE}", head[..cut].trim_end()))
}

fn write_cell(
    ws: &mut Worksheet,
    r: u32,
    c: u16,
    cell: &Cell,
    date: &Format,
    link_base: Option<&str>,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(s) if s.is_empty() => {}
        Cell::Text(s) => {
            ws.write_string(r, c, fit_cell(s).as_ref())?;
        }
        Cell::Date(None) => {}
        Cell::Date(Some(d)) => match excel_date(*d) {
            Some(x) => {
                ws.write_date_with_format(r, c, &x, date)?;
            }
            None => {
                ws.write_string(r, c, d.to_string())?;
            }
        },
        Cell::Page { id, url } => match link_base {
            Some(base) => {
                ws.write_url_with_text(r, c, Url::new(format!("{base}{url}")), id)?;
            }
            None => {
                ws.write_string(r, c, id)?;
            }
        },
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_longer_than_excel_holds_is_cut_with_a_note() {
        let ids: Vec<String> = (0..20_000).map(|i| format!("DOC-{i:05}")).collect();
        let long = ids.join(";");
        let cell = fit_cell(&long);
        assert!(cell.chars().count() <= MAX_CELL_CHARS, "{} chars", cell.chars().count());
        assert!(cell.ends_with("the CSV has the whole text)"));
        assert!(cell.starts_with("DOC-00000;DOC-00001;"));
        // Cut between two ids, never inside one.
        let kept = cell.split(" … ").next().unwrap_or_default();
        assert!(kept.rsplit(';').next().is_some_and(|last| last.len() == 9), "{}", &kept[kept.len() - 20..]);
        assert_eq!(fit_cell("short"), "short");
        let wide = "é".repeat(MAX_CELL_CHARS);
        assert_eq!(fit_cell(&wide), wide.as_str(), "counted in characters, not bytes");
    }
}
