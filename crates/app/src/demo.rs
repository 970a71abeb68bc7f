//! Demo data for a first start: a county, one account per role and a few hundred varied cases
//! in every state, generated from templates (not copied from real data) and marked as demo.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redress_domain::case::*;
use redress_domain::event::Actor;
use redress_domain::org::{Org, OrgKind};
use redress_domain::{Command, OrgId, Petitioner, Role, UserId};
use serde::Serialize;

use crate::cases::Intake;
use crate::error::AppResult;
use crate::App;

pub const DEMO_PASSWORD: &str = "redress-demo";

#[derive(Debug, Clone, Serialize)]
pub struct DemoLogin {
    pub username: String,
    pub role: &'static str,
    pub org: String,
}

const TOWNS: &[(&str, &[&str])] = &[
    ("城关镇", &["幸福社区", "解放社区", "东门村"]),
    ("河口镇", &["河口村", "新港社区", "柳湾村"]),
    ("青山乡", &["青山村", "石门村"]),
    ("白沙镇", &["白沙社区", "沙湾村", "龙泉村"]),
    ("石桥乡", &["石桥村", "桃源村"]),
];

const DEPARTMENTS: &[&str] = &[
    "县信访局", "县住房和城乡建设局", "县人力资源和社会保障局", "县自然资源局", "县生态环境分局", "县交通运输局",
    "县教育局", "县卫生健康局", "县市场监督管理局", "县民政局", "县农业农村局", "县公安局",
];

/// (category code, unit, subject, content) templates; `{place}` is filled in.
const TEMPLATES: &[(&str, &str, &str, &str)] = &[
    ("01.02", "县住房和城乡建设局", "{place}小区电梯频繁故障", "{place}某小区3号楼电梯近两个月多次困人，物业维修后仍反复故障，老人上下楼十分困难，请求督促物业彻底维修或更换。"),
    ("01.02", "县住房和城乡建设局", "{place}物业费上涨未经业主同意", "物业公司发布通知将物业费从每平方米1.2元上调至1.8元，未召开业主大会，服务质量却没有提升，希望相关部门核查。"),
    ("01.05", "县住房和城乡建设局", "{place}道路积水严重", "每逢下雨{place}主干道低洼处积水深达30厘米，行人车辆无法通行，请求疏通排水管网。"),
    ("01.08", "县住房和城乡建设局", "{place}自来水水压不足", "近一个月{place}居民楼六层以上用水困难，早晚高峰基本无水，请求供水部门解决。"),
    ("02.01", "县人力资源和社会保障局", "{place}工地拖欠农民工工资", "我们二十余人在{place}某建筑工地务工，工程已完工三个月，包工头以开发商未拨款为由拖欠工资共计四十余万元。"),
    ("02.02", "县人力资源和社会保障局", "养老保险缴费年限认定有误", "本人在原乡镇企业工作十二年，办理退休时社保部门只认定八年缴费年限，请求核实档案予以纠正。"),
    ("03.01", "县自然资源局", "{place}土地承包经营权纠纷", "村里重新调整承包地时，我家两亩责任田被划给他人，村委会未给出书面说明，请求依法处理。"),
    ("04.01", "县自然资源局", "{place}征地补偿款未足额发放", "{place}道路扩建征收我组集体土地，补偿标准公示后至今仍有部分补偿款未发放到户。"),
    ("05.03", "县生态环境分局", "{place}夜间施工噪音扰民", "{place}附近工地每天夜间十一点后仍在施工，噪音严重影响周边居民休息，请求依法查处。"),
    ("05.01", "县生态环境分局", "{place}养殖场异味严重", "{place}村口养猪场粪污直排，气味刺鼻，夏季尤其严重，请求督促整改。"),
    ("06.01", "县交通运输局", "{place}村道破损需要修复", "{place}通往镇上的村道路面坑洼多处，雨天泥泞，学生上学和村民出行不便，请求纳入维修计划。"),
    ("06.02", "县交通运输局", "建议增开{place}公交班次", "{place}至县城公交每天仅两班，群众出行就医不便，建议增加班次或调整发车时间。"),
    ("07.02", "县教育局", "{place}适龄儿童入学难", "孩子户籍在{place}，按学区应就读附近小学，但学校称学位已满，请求教育部门协调解决入学。"),
    ("08.02", "县卫生健康局", "异地就医医保报销比例疑问", "在市人民医院住院，回来报销时比例低于宣传标准，请问如何办理转诊备案及补报。"),
    ("09.01", "县市场监督管理局", "{place}超市销售过期食品", "在{place}一家超市购买的酸奶已过保质期三天，与店家协商退赔未果，请求市场监管部门处理。"),
    ("10.01", "县民政局", "申请低保未获批复", "家中老人长期卧病，家庭收入低，半年前提交低保申请至今未获答复，请求尽快审核。"),
    ("11.01", "县公安局", "{place}夜市摊点占道经营", "{place}夜市摊点占用人行道和消防通道，交通拥堵且存在安全隐患，建议规范管理。"),
    ("14.01", "县信访局", "建议在{place}增设便民服务点", "{place}距离镇政务中心较远，老年人办事不便，建议设立便民服务代办点。"),
];

