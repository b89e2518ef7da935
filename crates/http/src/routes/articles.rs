//! Articles: `/api/v1/articles` (public, published only, searchable) and
//! `/api/v1/orgs/{org_id}/articles` (writing and publishing).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use nestcms_app::content::{self, ArticleInput};
use nestcms_domain::content::{Article, ArticleId, ArticleStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::common::List;
use crate::auth_extract::InOrg;
use crate::cached::{cached, invalidate};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::orgs::OrgPath;
use crate::state::AppState;

/// Cache namespace of the public article answers.
const ARTICLES: &str = "articles";

/// Path of one article of an organization.
#[derive(Deserialize)]
pub struct ArticlePath {
    article_id: uuid::Uuid,
}

/// Path of a public article.
#[derive(Deserialize)]
pub struct SlugPath {
    #[serde(deserialize_with = "crate::limits::max::<200, _>")]
    slug: String,
}

/// Fields of an article.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleRequest {
    title: Option<String>,
    body: Option<String>,
    /// On creation only; defaults to one made from the title.
    #[serde(default, deserialize_with = "crate::limits::opt_max::<200, _>")]
    slug: Option<String>,
    /// `draft` (default) or `published`.
    #[schema(value_type = Option<String>, example = "published")]
    status: Option<ArticleStatus>,
}

impl From<ArticleRequest> for ArticleInput {
    fn from(r: ArticleRequest) -> Self {
        ArticleInput {
            title: r.title,
            body: r.body,
            slug: r.slug,
            status: r.status,
        }
    }
}

/// Search and paging.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleQuery {
    /// Words that must all appear in the title or body.
    #[serde(default, deserialize_with = "crate::limits::opt_max::<200, _>")]
    q: Option<String>,
    /// 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The last id of the previous page.
    starting_after: Option<uuid::Uuid>,
}

/// An article.
#[derive(Serialize, ToSchema)]
pub struct ArticleResponse {
    id: uuid::Uuid,
    org_id: uuid::Uuid,
    author_id: uuid::Uuid,
    slug: String,
    title: String,
    body: String,
    status: String,
    published_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<&Article> for ArticleResponse {
    fn from(a: &Article) -> Self {
        Self {
            id: a.id.0,
            org_id: a.org_id.0,
            author_id: a.author_id.0,
            slug: a.slug.clone(),
            title: a.title.clone(),
            body: a.body.clone(),
            status: a.status.as_str().to_owned(),
            published_at: a.published_at,
            created_at: a.created_at,
        }
    }
}

/// Published articles, newest first; `q` searches title and body (no login needed).
#[utoipa::path(get, path = "/api/v1/articles", tag = "articles", params(ArticleQuery), responses(
    (status = 200, description = "Articles", body = List<ArticleResponse>),
    (status = 400, description = "Query too long", body = Problem, content_type = "application/problem+json"),
))]
pub async fn public_articles(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ArticleQuery>,
) -> Result<Response, ApiError> {
    let key = format!(
        "list:{}:{}:{}",
        q.q.as_deref().unwrap_or_default(),
        q.starting_after.map(|a| a.to_string()).unwrap_or_default(),
        q.limit.unwrap_or(50)
    );
    cached(&state, ARTICLES, &key, async {
        let found = content::search(
            &state.articles,
            q.q.as_deref(),
            q.starting_after,
            q.limit.unwrap_or(50),
        )
        .await?;
        Ok(List::<ArticleResponse>::from_paged(found))
    })
    .await
}

/// One published article (no login needed).
#[utoipa::path(get, path = "/api/v1/articles/{slug}", tag = "articles", params(("slug" = String, Path)), responses(
    (status = 200, description = "The article", body = ArticleResponse),
    (status = 404, description = "No published article with that slug", body = Problem, content_type = "application/problem+json"),
))]
pub async fn public_article(
    State(state): State<AppState>,
    ApiPath(p): ApiPath<SlugPath>,
) -> Result<Response, ApiError> {
    cached(&state, ARTICLES, &format!("slug:{}", p.slug), async {
        Ok(ArticleResponse::from(
            &content::by_slug(&state.articles, &p.slug).await?,
        ))
    })
    .await
}

/// Writes an article (owners, admins, managers).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/articles", tag = "articles", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), request_body = ArticleRequest, responses(
    (status = 201, description = "Created", body = ArticleResponse),
    (status = 400, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Slug taken", body = Problem, content_type = "application/problem+json"),
))]
pub async fn create_article(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
    ApiJson(b): ApiJson<ArticleRequest>,
) -> Result<(StatusCode, Json<ArticleResponse>), ApiError> {
    let a = content::create(&state.articles, &c, b.into()).await?;
    invalidate(&state, ARTICLES).await;
    Ok((StatusCode::CREATED, Json(ArticleResponse::from(&a))))
}

/// The organization's articles, drafts included (staff).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/articles", tag = "articles", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ArticleQuery), responses(
    (status = 200, description = "Articles", body = List<ArticleResponse>),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
))]
pub async fn org_articles(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
    ApiQuery(q): ApiQuery<ArticleQuery>,
) -> Result<Json<List<ArticleResponse>>, ApiError> {
    Ok(Json(List::from_paged(
        content::list_own(&state.articles, &c, q.starting_after, q.limit.unwrap_or(50)).await?,
    )))
}

/// Edits or publishes an article.
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/articles/{article_id}", tag = "articles", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("article_id" = uuid::Uuid, Path)), request_body = ArticleRequest, responses(
    (status = 200, description = "Updated", body = ArticleResponse),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn update_article(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<ArticlePath>,
    ApiJson(b): ApiJson<ArticleRequest>,
) -> Result<Json<ArticleResponse>, ApiError> {
    let a = content::update(&state.articles, &c, ArticleId(p.article_id), b.into()).await?;
    invalidate(&state, ARTICLES).await;
    Ok(Json(ArticleResponse::from(&a)))
}
