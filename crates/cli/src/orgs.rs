//! `redress org import|list`: the organisation tree.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Subcommand;
use redress_domain::{Org, OrgId, OrgKind};

use crate::db::Db;

#[derive(Debug, Subcommand)]
pub enum OrgCmd {
    /// 从 CSV 导入组织机构（列：name,parent,kind[,division_code]；按名称新增或更新；有错则全部不导入）
    Import {
        /// CSV 文件（UTF-8）：name,parent,kind[,division_code]，parent 填上级单位名称，最高层级留空
        #[arg(long, value_name = "FILE")]
        csv: PathBuf,
    },
    /// 按层级列出组织机构
    List,
}

pub async fn run(db: &Db, cmd: OrgCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        OrgCmd::Import { csv } => import(db, &csv).await,
        OrgCmd::List => list(db).await,
    }
}

const KINDS: [OrgKind; 7] =
    [OrgKind::County, OrgKind::Town, OrgKind::Department, OrgKind::Village, OrgKind::Community, OrgKind::Grid, OrgKind::External];

pub fn kind_key(k: OrgKind) -> &'static str {
    match k {
        OrgKind::County => "county",
        OrgKind::Town => "town",
        OrgKind::Department => "department",
        OrgKind::Village => "village",
        OrgKind::Community => "community",
        OrgKind::Grid => "grid",
        OrgKind::External => "external",
    }
}

/// By key (`town`), full label (`乡镇（街道）`) or either half of a label (`乡镇`, `街道`, `县`, `区`).
pub fn parse_kind(s: &str) -> Option<OrgKind> {
    let s = s.trim();
    KINDS.into_iter().find(|k| {
        let label = k.label_zh();
        kind_key(*k).eq_ignore_ascii_case(s)
            || label == s
            || label.replace(['（', '）'], " ").split_whitespace().any(|part| part == s)
    })
}

/// An organisation by id or exact name.
pub fn find_org<'a>(orgs: &'a [Org], key: &str) -> anyhow::Result<&'a Org> {
    let key = key.trim();
    if let Ok(id) = key.parse::<i64>() {
        if let Some(o) = orgs.iter().find(|o| o.id == OrgId(id)) {
            return Ok(o);
        }
    }
    let named: Vec<&Org> = orgs.iter().filter(|o| o.name == key).collect();
    match named.as_slice() {
        [one] => Ok(one),
        [] => bail!("找不到单位“{key}”（可填单位编号或全称，见 redress org list）"),
        _ => bail!("有 {} 个单位名为“{key}”，请改用单位编号（见 redress org list）", named.len()),
    }
}

/// The first department whose name contains 信访, else the root of the tree.
pub fn default_intake_org(orgs: &[Org]) -> Option<&Org> {
    let mut sorted: Vec<&Org> = orgs.iter().collect();
    sorted.sort_by_key(|o| o.id);
    sorted
        .iter()
        .find(|o| o.kind == OrgKind::Department && o.name.contains("信访"))
        .or_else(|| sorted.iter().find(|o| o.parent.is_none()))
        .copied()
}

struct OrgRow {
    line: u64,
    name: String,
    parent: Option<String>,
    kind: OrgKind,
    division_code: Option<String>,
}

const NAME_COLS: &[&str] = &["name", "名称", "单位名称", "单位"];
const PARENT_COLS: &[&str] = &["parent", "上级", "上级单位"];
const KIND_COLS: &[&str] = &["kind", "类型", "单位类型", "级别"];
const CODE_COLS: &[&str] = &["division_code", "区划代码", "行政区划代码"];

fn column(header: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    header.iter().position(|h| {
        let h = h.trim().trim_start_matches('\u{feff}').trim();
        names.iter().any(|n| n.eq_ignore_ascii_case(h))
    })
}

/// A problem with one line of the file.
type LineError = (u64, String);

