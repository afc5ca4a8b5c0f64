//! People and credentials: technicians (login id + PIN), reviewers and admins (login + password), and API
//! tokens. Secrets are stored as argon2 hashes (PIN, password) or SHA-256 (random 256-bit tokens).

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::account::{Language, check_password, check_pin, login_taken};
use super::{Result, Store, StoreError, now_ms};

/// What a token may do. Technicians submit and read their own reports; reviewers read all, edit, verify
/// and reject; admins also manage users and CRM data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Technician,
    Reviewer,
    Admin,
}

impl Role {
    /// The lowercase name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Technician => "technician",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Result<Role> {
        match s {
            "technician" => Ok(Role::Technician),
            "reviewer" => Ok(Role::Reviewer),
            "admin" => Ok(Role::Admin),
            other => Err(StoreError::invalid("role", format!("`{other}` is not technician, reviewer or admin"))),
        }
    }
}

/// Who a request is from, as resolved from its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub role: Role,
    /// Set for technicians.
    pub technician_id: Option<i64>,
    /// Set for reviewers and admins.
    pub app_user_id: Option<i64>,
    /// Login id, for audit events.
    pub login: String,
}

/// A technician row (never the PIN hash).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Technician {
    pub technician_id: i64,
    pub login: String,
    pub name: String,
    /// A disabled technician cannot log in and their tokens are refused.
    pub disabled: bool,
}

/// A reviewer or admin (never the password hash).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub app_user_id: i64,
    pub login: String,
    pub name: String,
    pub role: Role,
    /// The review pages' interface language.
    pub language: Language,
    /// A disabled user cannot log in and their tokens are refused.
    pub disabled: bool,
}

/// argon2id with the crate's default (OWASP) parameters and a random salt.
pub(super) fn hash_secret(secret: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Hash(e.to_string()))
}

