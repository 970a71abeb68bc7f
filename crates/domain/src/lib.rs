//! Pure domain of redress: cases, their status machine, events, deadlines and the
//! working-day calendar. No I/O, no clock, no async: every instant is passed in.

pub mod assessment;
pub mod calendar;
pub mod case;
pub mod deadline;
pub mod error;
pub mod event;
pub mod ids;
pub mod mediation;
pub mod org;
pub mod personal;
pub mod taxonomy;
pub mod transition;
pub mod view;

pub use calendar::{Calendar, DayUnit};
pub use case::*;
pub use deadline::{Deadline, DeadlineKind, DeadlineRule, DeadlineRules, Light};
pub use error::DomainError;
pub use event::{Actor, EventKind};
pub use ids::{CaseId, OrgId, TrackingCode, UserId};
pub use org::{Org, OrgKind, Role};
pub use personal::{Petitioner, mask_id_number, mask_name, mask_phone};
pub use transition::Command;

/// China has a single time zone without daylight saving: UTC+8.
pub fn china_offset() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// The local (Beijing time) calendar date of an instant.
pub fn local_date(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    t.with_timezone(&china_offset()).date_naive()
}

/// The last instant of a local date (24:00 Beijing time), per 民法典 Art. 203.
pub fn end_of_local_day(d: chrono::NaiveDate) -> chrono::DateTime<chrono::Utc> {
    let next = d.succ_opt().expect("date in range").and_hms_opt(0, 0, 0).expect("midnight");
    next.and_local_timezone(china_offset())
        .single()
        .expect("fixed offset is unambiguous")
        .with_timezone(&chrono::Utc)
}
