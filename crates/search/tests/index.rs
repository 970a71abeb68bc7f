//! The index on its own: segmentation, filters, visibility, snippets, replacing a changed case,
//! the log position surviving a reopen, one writer per directory.

use chrono::{DateTime, TimeZone, Utc};
use redress_app::search::SearchQuery;
use redress_domain::case::NewCase;
use redress_domain::{Actor, Case, CaseId, Channel, OrgId, Status, TrackingCode};
use redress_search::{Options, SearchError, SearchIndex, Segmenter};

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, 2, 0, 0).unwrap()
}

fn case(id: i64, subject: &str, content: &str) -> Case {
    // From JSON, as intake receives it, so fields added later take their defaults.
    let matter: NewCase = serde_json::from_value(serde_json::json!({
        "channel": "letter",
        "matter_type": "claim",
        "category": "01.02",
        "subject": subject,
        "content": content,
        "location": { "address": "城关镇幸福路8号", "org": 30 },
        "intake_org": 10
    }))
    .unwrap();
    let (mut c, _) = Case::register(matter, TrackingCode::from_random([id as u8; 16]), None, true, Actor::System, at(2)).unwrap();
    c.id = CaseId(id);
    c
}

fn q(text: &str) -> SearchQuery {
    SearchQuery { text: text.into(), limit: 10, ..Default::default() }
}

fn ids(index: &SearchIndex, query: &SearchQuery) -> Vec<i64> {
    let mut v: Vec<i64> = index.search(query).unwrap().hits.iter().map(|h| h.case_id.0).collect();
    v.sort();
    v
}

fn sample(index: &SearchIndex) {
    let mut a = case(1, "小区电梯坏了", "幸福社区3号楼电梯停运三个月，物业不修。");
    a.unit = Some(OrgId(20));
    a.status = Status::InProgress;
    let mut b = case(2, "道路积水严重", "幸福路下雨积水，出行困难。");
    b.matter.channel = Channel::Hotline;
    b.matter.category = Some("03.01".into());
    b.registered_at = at(20);
    b.matter.location.org = Some(OrgId(31));
    let mut c = case(3, "噪音扰民", "夜间施工噪音，电梯间也很吵。");
    c.matter.demo = true;
    c.unit = Some(OrgId(21));
    for x in [a, b, c] {
        index.index_case(&x).unwrap();
    }
    index.commit(3).unwrap();
}

#[test]
fn a_word_inside_unsegmented_text_is_found() {
    // The default (exact mode) finds the words inside words at query time, search mode indexes
    // them: the same hits either way.
    for seg in [Segmenter::Jieba, Segmenter::Search] {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open_with(
            dir.path(),
            Options {
                segmenter: Some(seg),
                ..Options::default()
            },
        )
        .unwrap();
        assert_eq!(index.segmenter(), seg);
        sample(&index);
        // Case 3 has only "电梯间", one word for jieba.
        assert_eq!(ids(&index, &q("电梯")), [1, 3], "{seg:?}");
        assert_eq!(ids(&index, &q("电梯 物业")), [1]);
        assert_eq!(ids(&index, &q("积水")), [2]);
        // A sentence as typed: its words must all be there, lone characters only rank.
        assert_eq!(ids(&index, &q("电梯坏了")), [1, 3]);
        assert_eq!(
            ids(&index, &q("幸福路")),
            [1, 2, 3],
            "the address is searched too"
        );
        assert!(ids(&index, &q("游泳池")).is_empty());
        assert!(ids(&index, &q("，。！")).is_empty());
        let page = index.search(&q("电梯")).unwrap();
        assert_eq!(page.total, 2);
        assert_eq!(
            page.hits[0].case_id,
            CaseId(1),
            "the subject weighs more than the content"
        );
        // Cases of a later commit (a segment of their own): "长江" is inside "长江大桥".
        index
            .index_case(&case(4, "桥面破损", "长江大桥引桥路面破损。"))
            .unwrap();
        index
            .index_case(&case(5, "江边垃圾", "长江边堆放垃圾。"))
            .unwrap();
        index.commit(5).unwrap();
        assert_eq!(ids(&index, &q("长江")), [4, 5], "{seg:?}");
        assert_eq!(ids(&index, &q("大桥 破损")), [4], "{seg:?}");
    }
}

