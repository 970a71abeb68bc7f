//! Form bodies, CSRF tokens and the small view models the templates share.

use std::collections::HashMap;

use axum::http::{header, HeaderMap, HeaderValue};
use chrono::{DateTime, NaiveDate, Utc};
use redress_app::views::{CaseRow, DeadlineView};
use redress_app::AppError;
use redress_domain::Light;

use crate::extract::{cookie, cookie_header};

/// A urlencoded form as name/value pairs (repeated names kept, e.g. checkboxes).
#[derive(Debug, Default, Clone)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    pub fn parse(body: &[u8]) -> Fields {
        Fields(serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default())
    }

    /// The first value of `name`, trimmed; "" when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).unwrap_or("")
    }

    pub fn opt(&self, name: &str) -> Option<&str> {
        Some(self.get(name)).filter(|v| !v.is_empty())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty()).collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        matches!(self.get(name), "true" | "on" | "1")
    }

    /// The values to put back into a form after an error (never passwords).
    pub fn values(&self) -> HashMap<String, String> {
        self.0.iter().filter(|(k, _)| k != "password" && k != "csrf").map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

/// Constant-time comparison of a submitted token with the expected one.
pub fn token_matches(sent: &str, expected: &str) -> bool {
    !expected.is_empty() && sent.len() == expected.len() && sent.bytes().zip(expected.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0
}

/// Cookie that carries the CSRF token of forms shown to visitors without a session
/// (the portal, the login page): the form repeats it, and a cross-site page cannot read it.
pub const FORM_COOKIE: &str = "redress_form";

/// The visitor's form token, and the `Set-Cookie` to send if it is new.
pub fn form_token(headers: &HeaderMap, secure: bool) -> (String, HeaderMap) {
    let mut out = HeaderMap::new();
    if let Some(t) = cookie(headers, FORM_COOKIE).filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())) {
        return (t, out);
    }
    let mut b = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut b);
    let t = hex::encode(b);
    if let Ok(v) = HeaderValue::from_str(&cookie_header(FORM_COOKIE, &t, 86_400, secure)) {
        out.insert(header::SET_COOKIE, v);
    }
    (t, out)
}

/// True if the form's `csrf` field repeats the visitor's form cookie.
pub fn form_token_ok(headers: &HeaderMap, f: &Fields) -> bool {
    cookie(headers, FORM_COOKIE).is_some_and(|c| token_matches(f.get("csrf"), &c))
}

/// Field errors by field name, and the message for errors that belong to no field.
pub fn split_error(e: &AppError) -> (HashMap<String, String>, Option<String>) {
    let mut m = HashMap::new();
    match e {
        AppError::Invalid { field, message } => {
            m.insert(field.clone(), message.clone());
            (m, None)
        }
        AppError::Domain(redress_domain::DomainError::Invalid { field, message }) => {
            m.insert(field.clone(), message.clone());
            (m, None)
        }
        other => (m, Some(other.to_string())),
    }
}

/// A deadline as the lists and the case page show it.
#[derive(Debug, Clone)]
pub struct DeadlineUi {
    pub label: String,
    pub due: NaiveDate,
    pub days_left: i64,
    pub overdue_days: i64,
    pub light_class: &'static str,
    pub light_label: &'static str,
}

impl From<&DeadlineView> for DeadlineUi {
    fn from(d: &DeadlineView) -> Self {
        DeadlineUi {
            label: d.label.clone(),
            due: d.due,
            days_left: d.days_left,
            overdue_days: -d.days_left,
            light_class: match d.light {
                Light::Normal => "normal",
                Light::DueSoon => "near",
                Light::Overdue => "overdue",
            },
            light_label: d.light_label,
        }
    }
}

/// A row of a case list.
#[derive(Debug, Clone)]
pub struct RowUi {
    pub id: i64,
    pub number: String,
    pub subject: String,
    pub status_label: &'static str,
    pub channel_label: &'static str,
    pub unit_name: Option<String>,
    pub deadline: Option<DeadlineUi>,
}

impl From<&CaseRow> for RowUi {
    fn from(r: &CaseRow) -> Self {
        RowUi {
            id: r.id.0,
            number: r.number.clone(),
            subject: r.subject.clone(),
            status_label: r.status_label,
            channel_label: r.channel_label,
            unit_name: r.unit_name.clone(),
            deadline: r.deadline.as_ref().map(DeadlineUi::from),
        }
    }
}

pub fn rows(r: &[CaseRow]) -> Vec<RowUi> {
    r.iter().map(RowUi::from).collect()
}

/// Local (Beijing) time as staff read it.
pub fn local_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("offset")).format("%Y-%m-%d %H:%M").to_string()
}

/// Options of a select: (value, label).
pub type Options = Vec<(String, String)>;

pub fn enum_options<T: Copy>(all: &[T], key: impl Fn(T) -> &'static str, label: impl Fn(T) -> &'static str) -> Options {
    all.iter().map(|v| (key(*v).to_string(), label(*v).to_string())).collect()
}

/// Towns and the villages/communities under them, "镇/村".
pub fn place_options(cfg: &redress_app::config::Config) -> Options {
    let mut v: Vec<(i64, String)> = vec![];
    for o in cfg.tree.all() {
        match o.kind {
            redress_domain::org::OrgKind::Town => v.push((o.id.0, o.name.clone())),
            redress_domain::org::OrgKind::Village | redress_domain::org::OrgKind::Community => {
                let town = o.parent.and_then(|p| cfg.tree.get(p)).map(|t| t.name.clone()).unwrap_or_default();
                v.push((o.id.0, format!("{town}/{}", o.name)));
            }
            _ => {}
        }
    }
    v.sort_by(|a, b| a.1.cmp(&b.1));
    v.into_iter().map(|(id, n)| (id.to_string(), n)).collect()
}

/// What was typed into a form, to fill it again after an error; repeated fields are joined by
/// line breaks (a list of checkboxes or lines).
#[derive(Default)]
pub struct FormEcho(pub std::collections::BTreeMap<String, String>);

impl FormEcho {
    pub fn of(f: &Fields) -> FormEcho {
        let mut m: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
        for (k, v) in &f.0 {
            m.entry(k.clone())
                .and_modify(|x| {
                    x.push('\n');
                    x.push_str(v)
                })
                .or_insert_with(|| v.clone());
        }
        FormEcho(m)
    }

    pub fn get(&self, k: &str) -> &str {
        self.0.get(k).map_or("", String::as_str)
    }
}
