//! The written notices a case produces (信访工作条例 Art. 22, 23, 31–35): 受理告知书,
//! 不予受理告知书, 信访事项处理意见书, 延期办理告知书 and 督办单.
//!
//! One small document model ([`Document`]: number, title, addressee, blocks, signature) is
//! built from a case by [`App::document`] and rendered twice: [`docx::to_docx`] (a minimal
//! WordprocessingML package in a hand-written ZIP) and [`html::to_html`] (a standalone,
//! print-ready A4 page). Both renderers escape every piece of text.
//!
//! Notices to the petitioner carry the petitioner's real name: reading it is a view of
//! personal data, checked like [`App::reveal_personal`] and recorded in the access log
//! before the document is returned.

// Charts in reports (issue 6).
pub mod chart;
pub mod docx;
pub mod html;
pub mod zip;

use chrono::{Datelike, NaiveDate};
use redress_domain::case::*;
use redress_domain::org::{OrgKind, OrgTree};
use redress_domain::{local_date, CaseId, DeadlineKind, DomainError, EventKind, OrgId, Role};
use redress_store::AccessRecord;
use serde::Serialize;

use crate::auth::Principal;
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::permissions;
use crate::App;

/// The kinds of document a case can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// 受理告知书 (Art. 23), once the case was accepted.
    AcceptanceNotice,
    /// 不予受理告知书 (Art. 23), when the case was not accepted.
    NonAcceptanceNotice,
    /// 信访事项处理意见书 (Art. 32), once the reply was approved.
    HandlingOpinion,
    /// 延期办理告知书 (Art. 34), once an extension was approved.
    ExtensionNotice,
    /// 督办单, one per supervision.
    SupervisionSheet,
    /// 信访工作分析报告 (monthly), about the county's figures rather than one case
    /// (`crate::reports`); never offered among a case's documents.
    AnalysisReport,
    /// 人民调解协议书 (issue 7, `crate::mediation`), about a dispute rather than a case.
    MediationAgreement,
    /// 人民调解卷宗: a dispute's registration, session records, outcome and history.
    MediationArchive,
    /// 社会稳定风险评估报告 (issue 7, `crate::assessment_flow`).
    AssessmentReport,
}

impl DocKind {
    pub const ALL: [DocKind; 5] =
        [DocKind::AcceptanceNotice, DocKind::NonAcceptanceNotice, DocKind::HandlingOpinion, DocKind::ExtensionNotice, DocKind::SupervisionSheet];