fn read_rows(path: &PathBuf) -> anyhow::Result<(Vec<OrgRow>, Vec<LineError>)> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("无法打开 {}", path.display()))?;
    let header = rdr.headers().map_err(|e| crate::import::csv_error(path, e))?.clone();
    let (Some(name_col), Some(kind_col)) = (column(&header, NAME_COLS), column(&header, KIND_COLS)) else {
        bail!("{}：表头应为 name,parent,kind[,division_code]（或 名称,上级,类型,区划代码）", path.display());
    };
    let parent_col = column(&header, PARENT_COLS);
    let code_col = column(&header, CODE_COLS);
    let mut rows = vec![];
    let mut errors = vec![];
    let mut seen: HashMap<String, u64> = HashMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| crate::import::csv_error(path, e))?;
        let line = rec.position().map_or(0, |p| p.line());
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let Some(name) = get(Some(name_col)) else {
            errors.push((line, "单位名称不能为空".to_string()));
            continue;
        };
        if let Some(first) = seen.insert(name.clone(), line) {
            errors.push((line, format!("单位“{name}”与第 {first} 行重名")));
            continue;
        }
        let kind_text = get(Some(kind_col)).unwrap_or_default();
        let Some(kind) = parse_kind(&kind_text) else {
            let valid: Vec<String> = KINDS.iter().map(|k| format!("{}/{}", kind_key(*k), k.label_zh())).collect();
            errors.push((line, format!("单位类型“{kind_text}”无法识别，应为：{}", valid.join("、"))));
            continue;
        };
        let parent = get(parent_col);
        if parent.as_deref() == Some(name.as_str()) {
            errors.push((line, format!("单位“{name}”不能是自己的上级")));
            continue;
        }
        rows.push(OrgRow { line, name, parent, kind, division_code: get(code_col) });
    }
    Ok((rows, errors))
}

/// Parent links of the tree after the import (by name), and the depth of each name in it.
fn check_tree(rows: &[OrgRow], existing: &[Org], errors: &mut Vec<LineError>) -> HashMap<String, usize> {
    let by_id: HashMap<OrgId, &Org> = existing.iter().map(|o| (o.id, o)).collect();
    let mut parent_of: HashMap<String, Option<String>> = existing
        .iter()
        .map(|o| (o.name.clone(), o.parent.and_then(|p| by_id.get(&p)).map(|p| p.name.clone())))
        .collect();
    for r in rows {
        parent_of.insert(r.name.clone(), r.parent.clone());
    }
    for r in rows {
        if let Some(p) = &r.parent {
            if !parent_of.contains_key(p) {
                errors.push((r.line, format!("上级单位“{p}”既不在文件中，也不在已有组织机构中")));
            }
        }
    }
    let mut depth = HashMap::new();
    for r in rows {
        let mut chain = vec![r.name.clone()];
        let mut cur = r.parent.clone();
        let mut seen: HashSet<String> = HashSet::from([r.name.clone()]);
        while let Some(p) = cur {
            chain.push(p.clone());
            if !seen.insert(p.clone()) {
                errors.push((r.line, format!("上级关系形成循环：{}", chain.join(" → "))));
                break;
            }
            cur = parent_of.get(&p).cloned().flatten();
        }
        depth.insert(r.name.clone(), chain.len());
    }
    depth
}

async fn import(db: &Db, path: &PathBuf) -> anyhow::Result<ExitCode> {
    let (mut rows, mut errors) = read_rows(path)?;
    let app = db.open_app(true).await?;
    let existing = app.store.list_orgs().await?;
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for o in &existing {
        *counts.entry(o.name.as_str()).or_default() += 1;
    }
    for r in &rows {
        if counts.get(r.name.as_str()).is_some_and(|n| *n > 1) {
            errors.push((r.line, format!("已有组织机构中有多个名为“{}”的单位，无法按名称更新", r.name)));
        }
    }
    let depth = check_tree(&rows, &existing, &mut errors);
    if !errors.is_empty() {
        errors.sort();
        errors.dedup();
        for (line, msg) in &errors {
            eprintln!("第 {line} 行：{msg}");
        }
        eprintln!("组织机构必须整体一致：{} 行有错误，未导入任何单位。", errors.len());
        return Ok(ExitCode::FAILURE);
    }
    // Parents before children, so each save finds its parent already in place.
    rows.sort_by_key(|r| (depth.get(&r.name).copied().unwrap_or(0), r.line));
    let mut ids: HashMap<String, OrgId> = existing.iter().map(|o| (o.name.clone(), o.id)).collect();
    let (mut added, mut updated, mut unchanged) = (0, 0, 0);
    for (done, r) in rows.iter().enumerate() {
        let parent = r.parent.as_ref().map(|p| ids[p]);
        let id = ids.get(&r.name).copied().unwrap_or(OrgId(0));
        let org = Org { id, parent, name: r.name.clone(), kind: r.kind, division_code: r.division_code.clone() };
        if existing.contains(&org) {
            unchanged += 1;
            continue;
        }
        let saved = app.save_org(org).await.map_err(|e| {
            anyhow::anyhow!("第 {} 行（{}）保存失败：{e}；此前已写入 {done} 个单位，请修正后重新导入（按名称更新，可重复执行）", r.line, r.name)
        })?;
        if id.0 == 0 {
            added += 1;
        } else {
            updated += 1;
        }
        ids.insert(r.name.clone(), saved);
    }
    println!("已导入 {} 个单位：新增 {added}，更新 {updated}，未变 {unchanged}", rows.len());
    Ok(ExitCode::SUCCESS)
}

