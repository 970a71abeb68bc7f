//! The status machine and its deadlines, driven through commands with instants passed in.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use redress_domain::case::*;
use redress_domain::event::{Actor, Event};
use redress_domain::transition::Ctx;
use redress_domain::*;

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    // h is Beijing time.
    china_offset().with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().with_timezone(&Utc)
}

fn matter(channel: Channel) -> NewCase {
    NewCase {
        channel,
        matter_type: MatterType::Claim,
        category: Some("01.02".into()),
        subject: "小区电梯长期故障".into(),
        content: "电梯停运三个月，物业不予维修。".into(),
        location: Location { address: "城关镇幸福路8号".into(), ..Default::default() },
        people_count: 1,
        channel_details: ChannelDetails::default(),
        related: vec![],
        same_matter_as: None,
        intake_org: OrgId(1),
        confidential: false,
        demo: false,
        suggested_categories: vec![],
    }
}

fn clerk() -> Actor {
    Actor::User { id: UserId(1), name: "登记员".into() }
}

struct World {
    rules: DeadlineRules,
    cal: Calendar,
}

impl World {
    fn new() -> World {
        World { rules: DeadlineRules::default(), cal: Calendar::china_default() }
    }

    fn ctx(&self, now: DateTime<Utc>) -> Ctx<'_> {
        Ctx { now, rules: &self.rules, calendar: &self.cal, same_matter_final: false, appeal_body: None }
    }

    fn run(&self, case: &mut Case, cmd: Command, now: DateTime<Utc>) -> Result<(), DomainError> {
        let kind = case.decide(&cmd, &self.ctx(now))?;
        case.apply(&Event { at: now, actor: clerk(), kind });
        Ok(())
    }
}

fn code() -> TrackingCode {
    TrackingCode::from_random([9; 16])
}

fn registered(now: DateTime<Utc>) -> Case {
    Case::register(matter(Channel::Letter), code(), None, true, clerk(), now).unwrap().0
}

fn replied_case(w: &World, start: DateTime<Utc>) -> Case {
    let mut c = registered(start);
    w.run(&mut c, Command::Accept { note: String::new() }, start).unwrap();
    w.run(&mut c, Command::Route { unit: OrgId(5), co_units: vec![], mode: RoutingMode::Forward, note: String::new(), assign_days: None }, start).unwrap();
    w.run(&mut c, Command::StartHandling, start).unwrap();
    w.run(
        &mut c,
        Command::SubmitReply { decision: Decision::Support, facts: "查明属实".into(), opinion: "责成物业维修".into(), legal_basis: "《物业管理条例》".into() },
        start,
    )
    .unwrap();
    w.run(&mut c, Command::ApproveReply, start).unwrap();
    c
}

#[test]
fn a_case_goes_from_registration_to_archive() {
    let w = World::new();
    let t = at(2026, 3, 2, 9);
    let mut c = replied_case(&w, t);
    assert_eq!(c.status, Status::Replied);
    w.run(&mut c, Command::FollowUp { satisfaction: Satisfaction::Satisfied, note: String::new() }, t).unwrap();
    w.run(&mut c, Command::Close { note: String::new() }, t).unwrap();
    w.run(&mut c, Command::Archive, t).unwrap();
    assert_eq!(c.status, Status::Archived);
    assert_eq!(c.version, 9);
}