    pub fn key(self) -> &'static str {
        match self {
            DocKind::AcceptanceNotice => "acceptance_notice",
            DocKind::NonAcceptanceNotice => "non_acceptance_notice",
            DocKind::HandlingOpinion => "handling_opinion",
            DocKind::ExtensionNotice => "extension_notice",
            DocKind::SupervisionSheet => "supervision_sheet",
            DocKind::AnalysisReport => "analysis_report",
            DocKind::MediationAgreement => "mediation_agreement",
            DocKind::MediationArchive => "mediation_archive",
            DocKind::AssessmentReport => "assessment_report",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            DocKind::AcceptanceNotice => "受理告知书",
            DocKind::NonAcceptanceNotice => "不予受理告知书",
            DocKind::HandlingOpinion => "信访事项处理意见书",
            DocKind::ExtensionNotice => "延期办理告知书",
            DocKind::SupervisionSheet => "督办单",
            DocKind::AnalysisReport => "信访工作分析报告",
            DocKind::MediationAgreement => "人民调解协议书",
            DocKind::MediationArchive => "人民调解卷宗",
            DocKind::AssessmentReport => "社会稳定风险评估报告",
        }
    }

    /// Accepts the key or the Chinese title.
    pub fn parse(s: &str) -> Option<DocKind> {
        let s = s.trim();
        DocKind::ALL.into_iter().find(|k| k.key() == s || k.title() == s)
    }

    /// Written to the petitioner (and so carrying the petitioner's name), or to a unit.
    pub fn to_petitioner(self) -> bool {
        !matches!(self, DocKind::SupervisionSheet | DocKind::AnalysisReport | DocKind::MediationAgreement | DocKind::MediationArchive | DocKind::AssessmentReport)
    }

    /// The word before the year in the document number.
    fn number_prefix(self) -> &'static str {
        match self {
            DocKind::AcceptanceNotice => "受告字",
            DocKind::NonAcceptanceNotice => "不受告字",
            DocKind::HandlingOpinion => "处意字",
            DocKind::ExtensionNotice => "延告字",
            DocKind::SupervisionSheet => "督字",
            DocKind::AnalysisReport => "析字",
            DocKind::MediationAgreement | DocKind::MediationArchive => "调字",
            DocKind::AssessmentReport => "稳评字",
        }
    }

    /// Why the case's state does not allow this document yet, if it does not.
    fn unavailable_in(self, case: &Case) -> Option<&'static str> {
        let ok = match self {
            DocKind::AcceptanceNotice => case.accepted_at.is_some(),
            DocKind::NonAcceptanceNotice => {
                case.accepted_at.is_none()
                    && (case.status == Status::NotAccepted || (case.status == Status::Archived && case.not_accepted_reason.is_some()))
            }
            DocKind::HandlingOpinion => case.reply.as_ref().is_some_and(|r| r.approved_at.is_some()),
            DocKind::ExtensionNotice => case.extension.as_ref().is_some_and(|e| e.approved_at.is_some()),
            DocKind::SupervisionSheet => !case.supervisions.is_empty(),
            DocKind::AnalysisReport | DocKind::MediationAgreement | DocKind::MediationArchive | DocKind::AssessmentReport => false,
        };
        (!ok).then_some(match self {
            DocKind::AcceptanceNotice => "事项受理后方可出具",
            DocKind::NonAcceptanceNotice => "仅对决定不予受理的事项出具",
            DocKind::HandlingOpinion => "处理意见经单位负责人审核通过后方可出具",
            DocKind::ExtensionNotice => "延长办理期限经批准后方可出具",
            DocKind::SupervisionSheet => "该事项尚无督办记录",
            DocKind::AnalysisReport | DocKind::MediationAgreement | DocKind::MediationArchive | DocKind::AssessmentReport => "该文书不属于单个事项",
        })
    }
}

/// One block of a document's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// A numbered section heading such as "一、信访请求".
    Heading { text: String },
    /// Body text; the first line is indented two characters. May contain line breaks.
    Text { text: String },
    /// A labelled field of a form ("督办要求：……").
    Field { label: String, value: String },
    /// A chart (reports, issue 6): a DrawingML chart in DOCX, ECharts and a table in HTML.
    Chart { chart: chart::Chart },
}

/// A written notice, independent of its format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    pub kind: DocKind,
    pub title: String,
    /// 文号, e.g. 受告字〔2026〕第123号.
    pub number: String,
    /// Whom it is written to, without the trailing colon.
    pub addressee: String,
    pub blocks: Vec<Block>,
    /// The issuing organisation (signature block).
    pub issuer: String,
    /// The date of the decision the document records (signature block).
    pub date: NaiveDate,
    /// The case's 编号.
    pub case_number: String,
    /// A line printed below the signature (case number and tracking code).
    pub footer: String,
    /// File name without extension, e.g. 受理告知书-XF2026-000123.
    pub file_stem: String,
}

/// Whether a document can be produced now, for the list of a case's documents.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentInfo {
    pub kind: DocKind,
    pub title: &'static str,
    pub available: bool,
    /// Why not, when not available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For the supervision sheet: one per supervision (n = 1, 2, …).
    pub count: usize,
}

/// Who a notice to the petitioner is addressed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addressee {
    /// The petitioner's (or, for a group, the representative's) real name.
    Named(String),
    Anonymous,
    /// The name is not known (never given, or purged at the end of its retention period).
    Unknown,
}

