//! Varied, realistic intake bodies for load: subjects and contents from a few templates,
//! a random place, channel and petitioner. Shaped as `redress_app::cases::Intake`.

#![allow(dead_code)]

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const PLACES: &[&str] = &[
    "城关镇幸福社区", "城关镇解放社区", "城关镇东门村", "河口镇河口村", "河口镇新港社区", "河口镇柳湾村", "青山乡青山村",
    "青山乡石门村", "白沙镇白沙社区", "白沙镇沙湾村", "白沙镇龙泉村", "石桥乡石桥村", "石桥乡桃源村",
];

/// (category, subject, content); `{p}` is the place.
const TEMPLATES: &[(&str, &str, &str)] = &[
    ("01.02", "{p}小区电梯频繁故障", "{p}某小区3号楼电梯近两个月多次困人，物业维修后仍反复故障，老人上下楼十分困难，请求督促物业彻底维修或更换。"),
    ("01.02", "{p}物业费上涨未经业主同意", "物业公司发布通知将物业费从每平方米1.2元上调至1.8元，未召开业主大会，服务质量却没有提升，希望相关部门核查。"),
    ("01.05", "{p}道路积水严重", "每逢下雨{p}主干道低洼处积水深达30厘米，行人车辆无法通行，请求疏通排水管网，并在雨季前完成整改。"),
    ("01.08", "{p}自来水水压不足", "近一个月{p}居民楼六层以上用水困难，早晚高峰基本无水，多次向供水公司反映未果，请求供水部门尽快解决。"),
    ("02.01", "{p}工地拖欠农民工工资", "我们二十余人在{p}某建筑工地务工，工程已完工三个月，包工头以开发商未拨款为由拖欠工资共计四十余万元，请求帮助追讨。"),
    ("02.02", "养老保险缴费年限认定有误", "本人在原乡镇企业工作十二年，办理退休时社保部门只认定八年缴费年限，请求核实档案予以纠正，保障本人合法权益。"),
    ("03.01", "{p}土地承包经营权纠纷", "村里重新调整承包地时，我家两亩责任田被划给他人，村委会未给出书面说明，多次协商无果，请求依法处理。"),
    ("04.01", "{p}征地补偿款未足额发放", "{p}道路扩建征收我组集体土地，补偿标准公示后至今仍有部分补偿款未发放到户，请求相关部门核查发放情况。"),
    ("05.03", "{p}夜间施工噪音扰民", "{p}附近工地每天夜间十一点后仍在施工，噪音严重影响周边居民休息，孩子无法入睡，请求依法查处。"),
    ("05.01", "{p}养殖场异味严重", "{p}村口养猪场粪污直排，气味刺鼻，夏季尤其严重，周边水塘已出现死鱼，请求督促整改。"),
    ("06.01", "{p}村道破损需要修复", "{p}通往镇上的村道路面坑洼多处，雨天泥泞，学生上学和村民出行不便，请求纳入今年的维修计划。"),
    ("06.02", "建议增开{p}公交班次", "{p}至县城公交每天仅两班，群众出行就医不便，建议增加班次或调整发车时间，方便老年人进城看病。"),
    ("07.02", "{p}适龄儿童入学难", "孩子户籍在{p}，按学区应就读附近小学，但学校称学位已满，请求教育部门协调解决入学问题。"),
    ("08.02", "异地就医医保报销比例疑问", "在市人民医院住院，回来报销时比例低于宣传标准，请问如何办理转诊备案及补报手续，需要准备哪些材料。"),
    ("09.01", "{p}超市销售过期食品", "在{p}一家超市购买的酸奶已过保质期三天，与店家协商退赔未果，请求市场监管部门依法处理。"),
    ("10.01", "申请低保未获批复", "家中老人长期卧病，家庭收入低，半年前提交低保申请至今未获答复，请求尽快审核并告知办理进度。"),
    ("11.01", "{p}夜市摊点占道经营", "{p}夜市摊点占用人行道和消防通道，交通拥堵且存在安全隐患，建议规范管理、划定经营区域。"),
    ("14.01", "建议在{p}增设便民服务点", "{p}距离镇政务中心较远，老年人办事不便，建议设立便民服务代办点，提供社保、医保等常用业务。"),
];

const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴"];
const GIVEN: &[&str] = &["建国", "秀英", "伟", "芳", "海燕", "志强", "桂兰", "明", "丽", "军"];
const CHANNELS: &[&str] = &["letter", "visit", "phone", "online", "hotline_12345", "grid", "other"];

/// One JSON intake body.
pub fn intake_json(rng: &mut impl Rng) -> serde_json::Value {
    let (cat, subject, content) = TEMPLATES[rng.gen_range(0..TEMPLATES.len())];
    let place = PLACES[rng.gen_range(0..PLACES.len())];
    let channel = CHANNELS[rng.gen_range(0..CHANNELS.len())];
    let mut details = serde_json::json!({});
    if channel == "hotline_12345" {
        details = serde_json::json!({ "external_ref": format!("12345-{}", rng.gen_range(100000..999999)) });
    } else if channel == "visit" {
        details = serde_json::json!({ "representatives": 1 });
    }
    let petitioner = if rng.gen_bool(0.15) {
        serde_json::json!({})
    } else {
        serde_json::json!({
            "name": format!("{}{}", SURNAMES[rng.gen_range(0..SURNAMES.len())], GIVEN[rng.gen_range(0..GIVEN.len())]),
            "phone": format!("139{:08}", rng.gen_range(0..100_000_000u32)),
        })
    };
    let mut content = content.replace("{p}", place);
    // Some residents write more: vary the size.
    for _ in 0..rng.gen_range(0..3) {
        content.push_str("以上情况属实，恳请领导重视，尽快给予答复。");
    }
    serde_json::json!({
        "channel": channel,
        "matter_type": if subject.starts_with("建议") { "suggestion" } else { "claim" },
        "category": cat,
        "subject": subject.replace("{p}", place),
        "content": content,
        "location": { "address": format!("{place}{}号", rng.gen_range(1..200)) },
        "people_count": 1,
        "channel_details": details,
        "intake_org": 0,
        "petitioner": petitioner,
    })
}

/// `n` serialized bodies from a fixed seed (the same run to run).
pub fn bodies(n: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| serde_json::to_vec(&intake_json(&mut rng)).expect("json")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_valid_intakes_of_realistic_size() {
        let b = bodies(200, 1);
        let sizes: Vec<usize> = b.iter().map(Vec::len).collect();
        assert!(sizes.iter().all(|&s| (300..=1000).contains(&s)), "{sizes:?}");
        for body in &b {
            let i: redress_app::cases::Intake = serde_json::from_slice(body).unwrap();
            i.matter.validate().unwrap();
        }
    }
}