impl App {
    /// Seeds the demo county if the store holds no organisations. Returns the demo logins
    /// when it seeded, `None` when data was already there.
    pub async fn seed_demo_if_empty(&self, cases: usize) -> AppResult<Option<Vec<DemoLogin>>> {
        if !self.store.list_orgs().await?.is_empty() {
            return Ok(None);
        }
        let orgs = self.seed_orgs().await?;
        let logins = self.seed_users(&orgs).await?;
        self.seed_cases(&orgs, cases).await?;
        self.seed_receptions().await?;
        self.seed_duties_demo(cases).await?; // routine duties of issue 6
        self.seed_mediation_demo(cases).await?; // people's mediation of issue 7
        self.seed_assessment_projects(&orgs).await?;
        self.seed_assessment_demo(cases).await?; // risk assessment of issue 7
        Ok(Some(logins))
    }

    /// Leaders' reception days for the coming weeks (each Wednesday), shown on the portal.
    async fn seed_receptions(&self) -> AppResult<()> {
        use chrono::Datelike;
        let today = redress_domain::local_date(self.now());
        let to_wed = (7 + 2 - today.weekday().num_days_from_monday() as i64) % 7;
        let first = today + Duration::days(to_wed);
        let who = [("王副县长", "副县长", "县群众来访接待中心", "城乡建设、征地拆迁"), ("刘县长", "县长", "县群众来访接待中心", "综合"), ("陈书记", "县委副书记", "青山乡便民服务中心", "农村土地、社会保障")];
        let items = who
            .iter()
            .enumerate()
            .map(|(i, (name, title, place, topics))| crate::portal::Reception {
                date: first + Duration::weeks(i as i64),
                time: "上午 9:00—12:00".into(),
                leader_name: name.to_string(),
                leader_title: title.to_string(),
                place: place.to_string(),
                topics: topics.to_string(),
            })
            .collect::<Vec<_>>();
        let json = serde_json::to_string(&items).expect("receptions serialise");
        self.store.put_setting("reception_schedule", &json).await?;
        Ok(())
    }

    /// One project under social stability risk assessment in the first town (城乡建设 matters),
    /// so the register and its early-warning rule have something to show.
    async fn seed_assessment_projects(&self, orgs: &DemoOrgs) -> AppResult<()> {
        use redress_domain::assessment::{Project, ProjectKind, ProjectStage};
        let cfg = self.cfg().await?;
        let Some(town) = cfg.tree.all().filter(|o| o.kind == redress_domain::OrgKind::Town).min_by_key(|o| o.id).map(|o| o.id) else { return Ok(()) };
        let today = redress_domain::local_date(self.now());
        let project = Project {
            id: format!("{}-001", chrono::Datelike::year(&today)),
            name: format!("{}老旧小区改造", cfg.tree.get(town).map(|o| o.name.clone()).unwrap_or_default()),
            kind: ProjectKind::Project,
            deciding_body: "县人民政府".into(),
            responsible_unit: orgs.dept("县住房和城乡建设局"),
            assessing_body: "县住房和城乡建设局（委托第三方评估机构）".into(),
            assessment_required: true,
            required_reason: String::new(),
            towns: vec![town],
            categories: vec!["01".into()],
            assessment_from: today - Duration::days(60),
            decided_on: None,
            stage: ProjectStage::Assessing,
        };
        let json = serde_json::to_string(&vec![project]).expect("projects serialise");
        self.store.put_setting("assessment_projects", &json).await?;
        Ok(())
    }

