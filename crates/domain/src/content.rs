//! Public content: articles (news, guides) written by an organization's staff, readable by
//! anyone once published.

use chrono::{DateTime, Utc};

use crate::error::FieldError;
use crate::identity::{OrgId, UserId};
use crate::ports::PortError;

crate::define_id!(
    /// Identifies an article.
    ArticleId
);

/// Draft or published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArticleStatus {
    /// Visible to the organization's staff only.
    Draft,
    /// Visible to everyone.
    Published,
}

impl ArticleStatus {
    /// Stored text.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
        }
    }

    /// Parses stored text.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Draft, Self::Published]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// An article.
#[derive(Debug, Clone)]
pub struct Article {
    /// Id.
    pub id: ArticleId,
    /// Organization publishing it.
    pub org_id: OrgId,
    /// Author.
    pub author_id: UserId,
    /// URL name, unique across the installation.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Body (plain text or Markdown).
    pub body: String,
    /// Draft or published.
    pub status: ArticleStatus,
    /// When first published.
    pub published_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A URL-safe slug from a title (`"Villa Extension: Phase 2"` → `"villa-extension-phase-2"`),
/// or the given slug checked.
pub fn slug(from: &str, field: &str) -> Result<String, FieldError> {
    let mut out = String::new();
    for c in from.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out
        .trim_end_matches('-')
        .chars()
        .take(80)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned();
    if out.is_empty() {
        return Err(FieldError::new(
            field,
            "invalid_slug",
            "give a slug of letters, digits and dashes",
        ));
    }
    Ok(out)
}

/// Storage for articles.
#[async_trait::async_trait]
pub trait ArticleRepository: Send + Sync {
    /// Stores an article; [`PortError::Duplicate`] when the slug is taken.
    async fn insert_article(&self, a: &Article) -> Result<(), PortError>;
    /// Saves title, body, status and publication time.
    async fn update_article(&self, a: &Article) -> Result<(), PortError>;
    /// One article of an organization (any status).
    async fn article(&self, org: OrgId, id: ArticleId) -> Result<Option<Article>, PortError>;
    /// A published article by slug.
    async fn published_article(&self, slug: &str) -> Result<Option<Article>, PortError>;
    /// Articles of an organization, newest first.
    async fn org_articles(
        &self,
        org: OrgId,
        before: Option<uuid::Uuid>,
        limit: u32,
    ) -> Result<Vec<Article>, PortError>;
    /// Published articles, newest first, optionally matching every word of `query`.
    async fn published_articles(
        &self,
        query: Option<&str>,
        before: Option<uuid::Uuid>,
        limit: u32,
    ) -> Result<Vec<Article>, PortError>;
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn slugs_are_lower_case_words_joined_by_dashes() {
        assert_eq!(
            slug("Villa Extension: Phase 2", "/slug").ok(),
            Some("villa-extension-phase-2".into())
        );
        assert_eq!(
            slug("  --Hello,   World!-- ", "/slug").ok(),
            Some("hello-world".into())
        );
        assert!(slug("!!!", "/slug").is_err());
        assert!(
            slug("مرحبا", "/slug").is_err(),
            "non-ASCII titles need an explicit slug"
        );
    }
}
