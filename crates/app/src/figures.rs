//! The definitions of every statistical figure, written once. The portal's open statistics,
//! the dashboard (指挥中心), its API and the reports all take the wording and the status sets
//! from here; the console shows the definition on hover.

use redress_domain::Status;
use serde::Serialize;

/// One figure: key (API field), name, unit and definition (shown on hover and in reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Figure {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub definition: &'static str,
}

pub const RECEIVED: Figure = Figure {
    key: "received",
    label: "登记件数",
    unit: "件",
    definition: "登记件数 = 统计期内登记的事项件数（按登记日期，北京时间），含不予受理、撤回和合并的事项",
};
pub const ACCEPTED: Figure = Figure {
    key: "accepted",
    label: "受理件数",
    unit: "件",
    definition: "受理件数 = 统计期内登记的事项中，除待受理、不予受理、撤回、已合并以外的件数",
};
pub const CLOSED: Figure = Figure {
    key: "closed",
    label: "办结件数",
    unit: "件",
    definition: "办结件数 = 统计期内登记的事项中，已办结（含已回访、已归档、复查复核已决定）的件数",
};
pub const CLOSED_RATE: Figure = Figure {
    key: "closed_rate",
    label: "办结率",
    unit: "%",
    definition: "办结率 = 已办结（含已回访、已归档、复查复核已决定）件数 ÷ 已受理件数",
};
pub const ON_TIME_RATE: Figure = Figure {
    key: "on_time_rate",
    label: "按期办结率",
    unit: "%",
    definition: "按期办结率 = 在办理期限（60日，经批准延期的加延期天数）内出具处理意见的件数 ÷ 已出具处理意见的件数",
};
pub const SATISFIED_RATE: Figure = Figure {
    key: "satisfied_rate",
    label: "满意率",
    unit: "%",
    definition: "满意率 = 回访评价为“满意”或“基本满意”的件数 ÷ 已回访评价件数",
};
pub const REPEAT_RATE: Figure = Figure {
    key: "repeat_rate",
    label: "重复信访率",
    unit: "%",
    definition: "重复信访率 = 统计期内登记的事项中“重复件”的件数 ÷ 统计期内登记的事项总数。\
重复件：与此前（含统计期以前）已登记的事项属于同一事项簇的事项。同一事项簇由以下事项归并而成：内容近似重复的（文本相似度不低于0.5），\
同一地点30天内且文本较相似的（不低于0.25），以及被登记员合并、关联或登记时注明为同一事项的。",
};
pub const MEDIATION_RATE: Figure = Figure {
    key: "mediation_rate",
    label: "调处成功率",
    unit: "%",
    definition: "调处成功率 = 统计期内登记的人民调解纠纷中达成调解协议（书面或口头）的件数 ÷ 其中调解已结束的件数（含调解不成、终止调解）。按责任单位、类别或来源渠道筛选时不适用",
};
pub const AVG_DAYS: Figure = Figure {
    key: "avg_days",
    label: "平均办理天数",
    unit: "天",
    definition: "平均办理天数 = 已出具处理意见的事项从登记到处理意见批准之日的天数之和 ÷ 件数",
};
pub const OVERDUE: Figure = Figure {
    key: "overdue",
    label: "当前超期",
    unit: "件",
    definition: "当前超期 = 现在仍在办、且正在计算的期限（受理告知、办理、回访、复查复核）已过的件数，不限登记日期",
};

/// In the order the dashboard shows them.
pub const ALL: &[Figure] =
    &[RECEIVED, ACCEPTED, CLOSED, CLOSED_RATE, ON_TIME_RATE, SATISFIED_RATE, REPEAT_RATE, MEDIATION_RATE, AVG_DAYS, OVERDUE];

/// Statuses counted as not accepted (the rest of the registered cases are 受理件数).
pub const NOT_ACCEPTED: &[Status] = &[Status::Registered, Status::NotAccepted, Status::Withdrawn, Status::Merged];
/// Statuses counted as 办结.
pub const CLOSED_STATUSES: &[Status] =
    &[Status::FollowedUp, Status::Closed, Status::Archived, Status::Reviewed, Status::Final];

pub fn is_accepted(s: Status) -> bool {
    !NOT_ACCEPTED.contains(&s)
}

pub fn is_closed(s: Status) -> bool {
    CLOSED_STATUSES.contains(&s)
}

/// The statuses behind a count figure, for drill-down (`None`: all).
pub fn statuses_of(key: &str) -> Option<Vec<Status>> {
    match key {
        "accepted" => Some(Status::ALL.iter().copied().filter(|s| is_accepted(*s)).collect()),
        "closed" => Some(CLOSED_STATUSES.to_vec()),
        _ => None,
    }
}

/// `num` of `den` in percent, one decimal; `None` when there is nothing to divide by.
pub fn percent(num: i64, den: i64) -> Option<f64> {
    (den > 0).then(|| (num as f64 * 1000.0 / den as f64).round() / 10.0)
}

pub fn by_key(key: &str) -> Option<Figure> {
    ALL.iter().copied().find(|f| f.key == key)
}
