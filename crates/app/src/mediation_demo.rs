//! Demo data of issue 7. People's mediation: two committees with their mediators, and disputes
//! at every stage (mediating, a written agreement confirmed by the court and performed, one
//! waiting for confirmation, an oral agreement, a failure, a refusal). Risk assessment: the demo
//! project assessed up to its risk analysis, with a public notice, an open questionnaire, a forum
//! and a few residents' answers. Only for a demo with cases (`seed_demo_if_empty(n)` with n > 0),
//! so tests start from an empty slate.

use chrono::Duration;
use redress_domain::mediation::{CommitteeMember, Gender, MemberRole};
use redress_domain::local_date;

use crate::assessment_flow::{AssessmentAction, AssessmentStep, ResponseInput};
use crate::auth::Principal;
use crate::error::AppResult;
use crate::mediation::{CommitteeInput, DisputeAction, DisputeStep, MediatorInput, NewDispute, Party, PerformanceInput};
use crate::App;

fn member(name: &str, role: MemberRole, gender: Gender) -> CommitteeMember {
    CommitteeMember { name: name.into(), role, gender }
}

fn parties(a: &str, b: &str) -> Vec<Party> {
    vec![Party { name: a.into(), role: "applicant".into() }, Party { name: b.into(), role: "respondent".into() }]
}