/// "2026年3月2日".
pub fn date_zh(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The name an organisation signs with: a county or town is its people's government; a
/// county department named "县…" carries the county's name ("县信访局" → "示范县信访局").
pub fn formal_name(tree: &OrgTree, id: OrgId) -> Option<String> {
    let org = tree.get(id)?;
    Some(match org.kind {
        OrgKind::County | OrgKind::Town if !org.name.ends_with("政府") => format!("{}人民政府", org.name),
        OrgKind::Department if org.name.starts_with('县') => {
            let county = tree.ancestors(id).into_iter().filter_map(|a| tree.get(a)).find(|a| a.kind == OrgKind::County);
            match county {
                Some(c) if c.name.ends_with('县') => format!("{}{}", c.name, &org.name['县'.len_utf8()..]),
                _ => org.name.clone(),
            }
        }
        _ => org.name.clone(),
    })
}

/// Text from a person, inserted into a sentence: trimmed, without its own final punctuation.
fn clause(s: &str) -> String {
    s.trim().trim_end_matches(['。', '.', '；', ';', '，', ',', '！', '!']).trim().to_string()
}

/// Everything a document needs besides the case and the configuration, read by the app.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub addressee: Addressee,
    /// When the case was decided not to be accepted (from its event).
    pub not_accepted_on: Option<NaiveDate>,
    /// The office that issued the chosen supervision (the supervisor's organisation).
    pub supervision_office: Option<OrgId>,
}

