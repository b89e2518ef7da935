//! Articles: written by an organization's staff, public once published, searchable.

use std::sync::Arc;

use chrono::Utc;
use nestcms_domain::content::{Article, ArticleId, ArticleRepository, ArticleStatus, slug};
use nestcms_domain::identity::policy::Action;
use nestcms_domain::{DomainError, PortError};

use crate::construction::{Caller, Paged, text};
use crate::{conflict_if_duplicate, port};

/// Article storage.
pub type Articles = Arc<dyn ArticleRepository>;

/// Fields of an article a request may set.
#[derive(Default)]
pub struct ArticleInput {
    /// Title.
    pub title: Option<String>,
    /// Body.
    pub body: Option<String>,
    /// URL name (defaults to one made from the title; fixed once created).
    pub slug: Option<String>,
    /// Draft or published.
    pub status: Option<ArticleStatus>,
}

/// Writes an article (owners, admins, managers).
#[tracing::instrument(name = "content.create", skip_all)]
pub async fn create(
    articles: &Articles,
    c: &Caller,
    input: ArticleInput,
) -> Result<Article, DomainError> {
    c.require(Action::PublishArticles)?;
    let title = text(input.title.as_deref().unwrap_or_default(), "/title", 300)?;
    let slug = slug(input.slug.as_deref().unwrap_or(&title), "/slug")
        .map_err(|e| DomainError::Validation(vec![e]))?;
    let status = input.status.unwrap_or(ArticleStatus::Draft);
    let now = Utc::now();
    let a = Article {
        id: ArticleId::new(),
        org_id: c.org(),
        author_id: c.user(),
        slug,
        title,
        body: text(input.body.as_deref().unwrap_or_default(), "/body", 200_000)?,
        status,
        published_at: (status == ArticleStatus::Published).then_some(now),
        created_at: now,
    };
    let taken = format!("the slug {:?} is taken; choose another", a.slug);
    articles
        .insert_article(&a)
        .await
        .map_err(conflict_if_duplicate("slug_taken", taken))?;
    Ok(a)
}

/// Edits or publishes an article.
#[tracing::instrument(name = "content.update", skip_all)]
pub async fn update(
    articles: &Articles,
    c: &Caller,
    id: ArticleId,
    input: ArticleInput,
) -> Result<Article, DomainError> {
    c.require(Action::PublishArticles)?;
    let mut a = articles
        .article(c.org(), id)
        .await
        .map_err(port)?
        .ok_or(DomainError::NotFound("article"))?;
    if input.slug.is_some() {
        return Err(DomainError::invalid(
            "/slug",
            "immutable",
            "a slug cannot change once created (links would break)",
        ));
    }
    if let Some(t) = input.title {
        a.title = text(&t, "/title", 300)?;
    }
    if let Some(b) = input.body {
        a.body = text(&b, "/body", 200_000)?;
    }
    if let Some(s) = input.status {
        if s == ArticleStatus::Published && a.published_at.is_none() {
            a.published_at = Some(Utc::now());
        }
        a.status = s;
    }
    articles.update_article(&a).await.map_err(port)?;
    Ok(a)
}

/// The organization's articles, drafts included (staff).
#[tracing::instrument(name = "content.list_own", skip_all)]
pub async fn list_own(
    articles: &Articles,
    c: &Caller,
    before: Option<uuid::Uuid>,
    limit: u32,
) -> Result<Paged<Article>, DomainError> {
    c.require(Action::ViewAllRecords)?;
    page(limit, |l| articles.org_articles(c.org(), before, l)).await
}

/// Published articles, newest first, optionally matching every word of `query` (public).
#[tracing::instrument(name = "content.search", skip_all)]
pub async fn search(
    articles: &Articles,
    query: Option<&str>,
    before: Option<uuid::Uuid>,
    limit: u32,
) -> Result<Paged<Article>, DomainError> {
    if query.is_some_and(|q| q.chars().count() > 200) {
        return Err(DomainError::invalid(
            "?q",
            "too_long",
            "at most 200 characters",
        ));
    }
    page(limit, |l| articles.published_articles(query, before, l)).await
}

/// One published article by slug (public).
#[tracing::instrument(name = "content.by_slug", skip_all)]
pub async fn by_slug(articles: &Articles, slug: &str) -> Result<Article, DomainError> {
    articles
        .published_article(slug)
        .await
        .map_err(port)?
        .ok_or(DomainError::NotFound("article"))
}

async fn page<F, Fut>(limit: u32, fetch: F) -> Result<Paged<Article>, DomainError>
where
    F: FnOnce(u32) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<Article>, PortError>>,
{
    let limit = limit.clamp(1, 100);
    let mut items = fetch(limit + 1).await.map_err(port)?;
    let has_more = items.len() > limit as usize;
    items.truncate(limit as usize);
    Ok(Paged { items, has_more })
}
