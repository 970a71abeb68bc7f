//! Administration: organisations, accounts, sign-in, tokens, rules as data, retention.

use chrono::{DateTime, Duration, Utc};
use redress_domain::org::Org;
use redress_domain::taxonomy::Taxonomy;
use redress_domain::{Calendar, DeadlineRules, OrgId, Role, Status, UserId};
use redress_store::{ApiToken, CaseQuery, CaseSort, Session, User};
use serde::Serialize;

use crate::auth::{hash_password, hash_token, new_secret, verify_password, Principal};
use crate::config::{KEY_CALENDAR, KEY_RULES, KEY_TAXONOMY};
use crate::error::{AppError, AppResult};
use crate::App;

/// Sessions end this long after sign-in, whatever happens.
pub const SESSION_HOURS: i64 = 8;

#[derive(Debug, Clone, Serialize)]
pub struct LoginResult {
    /// The secret for the cookie; only its hash is stored.
    pub token: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserView,
}

#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub org_id: OrgId,
    pub org_name: Option<String>,
    pub roles: Vec<Role>,
    pub role_labels: Vec<&'static str>,
    pub disabled: bool,
}

/// Years after archiving that personal data is kept (cases and mediation disputes).
pub const RETENTION_YEARS: i64 = 5;

impl App {
    pub async fn user_view(&self, u: &User) -> AppResult<UserView> {
        let cfg = self.cfg().await?;
        Ok(UserView {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            org_id: u.org_id,
            org_name: cfg.tree.get(u.org_id).map(|o| o.name.clone()),
            roles: u.roles.clone(),
            role_labels: u.roles.iter().map(|r| r.label_zh()).collect(),
            disabled: u.disabled,
        })
    }

    async fn principal_for(&self, user: User, via: &'static str) -> AppResult<Principal> {
        if user.disabled {
            return Err(AppError::Unauthenticated);
        }
        let cfg = self.cfg().await?;
        Ok(Principal::new(user, &cfg.tree, via))
    }

    /// Signs in with a password. Throttled per account name and per client.
    pub async fn login(&self, username: &str, password: &str, client: &str) -> AppResult<LoginResult> {
        let now = self.now();
        let keys = [format!("u:{}", username.trim()), format!("c:{client}")];
        for k in &keys {
            self.throttle_check(k, now).await?;
        }
        let user = self.store.get_user_by_name(username.trim()).await?;
        let ok = match &user {
            Some(u) => {
                let (pw, phc) = (password.to_string(), u.password_hash.clone());
                tokio::task::spawn_blocking(move || verify_password(&pw, &phc)).await.unwrap_or(false) && !u.disabled
            }
            None => false,
        };
        let Some(user) = user.filter(|_| ok) else {
            for k in &keys {
                self.throttle_fail(k, now).await?;
            }
            return Err(AppError::invalid("password", "用户名或密码错误"));
        };
        for k in &keys {
            self.throttle_succeed(k, now).await?;
        }
        let (token, token_hash) = new_secret();
        let (csrf_token, _) = new_secret();
        let session = Session { token_hash, user_id: user.id, created_at: now, expires_at: now + Duration::hours(SESSION_HOURS), csrf_token: csrf_token.clone() };
        self.store.save_session(&session).await?;
        Ok(LoginResult { token, csrf_token, expires_at: session.expires_at, user: self.user_view(&user).await? })
    }

    /// The person behind a session cookie, and the session's CSRF token.
    pub async fn session_principal(&self, token: &str) -> AppResult<(Principal, Session)> {
        let s = self.store.get_session(&hash_token(token)).await?.ok_or(AppError::Unauthenticated)?;
        if s.expires_at <= self.now() {
            self.store.delete_session(&s.token_hash).await?;
            return Err(AppError::Unauthenticated);
        }
        let user = self.store.get_user(s.user_id).await?.ok_or(AppError::Unauthenticated)?;
        Ok((self.principal_for(user, "session").await?, s))
    }

    pub async fn logout(&self, token: &str) -> AppResult<()> {
        Ok(self.store.delete_session(&hash_token(token)).await?)
    }

    /// The person behind an API bearer token.
    pub async fn token_principal(&self, token: &str) -> AppResult<Principal> {
        let t = self.store.get_api_token(&hash_token(token)).await?.ok_or(AppError::Unauthenticated)?;
        if t.revoked || t.scope != "api" {
            return Err(AppError::Unauthenticated);
        }
        let user = self.store.get_user(t.user_id.ok_or(AppError::Unauthenticated)?).await?.ok_or(AppError::Unauthenticated)?;
        self.principal_for(user, "token").await
    }

    /// Issues a token; returns the secret once.
    pub async fn issue_token(&self, name: &str, user_id: Option<UserId>, scope: &str) -> AppResult<String> {
        if name.trim().is_empty() {
            return Err(AppError::invalid("name", "请填写令牌名称"));
        }
        let (token, token_hash) = new_secret();
        self.store
            .save_api_token(&ApiToken { token_hash, name: name.trim().to_string(), user_id, scope: scope.to_string(), created_at: self.now(), revoked: false })
            .await?;
        Ok(token)
    }