/// Builds a document from a case whose state allows it (checked by the caller).
/// `n` is the supervision's 1-based index for the supervision sheet.
pub fn build(cfg: &Config, case: &Case, kind: DocKind, n: usize, inp: &Inputs) -> Document {
    let tree = &cfg.tree;
    let group = case.matter.people_count > 1;
    let you = if group { "你们" } else { "你" };
    let number = case.number();
    let year = local_date(case.registered_at).year();
    let mut doc_no = format!("{}〔{year}〕第{}号", kind.number_prefix(), case.id.0);
    let mut file_stem = format!("{}-{number}", kind.title());
    let addressee = match &inp.addressee {
        Addressee::Named(name) if group => format!("{name}（信访代表）"),
        Addressee::Named(name) => name.clone(),
        Addressee::Anonymous => "匿名信访人".to_string(),
        Addressee::Unknown => "信访人".to_string(),
    };
    let name_of = |id: Option<OrgId>| id.and_then(|i| formal_name(tree, i));
    let intake_office = name_of(Some(case.matter.intake_org)).unwrap_or_else(|| "信访工作机构".to_string());
    let unit = name_of(case.unit).unwrap_or_else(|| intake_office.clone());
    let how = match case.matter.channel {
        Channel::HigherTransfer => format!(
            "经{}转办",
            case.matter.channel_details.transfer_office.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("上级机关")
        ),
        ch => format!("以{}方式", ch.label_zh()),
    };
    let matter = format!(
        "{you}于{}{how}反映的“{}”一事（事项编号：{number}）",
        date_zh(local_date(case.registered_at)),
        case.matter.subject.trim()
    );
    let lookup = format!("{you}可凭查询码{}查询办理进度。", case.tracking_code.display());
    let footer = format!("事项编号：{number}　查询码：{}", case.tracking_code.display());
    let handle_rule = cfg.rules.get(DeadlineKind::Handle, case.matter.channel);
    let accepted_on = case.accepted_at.map(local_date);
    let handle_due = accepted_on.map(|a| cfg.calendar.due(a, handle_rule.days, handle_rule.unit));
    let text = |s: String| Block::Text { text: s };
    let heading = |s: &str| Block::Heading { text: s.to_string() };

    let (blocks, issuer, date, addressee, footer) = match kind {
        DocKind::AcceptanceNotice => {
            let accepted = accepted_on.expect("checked: accepted");
            let mut b = vec![text(format!(
                "{matter}，本机关已收悉。经审查，该事项属于信访事项受理范围，本机关已于{}依法受理。根据《信访工作条例》第二十三条的规定，现予书面告知。",
                date_zh(accepted)
            ))];
            if let (Some(mode), Some(_)) = (case.routing_mode, case.unit) {
                let verb = match mode {
                    RoutingMode::Forward => "转送",
                    RoutingMode::Assign => "交办",
                };
                b.push(text(format!("依照《信访工作条例》第二十二条的规定，本机关已将该事项{verb}{unit}办理。")));
            }
            b.push(text(format!(
                "根据《信访工作条例》第三十四条的规定，该事项应当自受理之日起{}{}内办结，即于{}前办结；情况复杂需要延长办理期限的，将书面告知延期理由。",
                handle_rule.days,
                handle_rule.unit.label_zh(),
                date_zh(handle_due.expect("accepted"))
            )));
            b.push(text(lookup));
            b.push(text("特此告知。".into()));
            (b, intake_office.clone(), accepted, addressee, footer)
        }
        DocKind::NonAcceptanceNotice => {
            let reason = clause(case.not_accepted_reason.as_deref().unwrap_or(""));
            let above = tree.level_above(case.matter.intake_org).and_then(|o| formal_name(tree, o)).unwrap_or_else(|| "上一级机关".to_string());
            let b = vec![
                text(format!("{matter}，本机关已收悉。经审查，本机关决定不予受理，理由是：{reason}。根据《信访工作条例》第二十三条的规定，现予书面告知。")),
                text(format!(
                    "{you}的请求依法应当通过诉讼、仲裁、行政复议等法定途径解决的，可以依照有关法律、行政法规规定的程序向有关机关提出（《信访工作条例》第三十一条）。"
                )),
                text(format!(
                    "{you}也可以向所在地人民调解委员会申请调解。人民调解不收取任何费用，也不影响{you}依法通过仲裁、行政、司法等途径维护自己的权利（《中华人民共和国人民调解法》第三条、第四条）。"
                )),
                text(format!("{you}对本告知如有异议，可以向{above}反映。")),
                text("特此告知。".into()),
            ];
            let date = inp.not_accepted_on.unwrap_or_else(|| local_date(case.updated_at));
            (b, intake_office.clone(), date, addressee, footer)
        }
        DocKind::HandlingOpinion => {
            let reply = case.reply.as_ref().expect("checked: reply");
            let approved = local_date(reply.approved_at.expect("checked: approved"));
            let review = cfg.rules.get(DeadlineKind::ReviewRequest, case.matter.channel);
            let review_due = cfg.calendar.due(approved, review.days, review.unit);
            let decide = cfg.rules.get(DeadlineKind::ReviewDecide, case.matter.channel);
            let body = case
                .unit
                .and_then(|u| tree.level_above(u))
                .and_then(|o| formal_name(tree, o))
                .unwrap_or_else(|| "上一级行政机关".to_string());
            let decision = match reply.decision {
                Decision::Support => format!("经调查核实，{you}的请求事实清楚，符合法律、法规、规章或者其他有关规定，本机关予以支持。"),
                Decision::Explain => format!("经调查核实，{you}的请求事由合理但缺乏法律依据，本机关作出如下解释说明。"),
                Decision::NotSupport => {
                    format!("经调查核实，{you}的请求缺乏事实根据或者不符合法律、法规、规章或者其他有关规定，本机关不予支持。")
                }
            };
            let basis = reply.legal_basis.trim();
            let received = match (case.routing_mode, case.routed_at) {
                (Some(RoutingMode::Assign), Some(at)) => format!("本机关于{}收到交办", date_zh(local_date(at))),
                (Some(RoutingMode::Forward), Some(at)) => format!("本机关于{}收到转送", date_zh(local_date(at))),
                _ => format!("本机关于{}受理", date_zh(accepted_on.unwrap_or(approved))),
            };
            let b = vec![
                text(format!(
                    "{matter}，{received}。本机关听取了{you}陈述的事实和理由，并进行了调查核实。根据《信访工作条例》第三十二条的规定，现出具处理意见如下："
                )),
                heading("一、信访请求"),
                text(format!("{}\n{}", case.matter.subject.trim(), case.matter.content.trim())),
                heading("二、查明的事实和理由"),
                text(reply.facts.trim().to_string()),
                heading(&format!("三、处理意见：{}", reply.decision.label_zh())),
                text(decision),
                text(reply.opinion.trim().to_string()),
                heading("四、法律、法规及政策依据"),
                text(if basis.is_empty() { "无。".to_string() } else { basis.to_string() }),
                heading("五、复查权利和期限"),
                text(format!(
                    "{you}如对本处理意见不服，可以自收到本意见书之日起{}{}内，向{body}书面请求复查（《信访工作条例》第三十五条）。本意见书于{}作出，请最迟于{}前提出复查请求。复查机关应当自收到复查请求之日起{}{}内提出复查意见，并予以书面答复。",
                    review.days,
                    review.unit.label_zh(),
                    date_zh(approved),
                    date_zh(review_due),
                    decide.days,
                    decide.unit.label_zh()
                )),
            ];
            (b, unit.clone(), approved, addressee, footer)
        }
        DocKind::ExtensionNotice => {
            let ext = case.extension.as_ref().expect("checked: extension");
            let approved = local_date(ext.approved_at.expect("checked: approved"));
            let due = handle_due.unwrap_or(approved);
            // The extension runs on from the original last day (Art. 34), as the deadline rules do.
            let new_due = cfg.calendar.due(due, ext.days, redress_domain::DayUnit::Calendar);
            let b = vec![
                text(format!("{matter}，已于{}受理，{unit}正在办理。", date_zh(accepted_on.unwrap_or(approved)))),
                text(format!(
                    "因{}，该事项难以在规定期限内办结。根据《信访工作条例》第三十四条的规定，经本单位负责人批准，办理期限延长{}日：原办理期限至{}，延长后的办理期限至{}。",
                    clause(&ext.reason),
                    ext.days,
                    date_zh(due),
                    date_zh(new_due)
                )),
                text(lookup),
                text("特此告知。".into()),
            ];
            (b, unit.clone(), approved, addressee, footer)
        }
        DocKind::SupervisionSheet => {
            let total = case.supervisions.len();
            let s = &case.supervisions[n - 1];
            if total > 1 {
                doc_no = format!("{}〔{year}〕第{}-{n}号", kind.number_prefix(), case.id.0);
                file_stem = format!("{}-{number}-{n}", kind.title());
            }
            let office = name_of(inp.supervision_office).unwrap_or_else(|| intake_office.clone());
            let target = name_of(s.target_unit.or(case.unit)).unwrap_or_else(|| "承办单位".to_string());
            let mut b = vec![
                text(format!("你单位承办的下列信访事项，现予督办。请按督办要求抓紧办理，并于{}前将办理结果书面报送{office}。", date_zh(s.due))),
                Block::Field { label: "督办单位".into(), value: office.clone() },
                Block::Field { label: "被督办单位".into(), value: target.clone() },
                Block::Field { label: "事项编号".into(), value: number.clone() },
                Block::Field { label: "督办事项".into(), value: case.matter.subject.trim().to_string() },
                Block::Field { label: "登记日期".into(), value: date_zh(local_date(case.registered_at)) },
            ];
            // The handling deadline as it stood when the supervision was issued.
            if let Some(due) = handle_due {
                let extra = case.extension.as_ref().filter(|e| e.approved_at.is_some_and(|a| a <= s.at)).map_or(0, |e| e.days);
                let due = if extra > 0 { cfg.calendar.due(due, extra, redress_domain::DayUnit::Calendar) } else { due };
                b.push(Block::Field { label: "法定办理期限".into(), value: date_zh(due) });
            }
            b.push(Block::Field { label: "督办要求".into(), value: s.note.trim().to_string() });
            b.push(Block::Field { label: "办结时限".into(), value: format!("{}前", date_zh(s.due)) });
            b.push(Block::Field { label: "督办次数".into(), value: format!("第{n}次（共{total}次）") });
            (b, office, local_date(s.at), target, format!("事项编号：{number}"))
        }
        // Never reached for a case (`unavailable` refuses it); the report is built by `reports`.
        DocKind::AnalysisReport | DocKind::MediationAgreement | DocKind::MediationArchive | DocKind::AssessmentReport => (vec![], String::new(), local_date(case.registered_at), String::new(), String::new()),
    };
    Document {
        kind,
        title: kind.title().to_string(),
        number: doc_no,
        addressee,
        blocks,
        issuer,
        date,
        case_number: number,
        footer,
        file_stem,
    }
}

