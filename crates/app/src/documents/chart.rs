//! Charts inside a [`Document`](super::Document) (issue 6, the monthly analysis report): one
//! model ([`Chart`]: a bar or line chart of counts by category) drawn twice — as a native
//! DrawingML chart part (`word/charts/chartN.xml`, with its values cached so Word and
//! LibreOffice draw it without an embedded workbook) and, on the HTML page, by the vendored
//! ECharts from a JSON block (`/assets/report-charts.js`), with the same figures in a table
//! beneath that prints and reads without script.

use serde::Serialize;

use super::docx::xml_escape;
use super::html::escape;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    Bar,
    Line,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Series {
    pub name: String,
    pub values: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chart {
    pub title: String,
    pub kind: ChartKind,
    /// The axis unit, e.g. 件.
    pub unit: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
}

/// Series colours (the console's palette).
const COLOURS: [&str; 4] = ["1D5FBF", "9A6B00", "2E7D32", "B3261E"];

/// `A`, `B`, … for the cell references of the (absent) worksheet the caches stand for.
fn column(i: usize) -> char {
    (b'B' + i as u8) as char
}

fn str_cache(f: &str, items: &[&str]) -> String {
    let mut s = format!("<c:strRef><c:f>{f}</c:f><c:strCache><c:ptCount val=\"{}\"/>", items.len());
    for (i, v) in items.iter().enumerate() {
        s.push_str(&format!("<c:pt idx=\"{i}\"><c:v>{}</c:v></c:pt>", xml_escape(v)));
    }
    s + "</c:strCache></c:strRef>"
}

fn num_cache(f: &str, values: &[i64]) -> String {
    let mut s = format!("<c:numRef><c:f>{f}</c:f><c:numCache><c:formatCode>General</c:formatCode><c:ptCount val=\"{}\"/>", values.len());
    for (i, v) in values.iter().enumerate() {
        s.push_str(&format!("<c:pt idx=\"{i}\"><c:v>{v}</c:v></c:pt>"));
    }
    s + "</c:numCache></c:numRef>"
}

/// The chart part, `word/charts/chartN.xml` (CT_ChartSpace; element order as the schema's).
pub fn chart_xml(c: &Chart) -> String {
    let n = c.categories.len().max(1);
    let cats: Vec<&str> = c.categories.iter().map(String::as_str).collect();
    let mut sers = String::new();
    for (i, s) in c.series.iter().enumerate() {
        let col = column(i);
        let colour = COLOURS[i % COLOURS.len()];
        let tx = str_cache(&format!("Sheet1!${col}$1"), &[s.name.as_str()]);
        let cat = str_cache(&format!("Sheet1!$A$2:$A${}", n + 1), &cats);
        let val = num_cache(&format!("Sheet1!${col}$2:${col}${}", n + 1), &s.values);
        sers.push_str(&match c.kind {
            ChartKind::Bar => format!(
                "<c:ser><c:idx val=\"{i}\"/><c:order val=\"{i}\"/><c:tx>{tx}</c:tx><c:spPr><a:solidFill><a:srgbClr val=\"{colour}\"/></a:solidFill></c:spPr><c:invertIfNegative val=\"0\"/><c:cat>{cat}</c:cat><c:val>{val}</c:val></c:ser>"
            ),
            ChartKind::Line => format!(
                "<c:ser><c:idx val=\"{i}\"/><c:order val=\"{i}\"/><c:tx>{tx}</c:tx><c:spPr><a:ln w=\"28575\" cap=\"rnd\"><a:solidFill><a:srgbClr val=\"{colour}\"/></a:solidFill><a:round/></a:ln></c:spPr><c:marker><c:symbol val=\"circle\"/><c:size val=\"5\"/></c:marker><c:cat>{cat}</c:cat><c:val>{val}</c:val><c:smooth val=\"0\"/></c:ser>"
            ),
        });
    }
    let plot = match c.kind {
        ChartKind::Bar => format!("<c:barChart><c:barDir val=\"col\"/><c:grouping val=\"clustered\"/><c:varyColors val=\"0\"/>{sers}<c:gapWidth val=\"80\"/><c:axId val=\"50010\"/><c:axId val=\"50020\"/></c:barChart>"),
        ChartKind::Line => format!("<c:lineChart><c:grouping val=\"standard\"/><c:varyColors val=\"0\"/>{sers}<c:marker val=\"1\"/><c:axId val=\"50010\"/><c:axId val=\"50020\"/></c:lineChart>"),
    };
    let font = "<a:latin typeface=\"SimSun\"/><a:ea typeface=\"宋体\"/>";
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
            "\n",
            r#"<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#,
            r#"<c:lang val="zh-CN"/><c:roundedCorners val="0"/><c:chart>"#,
            r#"<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="1200" b="1"/></a:pPr><a:r><a:rPr lang="zh-CN" sz="1200" b="1">{font}</a:rPr><a:t>{title}</a:t></a:r></a:p></c:rich></c:tx><c:overlay val="0"/></c:title>"#,
            r#"<c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>{plot}"#,
            r#"<c:catAx><c:axId val="50010"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/><c:axPos val="b"/><c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/><c:crossAx val="50020"/><c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>"#,
            r#"<c:valAx><c:axId val="50020"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/><c:axPos val="l"/><c:majorGridlines/><c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang="zh-CN" sz="900">{font}</a:rPr><a:t>{unit}</a:t></a:r></a:p></c:rich></c:tx><c:overlay val="0"/></c:title><c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/><c:crossAx val="50010"/><c:crosses val="autoZero"/><c:crossBetween val="between"/></c:valAx>"#,
            r#"</c:plotArea><c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend><c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>"#,
            r#"<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="1000">{font}</a:defRPr></a:pPr><a:endParaRPr lang="zh-CN"/></a:p></c:txPr>"#,
            r#"</c:chartSpace>"#
        ),
        font = font,
        title = xml_escape(&c.title),
        unit = xml_escape(&c.unit),
        plot = plot,
    )
}