#[test]
fn the_word_itself_ranks_above_a_word_it_is_inside_and_both_are_marked() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(
        index.segmenter(),
        Segmenter::Jieba,
        "exact mode is the default"
    );
    let inside = case(1, "反映情况", "楼道电梯间堆满杂物。");
    let itself = case(2, "反映情况", "楼道电梯堆满杂物。");
    for c in [&inside, &itself] {
        index.index_case(c).unwrap();
    }
    index.commit(2).unwrap();
    let page = index.search(&q("电梯")).unwrap();
    assert_eq!(
        page.hits.iter().map(|h| h.case_id.0).collect::<Vec<_>>(),
        [2, 1]
    );
    assert!(page.hits[0].score > page.hits[1].score);
    assert_eq!(
        page.highlighter.snippets(&itself)["content"],
        "楼道<mark>电梯</mark>堆满杂物。"
    );
    assert_eq!(
        page.highlighter.snippets(&inside)["content"],
        "楼道<mark>电梯间</mark>堆满杂物。"
    );
    // A word that is inside nothing indexed, and one of four characters (search mode adds
    // words of two and three characters only), match only themselves.
    assert_eq!(ids(&index, &q("杂物")), [1, 2]);
    assert!(ids(&index, &q("梯间")).is_empty());
}

#[test]
fn filters_narrow_the_hits() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    sample(&index);
    let everything = |f: &dyn Fn(&mut SearchQuery)| {
        let mut query = q("幸福路");
        f(&mut query);
        ids(&index, &query)
    };
    assert_eq!(everything(&|_| {}), [1, 2, 3]);
    assert_eq!(everything(&|q| q.statuses = vec![Status::InProgress]), [1]);
    assert_eq!(everything(&|q| q.statuses = vec![Status::InProgress, Status::Registered]), [1, 2, 3]);
    assert_eq!(everything(&|q| q.unit = Some(OrgId(21))), [3]);
    assert_eq!(everything(&|q| q.channel = Some(Channel::Hotline)), [2]);
    assert_eq!(everything(&|q| q.category = Some("03".into())), [2]);
    assert_eq!(everything(&|q| q.category = Some("01.02".into())), [1, 3]);
    assert_eq!(everything(&|q| q.registered_from = Some(at(10))), [2]);
    assert_eq!(everything(&|q| q.registered_to = Some(at(10))), [1, 3]);
    assert_eq!(everything(&|q| q.demo = Some(true)), [3]);
    assert_eq!(everything(&|q| q.orgs = Some(vec![OrgId(31)])), [2]);
    assert_eq!(everything(&|q| q.orgs = Some(vec![])), Vec::<i64>::new());
}

#[test]
fn only_cases_of_the_visible_organisations_are_returned() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    sample(&index);
    let mut query = q("幸福路");
    query.visible_to = Some(vec![OrgId(20)]);
    assert_eq!(ids(&index, &query), [1], "unit 20 handles case 1 only");
    query.visible_to = Some(vec![OrgId(21), OrgId(31)]);
    assert_eq!(ids(&index, &query), [2, 3]);
    query.visible_to = Some(vec![OrgId(99)]);
    assert_eq!(index.search(&query).unwrap().total, 0);
    query.visible_to = Some(vec![]);
    assert_eq!(index.search(&query).unwrap().total, 0);
    query.visible_to = None;
    assert_eq!(ids(&index, &query), [1, 2, 3]);
}

#[test]
fn snippets_mark_the_words_and_escape_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    let mut evil = case(7, "电梯<script>alert(1)</script>", "<b>电梯</b> & 楼梯 \"都\" 坏了");
    evil.reply = Some(redress_domain::case::Reply {
        decision: redress_domain::Decision::Support,
        facts: "经核实，电梯控制柜损坏。".into(),
        opinion: "责成物业十日内修复。".into(),
        legal_basis: String::new(),
        submitted_at: at(3),
        submitted_by: None,
        approved_at: None,
        approved_by: None,
    });
    index.index_case(&evil).unwrap();
    index.commit(1).unwrap();
    let page = index.search(&q("电梯")).unwrap();
    assert_eq!(page.hits.len(), 1);
    let s = page.highlighter.snippets(&evil);
    assert_eq!(s["subject"], "<mark>电梯</mark>&lt;script&gt;alert(1)&lt;/script&gt;");
    assert_eq!(s["content"], "&lt;b&gt;<mark>电梯</mark>&lt;/b&gt; &amp; 楼梯 &quot;都&quot; 坏了");
    assert!(s["replies"].contains("<mark>电梯</mark>控制柜"), "{}", s["replies"]);
    // A long text is cut around the match.
    let long = format!("{}电梯{}", "前".repeat(300), "后".repeat(300));
    let mut c = case(8, "长文", &long);
    c.id = CaseId(8);
    let s = page.highlighter.snippets(&c);
    assert!(s["content"].starts_with('…') && s["content"].ends_with('…') && s["content"].contains("<mark>电梯</mark>"), "{}", s["content"]);
    assert!(s["content"].chars().count() < 200, "{}", s["content"]);
    assert!(!s.contains_key("address"));
    // Found through the reply alone.
    assert_eq!(ids(&index, &q("控制柜")), [7]);
}