/// For notices to the petitioner: may this person read the petitioner's name? The same rules
/// as [`App::reveal_personal`]: a role that may unmask, and never the unit handling a
/// confidential accusation (Art. 30). Only asked when a name would actually be read.
fn may_read_name(p: &Principal, case: &Case) -> AppResult<()> {
    if !p.may_unmask() {
        return Err(AppError::forbidden("本角色不能查看信访人个人信息，不能出具写明信访人姓名的文书"));
    }
    if case.matter.confidential && !p.has_any(&[Role::IntakeClerk, Role::Admin, Role::Leader]) {
        return Err(AppError::forbidden("检举控告事项对信访人身份保密，承办单位不能出具写明信访人姓名的文书（《信访工作条例》第三十条）"));
    }
    Ok(())
}

/// Whether the document would read the petitioner's name from the personal data.
fn reads_name(kind: DocKind, case: &Case) -> bool {
    kind.to_petitioner() && !case.anonymous && !case.personal_data_purged
}

impl App {
    /// The documents of a case and whether this person can produce each now.
    pub async fn available_documents(&self, p: &Principal, id: CaseId) -> AppResult<Vec<DocumentInfo>> {
        let case = self.store.get_case(id).await?.ok_or(AppError::NotFound("事项"))?;
        permissions::may_view(p, &case)?;
        Ok(DocKind::ALL
            .into_iter()
            .map(|kind| {
                let reason = kind
                    .unavailable_in(&case)
                    .map(str::to_string)
                    .or_else(|| reads_name(kind, &case).then(|| may_read_name(p, &case).err().map(|e| e.to_string())).flatten());
                DocumentInfo {
                    kind,
                    title: kind.title(),
                    available: reason.is_none(),
                    reason,
                    count: if kind == DocKind::SupervisionSheet { case.supervisions.len() } else { usize::from(kind.unavailable_in(&case).is_none()) },
                }
            })
            .collect())
    }