fn verify_secret(secret: &str, stored: &str) -> Result<bool> {
    let parsed = PasswordHash::new(stored).map_err(|e| StoreError::corrupt("password hash", e))?;
    Ok(Argon2::default().verify_password(secret.as_bytes(), &parsed).is_ok())
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub(super) fn check_login(login: &str) -> Result<&str> {
    let login = login.trim();
    if login.is_empty() || login.len() > 64 || !login.chars().all(|c| c.is_alphanumeric() || "._-@".contains(c)) {
        return Err(StoreError::invalid("login", "1-64 letters, digits or . _ - @"));
    }
    Ok(login)
}

impl Store {
    /// Adds a technician with a PIN of 4 to 8 digits. The login must be free among users and technicians.
    pub async fn create_technician(&self, login: &str, name: &str, pin: &str) -> Result<Technician> {
        let login = check_login(login)?;
        check_pin(pin)?;
        self.refuse_taken_login(login).await?;
        let hash = hash_secret(pin)?;
        let row = sqlx::query(
            "insert into technician (login, name, pin_hash, created_at) values ($1, $2, $3, $4) returning technician_id",
        )
        .bind(login)
        .bind(name.trim())
        .bind(hash)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| StoreError::unique(e, || format!("login `{login}` is already taken")))?;
        Ok(Technician {
            technician_id: row.try_get("technician_id")?,
            login: login.into(),
            name: name.trim().into(),
            disabled: false,
        })
    }

    /// Adds a reviewer or admin with a password of at least 8 characters and English pages.
    pub async fn create_user(&self, login: &str, name: &str, password: &str, role: Role) -> Result<User> {
        self.create_user_in(login, name, password, role, Language::En).await
    }

    /// Adds a reviewer or admin whose pages are in `language`. The login must be free among users and
    /// technicians.
    pub async fn create_user_in(&self, login: &str, name: &str, password: &str, role: Role, language: Language) -> Result<User> {
        let login = check_login(login)?;
        if role == Role::Technician {
            return Err(StoreError::invalid("role", "technicians are created with a PIN, not as users"));
        }
        check_password(password)?;
        self.refuse_taken_login(login).await?;
        let hash = hash_secret(password)?;
        let row = sqlx::query(
            "insert into app_user (login, name, password_hash, role, language, created_at) \
             values ($1, $2, $3, $4, $5, $6) returning app_user_id",
        )
        .bind(login)
        .bind(name.trim())
        .bind(hash)
        .bind(role.as_str())
        .bind(language.as_str())
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| StoreError::unique(e, || format!("login `{login}` is already taken")))?;
        Ok(User {
            app_user_id: row.try_get("app_user_id")?,
            login: login.into(),
            name: name.trim().into(),
            role,
            language,
            disabled: false,
        })
    }

    /// A login already held by a user or a technician is a conflict: `login` resolves users first, so a
    /// technician with a user's login could never log in.
    async fn refuse_taken_login(&self, login: &str) -> Result<()> {
        if login_taken(&self.pool, login).await? {
            return Err(StoreError::Conflict(format!("login `{login}` is already taken")));
        }
        Ok(())
    }

    /// Checks a login and secret (a reviewer's or admin's password, or a technician's PIN) and, when they
    /// match, issues a new API token. Returns `None` for an unknown or disabled login or a wrong secret alike.
    pub async fn login(&self, login: &str, secret: &str) -> Result<Option<(String, Principal)>> {
        let user = sqlx::query("select app_user_id, password_hash, role from app_user where login = $1 and disabled_at is null")
            .bind(login)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(row) = user {
            let hash: String = row.try_get("password_hash")?;
            if !verify_blocking(secret, hash).await? {
                return Ok(None);
            }
            let principal = Principal {
                role: Role::parse(&row.try_get::<String, _>("role")?)?,
                technician_id: None,
                app_user_id: Some(row.try_get("app_user_id")?),
                login: login.into(),
            };
            return Ok(Some((self.issue_token(&principal, "login").await?, principal)));
        }
        let tech = sqlx::query("select technician_id, pin_hash from technician where login = $1 and disabled_at is null")
            .bind(login)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = tech else { return Ok(None) };
        let hash: String = row.try_get("pin_hash")?;
        if !verify_blocking(secret, hash).await? {
            return Ok(None);
        }
        let principal = Principal {
            role: Role::Technician,
            technician_id: Some(row.try_get("technician_id")?),
            app_user_id: None,
            login: login.into(),
        };
        Ok(Some((self.issue_token(&principal, "login").await?, principal)))
    }

    /// Issues a random token for `principal`; only its hash is stored, so this is the one time it is seen.
    pub async fn issue_token(&self, principal: &Principal, label: &str) -> Result<String> {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let token = format!("fv_{}", hex::encode(bytes));
        sqlx::query(
            "insert into api_token (token_hash, role, app_user_id, technician_id, label, created_at) \
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash(&token))
        .bind(principal.role.as_str())
        .bind(principal.app_user_id)
        .bind(principal.technician_id)
        .bind(label)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(token)
    }

    /// Resolves a bearer token to its principal; `None` when unknown or revoked, or its account disabled.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Principal>> {
        let row = sqlx::query(
            "select t.role, t.app_user_id, t.technician_id, coalesce(u.login, tech.login) as login \
             from api_token t \
             left join app_user u on u.app_user_id = t.app_user_id \
             left join technician tech on tech.technician_id = t.technician_id \
             where t.token_hash = $1 and t.revoked_at is null \
               and u.disabled_at is null and tech.disabled_at is null",
        )
        .bind(token_hash(token))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Principal {
            role: Role::parse(&row.try_get::<String, _>("role")?)?,
            app_user_id: row.try_get("app_user_id")?,
            technician_id: row.try_get("technician_id")?,
            login: row.try_get("login")?,
        }))
    }

    /// Revokes a token (logout).
    pub async fn revoke_token(&self, token: &str) -> Result<()> {
        sqlx::query("update api_token set revoked_at = $1 where token_hash = $2")
            .bind(now_ms())
            .bind(token_hash(token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// argon2 verification costs tens of milliseconds of CPU: keep it off the async threads.
pub(super) async fn verify_blocking(secret: &str, hash: String) -> Result<bool> {
    let secret = secret.to_string();
    tokio::task::spawn_blocking(move || verify_secret(&secret, &hash))
        .await
        .map_err(|e| StoreError::Hash(format!("verification task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_secret() {
        let h = hash_secret("4821").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_secret("4821", &h).unwrap());
        assert!(!verify_secret("4822", &h).unwrap());
    }

    #[test]
    fn corrupt_hash_is_an_error_not_a_panic() {
        assert!(matches!(verify_secret("x", "not a hash"), Err(StoreError::Corrupt { .. })));
    }

    #[test]
    fn logins_are_checked() {
        assert!(check_login("ana.k").is_ok());
        assert!(check_login("").is_err());
        assert!(check_login("a b").is_err());
    }
}
