use serde::Serialize;

use crate::case::Status;

/// A rule of the domain was not met. Messages are in Chinese: they reach the clerk as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DomainError {
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("当前状态“{}”不能执行“{action}”，可执行：{}", current.label_zh(), allowed_labels(allowed))]
    IllegalTransition { action: String, current: Status, allowed: Vec<String> },
    #[error("{what}期限已于{closed_on}届满，不能再提出")]
    WindowClosed { what: String, closed_on: chrono::NaiveDate },
    #[error("{0}")]
    Rule(String),
}

fn allowed_labels(v: &[String]) -> String {
    if v.is_empty() {
        "无".to_string()
    } else {
        v.join("、")
    }
}

impl DomainError {
    pub fn invalid(field: &str, message: impl Into<String>) -> DomainError {
        DomainError::Invalid { field: field.to_string(), message: message.into() }
    }
}