    /// Builds a document of a case. `n` chooses the supervision (1-based) for the supervision
    /// sheet, the latest by default. Reading the petitioner's name is recorded in the access
    /// log with the document as its purpose before the document is returned.
    pub async fn document(&self, p: &Principal, id: CaseId, kind: DocKind, n: Option<usize>) -> AppResult<Document> {
        let case = self.store.get_case(id).await?.ok_or(AppError::NotFound("事项"))?;
        permissions::may_view(p, &case)?;
        if kind.unavailable_in(&case).is_some() {
            return Err(AppError::Domain(DomainError::IllegalTransition {
                action: format!("出具{}", kind.title()),
                current: case.status,
                allowed: DocKind::ALL.into_iter().filter(|k| k.unavailable_in(&case).is_none()).map(|k| format!("出具{}", k.title())).collect(),
            }));
        }
        let total = case.supervisions.len();
        let n = match (kind, n) {
            (DocKind::SupervisionSheet, Some(n)) if n == 0 || n > total => {
                return Err(AppError::invalid("n", format!("该事项共督办{total}次，n 应在1至{total}之间")));
            }
            (DocKind::SupervisionSheet, Some(n)) => n,
            _ => total.max(1),
        };
        let reads = reads_name(kind, &case);
        if reads {
            may_read_name(p, &case)?;
        }
        let cfg = self.cfg().await?;
        let not_accepted_on = if kind == DocKind::NonAcceptanceNotice {
            let events = self.store.case_events(id).await?;
            events
                .iter()
                .rev()
                .filter_map(|e| e.event().ok())
                .find(|e| matches!(e.kind, EventKind::NotAccepted { .. }))
                .map(|e| local_date(e.at))
        } else {
            None
        };
        let supervision_office = match (kind, case.supervisions.get(n.wrapping_sub(1)).and_then(|s| s.by)) {
            (DocKind::SupervisionSheet, Some(by)) => self.store.get_user(by).await?.map(|u| u.org_id),
            _ => None,
        };
        let addressee = if !kind.to_petitioner() {
            Addressee::Unknown
        } else if case.anonymous {
            Addressee::Anonymous
        } else if !reads {
            Addressee::Unknown
        } else {
            match self.store.personal_data(id).await? {
                None => Addressee::Unknown,
                Some(record) => {
                    self.store
                        .record_access(AccessRecord {
                            at: self.now(),
                            user_id: p.user.id,
                            username: p.user.username.clone(),
                            case_id: id,
                            fields: vec!["name".to_string()],
                            purpose: format!("生成文书：{}", kind.title()),
                        })
                        .await?;
                    match record.petitioner.name.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
                        Some(name) => Addressee::Named(name),
                        None => Addressee::Unknown,
                    }
                }
            }
        };
        Ok(build(&cfg, &case, kind, n, &Inputs { addressee, not_accepted_on, supervision_office }))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use redress_domain::event::{Actor, Event};
    use redress_domain::org::Org;
    use redress_domain::{Calendar, DeadlineRules, TrackingCode};

