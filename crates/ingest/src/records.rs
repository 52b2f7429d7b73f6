//! CSV and JSON Lines exports: one document per record, text and metadata from configured
//! columns/fields. A record whose text holds HTML (`<p>`, `<br>`, `<div>` or a whole page)
//! goes through the HTML reader.

use gongwen_model::PageMeta;
use serde_json::Value;

use crate::html::extract_html;
use crate::sniff::{has_block_tags, looks_like_html_page};

/// Which columns or fields hold a record's text and metadata (empty name = not used).
#[derive(Debug, Clone, Default)]
pub struct RecordFields {
    /// Column/field with the text (required).
    pub text: String,
    /// Title column/field.
    pub title: String,
    /// Date column/field.
    pub date: String,
    /// Source (publisher) column/field.
    pub source: String,
    /// Author column/field.
    pub author: String,
}

/// One record of an export, or why it has no text.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// Text (block structure as lines) and metadata.
    Text {
        /// 0-based record index (CSV: data row after the header; JSONL: line; JSON: element).
        index: usize,
        /// Extracted text.
        text: String,
        /// Metadata from the side columns (and from the HTML, when the text is HTML).
        meta: PageMeta,
    },
    /// The record could not be read (`empty` tells an empty text from an error).
    Failed {
        /// 0-based record index.
        index: usize,
        /// True when the record was read but its text is empty.
        empty: bool,
        /// Why, quoting the offending value.
        message: String,
    },
}

/// Text of a record cell: HTML is reduced to its text lines, other text gets `\r\n` → `\n`.
fn cell_text(raw: &str) -> (String, PageMeta) {
    if looks_like_html_page(raw) || has_block_tags(raw) {
        extract_html(raw)
    } else {
        (
            raw.replace("\r\n", "\n").replace('\r', "\n"),
            PageMeta::default(),
        )
    }
}

fn set_if_empty(slot: &mut Option<String>, value: Option<String>) {
    if let Some(v) = value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
    {
        *slot = Some(v);
    }
}

fn make_record(
    index: usize,
    raw_text: Option<String>,
    side: [Option<String>; 4],
    what: &str,
    name: &str,
) -> Record {
    let Some(raw) = raw_text else {
        return Record::Failed {
            index,
            empty: false,
            message: format!("record {index} has no {what} {name:?}"),
        };
    };
    let (text, mut meta) = cell_text(&raw);
    if text.trim().is_empty() {
        return Record::Failed {
            index,
            empty: true,
            message: format!("record {index} has an empty {what} {name:?}"),
        };
    }
    let [title, date, source, author] = side;
    set_if_empty(&mut meta.title, title);
    set_if_empty(&mut meta.published, date);
    set_if_empty(&mut meta.source, source);
    set_if_empty(&mut meta.author, author);
    Record::Text { index, text, meta }
}

/// Position of a column: exact name first, then trimmed case-insensitive.
fn column_index(headers: &csv::StringRecord, name: &str) -> Option<usize> {
    if name.is_empty() {
        return None;
    }
    headers.iter().position(|h| h == name).or_else(|| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name.trim()))
    })
}

/// Reads a CSV export (first row = header). A missing text column fails the whole file.
pub fn csv_records(
    text: &str,
    delimiter: u8,
    fields: &RecordFields,
) -> Result<Vec<Record>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("cannot read csv header: {e}"))?
        .clone();
    let Some(text_col) = column_index(&headers, &fields.text) else {
        let names: Vec<String> = headers.iter().take(20).map(|h| format!("{h:?}")).collect();
        return Err(format!(
            "csv has no column {:?} (columns: {}); set ingest.csv_text_column",
            fields.text,
            names.join(", ")
        ));
    };
    let side_cols = [&fields.title, &fields.date, &fields.source, &fields.author]
        .map(|n| column_index(&headers, n));
    let mut records = Vec::new();
    for (index, row) in reader.records().enumerate() {
        match row {
            Ok(row) => {
                let side = side_cols.map(|c| c.and_then(|c| row.get(c)).map(str::to_string));
                records.push(make_record(
                    index,
                    row.get(text_col).map(str::to_string),
                    side,
                    "column",
                    &fields.text,
                ));
            }
            Err(e) => records.push(Record::Failed {
                index,
                empty: false,
                message: format!("csv record {index}: {e}"),
            }),
        }
    }
    Ok(records)
}

/// The value at a dotted path (`data.content`) of a JSON object.
fn field<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    if path.is_empty() {
        return None;
    }
    if let Some(v) = value.get(path) {
        return Some(v);
    }
    path.split('.').try_fold(value, |v, key| v.get(key))
}

