//! A [`Document`] as a minimal WordprocessingML (.docx) package: content types, package
//! relationships, the document, its relationships and styles (仿宋 body, 宋体 title,
//! 黑体 headings, A4 with the margins of GB/T 9704), stored in a ZIP.

use super::{zip, Block, Document};

/// XML-escapes text and drops the characters XML 1.0 cannot carry (control characters
/// other than tab and line breaks, which the callers turn into elements).
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    xml_escape_into(s, &mut out);
    out
}

/// [`xml_escape`], appending to `out`.
pub fn xml_escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>"#;

const PACKAGE_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

const DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

/// Body 三号仿宋 (16 pt), exact 28 pt lines; title 二号宋体 bold (22 pt); headings 黑体.
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="仿宋" w:cs="Times New Roman"/><w:sz w:val="32"/><w:szCs w:val="32"/><w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:before="0" w:after="0" w:line="560" w:lineRule="exact"/><w:jc w:val="both"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:spacing w:before="280" w:after="560" w:line="700" w:lineRule="exact"/><w:jc w:val="center"/></w:pPr><w:rPr><w:rFonts w:ascii="宋体" w:hAnsi="宋体" w:eastAsia="宋体"/><w:b/><w:bCs/><w:sz w:val="44"/><w:szCs w:val="44"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="BodyText"><w:name w:val="Body Text"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr><w:ind w:firstLineChars="200" w:firstLine="640"/></w:pPr></w:style><w:style w:type="paragraph" w:styleId="DocHeading"><w:name w:val="Doc Heading"/><w:basedOn w:val="BodyText"/><w:next w:val="BodyText"/><w:qFormat/><w:pPr><w:keepNext/></w:pPr><w:rPr><w:rFonts w:ascii="黑体" w:hAnsi="黑体" w:eastAsia="黑体"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Footer"><w:name w:val="Footer Note"/><w:basedOn w:val="Normal"/><w:pPr><w:spacing w:before="560" w:line="360" w:lineRule="exact"/></w:pPr><w:rPr><w:sz w:val="24"/><w:szCs w:val="24"/></w:rPr></w:style></w:styles>"#;