    use super::*;

    pub fn at(day: u32) -> DateTime<Utc> {
        redress_domain::china_offset().with_ymd_and_hms(2026, 3, day, 9, 0, 0).unwrap().with_timezone(&Utc)
    }

    pub fn config() -> Config {
        let org = |id: i64, parent: Option<i64>, name: &str, kind: OrgKind| Org { id: OrgId(id), parent: parent.map(OrgId), name: name.into(), kind, division_code: None };
        Config {
            rules: DeadlineRules::default(),
            calendar: Calendar::china_default(),
            taxonomy: Default::default(),
            tree: OrgTree::new([
                org(1, None, "示范县", OrgKind::County),
                org(2, Some(1), "县信访局", OrgKind::Department),
                org(3, Some(1), "县住房和城乡建设局", OrgKind::Department),
            ]),
        }
    }

    /// A claim registered 2026-03-02, accepted, forwarded to the housing bureau, extended by
    /// 30 days, replied (approved 2026-03-10) and supervised; `text` goes into every free-text field.
    pub fn handled_case(text: &str) -> Case {
        let matter = NewCase {
            channel: Channel::Letter,
            matter_type: MatterType::Claim,
            category: None,
            subject: format!("小区电梯停运{text}"),
            content: format!("3号楼电梯停运三个月。{text}"),
            location: Default::default(),
            people_count: 1,
            channel_details: Default::default(),
            related: vec![],
            same_matter_as: None,
            intake_org: OrgId(2),
            confidential: false,
            demo: false,
            suggested_categories: vec![],
        };
        let (mut case, _) = Case::register(matter, TrackingCode::from_random([7; 16]), Some("d".into()), false, Actor::System, at(2)).unwrap();
        let steps = [
            (2, EventKind::Accepted { note: String::new() }),
            (2, EventKind::Routed { unit: OrgId(3), co_units: vec![], mode: RoutingMode::Forward, note: String::new(), assign_days: None, suggested: vec![] }),
            (3, EventKind::HandlingStarted),
            (4, EventKind::ExtensionRequested { days: 30, reason: format!("需要多部门会商{text}。") }),
            (5, EventKind::ExtensionApproved),
            (6, EventKind::SupervisionIssued { due: NaiveDate::from_ymd_opt(2026, 3, 20).unwrap(), note: format!("请按期答复{text}"), target_unit: Some(OrgId(3)) }),
            (
                9,
                EventKind::ReplySubmitted {
                    decision: Decision::NotSupport,
                    facts: format!("经核实，电梯已于3月8日修复。{text}"),
                    opinion: format!("请求赔偿缺乏依据。{text}"),
                    legal_basis: format!("《物业管理条例》第三十五条{text}"),
                },
            ),
            (10, EventKind::ReplyApproved),
        ];
        for (day, kind) in steps {
            case.apply(&Event { at: at(day) + Duration::hours(1), actor: Actor::System, kind });
        }
        case
    }

    pub fn inputs(name: &str) -> Inputs {
        Inputs { addressee: Addressee::Named(name.into()), not_accepted_on: None, supervision_office: Some(OrgId(2)) }
    }

    fn all_text(d: &Document) -> String {
        let mut s = format!("{}\n{}\n{}\n", d.number, d.title, d.addressee);
        for b in &d.blocks {
            match b {
                Block::Heading { text } | Block::Text { text } => s.push_str(text),
                Block::Field { label, value } => s.push_str(&format!("{label}：{value}")),
                Block::Chart { chart } => s.push_str(&chart.title),
            }
            s.push('\n');
        }
        s + &d.issuer
    }

