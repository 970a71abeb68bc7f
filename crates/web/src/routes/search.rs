use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::Json;
use redress_app::search::SearchQuery;
use serde_json::json;

use super::cases::{to_query, ListParams};
use crate::error::ApiResult;
use crate::extract::Auth;
use crate::AppState;

/// Full-text search with the list's filters; `org` takes the organisation and those below it.
pub async fn search(State(s): State<AppState>, Auth(p): Auth, Query(params): Query<ListParams>) -> ApiResult<impl IntoResponse> {
    let c = to_query(&params, s.app.now())?;
    let q = SearchQuery {
        text: c.text.unwrap_or_default(),
        statuses: c.statuses,
        unit: c.unit,
        channel: c.channel,
        category: c.category,
        orgs: c.visible_to,
        registered_from: c.registered_from,
        registered_to: c.registered_to,
        demo: c.demo,
        visible_to: None,
        limit: if params.limit_given() { c.limit } else { 20 },
        offset: c.offset,
    };
    let (limit, offset) = (q.limit, q.offset);
    let r = s.app.search(&p, q).await?;
    Ok(Json(json!({ "items": r.items, "total": r.total, "limit": limit, "offset": offset })))
}