    pub async fn add_user(&self, username: &str, display_name: &str, org: OrgId, roles: Vec<Role>, password: &str) -> AppResult<User> {
        let username = username.trim();
        if username.is_empty() || username.len() > 64 || !username.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
            return Err(AppError::invalid("username", "用户名须为1至64位字母、数字或 . _ -"));
        }
        if roles.is_empty() {
            return Err(AppError::invalid("roles", "至少指定一个角色"));
        }
        let cfg = self.cfg().await?;
        if cfg.tree.get(org).is_none() {
            return Err(AppError::invalid("org_id", "所属单位不存在"));
        }
        let pw = password.to_string();
        let password_hash = tokio::task::spawn_blocking(move || hash_password(&pw)).await.map_err(|e| AppError::invalid("password", e.to_string()))??;
        let mut user = User {
            id: UserId(0),
            username: username.to_string(),
            display_name: if display_name.trim().is_empty() { username.to_string() } else { display_name.trim().to_string() },
            org_id: org,
            roles,
            password_hash,
            disabled: false,
            created_at: self.now(),
        };
        user.id = self.store.save_user(&user).await?;
        Ok(user)
    }

    pub async fn set_user_disabled(&self, username: &str, disabled: bool) -> AppResult<User> {
        let mut u = self.store.get_user_by_name(username).await?.ok_or(AppError::NotFound("用户"))?;
        u.disabled = disabled;
        self.store.save_user(&u).await?;
        Ok(u)
    }

    pub async fn save_org(&self, org: Org) -> AppResult<OrgId> {
        if org.name.trim().is_empty() {
            return Err(AppError::invalid("name", "单位名称不能为空"));
        }
        let cfg = self.cfg().await?;
        if let Some(p) = org.parent {
            if cfg.tree.get(p).is_none() {
                return Err(AppError::invalid("parent", "上级单位不存在"));
            }
            if org.id.0 != 0 && cfg.tree.is_within(p, org.id) {
                return Err(AppError::invalid("parent", "上级单位不能是本单位或其下级"));
            }
        }
        let id = self.store.save_org(&org).await?;
        self.config.invalidate();
        Ok(id)
    }

    pub async fn set_rules(&self, rules: &DeadlineRules) -> AppResult<()> {
        rules.validate().map_err(|m| AppError::invalid("rules", m))?;
        self.store.put_setting(KEY_RULES, &serde_json::to_string(rules).expect("rules serialize")).await?;
        self.config.invalidate();
        Ok(())
    }

    pub async fn set_calendar(&self, cal: &Calendar) -> AppResult<()> {
        self.store.put_setting(KEY_CALENDAR, &cal.to_json()).await?;
        self.config.invalidate();
        Ok(())
    }

    pub async fn set_taxonomy(&self, t: &Taxonomy) -> AppResult<()> {
        t.validate().map_err(|m| AppError::invalid("taxonomy", m))?;
        self.store.put_setting(KEY_TAXONOMY, &serde_json::to_string(t).expect("taxonomy serializes")).await?;
        self.config.invalidate();
        Ok(())
    }

    /// Once a Beijing day (run by the housekeeping job): deletes personal data past the
    /// retention period — of cases and of mediation disputes archived more than
    /// [`RETENTION_YEARS`] ago. Returns what it did, or `None` if it already ran today.
    pub async fn purge_personal_data_daily(&self) -> AppResult<Option<(u64, u64)>> {
        const KEY: &str = "retention_purged_on";
        let today = redress_domain::local_date(self.now()).to_string();
        if self.store.get_setting(KEY).await?.as_deref() == Some(today.as_str()) {
            return Ok(None);
        }
        let cases = self.purge_expired_personal_data(RETENTION_YEARS).await?;
        let disputes = self.purge_expired_dispute_names(RETENTION_YEARS).await?;
        self.store.put_setting(KEY, &today).await?;
        Ok(Some((cases, disputes)))
    }

    /// Deletes the personal data of cases archived more than `years` ago, recording a
    /// `PersonalDataPurged` event on each (the chain stays valid: the data was never in it).
    pub async fn purge_expired_personal_data(&self, years: i64) -> AppResult<u64> {
        let cfg = self.cfg().await?;
        let cutoff = self.now() - Duration::days(365 * years);
        let mut purged = 0;
        let mut offset = 0;
        loop {
            let q = CaseQuery { statuses: vec![Status::Archived], registered_to: Some(cutoff), sort: CaseSort::RegisteredAsc, limit: 500, offset, ..Default::default() };
            let page = self.store.list_cases(&q).await?;
            if page.items.is_empty() {
                break;
            }
            offset += page.items.len() as u32;
            for case in page.items {
                if case.personal_data_purged || case.anonymous || case.archived_at.is_none_or(|a| a > cutoff) {
                    continue;
                }
                let event = redress_domain::event::Event {
                    at: self.now(),
                    actor: redress_domain::Actor::System,
                    kind: redress_domain::EventKind::PersonalDataPurged,
                };
                self.append_event(&cfg, case, event, true).await?;
                purged += 1;
            }
        }
        Ok(purged)
    }
}