    #[test]
    fn handling_opinion_states_decision_basis_and_review_deadline() {
        let cfg = config();
        let case = handled_case("");
        let d = build(&cfg, &case, DocKind::HandlingOpinion, 1, &inputs("王建国"));
        let t = all_text(&d);
        assert_eq!(d.addressee, "王建国");
        assert_eq!(d.number, format!("处意字〔2026〕第{}号", case.id.0));
        assert_eq!(d.issuer, "示范县住房和城乡建设局");
        assert_eq!(d.date, NaiveDate::from_ymd_opt(2026, 3, 10).unwrap());
        assert!(t.contains("三、处理意见：不予支持"), "{t}");
        assert!(t.contains("《物业管理条例》第三十五条"));
        // 30 days from the approval on 2026-03-10 (the start day not counted).
        assert!(t.contains("请最迟于2026年4月9日前提出复查请求"), "{t}");
        assert!(t.contains("向示范县人民政府书面请求复查（《信访工作条例》第三十五条）"), "{t}");
        assert_eq!(d.file_stem, format!("信访事项处理意见书-{}", case.number()));
    }

    #[test]
    fn extension_notice_gives_reason_and_new_deadline() {
        let cfg = config();
        let case = handled_case("");
        let d = build(&cfg, &case, DocKind::ExtensionNotice, 1, &inputs("王建国"));
        let t = all_text(&d);
        // Accepted 2026-03-02: 60 days end 2026-05-01 (a holiday: rolls to 2026-05-06 by the
        // calendar), then 30 more days.
        let due = cfg.calendar.due(NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(), 60, redress_domain::DayUnit::Calendar);
        let new_due = cfg.calendar.due(due, 30, redress_domain::DayUnit::Calendar);
        assert!(t.contains(&format!("原办理期限至{}，延长后的办理期限至{}", date_zh(due), date_zh(new_due))), "{t}");
        assert!(t.contains("因需要多部门会商，"), "reason inserted without its own full stop: {t}");
        assert!(t.contains("第三十四条"));
    }

    #[test]
    fn acceptance_and_supervision_name_the_right_bodies() {
        let cfg = config();
        let case = handled_case("");
        let d = build(&cfg, &case, DocKind::AcceptanceNotice, 1, &inputs("王建国"));
        let t = all_text(&d);
        assert_eq!(d.issuer, "示范县信访局");
        assert!(t.contains("第二十三条") && t.contains("已将该事项转送示范县住房和城乡建设局办理"), "{t}");
        let s = build(&cfg, &case, DocKind::SupervisionSheet, 1, &inputs("不应出现"));
        let t = all_text(&s);
        assert_eq!(s.addressee, "示范县住房和城乡建设局");
        assert!(t.contains("督办要求：请按期答复") && t.contains("办结时限：2026年3月20日前"), "{t}");
        // Extended on 2026-03-05, before the supervision on 2026-03-06.
        assert!(t.contains("法定办理期限：2026年6月5日"), "{t}");
        assert!(!t.contains("不应出现"), "a supervision sheet carries no personal data");
    }

    #[test]
    fn group_and_anonymous_addressees() {
        let cfg = config();
        let mut case = handled_case("");
        case.matter.people_count = 12;
        let d = build(&cfg, &case, DocKind::AcceptanceNotice, 1, &inputs("王建国"));
        assert_eq!(d.addressee, "王建国（信访代表）");
        assert!(all_text(&d).contains("你们于2026年3月2日"));
        let d = build(&cfg, &case, DocKind::AcceptanceNotice, 1, &Inputs { addressee: Addressee::Anonymous, ..inputs("") });
        assert_eq!(d.addressee, "匿名信访人");
    }

    #[test]
    fn availability_follows_the_state() {
        let case = handled_case("");
        assert_eq!(DocKind::AcceptanceNotice.unavailable_in(&case), None);
        assert_eq!(DocKind::HandlingOpinion.unavailable_in(&case), None);
        assert!(DocKind::NonAcceptanceNotice.unavailable_in(&case).is_some());
        assert_eq!(DocKind::parse("督办单"), Some(DocKind::SupervisionSheet));
        assert_eq!(DocKind::parse("handling_opinion"), Some(DocKind::HandlingOpinion));
        assert_eq!(DocKind::parse("x"), None);
    }
}
