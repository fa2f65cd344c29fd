//! `/api/v1/items`: translate HTTP to domain calls and back.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::extract::{Json, Path, Query};
use super::{ApiError, AppState, Envelope};
use crate::domain::{Item, ItemInput, PageParams, Pagination};

/// `meta` of a list response.
#[derive(Debug, Serialize)]
pub(super) struct ListMeta {
    page: u32,
    per_page: u32,
    total: u64,
}

pub(super) async fn list(
    State(state): State<AppState>,
    Query(params): Query<PageParams>,
) -> Result<axum::Json<Envelope<Vec<Item>, ListMeta>>, ApiError> {
    let page = state.items.list(Pagination::try_from(params)?).await?;
    Ok(axum::Json(Envelope {
        data: page.items,
        meta: Some(ListMeta {
            page: page.pagination.page,
            per_page: page.pagination.per_page,
            total: page.total,
        }),
    }))
}

pub(super) async fn create(
    State(state): State<AppState>,
    Json(input): Json<ItemInput>,
) -> Result<Response, ApiError> {
    let item = state.items.create(input).await?;
    let location = format!("/api/v1/items/{}", item.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(Envelope::<_>::data(item)),
    )
        .into_response())
}

pub(super) async fn get(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<axum::Json<Envelope<Item>>, ApiError> {
    Ok(axum::Json(Envelope::data(state.items.get(id).await?)))
}

pub(super) async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(input): Json<ItemInput>,
) -> Result<axum::Json<Envelope<Item>>, ApiError> {
    Ok(axum::Json(Envelope::data(
        state.items.update(id, input).await?,
    )))
}

pub(super) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.items.delete(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