    async fn seed_orgs(&self) -> AppResult<DemoOrgs> {
        let mk = |parent: Option<OrgId>, name: &str, kind: OrgKind, code: Option<String>| Org { id: OrgId(0), parent, name: name.into(), kind, division_code: code };
        let county = self.save_org(mk(None, "示范县", OrgKind::County, Some("430000".into()))).await?;
        let mut departments = vec![];
        for d in DEPARTMENTS {
            departments.push((d.to_string(), self.save_org(mk(Some(county), d, OrgKind::Department, None)).await?));
        }
        let mut places = vec![];
        for (i, (town, villages)) in TOWNS.iter().enumerate() {
            let t = self.save_org(mk(Some(county), town, OrgKind::Town, Some(format!("4300001{:02}", i + 1)))).await?;
            places.push((town.to_string(), t));
            for v in villages.iter() {
                let kind = if v.ends_with("社区") { OrgKind::Community } else { OrgKind::Village };
                let vid = self.save_org(mk(Some(t), v, kind, None)).await?;
                self.save_org(mk(Some(vid), &format!("{v}第一网格"), OrgKind::Grid, None)).await?;
                places.push((format!("{town}{v}"), vid));
            }
        }
        Ok(DemoOrgs { county, departments, places })
    }

    async fn seed_users(&self, o: &DemoOrgs) -> AppResult<Vec<DemoLogin>> {
        let office = o.dept("县信访局");
        let housing = o.dept("县住房和城乡建设局");
        let town = o.places[0].1;
        let accounts: [(&str, &str, OrgId, Role); 8] = [
            ("clerk", "李登记", office, Role::IntakeClerk),
            ("handler", "张承办", housing, Role::Handler),
            ("head", "赵局长", housing, Role::UnitHead),
            ("supervisor", "孙督查", office, Role::Supervisor),
            ("leader", "王副县长", o.county, Role::Leader),
            ("admin", "系统管理员", o.county, Role::Admin),
            ("auditor", "周审计", o.county, Role::Auditor),
            ("town_clerk", "陈乡镇登记员", town, Role::IntakeClerk),
        ];
        let mut logins = vec![];
        for (username, name, org, role) in accounts {
            self.add_user(username, name, org, vec![role], DEMO_PASSWORD).await?;
            let org_name = self.cfg().await?.tree.get(org).map(|x| x.name.clone()).unwrap_or_default();
            logins.push(DemoLogin { username: username.into(), role: role.label_zh(), org: org_name });
        }
        Ok(logins)
    }

    async fn seed_cases(&self, o: &DemoOrgs, n: usize) -> AppResult<()> {
        let mut rng = StdRng::seed_from_u64(20261123);
        let now = self.now();
        let users = self.store.list_users().await?;
        let actor = |name: &str| {
            let u = users.iter().find(|u| u.username == name).expect("demo user");
            Actor::User { id: u.id, name: u.display_name.clone() }
        };
        let leader_id = users.iter().find(|u| u.username == "leader").map(|u| u.id).unwrap_or(UserId(0));
        let mut created = vec![];
        for i in 0..n {
            let (cat, unit_name, subject, content) = TEMPLATES[rng.gen_range(0..TEMPLATES.len())];
            let (place_name, place) = o.places[rng.gen_range(0..o.places.len())].clone();
            let channel = Channel::ALL[rng.gen_range(0..Channel::ALL.len())];
            let mut registered = now - Duration::hours(rng.gen_range(2..24 * 110));
            let people_count = if rng.gen_bool(0.1) { rng.gen_range(5..40) } else { 1 };
            let mut channel_details = channel_details(channel, &mut rng);
            if channel == Channel::Visit && people_count >= 5 {
                // A group visit elects at most five representatives (Art. 20).
                channel_details.representatives = Some(rng.gen_range(1..=5));
            }
            let matter = NewCase {
                channel,
                matter_type: if subject.starts_with("建议") { MatterType::Suggestion } else { MatterType::Claim },
                category: Some(cat.into()),
                subject: subject.replace("{place}", &place_name),
                content: content.replace("{place}", &place_name),
                location: Location { address: format!("{place_name}{}号", rng.gen_range(1..200)), org: Some(place), ..Default::default() },
                people_count,
                channel_details,
                related: vec![],
                same_matter_as: None,
                intake_org: o.dept("县信访局"),
                confidential: false,
                demo: true,
                suggested_categories: vec![],
            };
            let petitioner = if rng.gen_bool(0.15) { Petitioner::default() } else { demo_petitioner(&mut rng, i) };
            let plan = Plan { unit: o.dept(unit_name), alt_unit: o.dept("县民政局"), leader: leader_id, merge_into: created.last().copied() };
            let mut history = demo_history(&mut rng, registered, now, &plan, &actor);
            if i == 0 {
                // One case is always open past its deadline under an overdue 督办, so that leaders'
                // workbenches show 超期 and 督办逾期 whatever the draw (the browser tests rely on it).
                // The random history above is still drawn, which keeps the other cases as they were.
                (registered, history) = overdue_under_supervision(now, &plan, &actor);
            }
            let case = self.register_at(None, actor("clerk"), Intake { matter, petitioner }, registered, history).await?;
            created.push(case.id);
        }
        Ok(())
    }
}