impl App {
    /// Seeds the mediation demo (see the module documentation); does nothing without cases.
    pub async fn seed_mediation_demo(&self, cases: usize) -> AppResult<()> {
        if cases == 0 {
            return Ok(());
        }
        let cfg = self.cfg().await?;
        let Some(admin) = self.store.get_user_by_name("admin").await? else { return Ok(()) };
        let p = Principal::new(admin, &cfg.tree, "demo");
        let today = local_date(self.now());
        let (from, to) = ((today - Duration::days(200)).to_string(), (today + Duration::days(800)).to_string());
        let Some(town) = cfg.tree.all().find(|o| o.kind == redress_domain::org::OrgKind::Town) else { return Ok(()) };
        let county = cfg.tree.all().find(|o| o.parent.is_none()).map_or(town.id, |o| o.id);
        let town_committee = self
            .save_committee(&p, None, &CommitteeInput {
                org: town.id,
                name: format!("{}人民调解委员会", town.name),
                members: vec![
                    member("周德明", MemberRole::Chair, Gender::Male),
                    member("吴秀兰", MemberRole::ViceChair, Gender::Female),
                    member("郑建国", MemberRole::Member, Gender::Male),
                    member("王桂芳", MemberRole::Member, Gender::Female),
                    member("冯志强", MemberRole::Member, Gender::Male),
                ],
                term_from: from.clone(),
                term_to: to.clone(),
                active: true,
                version: 0,
            })
            .await?;
        let medical = self
            .save_committee(&p, None, &CommitteeInput {
                org: county,
                name: "县医疗纠纷人民调解委员会".into(),
                members: vec![member("陈立华", MemberRole::Chair, Gender::Male), member("林晓燕", MemberRole::Member, Gender::Female), member("黄永清", MemberRole::Member, Gender::Male)],
                term_from: from,
                term_to: to,
                active: true,
                version: 0,
            })
            .await?;
        let mut ids = vec![];
        for (c, name, gender, specialty, full_time) in [
            (town_committee.id, "吴秀兰", Gender::Female, "婚姻家庭、邻里纠纷", true),
            (town_committee.id, "郑建国", Gender::Male, "土地承包、宅基地纠纷", false),
            (medical.id, "林晓燕", Gender::Female, "医疗纠纷（医学背景）", true),
        ] {
            let m = self.save_mediator(&p, None, &MediatorInput { committee: c, name: name.into(), gender, specialty: specialty.into(), full_time, active: true, version: 0 }).await?;
            ids.push(m.id);
        }
        let d = |s: i64| (today - Duration::days(s)).to_string();
        let register = |committee: i64, source: &str, ty: &str, summary: &str, place: &str, ps: Vec<Party>| NewDispute {
            committee,
            source: source.into(),
            source_note: String::new(),
            dispute_type: ty.into(),
            summary: summary.into(),
            place: place.into(),
            parties: ps,
            refused: String::new(),
        };
        let session = |on: String, record: &str| DisputeStep::Session { on, public: false, place: "调解室".into(), present: "双方当事人、调解员".into(), record: record.into() };
        // (dispute, mediator, steps)
        let plans: Vec<(NewDispute, i64, Vec<DisputeStep>)> = vec![
            (
                register(town_committee.id, "application", "neighbour", "两户村民因房屋之间排水沟疏通和通行发生争执，多次口角。", "东村三组", parties("李建华", "张德顺")),
                ids[0],
                vec![
                    session(d(20), "双方陈述争议经过，调解员释明相邻关系的法律规定，双方同意各让一步。"),
                    DisputeStep::Agree {
                        written: true,
                        effective_on: d(18),
                        facts: "两户房屋相邻，排水沟堵塞后雨水漫入李家院内，双方因疏通责任和通行发生争执。".into(),
                        disputed: "排水沟疏通责任及相邻通行。".into(),
                        responsibilities: "双方对排水沟长期未疏通均负有责任。".into(),
                        terms: "一、张德顺于协议生效后七日内拆除占用排水沟的杂物；二、排水沟由双方共同出资疏通，费用各半；三、双方互不妨碍通行。".into(),
                        manner: "自行履行，村调委会监督".into(),
                        perform_by: d(11),
                        items: vec![PerformanceInput { item: "张德顺拆除占用排水沟的杂物".into(), due: d(11) }, PerformanceInput { item: "双方共同出资疏通排水沟".into(), due: d(11) }],
                    },
                    DisputeStep::ApplyConfirmation { applied_on: d(15), court: "县人民法院".into() },
                    DisputeStep::ConfirmationResult { result: "confirmed".into(), decided_on: d(12), note: String::new() },
                    DisputeStep::Perform { no: 1, done_on: d(14), note: "已拆除".into() },
                    DisputeStep::Perform { no: 2, done_on: d(10), note: "已疏通".into() },
                    DisputeStep::Archive,
                ],
            ),
            (
                register(town_committee.id, "application", "labour", "务工人员反映工地拖欠三个月工资共计4.2万元。", "城南工地", parties("刘志刚", "某建筑劳务公司")),
                ids[1],
                vec![
                    session(d(6), "劳务公司承认欠薪事实，提出分两期支付。"),
                    DisputeStep::Agree {
                        written: true,
                        effective_on: d(5),
                        facts: "刘志刚等在城南工地务工，劳务公司拖欠三个月工资。".into(),
                        disputed: "欠付工资数额及支付期限。".into(),
                        responsibilities: "劳务公司应按约定支付劳动报酬。".into(),
                        terms: "劳务公司于十日内支付2.2万元，月底前付清余款2万元。".into(),
                        manner: "银行转账".into(),
                        perform_by: (today + Duration::days(20)).to_string(),
                        items: vec![
                            PerformanceInput { item: "支付第一期工资2.2万元".into(), due: (today + Duration::days(5)).to_string() },
                            PerformanceInput { item: "付清余款2万元".into(), due: (today + Duration::days(20)).to_string() },
                        ],
                    },
                ],
            ),
            (
                register(medical.id, "application", "medical", "患者家属对术后感染的治疗结果有异议，要求医院赔偿。", "县人民医院", parties("赵秀英", "县人民医院")),
                ids[2],
                vec![session(d(3), "听取双方意见，建议委托医疗损害鉴定后再行调解。")],
            ),
            (
                register(town_committee.id, "initiative", "family", "老人赡养费分担问题，兄妹三人意见不一。", "西村", parties("孙玉兰", "孙建军")),
                ids[0],
                vec![session(d(9), "调解员上门走访，兄妹当面商议。"), DisputeStep::Agree {
                    written: false,
                    effective_on: d(9),
                    facts: String::new(),
                    disputed: String::new(),
                    responsibilities: String::new(),
                    terms: "兄妹三人每月各负担赡养费500元，轮流照料。".into(),
                    manner: String::new(),
                    perform_by: String::new(),
                    items: vec![],
                }],
            ),
            (
                register(town_committee.id, "police", "damages", "酒后争执致对方车辆损坏，赔偿数额分歧较大。", "镇区农贸市场", parties("钱浩", "韩东")),
                ids[1],
                vec![session(d(8), "双方对维修费用各执一词。"), DisputeStep::Fail { reason: "赔偿数额分歧过大，双方均不愿让步。".into() }],
            ),
        ];
        for (n, mediator, steps) in plans {
            let dispute = self.register_dispute(&p, &n).await?;
            let mut version = dispute.version;
            let prepare = DisputeStep::Prepare { parties: n.parties.clone(), mediators: vec![mediator], chosen_by_parties: false };
            for step in std::iter::once(prepare).chain(steps) {
                version = self.act_on_dispute(&p, dispute.id, &DisputeAction { version, action: step }).await?.dispute.version;
            }
        }
        let mut refused = register(town_committee.id, "application", "housing_land", "宅基地界址争议，被申请人明确表示不接受调解，要求走诉讼程序。", "北村", parties("马文斌", "杨光辉"));
        refused.refused = "被申请人明确拒绝调解，已告知当事人可以向人民法院起诉。".into();
        self.register_dispute(&p, &refused).await?;
        Ok(())
    }
}