async fn list(db: &Db) -> anyhow::Result<ExitCode> {
    let app = db.open_app(false).await?;
    let orgs = app.store.list_orgs().await?;
    if orgs.is_empty() {
        println!("尚无组织机构。可用 redress org import --csv FILE 导入，或 redress serve 生成演示数据。");
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", render_tree(&orgs));
    Ok(ExitCode::SUCCESS)
}

/// One line per organisation, children indented under their parent, siblings by id.
pub fn render_tree(orgs: &[Org]) -> String {
    let ids: HashSet<OrgId> = orgs.iter().map(|o| o.id).collect();
    let mut children: BTreeMap<Option<OrgId>, Vec<&Org>> = BTreeMap::new();
    for o in orgs {
        // An org whose parent is missing is shown at the top rather than hidden.
        let parent = o.parent.filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(o);
    }
    for v in children.values_mut() {
        v.sort_by_key(|o| o.id);
    }
    let width = orgs.iter().map(|o| o.id.0.to_string().len()).max().unwrap_or(1);
    let mut out = String::new();
    let mut stack: Vec<(&Org, usize)> = children.get(&None).into_iter().flatten().rev().map(|o| (*o, 0)).collect();
    let mut printed = HashSet::new();
    while let Some((o, level)) = stack.pop() {
        if !printed.insert(o.id) {
            continue;
        }
        let code = o.division_code.as_deref().map(|c| format!("，区划代码 {c}")).unwrap_or_default();
        out.push_str(&format!("{:>width$}  {}{}（{}{code}）\n", o.id.0, "  ".repeat(level), o.name, o.kind.label_zh()));
        for c in children.get(&Some(o.id)).into_iter().flatten().rev() {
            stack.push((c, level + 1));
        }
    }
    // Anything left sits on a cycle (should not happen; shown so it can be fixed).
    for o in orgs.iter().filter(|o| !printed.contains(&o.id)) {
        out.push_str(&format!("{:>width$}  {}（{}，上级关系循环）\n", o.id.0, o.name, o.kind.label_zh()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: i64, parent: Option<i64>, name: &str, kind: OrgKind) -> Org {
        Org { id: OrgId(id), parent: parent.map(OrgId), name: name.into(), kind, division_code: None }
    }

    #[test]
    fn kinds_parse_by_key_label_or_half_label() {
        assert_eq!(parse_kind("town"), Some(OrgKind::Town));
        assert_eq!(parse_kind("乡镇（街道）"), Some(OrgKind::Town));
        assert_eq!(parse_kind("街道"), Some(OrgKind::Town));
        assert_eq!(parse_kind("县"), Some(OrgKind::County));
        assert_eq!(parse_kind("部门"), Some(OrgKind::Department));
        assert_eq!(parse_kind("省"), None);
    }

    #[test]
    fn tree_is_indented_under_parents() {
        let orgs = vec![
            org(3, Some(1), "城关镇", OrgKind::Town),
            org(1, None, "示范县", OrgKind::County),
            org(2, Some(1), "县信访局", OrgKind::Department),
            org(4, Some(3), "东门村", OrgKind::Village),
        ];
        let t = render_tree(&orgs);
        assert_eq!(t, "1  示范县（县（区））\n2    县信访局（部门）\n3    城关镇（乡镇（街道））\n4      东门村（村）\n");
    }

    #[test]
    fn default_intake_office_is_the_petition_bureau_else_the_root() {
        let mut orgs = vec![org(1, None, "示范县", OrgKind::County), org(2, Some(1), "县信访局", OrgKind::Department)];
        assert_eq!(default_intake_org(&orgs).map(|o| o.id), Some(OrgId(2)));
        orgs.pop();
        assert_eq!(default_intake_org(&orgs).map(|o| o.id), Some(OrgId(1)));
    }
}