struct DemoOrgs {
    county: OrgId,
    departments: Vec<(String, OrgId)>,
    places: Vec<(String, OrgId)>,
}

impl DemoOrgs {
    fn dept(&self, name: &str) -> OrgId {
        self.departments.iter().find(|(n, _)| n == name).map(|(_, id)| *id).expect("demo department")
    }
}

struct Plan {
    unit: OrgId,
    alt_unit: OrgId,
    leader: UserId,
    merge_into: Option<redress_domain::CaseId>,
}

fn channel_details(channel: Channel, rng: &mut StdRng) -> ChannelDetails {
    match channel {
        Channel::HigherTransfer => ChannelDetails {
            transfer_office: Some("市信访局".into()),
            transfer_ref: Some(format!("市信转〔2026〕{}号", rng.gen_range(1..400))),
            ..Default::default()
        },
        Channel::Hotline => ChannelDetails { external_ref: Some(format!("12345-{}", rng.gen_range(100000..999999))), ..Default::default() },
        _ => ChannelDetails::default(),
    }
}

fn demo_petitioner(rng: &mut StdRng, i: usize) -> Petitioner {
    const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴"];
    const GIVEN: &[&str] = &["建国", "秀英", "伟", "芳", "海燕", "志强", "桂兰", "明", "丽", "军"];
    Petitioner {
        name: Some(format!("{}{}", SURNAMES[rng.gen_range(0..SURNAMES.len())], GIVEN[i % GIVEN.len()])),
        phone: Some(format!("139{:08}", rng.gen_range(0..100_000_000u32))),
        id_number: None,
        address: None,
        salt: None,
    }
}

/// The history of the demo's always-overdue case: registered 120 days ago, accepted, routed and
/// signed for within days, supervised after a month with ten days to report, and open since.
fn overdue_under_supervision(now: DateTime<Utc>, plan: &Plan, actor: &dyn Fn(&str) -> Actor) -> (DateTime<Utc>, Vec<(Command, Actor, DateTime<Utc>)>) {
    let registered = now - Duration::days(120);
    let at = |days: i64| registered + Duration::days(days) + Duration::hours(2);
    let due = redress_domain::local_date(at(30)) + Duration::days(10);
    let route = Command::Route { unit: plan.unit, co_units: vec![], mode: RoutingMode::Forward, note: "请依法办理并按期答复".into(), assign_days: None };
    let history = vec![
        (Command::Accept { note: String::new() }, actor("clerk"), at(1)),
        (route, actor("clerk"), at(2)),
        (Command::StartHandling, actor("handler"), at(3)),
        (Command::Supervise { due, note: "办理进度滞后，请于十日内报告办理进展".into(), target_unit: None }, actor("supervisor"), at(30)),
    ];
    (registered, history)
}

