//! Customers and assets: read by every role, written by admins, and imported from CSV.

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiResult, AppState, Auth};
use crate::store::{Asset, AssetInput, Customer, CustomerInput, ImportSummary, Role};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/customers", get(list_customers).post(create_customer))
        .route("/api/v1/customers/import", post(import_customers))
        .route("/api/v1/customers/{id}", get(get_customer).put(update_customer).delete(delete_customer))
        .route("/api/v1/assets", get(list_assets).post(create_asset))
        .route("/api/v1/assets/import", post(import_assets))
        .route("/api/v1/assets/{id}", get(get_asset).put(update_asset).delete(delete_asset))
}

/// `?q=` narrows a list to names (or tags) containing it, case ignored, at most 20: type-ahead.
#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

fn matches(q: &Option<String>, texts: &[&str]) -> bool {
    match q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        None => true,
        Some(q) => {
            let q = q.to_lowercase();
            texts.iter().any(|t| t.to_lowercase().contains(&q))
        }
    }
}

async fn list_customers(
    State(s): State<AppState>,
    _: Auth,
    q: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = q?;
    let limit = if q.q.is_some() { 20 } else { usize::MAX };
    let items: Vec<Customer> = s.store.customers().await?.into_iter().filter(|c| matches(&q.q, &[&c.name])).take(limit).collect();
    Ok(Json(json!({ "items": items })))
}

async fn get_customer(State(s): State<AppState>, _: Auth, Path(id): Path<i64>) -> ApiResult<Json<Customer>> {
    Ok(Json(s.store.customer(id).await?))
}

async fn create_customer(
    State(s): State<AppState>,
    auth: Auth,
    body: Result<Json<CustomerInput>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Customer>)> {
    auth.require(Role::Admin)?;
    let Json(input) = body?;
    Ok((StatusCode::CREATED, Json(s.store.create_customer(&input).await?)))
}

async fn update_customer(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Result<Json<CustomerInput>, JsonRejection>,
) -> ApiResult<Json<Customer>> {
    auth.require(Role::Admin)?;
    let Json(input) = body?;
    Ok(Json(s.store.update_customer(id, &input).await?))
}

async fn delete_customer(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    auth.require(Role::Admin)?;
    s.store.delete_customer(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct AssetQuery {
    customer_id: Option<i64>,
    q: Option<String>,
}

async fn list_assets(
    State(s): State<AppState>,
    _: Auth,
    q: Result<Query<AssetQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = q?;
    let limit = if q.q.is_some() { 20 } else { usize::MAX };
    let items: Vec<Asset> =
        s.store.assets(q.customer_id).await?.into_iter().filter(|a| matches(&q.q, &[&a.tag, &a.description])).take(limit).collect();
    Ok(Json(json!({ "items": items })))
}

async fn get_asset(State(s): State<AppState>, _: Auth, Path(id): Path<i64>) -> ApiResult<Json<Asset>> {
    Ok(Json(s.store.asset(id).await?))
}

async fn create_asset(
    State(s): State<AppState>,
    auth: Auth,
    body: Result<Json<AssetInput>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Asset>)> {
    auth.require(Role::Admin)?;
    let Json(input) = body?;
    Ok((StatusCode::CREATED, Json(s.store.create_asset(&input).await?)))
}

async fn update_asset(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Result<Json<AssetInput>, JsonRejection>,
) -> ApiResult<Json<Asset>> {
    auth.require(Role::Admin)?;
    let Json(input) = body?;
    Ok(Json(s.store.update_asset(id, &input).await?))
}

async fn delete_asset(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    auth.require(Role::Admin)?;
    s.store.delete_asset(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/customers/import` with a CSV body (`name,contact`).
async fn import_customers(State(s): State<AppState>, auth: Auth, body: Bytes) -> ApiResult<Json<ImportSummary>> {
    auth.require(Role::Admin)?;
    Ok(Json(s.store.import_customers("request body", body.as_ref()).await?))
}

/// `POST /api/v1/assets/import` with a CSV body (`tag,customer,description`).
async fn import_assets(State(s): State<AppState>, auth: Auth, body: Bytes) -> ApiResult<Json<ImportSummary>> {
    auth.require(Role::Admin)?;
    Ok(Json(s.store.import_assets("request body", body.as_ref()).await?))
}
