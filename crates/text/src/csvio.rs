//! Labelled data from CSV files in one of two layouts, told apart by the header:
//! - `text,label`: `text` pre-segmented (words separated by spaces), as in the shared data;
//! - `subject,content,label` (or `content,label`): raw text as residents wrote it.
//!
//! Other columns (such as `id`) are ignored.

use std::path::Path;

use crate::{Error, Example, InputKind};

fn column(headers: &csv::StringRecord, name: &str) -> Option<usize> {
    headers.iter().position(|h| h.trim_start_matches('\u{feff}').trim().eq_ignore_ascii_case(name))
}

/// Reads labelled examples and tells which layout the file has. Raw examples' text is the
/// subject and the content on two lines.
pub fn read_csv(path: impl AsRef<Path>) -> Result<(Vec<Example>, InputKind), Error> {
    let path = path.as_ref();
    let csv_error = |message: String| Error::Csv { path: path.to_owned(), message };
    let mut reader = csv::ReaderBuilder::new().from_path(path).map_err(|e| match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(path, io),
        other => csv_error(format!("{other:?}")),
    })?;
    let headers = reader.headers().map_err(|e| csv_error(e.to_string()))?.clone();
    let label = column(&headers, "label").ok_or_else(|| csv_error("缺少 label 列".into()))?;
    let (input, text, subject) = match (column(&headers, "text"), column(&headers, "content")) {
        (Some(text), _) => (InputKind::Segmented, text, None),
        (None, Some(content)) => (InputKind::Raw, content, column(&headers, "subject")),
        (None, None) => {
            return Err(csv_error("需要 text,label 列（已分词）或 subject,content,label 列（原文）".into()));
        }
    };
    let mut examples = vec![];
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| csv_error(format!("第 {line} 行：{e}")))?;
        let field = |c: usize| record.get(c).unwrap_or("").trim();
        let label = field(label);
        if label.is_empty() {
            return Err(csv_error(format!("第 {line} 行：label 为空")));
        }
        let body = match subject {
            Some(s) if !field(s).is_empty() => format!("{}\n{}", field(s), field(text)),
            _ => field(text).to_owned(),
        };
        examples.push((body, label.to_owned()));
    }
    Ok((examples, input))
}