/// A JSON value as text: strings as they are, numbers and booleans printed, arrays of
/// strings joined by line breaks; objects and null give nothing.
fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(value_text).collect();
            (!parts.is_empty()).then(|| parts.join("\n"))
        }
        Value::Null | Value::Object(_) => None,
    }
}

fn json_record(index: usize, value: &Value, fields: &RecordFields) -> Record {
    if !value.is_object() {
        return Record::Failed {
            index,
            empty: false,
            message: format!("record {index} is not a json object"),
        };
    }
    let get = |name: &str| field(value, name).and_then(value_text);
    let side = [
        get(&fields.title),
        get(&fields.date),
        get(&fields.source),
        get(&fields.author),
    ];
    make_record(index, get(&fields.text), side, "field", &fields.text)
}

/// Reads JSON Lines (one object per line; blank lines are skipped but counted), or a whole
/// JSON document holding an array of objects or one object.
pub fn json_records(text: &str, fields: &RecordFields) -> Result<Vec<Record>, String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("not valid json: {e}"))?;
        let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
        return Ok(items
            .iter()
            .enumerate()
            .map(|(i, v)| json_record(i, v, fields))
            .collect());
    }
    let mut records = Vec::new();
    let mut lines = text
        .split('\n')
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .peekable();
    // A pretty-printed single object spans lines: parse the whole text when line 1 fails.
    if let Some((_, first)) = lines.peek() {
        if serde_json::from_str::<Value>(first).is_err() {
            if let Ok(value) = serde_json::from_str::<Value>(text) {
                return Ok(vec![json_record(0, &value, fields)]);
            }
        }
    }
    for (index, line) in lines {
        match serde_json::from_str::<Value>(line) {
            Ok(value) => records.push(json_record(index, &value, fields)),
            Err(e) => records.push(Record::Failed {
                index,
                empty: false,
                message: format!("line {} is not valid json: {e}", index + 1),
            }),
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> RecordFields {
        RecordFields {
            text: "content".into(),
            title: "title".into(),
            date: "date".into(),
            source: "source".into(),
            author: String::new(),
        }
    }

    #[test]
    fn csv_rows_become_records() {
        let csv = "title,date,Content\n标题一,2023-01-01,\"第一段\n第二段\"\n标题二,2023-01-02,\n标题三,2023-01-03,<p>甲</p><p>乙</p>\n";
        let records = csv_records(csv, b',', &fields()).expect("header has the column");
        assert_eq!(records.len(), 3);
        match &records[0] {
            Record::Text { index, text, meta } => {
                assert_eq!((*index, text.as_str()), (0, "第一段\n第二段"));
                assert_eq!(meta.title.as_deref(), Some("标题一"));
                assert_eq!(meta.published.as_deref(), Some("2023-01-01"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            &records[1],
            Record::Failed {
                index: 1,
                empty: true,
                ..
            }
        ));
        assert!(matches!(&records[2], Record::Text { text, .. } if text == "甲\n乙"));
    }

    #[test]
    fn csv_without_text_column_fails_with_the_columns() {
        let err = csv_records("a,b\n1,2\n", b',', &fields()).expect_err("no content column");
        assert!(
            err.contains("\"content\"") && err.contains("\"a\""),
            "{err}"
        );
    }

    #[test]
    fn jsonl_lines_and_arrays() {
        let jsonl = "{\"content\":\"正文一\",\"title\":\"T\"}\n\nnot json\n{\"data\":1}\n[1]\n";
        let records = json_records(jsonl, &fields()).expect("jsonl");
        assert_eq!(records.len(), 4);
        assert!(matches!(&records[0], Record::Text { index: 0, text, .. } if text == "正文一"));
        assert!(matches!(
            &records[1],
            Record::Failed {
                index: 2,
                empty: false,
                ..
            }
        ));
        assert!(matches!(&records[2], Record::Failed { index: 3, .. }));
        let nested = RecordFields {
            text: "data.body".into(),
            ..fields()
        };
        let records =
            json_records("[{\"data\":{\"body\":[\"甲\",\"乙\"]}}]", &nested).expect("array");
        assert!(matches!(&records[0], Record::Text { text, .. } if text == "甲\n乙"));
        let pretty = "{\n  \"content\": \"多行对象\"\n}\n";
        assert!(matches!(
            &json_records(pretty, &fields()).expect("object")[0],
            Record::Text { .. }
        ));
    }
}
