//! Accounts, passwords, sessions, API tokens and who may do what.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use redress_domain::org::OrgTree;
use redress_domain::{Case, OrgId, Role};
use redress_store::User;
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

/// Who is acting: a signed-in staff member, with what they may see.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    /// Organisations whose cases this person may see; `None` means all (county-level office).
    pub visible: Option<Vec<OrgId>>,
    /// How the request was authenticated: "session" or "token".
    pub via: &'static str,
}

impl Principal {
    pub fn new(user: User, tree: &OrgTree, via: &'static str) -> Principal {
        let visible = visible_orgs(&user, tree);
        Principal { user, visible, via }
    }

    pub fn has(&self, role: Role) -> bool {
        self.user.roles.contains(&role)
    }

    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has(*r))
    }

    pub fn actor(&self) -> redress_domain::Actor {
        redress_domain::Actor::User { id: self.user.id, name: self.user.display_name.clone() }
    }

    pub fn may_see(&self, case_orgs: &[OrgId]) -> bool {
        match &self.visible {
            None => true,
            Some(v) => case_orgs.iter().any(|o| v.binary_search(o).is_ok()),
        }
    }

    pub fn may_unmask(&self) -> bool {
        self.user.roles.iter().any(|r| r.may_unmask_personal_data())
    }

    /// True if `unit` is this person's own unit or below it.
    pub fn in_unit(&self, tree: &OrgTree, unit: Option<OrgId>) -> bool {
        unit.is_some_and(|u| tree.is_within(u, self.user.org_id))
    }
}

/// Unit roles see their unit's subtree; office roles see their whole county or town.
fn visible_orgs(user: &User, tree: &OrgTree) -> Option<Vec<OrgId>> {
    let office = user.roles.iter().any(|r| !r.is_unit_role());
    let root = if office { tree.area_of(user.org_id) } else { user.org_id };
    if office && tree.get(root).is_some_and(|o| o.parent.is_none()) {
        return None;
    }
    Some(tree.subtree(root))
}

/// The organisations a case belongs to, for visibility.
pub fn case_orgs(case: &Case) -> Vec<OrgId> {
    orgs_of(case.matter.intake_org, case.unit, &case.co_units, case.matter.location.org)
}

/// [`case_orgs`] from the parts, for readers holding only those (the full-text index).
pub fn orgs_of(intake: OrgId, unit: Option<OrgId>, co_units: &[OrgId], place: Option<OrgId>) -> Vec<OrgId> {
    let mut v = vec![intake];
    v.extend(unit);
    v.extend(co_units.iter().copied());
    v.extend(place);
    v.sort();
    v.dedup();
    v
}

pub fn hash_password(password: &str) -> AppResult<String> {
    check_password_strength(password)?;
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::invalid("password", format!("密码无法处理：{e}")))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

pub fn check_password_strength(password: &str) -> AppResult<()> {
    if password.chars().count() < 8 {
        return Err(AppError::invalid("password", "密码至少8位"));
    }
    Ok(())
}

/// A fresh random secret, hex, and the SHA-256 we store instead of it.
pub fn new_secret() -> (String, String) {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    let token = hex::encode(b);
    let hash = hash_token(&token);
    (token, hash)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Slows down password guessing: after `MAX_FAILURES` failures within the window, an
/// account name (and separately a client address) is refused until the window passes.
#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, Vec<DateTime<Utc>>>>,
}

pub const MAX_FAILURES: usize = 5;
pub const THROTTLE_MINUTES: i64 = 15;

impl LoginThrottle {
    pub fn check(&self, key: &str, now: DateTime<Utc>) -> AppResult<()> {
        let mut map = self.failures.lock().expect("throttle lock");
        let window = now - Duration::minutes(THROTTLE_MINUTES);
        if let Some(list) = map.get_mut(key) {
            list.retain(|t| *t > window);
            if list.len() >= MAX_FAILURES {
                let retry = (list[0] - window).num_seconds().max(1) as u64;
                return Err(AppError::RateLimited { retry_after_secs: retry });
            }
        }
        Ok(())
    }

    pub fn fail(&self, key: &str, now: DateTime<Utc>) {
        let mut map = self.failures.lock().expect("throttle lock");
        if map.len() > 100_000 {
            map.clear();
        }
        map.entry(key.to_string()).or_default().push(now);
    }

    pub fn succeed(&self, key: &str) {
        self.failures.lock().expect("throttle lock").remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_round_trip_and_wrong_password_fails() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn login_throttle_locks_after_repeated_failures_and_releases_later() {
        let t = LoginThrottle::default();
        let now = Utc::now();
        for _ in 0..MAX_FAILURES {
            t.check("clerk", now).unwrap();
            t.fail("clerk", now);
        }
        assert!(matches!(t.check("clerk", now), Err(AppError::RateLimited { .. })));
        assert!(t.check("other", now).is_ok());
        assert!(t.check("clerk", now + Duration::minutes(THROTTLE_MINUTES + 1)).is_ok());
    }
}