impl App {
    /// Seeds the demo assessment (see the module documentation); does nothing without cases.
    pub async fn seed_assessment_demo(&self, cases: usize) -> AppResult<()> {
        use redress_domain::assessment::Dimension;
        if cases == 0 {
            return Ok(());
        }
        let cfg = self.cfg().await?;
        let Some(project) = self.assessment_projects().await?.into_iter().next() else { return Ok(()) };
        let Some(admin) = self.store.get_user_by_name("admin").await? else { return Ok(()) };
        let p = Principal::new(admin, &cfg.tree, "demo");
        let today = local_date(self.now());
        let d = |n: i64| (today + Duration::days(n)).to_string();
        let v = self.start_assessment(&p, &project.id).await?;
        let id = v.assessment.id;
        let town = project.towns.first().copied();
        let risk = |dimension, description: &str, likelihood, impact, evidence: &str| AssessmentStep::Risk { dimension, description: description.into(), likelihood, impact, evidence: evidence.into() };
        let steps = vec![
            AssessmentStep::Plan {
                scope: "改造范围内12个老旧小区的住户、沿街商户，重点是加装电梯费用分摊、施工期间出行和停车。".into(),
                methods: "问卷调查（群众端意见征集）、居民座谈会、入户走访、专家论证。".into(),
                schedule: "第一周发布公告和问卷，第二周召开座谈会和走访，第三周分析风险、形成报告。".into(),
                team: "县住房和城乡建设局、镇政府、社区、第三方评估机构".into(),
            },
            AssessmentStep::Notice { text: format!("县人民政府拟实施“{}”，现依法开展社会稳定风险评估，公开征求群众意见。欢迎在群众端“意见征集”填写问卷。", project.name), from: d(-10), until: d(20) },
            AssessmentStep::Questionnaire {
                questions: vec!["您对加装电梯的费用分摊方式有何意见？".into(), "施工期间您最关心哪些问题？".into()],
                groups: vec!["改造小区住户".into(), "沿街商户".into(), "周边居民".into()],
                open: true,
            },
            AssessmentStep::Meeting {
                kind: "forum".into(),
                on: d(-5),
                place: "幸福社区居委会".into(),
                attendance: 32,
                group: "改造小区住户".into(),
                town,
                support: 21,
                oppose: 6,
                neutral: 5,
                summary: "多数住户支持改造；低楼层住户对电梯费用分摊有意见，部分住户担心施工期间停车难。".into(),
            },
            risk(Dimension::Legality, "改造方案已纳入年度计划，审批手续齐全", 1, 2, "文件审查"),
            risk(Dimension::Reasonableness, "低楼层住户认为电梯费用分摊不合理", 3, 3, "座谈会6人反对，问卷意见"),
            risk(Dimension::Feasibility, "财政和住户出资已落实，施工条件具备", 1, 2, "资金文件、专家论证"),
            risk(Dimension::Controllability, "施工期间停车和出行矛盾可能引发投诉", 3, 2, "入户走访"),
        ];
        let mut version = v.assessment.version;
        for step in steps {
            version = self.act_on_assessment(&p, id, &AssessmentAction { version, action: step }).await?.assessment.version;
        }
        for (group, position) in [("改造小区住户", "support"), ("改造小区住户", "support"), ("沿街商户", "oppose"), ("周边居民", "neutral")] {
            self.submit_response(id, &ResponseInput { group: group.into(), town, position: position.into(), answers: vec!["希望尽快实施".into()], comment: String::new() }).await?;
        }
        Ok(())
    }
}
