//! Behaviour of the routing classifier on a small synthetic corpus the tests make themselves.

use std::path::PathBuf;

use redress_text::{eval, read_csv, Error, InputKind, Model, TrainOptions};

/// Topic words per label; every sentence also gets words shared by all labels.
const TOPICS: &[(&str, &[&str])] = &[
    ("交通运输", &["公交", "地铁", "道路", "红绿灯", "拥堵", "停车", "出租车", "路口", "车站", "线路", "客运", "驾驶"]),
    ("教育文体", &["学校", "老师", "学生", "幼儿园", "课程", "补课", "学费", "考试", "体育馆", "校车", "招生", "教材"]),
    ("环境保护", &["噪音", "污染", "排放", "垃圾", "臭味", "废水", "扬尘", "工厂", "焚烧", "河道", "油烟", "环评"]),
    ("劳动和社会保障", &["工资", "拖欠", "社保", "养老金", "医保", "劳动合同", "退休", "失业", "工伤", "公积金", "农民工", "缴费"]),
];
const SHARED: &[&str] = &["小区", "居民", "反映", "问题", "希望", "解决", "领导", "您好", "情况", "部门"];

/// A deterministic pseudo-random sequence, so that the corpus is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        words[(self.0 >> 33) as usize % words.len()]
    }
}

/// `per_label` pre-segmented sentences per label: 5 topic words and 4 shared ones.
fn corpus(per_label: usize, seed: u64) -> Vec<(String, String)> {
    let mut rng = Lcg(seed);
    let mut out = vec![];
    for i in 0..per_label {
        for (label, topic) in TOPICS {
            let mut words: Vec<&str> = (0..5).map(|_| rng.pick(topic)).collect();
            words.extend((0..4).map(|_| rng.pick(SHARED)));
            let shift = i % words.len();
            words.rotate_left(shift);
            out.push((words.join(" "), label.to_string()));
        }
    }
    out
}

fn options() -> TrainOptions {
    TrainOptions { threads: 1, ..TrainOptions::default() }
}

fn trained() -> Model {
    Model::train(&corpus(30, 1), InputKind::Segmented, &options()).expect("trains")
}

/// A fresh directory under the system's temporary directory.
fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("redress-text-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn classifier_learns_separable_classes() {
    let model = trained();
    let held_out = corpus(20, 99);
    let report = eval(&model, &held_out, InputKind::Segmented);
    assert!(report.accuracy >= 0.95, "{report}");
    assert!(report.macro_f1 >= 0.95, "{report}");
    assert_eq!(model.predict_top("地铁 线路 拥堵 红绿灯 路口", InputKind::Segmented, 1)[0].0, "交通运输");
    assert_eq!(model.predict_top("拖欠 工资 社保 缴费", InputKind::Segmented, 1)[0].0, "劳动和社会保障");
}

#[test]
fn top_three_is_sorted_with_confidences_in_the_unit_interval() {
    let model = trained();
    for (text, _) in corpus(3, 7) {
        let top = model.predict_top(&text, InputKind::Segmented, 3);
        assert_eq!(top.len(), 3);
        assert!(top.windows(2).all(|w| w[0].1 >= w[1].1), "{top:?}");
        assert!(top.iter().all(|&(_, p)| p > 0.0 && p <= 1.0), "{top:?}");
        assert!(top.iter().map(|&(_, p)| p).sum::<f32>() <= 1.0 + 1e-5, "{top:?}");
        let distinct: std::collections::HashSet<_> = top.iter().map(|(l, _)| l).collect();
        assert_eq!(distinct.len(), 3);
    }
    // Asking for more than there are gives every label once, and the confidences sum to one.
    let all = model.predict_top("学校 老师", InputKind::Segmented, 10);
    assert_eq!(all.len(), TOPICS.len());
    assert!((all.iter().map(|&(_, p)| p).sum::<f32>() - 1.0).abs() < 1e-4, "{all:?}");
    // Text with no known word still gets valid confidences.
    let unknown = model.predict_top("", InputKind::Raw, 3);
    assert!(unknown.iter().all(|&(_, p)| p > 0.0 && p <= 1.0), "{unknown:?}");
}

#[test]
fn confidence_follows_the_evidence() {
    let model = trained();
    let clear = model.predict_top("噪音 污染 排放 臭味 废水 扬尘", InputKind::Segmented, 1)[0].1;
    let vague = model.predict_top("居民 反映 问题", InputKind::Segmented, 1)[0].1;
    assert!(clear > vague, "clear {clear}, vague {vague}");
}

