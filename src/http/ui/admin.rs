//! Admin pages: reviewers, admins and technicians listed, created, disabled and re-enabled through the
//! same store calls as the admin API. Reviewers get 403.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::{Chrome, Page, PageError, render};
use crate::http::AppState;
use crate::store::{Language, Role, Technician, User};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/ui/admin", get(admin_page))
        .route("/ui/admin/users", post(create_user))
        .route("/ui/admin/technicians", post(create_technician))
        .route("/ui/admin/{kind}/{id}/{action}", post(toggle))
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    chrome: Chrome,
    users: Vec<User>,
    technicians: Vec<Technician>,
}

async fn admin_page(State(state): State<AppState>, page: Page) -> Result<Response, PageError> {
    page.require(Role::Admin)?;
    render(&AdminPage { chrome: Chrome::new(&page, "admin"), users: state.store.users().await?, technicians: state.store.technicians().await? })
}

#[derive(Deserialize)]
struct NewUserForm {
    csrf: String,
    login: String,
    name: String,
    password: String,
    role: String,
    language: String,
}

async fn create_user(State(state): State<AppState>, page: Page, Form(f): Form<NewUserForm>) -> Result<Response, PageError> {
    page.require(Role::Admin)?;
    page.check_csrf(&f.csrf)?;
    let role = match f.role.as_str() {
        "reviewer" => Role::Reviewer,
        "admin" => Role::Admin,
        other => return Err(crate::http::ApiError::BadRequest(format!("role: `{other}` is not reviewer or admin")).into()),
    };
    state.store.create_user_in(&f.login, &f.name, &f.password, role, Language::parse(&f.language)?).await?;
    Ok(Redirect::to("/ui/admin").into_response())
}

#[derive(Deserialize)]
struct NewTechnicianForm {
    csrf: String,
    login: String,
    name: String,
    pin: String,
}

async fn create_technician(State(state): State<AppState>, page: Page, Form(f): Form<NewTechnicianForm>) -> Result<Response, PageError> {
    page.require(Role::Admin)?;
    page.check_csrf(&f.csrf)?;
    state.store.create_technician(&f.login, &f.name, &f.pin).await?;
    Ok(Redirect::to("/ui/admin").into_response())
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn toggle(
    State(state): State<AppState>,
    page: Page,
    Path((kind, id, action)): Path<(String, i64, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    page.require(Role::Admin)?;
    page.check_csrf(&f.csrf)?;
    let disabled = match action.as_str() {
        "disable" => true,
        "enable" => false,
        other => return Err(crate::http::ApiError::NotFound(format!("no admin action `{other}`")).into()),
    };
    match kind.as_str() {
        "users" => {
            if disabled && page.session.principal.app_user_id == Some(id) {
                return Err(crate::http::ApiError::Conflict("you cannot disable your own account".into()).into());
            }
            state.store.set_user_disabled(id, disabled).await?;
        }
        "technicians" => {
            state.store.set_technician_disabled(id, disabled).await?;
        }
        other => return Err(crate::http::ApiError::NotFound(format!("no admin list `{other}`")).into()),
    }
    Ok(Redirect::to("/ui/admin").into_response())
}