/// Runs of one paragraph: the text with line breaks as `<w:br/>`; `bold` in 黑体.
fn runs(text: &str, bold: bool) -> String {
    let rpr = if bold { r#"<w:rPr><w:rFonts w:ascii="黑体" w:hAnsi="黑体" w:eastAsia="黑体"/></w:rPr>"# } else { "" };
    let mut out = String::new();
    for (i, line) in text.replace("\r\n", "\n").replace('\r', "\n").split('\n').enumerate() {
        if i > 0 {
            out.push_str(&format!("<w:r>{rpr}<w:br/></w:r>"));
        }
        out.push_str(&format!(r#"<w:r>{rpr}<w:t xml:space="preserve">{}</w:t></w:r>"#, xml_escape(line)));
    }
    out
}

fn para(ppr: &str, content: &str) -> String {
    format!("<w:p><w:pPr>{ppr}</w:pPr>{content}</w:p>")
}

/// The main part, `word/document.xml`.
pub fn document_xml(d: &Document) -> String {
    let mut body = String::new();
    let mut charts = 0;
    body.push_str(&para(r#"<w:jc w:val="right"/>"#, &runs(&d.number, false)));
    body.push_str(&para(r#"<w:pStyle w:val="Title"/>"#, &runs(&d.title, false)));
    if !d.addressee.is_empty() {
        body.push_str(&para("", &runs(&format!("{}：", d.addressee), false)));
    }
    for b in &d.blocks {
        body.push_str(&match b {
            Block::Heading { text } => para(r#"<w:pStyle w:val="DocHeading"/>"#, &runs(text, false)),
            Block::Text { text } => para(r#"<w:pStyle w:val="BodyText"/>"#, &runs(text, false)),
            Block::Field { label, value } => {
                para(r#"<w:pStyle w:val="BodyText"/>"#, &format!("{}{}", runs(&format!("{label}："), true), runs(value, false)))
            }
            Block::Chart { chart } => {
                charts += 1;
                super::chart::drawing_paragraph(chart, charts)
            }
        });
    }
    let sign = r#"<w:ind w:right="1280"/><w:jc w:val="right"/>"#;
    body.push_str(&para(r#"<w:spacing w:before="1120"/><w:ind w:right="1280"/><w:jc w:val="right"/>"#, &runs(&d.issuer, false)));
    body.push_str(&para(sign, &runs(&super::date_zh(d.date), false)));
    body.push_str(&para(r#"<w:pStyle w:val="Footer"/>"#, &runs(&d.footer, false)));
    // A4, margins 37/26/35/28 mm (GB/T 9704: top, right, bottom, left).
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="{W}"><w:body>{body}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="2098" w:right="1474" w:bottom="1984" w:left="1588" w:header="851" w:footer="992" w:gutter="0"/></w:sectPr></w:body></w:document>"#
    )
}

/// The document as a .docx file.
pub fn to_docx(d: &Document) -> Vec<u8> {
    let document = document_xml(d);
    // Charts (reports, issue 6): one part each, numbered in order, with its relationship and
    // content type.
    let charts: Vec<String> = d.blocks.iter().filter_map(|b| if let Block::Chart { chart } = b { Some(super::chart::chart_xml(chart)) } else { None }).collect();
    let names: Vec<String> = (1..=charts.len()).map(|n| format!("word/charts/chart{n}.xml")).collect();
    let mut types = CONTENT_TYPES.to_string();
    let mut rels = DOCUMENT_RELS.to_string();
    for n in 1..=charts.len() {
        types = types.replace("</Types>", &format!(r#"<Override PartName="/word/charts/chart{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.drawingml.chart+xml"/></Types>"#));
        rels = rels.replace("</Relationships>", &format!(r#"<Relationship Id="rIdChart{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart" Target="charts/chart{n}.xml"/></Relationships>"#));
    }
    let mut parts: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", PACKAGE_RELS.as_bytes()),
        ("word/document.xml", document.as_bytes()),
        ("word/_rels/document.xml.rels", rels.as_bytes()),
        ("word/styles.xml", STYLES.as_bytes()),
    ];
    for (name, xml) in names.iter().zip(&charts) {
        parts.push((name.as_str(), xml.as_bytes()));
    }
    zip::store(&parts, d.date)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write;
    use std::process::{Command, Stdio};

    use super::super::tests::{config, handled_case, inputs};
    use super::super::{build, DocKind};
    use super::*;

    /// Runs a Python 3 script with `input` on stdin; panics unless it exits 0; returns stdout.
    pub fn python(script: &str, input: &[u8]) -> String {
        let mut child = Command::new("python3")
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 must be installed for this test");
        child.stdin.take().unwrap().write_all(input).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "python3 failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Checks a .docx with Python's standard library alone: CRCs, every XML part well formed,
    /// every part the content types and relationships name present; prints document.xml's
    /// paragraphs, one a line.
    pub const VERIFY_DOCX: &str = r#"
import io, posixpath, sys, zipfile
from xml.dom import minidom
z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))
assert z.testzip() is None, "bad CRC"
names = set(z.namelist())
for part in ["[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/_rels/document.xml.rels", "word/styles.xml"]:
    assert part in names, "missing " + part
doms = {n: minidom.parseString(z.read(n)) for n in names if n.endswith(".xml") or n.endswith(".rels")}
assert len(doms) == len(names), "a part is not XML"
for o in doms["[Content_Types].xml"].getElementsByTagName("Override"):
    assert o.getAttribute("PartName").lstrip("/") in names, "content type for a missing part"
for rels, base in [("_rels/.rels", ""), ("word/_rels/document.xml.rels", "word")]:
    for r in doms[rels].getElementsByTagName("Relationship"):
        assert posixpath.join(base, r.getAttribute("Target")) in names, "dangling relationship"
doc = doms["word/document.xml"]
assert doc.documentElement.tagName == "w:document"
assert doc.getElementsByTagName("w:pgSz")[0].getAttribute("w:w") == "11906", "not A4"
for p in doc.getElementsByTagName("w:p"):
    line = ""
    for node in p.getElementsByTagName("*"):
        if node.tagName == "w:t":
            line += "".join(c.data for c in node.childNodes)
        elif node.tagName == "w:br":
            line += "\\n"
    sys.stdout.write(line + "\n")
"#;

    #[test]
    fn docx_is_a_valid_package_with_the_decision_and_review_deadline() {
        let d = build(&config(), &handled_case(""), DocKind::HandlingOpinion, 1, &inputs("王建国"));
        let bytes = to_docx(&d);
        assert!(bytes.starts_with(b"PK\x03\x04"));
        let text = python(VERIFY_DOCX, &bytes);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "信访事项处理意见书");
        assert_eq!(lines[2], "王建国：");
        assert!(lines.contains(&"三、处理意见：不予支持"), "{text}");
        assert!(text.contains("请最迟于2026年4月9日前提出复查请求"), "{text}");
        assert!(text.contains("《信访工作条例》第三十五条"));
        assert!(lines.contains(&"示范县住房和城乡建设局") && lines.contains(&"2026年3月10日"), "{text}");
        // The request keeps its line break.
        assert!(text.contains("小区电梯停运\\n3号楼电梯停运三个月。"), "{text}");
    }

    #[test]
    fn every_kind_makes_a_valid_docx() {
        let case = handled_case("");
        for kind in [DocKind::AcceptanceNotice, DocKind::ExtensionNotice, DocKind::SupervisionSheet, DocKind::NonAcceptanceNotice] {
            let d = build(&config(), &case, kind, 1, &inputs("王建国"));
            let text = python(VERIFY_DOCX, &to_docx(&d));
            assert!(text.contains(kind.title()), "{kind:?}: {text}");
        }
    }

    #[test]
    fn markup_and_control_characters_in_case_text_stay_text() {
        let attack = "<script>alert(1)</script>&\u{1}\"'";
        let d = build(&config(), &handled_case(attack), DocKind::HandlingOpinion, 1, &inputs("王<b>建国</b>"));
        let xml = document_xml(&d);
        assert!(!xml.contains("<script>") && !xml.contains("<b>"), "raw markup in document.xml");
        assert!(xml.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&apos;"));
        assert!(!xml.contains('\u{1}'));
        let text = python(VERIFY_DOCX, &to_docx(&d));
        assert!(text.contains("<script>alert(1)</script>&\"'"), "read back as text: {text}");
        assert!(text.contains("王<b>建国</b>："));
    }
}