/// A plausible history for a demo case: each step happens some time after the last, and
/// only steps that would already have happened by `now` are kept.
fn demo_history(
    rng: &mut StdRng,
    registered: DateTime<Utc>,
    now: DateTime<Utc>,
    plan: &Plan,
    actor: &dyn Fn(&str) -> Actor,
) -> Vec<(Command, Actor, DateTime<Utc>)> {
    let mut out = vec![];
    let t = std::cell::Cell::new(registered);
    let step = |out: &mut Vec<_>, cmd: Command, who: &str, hours: i64| -> bool {
        let next = t.get() + Duration::hours(hours);
        if next > now {
            return false;
        }
        t.set(next);
        out.push((cmd, actor(who), next));
        true
    };
    let roll: f64 = rng.gen();
    if roll < 0.05 {
        step(&mut out, Command::NotAccept { reason: "该事项已通过诉讼程序处理，依法不属于信访受理范围".into() }, "clerk", rng.gen_range(4..72));
        return out;
    }
    if roll < 0.07 {
        if let Some(target) = plan.merge_into {
            step(&mut out, Command::Merge { target, reason: "同一事项重复反映".into() }, "clerk", rng.gen_range(2..48));
            return out;
        }
    }
    if !step(&mut out, Command::Accept { note: String::new() }, "clerk", rng.gen_range(2..200)) {
        return out;
    }
    if rng.gen_bool(0.06) {
        step(&mut out, Command::AssignLeader { leader: plan.leader, leader_name: "王副县长".into() }, "supervisor", 2);
    }
    if roll < 0.1 {
        step(&mut out, Command::Withdraw { reason: "信访人表示问题已协商解决，申请撤回".into() }, "clerk", rng.gen_range(4..72));
        return out;
    }
    let route = |unit| Command::Route { unit, co_units: vec![], mode: RoutingMode::Forward, note: "请依法办理并按期答复".into(), assign_days: None };
    if roll < 0.15 {
        // Misrouted: the unit returns it, the office reroutes.
        step(&mut out, route(plan.alt_unit), "clerk", 2);
        step(&mut out, Command::Return { reason: "该事项不属于本单位职责范围".into() }, "clerk", 20);
    }
    if !step(&mut out, route(plan.unit), "clerk", rng.gen_range(1..30)) {
        return out;
    }
    if !step(&mut out, Command::StartHandling, "handler", rng.gen_range(2..48)) {
        return out;
    }
    if rng.gen_bool(0.08) {
        let due = redress_domain::local_date(t.get()) + Duration::days(10);
        step(&mut out, Command::Supervise { due, note: "请加快办理进度，按期答复信访人".into(), target_unit: None }, "supervisor", 24);
    }
    if rng.gen_bool(0.08) && step(&mut out, Command::RequestExtension { days: 30, reason: "涉及多个部门，需要进一步调查核实".into() }, "handler", 24 * 20) {
        step(&mut out, Command::ApproveExtension, "head", 24);
    }
    let decision = [Decision::Support, Decision::Explain, Decision::NotSupport][rng.gen_range(0..3)];
    let reply = Command::SubmitReply {
        decision,
        facts: "经实地调查核实，信访人反映的情况基本属实。".into(),
        opinion: "已责成相关责任单位限期整改，并将整改结果告知信访人。".into(),
        legal_basis: "《信访工作条例》第三十二条及相关法律法规".into(),
    };
    if !step(&mut out, reply, "handler", rng.gen_range(24 * 3..24 * 70)) || !step(&mut out, Command::ApproveReply, "head", rng.gen_range(2..48)) {
        return out;
    }
    if rng.gen_bool(0.05) {
        if step(&mut out, Command::RequestReview { reason: "对处理意见不服".into() }, "clerk", rng.gen_range(24..24 * 20)) {
            step(&mut out, Command::DecideReview { outcome: AppealOutcome::Upheld, opinion: "原处理意见认定事实清楚，维持原处理意见。".into() }, "leader", rng.gen_range(24..24 * 25));
        }
        return out;
    }
    let satisfaction = if rng.gen_bool(0.8) { Satisfaction::Satisfied } else if rng.gen_bool(0.6) { Satisfaction::Basic } else { Satisfaction::Unsatisfied };
    if !step(&mut out, Command::FollowUp { satisfaction, note: "电话回访".into() }, "clerk", rng.gen_range(12..24 * 5)) {
        return out;
    }
    let note = if satisfaction == Satisfaction::Unsatisfied { "已作解释说明，告知复查途径" } else { "" };
    if step(&mut out, Command::Close { note: note.into() }, "clerk", rng.gen_range(1..48)) && rng.gen_bool(0.5) {
        step(&mut out, Command::Archive, "clerk", 24 * 10);
    }
    out
}
