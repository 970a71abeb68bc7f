mod admin;
mod cases;
mod warnings;
mod dashboard;
pub(crate) mod documents;
mod ledger;
mod public;
mod search;
mod text;
mod routing;
// Routine duties of issue 6 (零报告, 矛盾纠纷排查, annual report).
mod duties;
// People's mediation (issue 7).
mod mediation;
// The register of projects under social stability risk assessment (issue 6's warning, issue 7).
mod assessment;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    crate::ui::routes()
        .route("/health", get(public::health))
        .route("/ready", get(public::ready))
        .route("/api/openapi.json", get(public::openapi))
        .route("/api/v1/public/lookup/:code", get(public::lookup))
        .route("/api/v1/public/receptions", get(admin::public_receptions))
        .route("/api/v1/public/stats", get(admin::public_stats))
        .route("/api/v1/settings/reception-schedule", get(admin::receptions).put(admin::set_receptions))
        .route("/api/v1/auth/login", post(admin::login))
        .route("/api/v1/auth/logout", post(admin::logout))
        .route("/api/v1/me", get(admin::me))
        .route("/api/v1/cases", get(cases::list).post(cases::create))
        .route("/api/v1/search", get(search::search))
        .route("/api/v1/cases/suggest", post(routing::suggest))
        .route("/api/v1/stats/suggestions", get(routing::stats))
        .route("/api/v1/models/train", post(routing::train))
        .route("/api/v1/cases/:id", get(cases::show))
        .route("/api/v1/cases/:id/events", get(cases::events))
        .route("/api/v1/cases/:id/actions", post(cases::act))
        .route("/api/v1/cases/:id/personal-data", post(cases::reveal))
        .route("/api/v1/cases/:id/documents", get(documents::list))
        .route("/api/v1/cases/:id/documents/:kind", get(documents::show))
        .route("/api/v1/cases/:id/attachments", post(cases::upload).layer(axum::extract::DefaultBodyLimit::max(crate::ATTACHMENT_LIMIT)))
        .route("/api/v1/cases/:id/attachments/:sha256", get(cases::download))
        .route("/api/v1/orgs", get(admin::orgs).post(admin::save_org))
        .route("/api/v1/users", get(admin::users).post(admin::add_user))
        .route("/api/v1/taxonomy", get(admin::taxonomy).put(admin::set_taxonomy))
        .route("/api/v1/settings/deadline-rules", get(admin::rules).put(admin::set_rules))
        .route("/api/v1/calendar/due", get(admin::calendar_due))
        .route("/api/v1/access-log", get(admin::access_log))
        .route("/api/v1/ledger", get(ledger::api))
        .route("/api/v1/dashboard", get(dashboard::dashboard))
        .route("/api/v1/dashboard/cases", get(dashboard::cases))
        .route("/api/v1/scorecards", get(dashboard::scorecards))
        .route("/api/v1/reports/monthly", get(documents::monthly))
        .route("/api/v1/settings/scorecard-weights", get(dashboard::weights).put(dashboard::set_weights))
        .route("/api/v1/warning-rules", get(warnings::rules).put(warnings::set_rules))
        .route("/api/v1/assessment-projects", get(assessment::projects).put(assessment::set_projects))
        .route("/api/v1/assessment-projects/:id/cases", get(assessment::cases))
        .route("/api/v1/assessments", get(assessment::list).post(assessment::start))
        .route("/api/v1/assessments/stats", get(assessment::stats))
        .route("/api/v1/assessments/:id", get(assessment::show))
        .route("/api/v1/assessments/:id/actions", post(assessment::act))
        .route("/api/v1/assessments/:id/report", get(assessment::report))
        .route("/api/v1/public/consultations", get(assessment::consultations))
        .route("/api/v1/public/consultations/:id/responses", post(assessment::respond))
        .route("/api/v1/warnings", get(warnings::list))
        .route("/api/v1/warnings/scan", post(warnings::scan))
        .route("/api/v1/warnings/:id", get(warnings::show))
        .route("/api/v1/warnings/:id/acknowledge", post(warnings::acknowledge))
        .route("/api/v1/warnings/:id/dispose", post(warnings::dispose))
        .route("/console/ledger", get(ledger::console))
        .route("/api/v1/verify", post(admin::verify))
        .route("/api/v1/admin/jobs", get(admin::jobs))
        .route("/api/v1/cases/similar", post(text::similar_for_intake))
        .route("/api/v1/cases/:id/similar", get(text::similar_to_case))
        .route("/api/v1/clusters", get(text::clusters))
        .route("/api/v1/clusters/:id", get(text::cluster))
        .route("/api/v1/stats/repeat-rate", get(text::repeat_rate))
        .route("/api/v1/hotspots", get(text::hotspots))
        .merge(crate::open311::routes())
        // Routine duties of issue 6 (零报告, 矛盾纠纷排查, annual report).
        .merge(duties::routes())
        .merge(mediation::routes())
}