#[test]
fn illegal_transition_names_current_status_and_allowed_actions() {
    let w = World::new();
    let mut c = registered(at(2026, 3, 2, 9));
    let err = w.run(&mut c, Command::ApproveReply, at(2026, 3, 2, 10)).unwrap_err();
    match &err {
        DomainError::IllegalTransition { current, allowed, .. } => {
            assert_eq!(*current, Status::Registered);
            assert!(allowed.contains(&"受理".to_string()));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("待受理"));
}

#[test]
fn acceptance_is_due_fifteen_calendar_days_after_registration() {
    let w = World::new();
    // Registered Monday 2026-03-02; day 15 is Tuesday 2026-03-17.
    let c = registered(at(2026, 3, 2, 9));
    let d = c.staff_deadline(&w.rules, &w.cal).unwrap();
    assert_eq!(d.due, NaiveDate::from_ymd_opt(2026, 3, 17).unwrap());
    assert_eq!(d.light(at(2026, 3, 5, 9), w.rules.warn_days), Light::Normal);
    assert_eq!(d.light(at(2026, 3, 15, 9), w.rules.warn_days), Light::DueSoon);
    assert_eq!(d.light(at(2026, 3, 18, 1), w.rules.warn_days), Light::Overdue);
    // 23:59 Beijing time on the last day is still in time.
    assert_eq!(d.light(at(2026, 3, 17, 23), w.rules.warn_days), Light::DueSoon);
}

#[test]
fn hotline_cases_use_working_day_rules() {
    let w = World::new();
    // Friday 2025-09-26 09:00; 1 working day → Sunday 28th was a make-up workday.
    let c = Case::register(matter(Channel::Hotline), code(), None, true, clerk(), at(2025, 9, 26, 9)).unwrap().0;
    let d = c.staff_deadline(&w.rules, &w.cal).unwrap();
    assert_eq!(d.due, NaiveDate::from_ymd_opt(2025, 9, 28).unwrap());
    assert_eq!(d.unit, DayUnit::Working);
}

#[test]
fn one_extension_of_at_most_thirty_days_moves_the_handling_deadline() {
    let w = World::new();
    let t = at(2026, 3, 2, 9);
    let mut c = registered(t);
    w.run(&mut c, Command::Accept { note: String::new() }, t).unwrap();
    w.run(&mut c, Command::Route { unit: OrgId(5), co_units: vec![], mode: RoutingMode::Forward, note: String::new(), assign_days: None }, t).unwrap();
    w.run(&mut c, Command::StartHandling, t).unwrap();
    let before = c.staff_deadline(&w.rules, &w.cal).unwrap().due;
    assert_eq!(before, NaiveDate::from_ymd_opt(2026, 5, 6).unwrap()); // 60 days: 1 May holiday ends 5th → 6 May
    let too_long = w.run(&mut c, Command::RequestExtension { days: 31, reason: "复杂".into() }, t);
    assert!(matches!(too_long, Err(DomainError::Invalid { .. })));
    w.run(&mut c, Command::RequestExtension { days: 30, reason: "涉及多个部门".into() }, t).unwrap();
    w.run(&mut c, Command::ApproveExtension, t).unwrap();
    let after = c.staff_deadline(&w.rules, &w.cal).unwrap().due;
    assert_eq!(after, NaiveDate::from_ymd_opt(2026, 6, 5).unwrap());
    let again = w.run(&mut c, Command::RequestExtension { days: 5, reason: "再延".into() }, t).unwrap_err();
    assert!(again.to_string().contains("只能延长一次"));
}

#[test]
fn review_outside_its_window_is_refused_with_the_closing_date() {
    let w = World::new();
    let t = at(2026, 3, 2, 9);
    let mut c = replied_case(&w, t);
    let late = w.run(&mut c, Command::RequestReview { reason: "不服".into() }, at(2026, 4, 20, 9)).unwrap_err();
    assert_eq!(
        late,
        DomainError::WindowClosed { what: "申请复查".into(), closed_on: NaiveDate::from_ymd_opt(2026, 4, 1).unwrap() }
    );
    assert!(late.to_string().contains("2026-04-01"));
    w.run(&mut c, Command::RequestReview { reason: "不服".into() }, at(2026, 3, 30, 9)).unwrap();
    assert_eq!(c.status, Status::UnderReview);
}

#[test]
fn recheck_follows_review_and_ends_the_matter() {
    let w = World::new();
    let t = at(2026, 3, 2, 9);
    let mut c = replied_case(&w, t);
    let early = w.run(&mut c, Command::RequestRecheck { reason: "x".into() }, t).unwrap_err();
    assert!(matches!(early, DomainError::IllegalTransition { .. }));
    w.run(&mut c, Command::RequestReview { reason: "不服".into() }, t).unwrap();
    w.run(&mut c, Command::DecideReview { outcome: AppealOutcome::Upheld, opinion: "维持".into() }, at(2026, 3, 20, 9)).unwrap();
    let late = w.run(&mut c, Command::RequestRecheck { reason: "仍不服".into() }, at(2026, 5, 1, 9)).unwrap_err();
    assert!(matches!(late, DomainError::WindowClosed { .. }));
    w.run(&mut c, Command::RequestRecheck { reason: "仍不服".into() }, at(2026, 4, 10, 9)).unwrap();
    w.run(&mut c, Command::DecideRecheck { outcome: AppealOutcome::Upheld, opinion: "维持".into() }, at(2026, 4, 20, 9)).unwrap();
    assert_eq!(c.status, Status::Final);
    assert!(c.status.is_terminal());
}

#[test]
fn a_matter_already_final_after_recheck_is_not_accepted_again() {
    let w = World::new();
    let mut c = registered(at(2026, 3, 2, 9));
    let ctx = Ctx { same_matter_final: true, ..w.ctx(at(2026, 3, 2, 10)) };
    let err = c.decide(&Command::Accept { note: String::new() }, &ctx).unwrap_err();
    assert!(err.to_string().contains("第三十六条"));
    let ok = c.decide(&Command::NotAccept { reason: "已复核终结".into() }, &ctx).unwrap();
    c.apply(&Event { at: ctx.now, actor: clerk(), kind: ok });
    assert_eq!(c.status, Status::NotAccepted);
}

#[test]
fn misrouted_case_is_returned_within_five_working_days_then_rerouted() {
    let w = World::new();
    // Routed Friday 2026-09-18; 5 working days: 21,22,23,24,25 (Sun 20th is a make-up workday → ends 24th).
    let t = at(2026, 9, 18, 9);
    let mut c = registered(t);
    w.run(&mut c, Command::Accept { note: String::new() }, t).unwrap();
    w.run(&mut c, Command::Route { unit: OrgId(5), co_units: vec![], mode: RoutingMode::Forward, note: String::new(), assign_days: None }, t).unwrap();
    let window = c.return_window(&w.rules, &w.cal).unwrap();
    assert_eq!(window.due, NaiveDate::from_ymd_opt(2026, 9, 24).unwrap());
    let late = w.run(&mut c.clone(), Command::Return { reason: "非本单位职责".into() }, at(2026, 9, 25, 9));
    assert!(matches!(late, Err(DomainError::WindowClosed { .. })));
    w.run(&mut c, Command::Return { reason: "非本单位职责".into() }, at(2026, 9, 24, 9)).unwrap();
    assert_eq!(c.status, Status::Accepted);
    assert_eq!(c.unit, None);
    w.run(&mut c, Command::Route { unit: OrgId(6), co_units: vec![], mode: RoutingMode::Assign, note: String::new(), assign_days: Some(10) }, t).unwrap();
    assert_eq!(c.unit, Some(OrgId(6)));
}

#[test]
fn unsatisfied_follow_up_can_reopen_handling() {
    let w = World::new();
    let t = at(2026, 3, 2, 9);
    let mut c = replied_case(&w, t);
    w.run(&mut c, Command::FollowUp { satisfaction: Satisfaction::Unsatisfied, note: "未解决".into() }, t).unwrap();
    let close = w.run(&mut c.clone(), Command::Close { note: String::new() }, t).unwrap_err();
    assert!(matches!(close, DomainError::Invalid { .. }));
    w.run(&mut c, Command::Reopen { reason: "群众不满意".into() }, t).unwrap();
    assert_eq!(c.status, Status::InProgress);
    assert!(c.reply.is_none());
}

#[test]
fn replaying_events_rebuilds_the_same_state() {
    let w = World::new();
    let t = at(2026, 3, 2, 9);
    let (mut c, first) = Case::register(matter(Channel::Visit), code(), None, true, clerk(), t).unwrap();
    let mut events = vec![first];
    for cmd in [
        Command::Accept { note: "受理".into() },
        Command::Route { unit: OrgId(5), co_units: vec![OrgId(7)], mode: RoutingMode::Assign, note: String::new(), assign_days: Some(20) },
        Command::StartHandling,
        Command::Supervise { due: NaiveDate::from_ymd_opt(2026, 3, 10).unwrap(), note: "加快办理".into(), target_unit: None },
    ] {
        let kind = c.decide(&cmd, &w.ctx(t)).unwrap();
        let e = Event { at: t, actor: clerk(), kind };
        c.apply(&e);
        events.push(e);
    }
    assert_eq!(Case::replay(CaseId(0), &events).unwrap(), c);
}

#[test]
fn group_visit_allows_at_most_five_representatives() {
    let mut m = matter(Channel::Visit);
    m.people_count = 30;
    m.channel_details.representatives = Some(6);
    let err = m.validate().unwrap_err();
    assert!(matches!(err, DomainError::Invalid { ref field, .. } if field == "channel_details.representatives"));
    m.channel_details.representatives = Some(5);
    m.validate().unwrap();
}

#[test]
fn higher_level_transfer_needs_the_transferring_office() {
    let mut m = matter(Channel::HigherTransfer);
    assert!(m.validate().is_err());
    m.channel_details.transfer_office = Some("市信访局".into());
    m.channel_details.transfer_ref = Some("市信转〔2026〕12号".into());
    m.validate().unwrap();
}

#[test]
fn assignment_with_a_shorter_deadline_binds_the_unit() {
    let w = World::new();
    let t = at(2026, 3, 2, 9);
    let mut c = registered(t);
    w.run(&mut c, Command::Accept { note: String::new() }, t).unwrap();
    w.run(&mut c, Command::Route { unit: OrgId(5), co_units: vec![], mode: RoutingMode::Assign, note: String::new(), assign_days: Some(10) }, t).unwrap();
    assert_eq!(c.staff_deadline(&w.rules, &w.cal).unwrap().due, NaiveDate::from_ymd_opt(2026, 3, 12).unwrap());
}
