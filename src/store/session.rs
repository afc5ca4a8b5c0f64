//! Review-page sessions of reviewers and admins: a random cookie token (only its SHA-256 is stored), a
//! per-session CSRF token, an expiry and revocation at logout. Technicians have no sessions.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sqlx::Row;

use super::account::Language;
use super::auth::{token_hash, verify_blocking};
use super::{Principal, Result, Role, Store, StoreError, now_ms};

/// How long a session lasts after login.
pub const SESSION_HOURS: i64 = 12;

/// A live session: who it belongs to and the token its forms must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub principal: Principal,
    pub name: String,
    pub language: Language,
    pub csrf: String,
    pub expires_at: i64,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl Store {
    /// Checks a reviewer's or admin's password and opens a session lasting `hours`; returns the cookie
    /// token (seen only this once) and the session. `None` for an unknown, disabled or technician login or
    /// a wrong password alike.
    pub async fn open_session(&self, login: &str, password: &str, hours: i64) -> Result<Option<(String, Session)>> {
        let row = sqlx::query(
            "select app_user_id, password_hash from app_user where login = $1 and disabled_at is null",
        )
        .bind(login)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let hash: String = row.try_get("password_hash")?;
        if !verify_blocking(password, hash).await? {
            return Ok(None);
        }
        let app_user_id: i64 = row.try_get("app_user_id")?;
        // Sessions that ended more than a day ago are of no further use.
        sqlx::query("delete from web_session where expires_at < $1 or revoked_at < $1")
            .bind(now_ms() - 86_400_000)
            .execute(&self.pool)
            .await?;
        let token = format!("fvs_{}", random_hex());
        let now = now_ms();
        sqlx::query(
            "insert into web_session (token_hash, app_user_id, csrf_token, created_at, expires_at) \
             values ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash(&token))
        .bind(app_user_id)
        .bind(random_hex())
        .bind(now)
        .bind(now + hours * 3_600_000)
        .execute(&self.pool)
        .await?;
        let session = self.session(&token).await?.ok_or_else(|| StoreError::corrupt("web session", "missing right after insert"))?;
        Ok(Some((token, session)))
    }

    /// The live session for a cookie token: `None` when unknown, expired, revoked or its user disabled.
    pub async fn session(&self, token: &str) -> Result<Option<Session>> {
        let row = sqlx::query(
            "select s.app_user_id, s.csrf_token, s.expires_at, u.login, u.name, u.role, u.language \
             from web_session s join app_user u on u.app_user_id = s.app_user_id \
             where s.token_hash = $1 and s.revoked_at is null and s.expires_at > $2 and u.disabled_at is null",
        )
        .bind(token_hash(token))
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Session {
            principal: Principal {
                role: Role::parse(&row.try_get::<String, _>("role")?)?,
                technician_id: None,
                app_user_id: Some(row.try_get("app_user_id")?),
                login: row.try_get("login")?,
            },
            name: row.try_get("name")?,
            language: Language::parse(&row.try_get::<String, _>("language")?)?,
            csrf: row.try_get("csrf_token")?,
            expires_at: row.try_get("expires_at")?,
        }))
    }

    /// Ends a session (logout); unknown tokens are ignored.
    pub async fn revoke_session(&self, token: &str) -> Result<()> {
        sqlx::query("update web_session set revoked_at = $1 where token_hash = $2 and revoked_at is null")
            .bind(now_ms())
            .bind(token_hash(token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Moves a session's expiry (tests use it to age a session).
    pub async fn set_session_expiry(&self, token: &str, expires_at: i64) -> Result<()> {
        sqlx::query("update web_session set expires_at = $1 where token_hash = $2")
            .bind(expires_at)
            .bind(token_hash(token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Saves a reviewer's or admin's interface language.
    pub async fn set_language(&self, app_user_id: i64, language: Language) -> Result<()> {
        let done = sqlx::query("update app_user set language = $1 where app_user_id = $2")
            .bind(language.as_str())
            .bind(app_user_id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("user", app_user_id));
        }
        Ok(())
    }
}