/// The paragraph that places chart `n` (1-based, relationship `rIdChart{n}`) in the document:
/// 150 × 85 mm, centred.
pub fn drawing_paragraph(c: &Chart, n: usize) -> String {
    format!(
        concat!(
            r#"<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:drawing>"#,
            r#"<wp:inline distT="0" distB="0" distL="0" distR="0" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">"#,
            r#"<wp:extent cx="5400000" cy="3060000"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:docPr id="{n}" name="图表 {n}" descr="{title}"/><wp:cNvGraphicFramePr/>"#,
            r#"<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">"#,
            r#"<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rIdChart{n}"/>"#,
            r#"</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"#
        ),
        n = n,
        title = xml_escape(&c.title),
    )
}

/// The chart on the HTML page: a place for ECharts to draw (`data-chart` = its index in the
/// page's JSON block) and the figures as a table.
pub fn html_figure(c: &Chart, i: usize) -> String {
    let mut t = format!("<figure class=\"chart\"><figcaption>{}</figcaption><div class=\"chart-canvas\" id=\"report-chart-{i}\" data-chart=\"{i}\"></div>", escape(&c.title));
    t.push_str(&format!("<table><thead><tr><th>{}</th>", escape(&c.unit)));
    for s in &c.series {
        t.push_str(&format!("<th>{}</th>", escape(&s.name)));
    }
    t.push_str("</tr></thead><tbody>");
    for (j, cat) in c.categories.iter().enumerate() {
        t.push_str(&format!("<tr><td>{}</td>", escape(cat)));
        for s in &c.series {
            t.push_str(&format!("<td>{}</td>", s.values.get(j).copied().unwrap_or(0)));
        }
        t.push_str("</tr>");
    }
    t + "</tbody></table></figure>\n"
}

/// The JSON block with every chart of a page, safe inside `<script>` (no `<`, so no `</script>`).
pub fn json_block(charts: &[&Chart]) -> String {
    let json = serde_json::to_string(charts).unwrap_or_else(|_| "[]".into()).replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026");
    format!(
        "<script type=\"application/json\" id=\"report-charts\">{json}</script>\n<script src=\"/assets/echarts.min.js\"></script>\n<script src=\"/assets/report-charts.js\"></script>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_block_cannot_close_its_script() {
        let c = Chart { title: "</script><script>alert(1)</script>".into(), kind: ChartKind::Bar, unit: "件".into(), categories: vec!["a&b".into()], series: vec![] };
        let block = json_block(&[&c]);
        assert_eq!(block.matches("</script>").count(), 3, "only the three closing tags: {block}");
        assert!(block.contains("\\u003c/script\\u003e"));
    }

    #[test]
    fn chart_xml_escapes_and_counts_points() {
        let c = Chart {
            title: "A&B".into(),
            kind: ChartKind::Line,
            unit: "件".into(),
            categories: vec!["1月".into(), "2月<".into()],
            series: vec![Series { name: "登记".into(), values: vec![3, 4] }],
        };
        let x = chart_xml(&c);
        assert!(x.contains("<a:t>A&amp;B</a:t>") && x.contains("<c:v>2月&lt;</c:v>"));
        assert!(x.contains("<c:lineChart>") && x.contains("<c:ptCount val=\"2\"/>") && x.contains("Sheet1!$B$2:$B$3"));
    }
}