#[test]
fn a_changed_case_replaces_its_document() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    let mut c = case(5, "路灯不亮", "村口路灯坏了一个月。");
    index.index_case(&c).unwrap();
    index.commit(1).unwrap();
    let mut registered = q("路灯");
    registered.statuses = vec![Status::Registered];
    assert_eq!(ids(&index, &registered), [5]);
    c.status = Status::InProgress;
    c.unit = Some(OrgId(20));
    index.index_case(&c).unwrap();
    index.commit(2).unwrap();
    assert!(ids(&index, &registered).is_empty());
    let mut unit = q("路灯");
    unit.unit = Some(OrgId(20));
    assert_eq!(ids(&index, &unit), [5]);
    assert_eq!(index.num_docs(), 1);
    index.delete_case(CaseId(5));
    index.commit(3).unwrap();
    assert_eq!(index.num_docs(), 0);
}

#[test]
fn clearing_drops_uncommitted_adds_so_a_rebuild_has_no_duplicates() {
    // A follower indexed a case but has not committed yet; a rebuild clears and adds it again.
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    let c = case(7, "小区电梯停运", "电梯停运三个月。");
    index.index_case(&c).unwrap();
    index.clear().unwrap();
    index.add_new_cases(std::slice::from_ref(&c)).unwrap();
    index.commit(5).unwrap();
    assert_eq!(index.num_docs(), 1);
    assert_eq!(index.search(&q("电梯")).unwrap().hits.len(), 1);
    assert_eq!(index.last_seq(), 5);
}

#[test]
fn the_log_position_and_the_documents_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SearchIndex::open(dir.path()).unwrap();
        assert_eq!(index.last_seq(), 0);
        sample(&index);
        index.commit(42).unwrap();
        // Uncommitted work is lost on a crash and replayed from the log.
        index.index_case(&case(9, "未提交", "未提交")).unwrap();
    }
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(index.last_seq(), 42);
    assert_eq!(index.num_docs(), 3);
    assert_eq!(ids(&index, &q("电梯")), [1, 3]);
    let status = SearchIndex::status_of(dir.path()).unwrap().unwrap();
    assert_eq!((status.docs, status.last_seq), (3, 42));
}

#[test]
fn a_second_writer_on_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _first = SearchIndex::open(dir.path()).unwrap();
    assert!(matches!(SearchIndex::open(dir.path()), Err(SearchError::Locked(_))));
}

#[test]
fn a_directory_with_other_files_is_not_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    assert!(matches!(SearchIndex::open(dir.path()), Err(SearchError::NotAnIndex(_))));
    assert!(dir.path().join("notes.txt").exists());
}

#[test]
fn a_bulk_build_ends_in_one_segment_with_its_log_position() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_with(
        dir.path(),
        Options {
            writer_threads: 2,
            ..Options::bulk()
        },
    )
    .unwrap();
    let segments = || {
        tantivy::Index::open_in_dir(dir.path())
            .unwrap()
            .searchable_segment_ids()
            .unwrap()
            .len()
    };
    let batches = [[1, 2], [3, 4], [5, 6]];
    for (i, batch) in batches.iter().enumerate() {
        let cases: Vec<Case> = batch
            .iter()
            .map(|&id| case(id, "电梯间漏水", &format!("第{id}件：长江大桥边")))
            .collect();
        index.add_new_cases(&cases).unwrap();
        index.commit(i as i64 + 1).unwrap();
    }
    assert!(segments() >= 3, "no merges while building: {}", segments());
    index.finish().unwrap();
    assert_eq!(segments(), 1);
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!((index.num_docs(), index.last_seq()), (6, 3));
    assert_eq!(
        ids(&index, &q("电梯 长江")),
        [1, 2, 3, 4, 5, 6],
        "the inner words of the merged segment"
    );
}

#[test]
fn queries_during_commits_see_the_words_inside_words_of_every_segment() {
    let dir = tempfile::tempdir().unwrap();
    let index = std::sync::Arc::new(SearchIndex::open(dir.path()).unwrap());
    index
        .index_case(&case(1, "电梯间漏水", "长江大桥边"))
        .unwrap();
    index.commit(1).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (index, stop) = (index.clone(), stop.clone());
        std::thread::spawn(move || {
            let (mut asked, mut last) = (0, 0);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) || asked == 0 {
                // Every case has "电梯" only inside "电梯间": each committed case is found.
                let total = index.search(&q("电梯")).unwrap().total;
                assert!(total >= last, "{total} after {last}");
                last = total;
                asked += 1;
            }
            (asked, last)
        })
    };
    for id in 2..=30 {
        index
            .index_case(&case(id, "电梯间漏水", "长江大桥边"))
            .unwrap();
        index.commit(id).unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (asked, _) = reader.join().unwrap();
    assert!(asked > 0);
    assert_eq!(index.search(&q("电梯")).unwrap().total, 30);
    assert_eq!(index.search(&q("长江")).unwrap().total, 30);
}
