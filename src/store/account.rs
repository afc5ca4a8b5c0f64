//! Account administration for admins: listing reviewers, admins and technicians, changing a password or
//! PIN, and disabling (soft-deleting) or re-enabling an account. Secrets are checked and hashed here and
//! in `auth`; hashes never leave the store.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::auth::hash_secret;
use super::{Result, Role, Store, StoreError, Technician, User, now_ms};

/// The interface language of a reviewer's or admin's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    En,
    Zh,
}

impl Language {
    /// The lowercase code stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Zh => "zh",
        }
    }

    /// Parses a code, naming the `language` field when it is neither `en` nor `zh`.
    pub fn parse(s: &str) -> Result<Language> {
        match s {
            "en" => Ok(Language::En),
            "zh" => Ok(Language::Zh),
            other => Err(StoreError::invalid("language", format!("`{other}` is not en or zh"))),
        }
    }
}

/// Passwords: at least 8 characters.
pub(super) fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < 8 {
        return Err(StoreError::invalid("password", "at least 8 characters"));
    }
    Ok(())
}

/// PINs: 4 to 8 digits, so they can be keyed on a phone.
pub(super) fn check_pin(pin: &str) -> Result<()> {
    if !(4..=8).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StoreError::invalid("pin", "4 to 8 digits"));
    }
    Ok(())
}

/// True when a user or a technician already has `login`.
pub(super) async fn login_taken(pool: &AnyPool, login: &str) -> Result<bool> {
    let row = sqlx::query(
        "select (select count(*) from app_user where login = $1) + (select count(*) from technician where login = $1) as n",
    )
    .bind(login)
    .fetch_one(pool)
    .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

const USER_SELECT: &str =
    "select app_user_id, login, name, role, language, disabled_at from app_user";
const TECHNICIAN_SELECT: &str = "select technician_id, login, name, disabled_at from technician";

fn user_row(r: &AnyRow) -> Result<User> {
    Ok(User {
        app_user_id: r.try_get("app_user_id")?,
        login: r.try_get("login")?,
        name: r.try_get("name")?,
        role: Role::parse(&r.try_get::<String, _>("role")?)?,
        language: Language::parse(&r.try_get::<String, _>("language")?)?,
        disabled: r.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
    })
}

fn technician_row(r: &AnyRow) -> Result<Technician> {
    Ok(Technician {
        technician_id: r.try_get("technician_id")?,
        login: r.try_get("login")?,
        name: r.try_get("name")?,
        disabled: r.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
    })
}

impl Store {
    /// Every reviewer and admin, disabled ones included, by login.
    pub async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!("{USER_SELECT} order by login")).fetch_all(&self.pool).await?;
        rows.iter().map(user_row).collect()
    }

    /// A reviewer or admin by id.
    pub async fn user(&self, app_user_id: i64) -> Result<User> {
        let row = sqlx::query(&format!("{USER_SELECT} where app_user_id = $1"))
            .bind(app_user_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("user", app_user_id))?;
        user_row(&row)
    }

    /// Every technician, disabled ones included, by login.
    pub async fn technicians(&self) -> Result<Vec<Technician>> {
        let rows = sqlx::query(&format!("{TECHNICIAN_SELECT} order by login")).fetch_all(&self.pool).await?;
        rows.iter().map(technician_row).collect()
    }

    /// A technician by id.
    pub async fn technician(&self, technician_id: i64) -> Result<Technician> {
        let row = sqlx::query(&format!("{TECHNICIAN_SELECT} where technician_id = $1"))
            .bind(technician_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("technician", technician_id))?;
        technician_row(&row)
    }

    /// Replaces a reviewer's or admin's password (at least 8 characters). Existing tokens stay valid.
    pub async fn set_password(&self, app_user_id: i64, password: &str) -> Result<User> {
        check_password(password)?;
        let hash = hash_secret(password)?;
        self.set_secret("app_user", "password_hash", "app_user_id", app_user_id, hash).await?;
        self.user(app_user_id).await
    }

    /// Replaces a technician's PIN (4 to 8 digits). Existing tokens stay valid.
    pub async fn set_pin(&self, technician_id: i64, pin: &str) -> Result<Technician> {
        check_pin(pin)?;
        let hash = hash_secret(pin)?;
        self.set_secret("technician", "pin_hash", "technician_id", technician_id, hash).await?;
        self.technician(technician_id).await
    }

    /// Disables or re-enables a reviewer or admin. Disabling also revokes their tokens, so re-enabling
    /// does not bring old tokens back; they log in again.
    pub async fn set_user_disabled(&self, app_user_id: i64, disabled: bool) -> Result<User> {
        self.set_disabled("app_user", "app_user_id", app_user_id, disabled).await?;
        self.user(app_user_id).await
    }

    /// Disables or re-enables a technician, as [`Store::set_user_disabled`]. Their reports stay.
    pub async fn set_technician_disabled(&self, technician_id: i64, disabled: bool) -> Result<Technician> {
        self.set_disabled("technician", "technician_id", technician_id, disabled).await?;
        self.technician(technician_id).await
    }

    // `table`, `column` and `key` are compile-time names from this file, never client input.
    async fn set_secret(&self, table: &str, column: &str, key: &str, id: i64, hash: String) -> Result<()> {
        let done = sqlx::query(&format!("update {table} set {column} = $1 where {key} = $2"))
            .bind(hash)
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(if table == "technician" { "technician" } else { "user" }, id));
        }
        Ok(())
    }

    async fn set_disabled(&self, table: &str, key: &str, id: i64, disabled: bool) -> Result<()> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        // Keep the first disabling time when disabling twice.
        let done = sqlx::query(&format!(
            "update {table} set disabled_at = case when $1 then coalesce(disabled_at, $2) else null end where {key} = $3"
        ))
        .bind(disabled)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(if table == "technician" { "technician" } else { "user" }, id));
        }
        if disabled {
            sqlx::query(&format!("update api_token set revoked_at = $1 where {key} = $2 and revoked_at is null"))
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_languages_are_checked_naming_the_field() {
        assert!(check_password("eight ch").is_ok());
        assert!(check_password("seven c").unwrap_err().to_string().starts_with("password:"));
        for good in ["1234", "12345678"] {
            assert!(check_pin(good).is_ok(), "{good}");
        }
        for bad in ["123", "123456789", "12a4", ""] {
            assert!(check_pin(bad).unwrap_err().to_string().starts_with("pin:"), "{bad}");
        }
        assert_eq!(Language::parse("zh").unwrap(), Language::Zh);
        assert!(Language::parse("fr").unwrap_err().to_string().starts_with("language:"));
    }
}
