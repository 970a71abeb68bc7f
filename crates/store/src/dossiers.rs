//! Stored records of the mediation and risk-assessment modules (issue 7, migration 0009):
//! mediation committees, mediators, disputes, 稳评 assessments and the residents' questionnaire
//! responses. Each record is a versioned JSON document of a `kind`, with the few columns lists
//! filter on (status, owning organisation, linked case, parent record); every change writes a
//! [`DutyNote`] to the record's history in the same transaction. None of these are in the case
//! event log: a dispute linked to a case points at it, and the case page lists its disputes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use redress_domain::OrgId;

/// One record; the application keeps its content as JSON in `data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredDossier {
    /// 0 to insert.
    pub id: i64,
    /// `committee`, `mediator`, `dispute`, `assessment`, `response`, ….
    pub kind: String,
    /// The stored version this write expects (0 for an insert); the store keeps `version + 1`.
    pub version: i64,
    pub status: String,
    /// The organisation it belongs to (a committee's town, a dispute's committee's town, an
    /// assessment's responsible unit), for visibility.
    pub org: Option<OrgId>,
    /// A linked grievance case.
    pub case_id: Option<i64>,
    /// The record it belongs to (a mediator's committee, a response's assessment).
    pub parent: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub data: String,
}

/// Which records to list: one kind, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DossierQuery {
    pub kind: String,
    /// Only records of these organisations; `None`: any.
    pub orgs: Option<Vec<OrgId>>,
    pub case_id: Option<i64>,
    pub parent: Option<i64>,
    pub status: Option<String>,
    pub limit: u32,
}
