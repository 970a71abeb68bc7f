use redress_domain::{DomainError, Status};
use redress_store::StoreError;
use serde::Serialize;

/// Everything a use case can refuse or fail with. The HTTP layer maps each to a status code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Domain(#[from] DomainError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("请先登录")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}不存在")]
    NotFound(&'static str),
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    TooLarge(String),
    #[error("操作过于频繁，请{retry_after_secs}秒后再试")]
    RateLimited { retry_after_secs: u64 },
    /// A service other than the database is not available (e.g. the full-text index).
    #[error("{0}")]
    Unavailable(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid { field: field.to_string(), message: message.into() }
    }

    pub fn forbidden(message: impl Into<String>) -> AppError {
        AppError::Forbidden(message.into())
    }

    /// A stable machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Domain(DomainError::Invalid { .. }) | AppError::Invalid { .. } => "invalid",
            AppError::Domain(DomainError::IllegalTransition { .. }) => "illegal_transition",
            AppError::Domain(DomainError::WindowClosed { .. }) => "window_closed",
            AppError::Domain(DomainError::Rule(_)) => "rule",
            AppError::Store(StoreError::Conflict { .. }) => "conflict",
            AppError::Store(StoreError::Duplicate { .. }) => "duplicate",
            AppError::Store(StoreError::NotFound) | AppError::NotFound(_) => "not_found",
            AppError::Store(StoreError::Unavailable(_)) => "unavailable",
            AppError::Store(StoreError::ReadOnly(_)) => "read_only",
            AppError::Store(_) => "storage",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::TooLarge(_) => "too_large",
            AppError::Unavailable(_) => "unavailable",
        }
    }

    /// The field a person must fix, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Domain(DomainError::Invalid { field, .. }) | AppError::Invalid { field, .. } => Some(field),
            AppError::Store(StoreError::Duplicate { field }) => Some(field),
            _ => None,
        }
    }

    /// For an illegal transition: the current status and the allowed actions.
    pub fn transition_details(&self) -> Option<TransitionDetails> {
        match self {
            AppError::Domain(DomainError::IllegalTransition { current, allowed, .. }) => {
                Some(TransitionDetails { current_status: *current, current_status_label: current.label_zh(), allowed: allowed.clone() })
            }
            _ => None,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TransitionDetails {
    pub current_status: Status,
    pub current_status_label: &'static str,
    pub allowed: Vec<String>,
}

pub type AppResult<T> = Result<T, AppError>;
