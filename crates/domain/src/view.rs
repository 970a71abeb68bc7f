//! A borrowed view of a case in its stored form, for bulk readers that need only part of each
//! case (the full-text build, the similar-case load): read straight from the JSON of [`Case`]
//! without building it, or taken from a [`Case`] at hand. The field names are `Case`'s own;
//! the test `the_json_gives_the_view_of_the_case` keeps the two ways equal.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::case::{unset_org, Case, Channel, Status};
use crate::ids::{CaseId, OrgId};

#[derive(Debug, PartialEq, Deserialize)]
pub struct CaseView<'a> {
    pub id: CaseId,
    pub status: Status,
    #[serde(borrow)]
    pub matter: MatterView<'a>,
    pub registered_at: DateTime<Utc>,
    #[serde(default)]
    pub unit: Option<OrgId>,
    #[serde(default)]
    pub co_units: Cow<'a, [OrgId]>,
    #[serde(default)]
    pub merged_into: Option<CaseId>,
    #[serde(default)]
    pub links: Cow<'a, [CaseId]>,
    #[serde(default, borrow)]
    pub reply: Option<ReplyView<'a>>,
}

#[derive(Debug, PartialEq, Deserialize)]
pub struct MatterView<'a> {
    pub channel: Channel,
    #[serde(default, borrow)]
    pub category: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub subject: Cow<'a, str>,
    #[serde(borrow)]
    pub content: Cow<'a, str>,
    #[serde(default, borrow)]
    pub location: LocationView<'a>,
    #[serde(default)]
    pub same_matter_as: Option<CaseId>,
    #[serde(default = "unset_org")]
    pub intake_org: OrgId,
    #[serde(default)]
    pub demo: bool,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
pub struct LocationView<'a> {
    #[serde(default, borrow)]
    pub address: Cow<'a, str>,
    #[serde(default)]
    pub org: Option<OrgId>,
}

#[derive(Debug, PartialEq, Deserialize)]
pub struct ReplyView<'a> {
    #[serde(borrow)]
    pub facts: Cow<'a, str>,
    #[serde(borrow)]
    pub opinion: Cow<'a, str>,
}

impl<'a> CaseView<'a> {
    pub fn of(case: &'a Case) -> Self {
        let m = &case.matter;
        CaseView {
            id: case.id,
            status: case.status,
            matter: MatterView {
                channel: m.channel,
                category: m.category.as_deref().map(Cow::Borrowed),
                subject: Cow::Borrowed(&m.subject),
                content: Cow::Borrowed(&m.content),
                location: LocationView { address: Cow::Borrowed(&m.location.address), org: m.location.org },
                same_matter_as: m.same_matter_as,
                intake_org: m.intake_org,
                demo: m.demo,
            },
            registered_at: case.registered_at,
            unit: case.unit,
            co_units: Cow::Borrowed(&case.co_units),
            merged_into: case.merged_into,
            links: Cow::Borrowed(&case.links),
            reply: case.reply.as_ref().map(|r| ReplyView { facts: Cow::Borrowed(&r.facts), opinion: Cow::Borrowed(&r.opinion) }),
        }
    }

    /// Reads the stored JSON of a case; text without escapes is borrowed from `json`.
    pub fn from_json(json: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

/// Two cases for the tests of the readers of [`CaseView`], here and in other crates: one with
/// every field of the view set, text with escapes (read into owned strings) and without, and
/// one with the fewest (no category, place, unit, links or reply; the intake office left out).
#[doc(hidden)]
pub fn sample_cases() -> [Case; 2] {
    use chrono::TimeZone;
    let case = |id: i64, matter: serde_json::Value| {
        let matter = serde_json::from_value(matter).expect("the JSON of a NewCase");
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap();
        let code = crate::ids::TrackingCode::from_random([id as u8; 16]);
        let (mut c, _) = Case::register(matter, code, None, true, crate::event::Actor::System, at).expect("a valid matter");
        c.id = CaseId(id);
        c
    };
    let mut full = case(
        7,
        serde_json::json!({
            "channel": "hotline_12345", "matter_type": "claim", "category": "03.01",
            "subject": "道路\"积水\"严重", "content": "幸福路下雨积水，\n出行困难。\\ 第二行",
            "location": { "address": "城关镇幸福路8号", "org": 31 }, "intake_org": 10, "demo": true,
            "same_matter_as": 5
        }),
    );
    full.status = Status::Replied;
    full.unit = Some(OrgId(20));
    full.co_units = vec![OrgId(22), OrgId(10)];
    full.links = vec![CaseId(4), CaseId(6)];
    full.merged_into = Some(CaseId(5));
    full.reply = Some(crate::case::Reply {
        decision: crate::case::Decision::Support,
        facts: "经查属实。".into(),
        opinion: "已安排\t疏通。".into(),
        legal_basis: "《条例》".into(),
        submitted_at: full.registered_at,
        submitted_by: None,
        approved_at: None,
        approved_by: None,
    });
    let bare = case(8, serde_json::json!({ "channel": "letter", "matter_type": "suggestion", "subject": "建议", "content": "增设路灯" }));
    [full, bare]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_gives_the_view_of_the_case() {
        let [full, bare] = sample_cases();
        for c in [&full, &bare] {
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(CaseView::from_json(&json).unwrap(), CaseView::of(c), "case {}", c.id);
        }
        let json = serde_json::to_string(&full).unwrap();
        let read = CaseView::from_json(&json).unwrap();
        assert!(matches!(read.matter.content, Cow::Owned(_)), "escaped text is unescaped into its own string");
        assert!(matches!(read.matter.location.address, Cow::Borrowed(_)), "plain text is borrowed");
        assert_eq!((read.reply.as_ref().map(|r| &*r.opinion), read.links.len()), (Some("已安排\t疏通。"), 2));
        assert_eq!(CaseView::from_json(&serde_json::to_string(&bare).unwrap()).unwrap().matter.intake_org, OrgId(0));
        // A broken row is an error.
        assert!(CaseView::from_json("{\"id\": 9}").is_err());
    }
}