#[test]
fn saved_model_loads_with_identical_predictions() {
    let model = trained();
    let dir = temp_dir("roundtrip");
    let path = dir.join("routing.model");
    model.save(&path).unwrap();
    let loaded = Model::load(&path).unwrap();
    assert_eq!(loaded.labels(), model.labels());
    assert!(loaded.to_bytes() == model.to_bytes());
    for (text, _) in corpus(5, 3) {
        assert_eq!(loaded.predict_top(&text, InputKind::Segmented, 3), model.predict_top(&text, InputKind::Segmented, 3));
    }
    let raw = "地铁站附近道路拥堵";
    assert_eq!(loaded.predict_top(raw, InputKind::Raw, 3), model.predict_top(raw, InputKind::Raw, 3));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn damaged_or_foreign_model_files_are_refused() {
    let model = trained();
    let dir = temp_dir("damaged");
    let path = dir.join("m");
    let mut bytes = model.to_bytes();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(Model::load(&path), Err(Error::Format { .. })));
    std::fs::write(&path, &model.to_bytes()[..100]).unwrap();
    assert!(matches!(Model::load(&path), Err(Error::Format { .. })));
    std::fs::write(&path, "text,label\n").unwrap();
    let err = Model::load(&path).unwrap_err();
    assert!(err.to_string().contains("不是 redress 分流模型文件"), "{err}");
    assert!(matches!(Model::load(dir.join("missing")), Err(Error::Io { .. })));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn csv_layout_is_detected_from_the_header() {
    let dir = temp_dir("csv");
    let segmented = dir.join("segmented.csv");
    std::fs::write(&segmented, "id,text,label\n1,公交 线路 调整,交通运输\n2,\"学校 补课, 收费\",教育文体\n").unwrap();
    let (examples, kind) = read_csv(&segmented).unwrap();
    assert_eq!(kind, InputKind::Segmented);
    assert_eq!(examples, [("公交 线路 调整".to_string(), "交通运输".to_string()), ("学校 补课, 收费".into(), "教育文体".into())]);

    let raw = dir.join("raw.csv");
    std::fs::write(&raw, "\u{feff}subject,content,label\n公交线路调整,希望恢复原来的线路。,交通运输\n").unwrap();
    let (examples, kind) = read_csv(&raw).unwrap();
    assert_eq!(kind, InputKind::Raw);
    assert_eq!(examples, [("公交线路调整\n希望恢复原来的线路。".to_string(), "交通运输".to_string())]);

    let neither = dir.join("neither.csv");
    std::fs::write(&neither, "title,label\n公交,交通运输\n").unwrap();
    assert!(matches!(read_csv(&neither), Err(Error::Csv { .. })));
    let unlabelled = dir.join("unlabelled.csv");
    std::fs::write(&unlabelled, "text,label\n公交 线路,\n").unwrap();
    let err = read_csv(&unlabelled).unwrap_err();
    assert!(err.to_string().contains("第 2 行"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn raw_and_segmented_forms_of_a_sentence_get_the_same_top_label() {
    let model = trained();
    let cases = [
        ("小区 附近 工厂 排放 废水 臭味 严重", "小区附近的工厂排放废水，臭味很严重！"),
        ("公司 拖欠 农民工 工资 社保 缴费", "公司拖欠农民工工资，也不给缴纳社保。"),
        ("学校 补课 收取 学费", "学校违规补课并收取学费"),
        ("地铁 车站 出租车 拥堵", "地铁车站门口出租车拥堵"),
    ];
    for (segmented, raw) in cases {
        let a = model.predict_top(segmented, InputKind::Segmented, 1);
        let b = model.predict_top(raw, InputKind::Raw, 1);
        assert_eq!(a[0].0, b[0].0, "{segmented} / {raw}");
    }
}

#[test]
fn eval_report_ends_with_the_macro_f1_line() {
    let model = trained();
    let mut held_out = corpus(5, 42);
    held_out.push(("学校 老师".into(), "商贸旅游".into())); // a label the model does not know
    let report = eval(&model, &held_out, InputKind::Segmented);
    let text = report.to_string();
    let last = text.lines().last().unwrap();
    let value = last.strip_prefix("macro-F1: ").unwrap_or_else(|| panic!("last line: {last}"));
    assert_eq!(value.len(), 6, "{last}");
    assert!((value.parse::<f64>().unwrap() - report.macro_f1).abs() < 1e-4);
    assert!(text.contains("accuracy: "));
    assert!(text.contains("商贸旅游"), "{text}");
    assert_eq!(report.confusion.len(), TOPICS.len() + 1);
    assert_eq!(report.confusion.iter().flatten().sum::<usize>(), held_out.len());
    // The unknown label's one example is always wrong, so it pulls the macro average down.
    assert!(report.per_class.iter().any(|c| c.label == "商贸旅游" && c.recall == 0.0));
}

#[test]
fn training_needs_examples() {
    assert!(matches!(Model::train(&[], InputKind::Raw, &options()), Err(Error::NoExamples)));
}

#[test]
fn training_is_deterministic() {
    let a = Model::train(&corpus(10, 5), InputKind::Segmented, &options()).unwrap();
    let b = Model::train(&corpus(10, 5), InputKind::Segmented, &TrainOptions { threads: 2, ..options() }).unwrap();
    assert!(a.to_bytes() == b.to_bytes(), "the model depends on the number of threads");
}
