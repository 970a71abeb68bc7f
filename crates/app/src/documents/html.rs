//! A [`Document`] as a standalone, print-ready HTML page: A4, the layout of the .docx, no
//! scripts and no external resources (works offline), every piece of text escaped.

use super::{Block, Document};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\r' => {}
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
@page { size: A4; margin: 37mm 26mm 35mm 28mm; }
* { box-sizing: border-box; }
html { background: #d9d9d9; }
body { margin: 0; color: #000; font-family: "FangSong", "仿宋", "FangSong_GB2312", "STFangsong", "Noto Serif CJK SC", serif; font-size: 16pt; line-height: 28pt; }
.page { width: 210mm; min-height: 297mm; margin: 8mm auto; padding: 37mm 26mm 35mm 28mm; background: #fff; box-shadow: 0 0 3mm rgba(0, 0, 0, .3); }
.number { margin: 0; text-align: right; }
h1 { margin: 7pt 0 28pt; font-family: "SimSun", "宋体", "STSong", "Noto Serif CJK SC", serif; font-size: 22pt; line-height: 35pt; font-weight: bold; text-align: center; }
p { margin: 0; text-align: justify; white-space: pre-wrap; overflow-wrap: anywhere; }
.addressee { text-indent: 0; }
.text, .field, h2 { text-indent: 2em; }
h2 { margin: 0; font-family: "SimHei", "黑体", "STHeiti", sans-serif; font-size: 16pt; font-weight: normal; line-height: 28pt; break-after: avoid; }
.label { font-family: "SimHei", "黑体", "STHeiti", sans-serif; }
.signature { margin-top: 56pt; padding-right: 4em; text-align: right; break-inside: avoid; }
.signature p { text-align: right; }
.footer { margin-top: 28pt; font-size: 12pt; line-height: 18pt; }
@media print {
  html { background: none; }
  .page { width: auto; min-height: 0; margin: 0; padding: 0; box-shadow: none; }
}
"#;

const CHART_STYLE: &str = r#"
figure.chart { margin: 14pt 0; break-inside: avoid; }
figure.chart figcaption { font-family: "SimHei", "黑体", "STHeiti", sans-serif; font-size: 12pt; line-height: 18pt; text-align: center; }
.chart-canvas { width: 100%; height: 80mm; }
figure.chart table { border-collapse: collapse; margin: 4pt auto 0; font-size: 10.5pt; line-height: 15pt; }
figure.chart th, figure.chart td { border: 1px solid #999; padding: 1pt 6pt; text-align: right; }
figure.chart th:first-child, figure.chart td:first-child { text-align: left; }
"#;

/// The document as one HTML page.
pub fn to_html(d: &Document) -> String {
    let mut body = String::new();
    let mut charts = vec![];
    body.push_str(&format!("<p class=\"number\">{}</p>\n", escape(&d.number)));
    body.push_str(&format!("<h1>{}</h1>\n", escape(&d.title)));
    if !d.addressee.is_empty() {
        body.push_str(&format!("<p class=\"addressee\">{}：</p>\n", escape(&d.addressee)));
    }
    for b in &d.blocks {
        body.push_str(&match b {
            Block::Heading { text } => format!("<h2>{}</h2>\n", escape(text)),
            Block::Text { text } => format!("<p class=\"text\">{}</p>\n", escape(text)),
            Block::Field { label, value } => {
                format!("<p class=\"field\"><span class=\"label\">{}：</span>{}</p>\n", escape(label), escape(value))
            }
            Block::Chart { chart } => {
                charts.push(chart);
                super::chart::html_figure(chart, charts.len() - 1)
            }
        });
    }
    body.push_str(&format!(
        "<div class=\"signature\"><p>{}</p><p>{}</p></div>\n<p class=\"footer\">{}</p>\n",
        escape(&d.issuer),
        escape(&super::date_zh(d.date)),
        escape(&d.footer)
    ));
    // Charts (reports): drawn by the vendored ECharts from a JSON block; the tables stay.
    let scripts = if charts.is_empty() { String::new() } else { super::chart::json_block(&charts) };
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{} {}</title>\n<style>{STYLE}{}</style>\n</head>\n<body>\n<main class=\"page\">\n{body}</main>\n{scripts}</body>\n</html>\n",
        escape(&d.title),
        escape(&d.case_number),
        if charts.is_empty() { "" } else { CHART_STYLE }
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::{config, handled_case, inputs};
    use super::super::{build, DocKind};
    use super::*;

    #[test]
    fn page_is_standalone_a4_and_escapes_every_text() {
        let attack = "<script>alert(1)</script>";
        let d = build(&config(), &handled_case(attack), DocKind::HandlingOpinion, 1, &inputs("王\"建国'"));
        let html = to_html(&d);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("size: A4") && html.contains("@media print"));
        assert!(!html.contains("<script") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
        assert!(html.contains("王&quot;建国&#39;："));
        // Offline: nothing is fetched.
        for external in ["http://", "https://", "src=", "href=", "@import", "url("] {
            assert!(!html.contains(external), "{external} in the page");
        }
        assert!(html.contains("<h2>三、处理意见：不予支持</h2>"));
        assert!(html.contains("请最迟于2026年4月9日前提出复查请求"));
    }
}
