//! Account administration, for admins only: list, create, change the password or PIN of, disable and
//! re-enable reviewers, admins (`/api/v1/users`) and technicians (`/api/v1/technicians`). Hashes never
//! appear in a response; validation errors name the field.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, ApiResult, AppState, Auth};
use crate::store::{Language, Role, Technician, User};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}", get(get_user))
        .route("/api/v1/users/{id}/password", put(set_password))
        .route("/api/v1/users/{id}/disable", post(disable_user))
        .route("/api/v1/users/{id}/enable", post(enable_user))
        .route("/api/v1/technicians", get(list_technicians).post(create_technician))
        .route("/api/v1/technicians/{id}", get(get_technician))
        .route("/api/v1/technicians/{id}/pin", put(set_pin))
        .route("/api/v1/technicians/{id}/disable", post(disable_technician))
        .route("/api/v1/technicians/{id}/enable", post(enable_technician))
}

/// `POST /api/v1/users`: a reviewer or admin with a password, or (kept for older clients) a technician
/// with a PIN.
#[derive(Deserialize)]
struct NewUser {
    login: String,
    #[serde(default)]
    name: String,
    role: Role,
    /// For reviewers and admins.
    password: Option<String>,
    /// For technicians.
    pin: Option<String>,
    /// `en` (default) or `zh`, for reviewers and admins.
    language: Option<String>,
}

async fn list_users(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require(Role::Admin)?;
    Ok(Json(json!({ "items": s.store.users().await? })))
}

async fn get_user(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<User>> {
    auth.require(Role::Admin)?;
    Ok(Json(s.store.user(id).await?))
}

async fn create_user(
    State(s): State<AppState>,
    auth: Auth,
    body: Result<Json<NewUser>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    auth.require(Role::Admin)?;
    let Json(u) = body?;
    let created = match (u.role, u.password, u.pin) {
        (Role::Technician, None, Some(pin)) => {
            let t = s.store.create_technician(&u.login, &u.name, &pin).await?;
            json!({ "technician_id": t.technician_id, "login": t.login, "name": t.name, "role": "technician", "disabled": false })
        }
        (Role::Reviewer | Role::Admin, Some(password), None) => {
            let language = Language::parse(u.language.as_deref().unwrap_or("en"))?;
            serde_json::to_value(s.store.create_user_in(&u.login, &u.name, &password, u.role, language).await?)
                .map_err(|e| ApiError::Internal(e.to_string()))?
        }
        (Role::Technician, _, _) => return Err(ApiError::BadRequest("pin: technicians need a `pin` and no `password`".into())),
        _ => return Err(ApiError::BadRequest("password: reviewers and admins need a `password` and no `pin`".into())),
    };
    Ok((StatusCode::CREATED, Json(created)))
}

#[derive(Deserialize)]
struct NewPassword {
    password: String,
}

async fn set_password(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Result<Json<NewPassword>, JsonRejection>,
) -> ApiResult<Json<User>> {
    auth.require(Role::Admin)?;
    let Json(b) = body?;
    Ok(Json(s.store.set_password(id, &b.password).await?))
}

async fn disable_user(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<User>> {
    auth.require(Role::Admin)?;
    // An admin locking themselves out could leave nobody able to undo it.
    if auth.0.app_user_id == Some(id) {
        return Err(ApiError::Conflict("you cannot disable your own account".into()));
    }
    Ok(Json(s.store.set_user_disabled(id, true).await?))
}

async fn enable_user(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<User>> {
    auth.require(Role::Admin)?;
    Ok(Json(s.store.set_user_disabled(id, false).await?))
}

/// `POST /api/v1/technicians`.
#[derive(Deserialize)]
struct NewTechnician {
    login: String,
    #[serde(default)]
    name: String,
    pin: String,
}

async fn list_technicians(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require(Role::Admin)?;
    Ok(Json(json!({ "items": s.store.technicians().await? })))
}

async fn get_technician(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<Technician>> {
    auth.require(Role::Admin)?;
    Ok(Json(s.store.technician(id).await?))
}

async fn create_technician(
    State(s): State<AppState>,
    auth: Auth,
    body: Result<Json<NewTechnician>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Technician>)> {
    auth.require(Role::Admin)?;
    let Json(t) = body?;
    Ok((StatusCode::CREATED, Json(s.store.create_technician(&t.login, &t.name, &t.pin).await?)))
}

#[derive(Deserialize)]
struct NewPin {
    pin: String,
}

async fn set_pin(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Result<Json<NewPin>, JsonRejection>,
) -> ApiResult<Json<Technician>> {
    auth.require(Role::Admin)?;
    let Json(b) = body?;
    Ok(Json(s.store.set_pin(id, &b.pin).await?))
}

async fn disable_technician(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<Technician>> {
    auth.require(Role::Admin)?;
    Ok(Json(s.store.set_technician_disabled(id, true).await?))
}

async fn enable_technician(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<Technician>> {
    auth.require(Role::Admin)?;
    Ok(Json(s.store.set_technician_disabled(id, false).await?))
}
