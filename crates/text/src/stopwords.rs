//! Function words dropped before features are computed, for raw and pre-segmented text alike.
//!
//! The labelled messages were segmented with jieba and stripped of stopwords before they reached
//! us; raw text must lose the same kind of words or its features would differ. This list is our
//! own: common Chinese function words (pronouns, particles, conjunctions, prepositions, adverbs of
//! degree and frequency, interrogatives), each checked to be absent from the pre-segmented
//! training text. Content words that residents use to describe a matter (领导, 希望, 问题, 请,
//! 已, 未 …) are kept. Punctuation, symbols and single ASCII letters or digits are dropped by rule
//! in `tokenize`, not listed here.

pub(crate) const STOPWORDS: &[&str] = &[
    // pronouns and demonstratives
    "我", "我们", "你", "你们", "您", "他", "他们", "她", "她们", "它", "它们", "自己", "自家", "自身",
    "本人", "鄙人", "人家", "别人", "他人", "大家", "各位", "这", "这个", "这些", "这样", "这么", "这里", "这边",
    "那", "那个", "那些", "那么", "那里", "那边", "此", "其", "其他", "其它", "其中", "其实", "该", "本", "本身",
    "某些", "有些", "各", "各个", "各种", "每", "任何", "一切", "别的", "另", "另外",
    // particles and auxiliaries
    "的", "地", "得", "了", "着", "过", "之", "所", "们", "吗", "呢", "吧", "啊", "呀", "么", "嘛", "哦", "哈",
    "的话", "等", "等等", "之一",
    // verbs that carry no topic
    "是", "有", "为", "在", "到", "去", "来", "给", "让", "叫", "被", "把", "将", "会", "能", "可", "可以",
    "要", "用", "看", "拿", "打", "出", "出来", "出去", "起来", "进去", "进来", "来看",
    // prepositions
    "从", "自", "自从", "向", "往", "对", "对于", "关于", "与", "与其", "和", "跟", "同", "及", "及其", "以及",
    "以", "于", "由", "由于", "按", "按照", "根据", "据", "经", "经过", "通过", "作为", "为了", "除", "除了",
    "随着", "凭", "靠", "离", "当", "比", "像", "至", "内",
    // conjunctions
    "但", "但是", "而", "而且", "而是", "并", "并且", "且", "或", "或者", "还是", "要么", "因", "因为", "因此",
    "所以", "如果", "若", "即", "即使", "就算", "虽然", "然而", "可是", "不过", "不但", "不仅", "不管", "无论",
    "只要", "只有", "既", "既然", "于是", "从而", "否则", "不然", "然后", "则", "便", "如", "如此", "比如",
    "例如", "加上", "一旦", "同时",
    // adverbs
    "不", "没", "没有", "也", "都", "就", "就是", "才", "才能", "还", "还有", "又", "很", "更", "更加", "非常",
    "极", "极为", "极其", "极度", "较", "仍", "仍然", "不再", "均", "仅", "仅仅", "只是",
    "甚至", "竟然", "居然", "简直", "到底", "究竟", "难道", "毕竟", "几乎", "大概", "大约",
    "马上", "即将", "经常", "常常", "从来", "从未", "首先", "反而", "必须", "可能", "不会", "不能",
    "不得", "不要", "不是", "不了", "多", "多次", "很多", "不少", "很少", "一样", "一般", "基本", "基本上",
    // interrogatives
    "什么", "什么样", "为什么", "为何", "怎么", "怎么样", "怎样", "怎么办", "如何", "谁", "哪", "哪个", "哪里",
    "多少", "何时",
    // numerals that stand alone
    "一", "二", "三", "四", "五", "六", "七", "八", "九", "个", "第",
];
