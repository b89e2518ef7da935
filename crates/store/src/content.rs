//! [`ArticleRepository`] for [`crate::Store`], with full-text search: a generated `tsvector`
//! with a GIN index on PostgreSQL, an FTS5 table kept in step by triggers on SQLite. The search
//! is the one query written per backend; both match every word of the query.

use nestcms_domain::PortError;
use nestcms_domain::content::{Article, ArticleId, ArticleRepository, ArticleStatus};
use nestcms_domain::identity::{OrgId, UserId};
use uuid::Uuid;

use crate::error::port_err;
use crate::identity::unknown;
use crate::time::Ts;
use crate::{Pool, Store, read_pool, with_pool};

#[derive(sqlx::FromRow)]
struct ArticleRow {
    id: Uuid,
    org_id: Uuid,
    author_id: Uuid,
    slug: String,
    title: String,
    body: String,
    status: String,
    published_at: Option<Ts>,
    created_at: Ts,
}

impl TryFrom<ArticleRow> for Article {
    type Error = PortError;
    fn try_from(r: ArticleRow) -> Result<Self, PortError> {
        Ok(Article {
            id: ArticleId(r.id),
            org_id: OrgId(r.org_id),
            author_id: UserId(r.author_id),
            slug: r.slug,
            title: r.title,
            body: r.body,
            status: ArticleStatus::parse(&r.status)
                .ok_or_else(|| unknown("article status", &r.status))?,
            published_at: r.published_at.map(|t| t.0),
            created_at: r.created_at.0,
        })
    }
}

macro_rules! article_select {
    ($where:literal) => {
        concat!("SELECT a.id, a.org_id, a.author_id, a.slug, a.title, a.body, a.status, a.published_at, a.created_at FROM articles a WHERE ", $where)
    };
}

fn convert(rows: Vec<ArticleRow>) -> Result<Vec<Article>, PortError> {
    rows.into_iter().map(Article::try_from).collect()
}

/// The words of a query as an FTS5 expression: each word quoted (so no character of the user's
/// text is FTS5 syntax), all required.
fn fts5_query(q: &str) -> String {
    q.split_whitespace()
        .map(|w| format!("\"{}\"", w.replace('"', "")))
        .collect::<Vec<_>>()
        .join(" ")
}

#[async_trait::async_trait]
impl ArticleRepository for Store {
    async fn insert_article(&self, a: &Article) -> Result<(), PortError> {
        let sql = "INSERT INTO articles (id, org_id, author_id, slug, title, body, status, published_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(a.id.0)
            .bind(a.org_id.0)
            .bind(a.author_id.0)
            .bind(&a.slug)
            .bind(&a.title)
            .bind(&a.body)
            .bind(a.status.as_str())
            .bind(a.published_at.map(Ts))
            .bind(Ts(a.created_at))
            .execute(p)
            .await
            .map(|_| ()))
        .map_err(port_err)
    }

    async fn update_article(&self, a: &Article) -> Result<(), PortError> {
        let sql = "UPDATE articles SET title = $3, body = $4, status = $5, published_at = $6 WHERE org_id = $1 AND id = $2";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(a.org_id.0)
            .bind(a.id.0)
            .bind(&a.title)
            .bind(&a.body)
            .bind(a.status.as_str())
            .bind(a.published_at.map(Ts))
            .execute(p)
            .await
            .map(|_| ()))
        .map_err(port_err)
    }

    async fn article(&self, org: OrgId, id: ArticleId) -> Result<Option<Article>, PortError> {
        let sql = article_select!("a.org_id = $1 AND a.id = $2");
        let row = with_pool!(self.primary(), |p| sqlx::query_as::<_, ArticleRow>(sql)
            .bind(org.0)
            .bind(id.0)
            .fetch_optional(p)
            .await)
        .map_err(port_err)?;
        row.map(Article::try_from).transpose()
    }

    async fn published_article(&self, slug: &str) -> Result<Option<Article>, PortError> {
        let sql = article_select!("a.slug = $1 AND a.status = 'published'");
        let row = read_pool!(self, |p| sqlx::query_as::<_, ArticleRow>(sql)
            .bind(slug)
            .fetch_optional(p)
            .await)
        .await
        .map_err(port_err)?;
        row.map(Article::try_from).transpose()
    }

    async fn org_articles(
        &self,
        org: OrgId,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Article>, PortError> {
        let sql = article_select!(
            "a.org_id = $1 AND ($2 IS NULL OR a.id < $2) ORDER BY a.id DESC LIMIT $3"
        );
        let rows = with_pool!(self.primary(), |p| sqlx::query_as::<_, ArticleRow>(sql)
            .bind(org.0)
            .bind(before)
            .bind(i64::from(limit))
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        convert(rows)
    }

    async fn published_articles(
        &self,
        query: Option<&str>,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Article>, PortError> {
        let query = query.map(str::trim).filter(|q| !q.is_empty());
        let rows = self
            .read(|pool| async move {
                // One name for the three forms (list, PostgreSQL search, SQLite search).
                let _statement = crate::observe::Statement::start(crate::statement_name!());
                match (&pool, query) {
                    (pool, None) => {
                        let sql = article_select!("a.status = 'published' AND ($1 IS NULL OR a.id < $1) ORDER BY a.id DESC LIMIT $2");
                        crate::on_pool!(pool, |p| sqlx::query_as::<_, ArticleRow>(sql).bind(before).bind(i64::from(limit)).fetch_all(p).await)
                    }
                    (Pool::Postgres(p), Some(q)) => {
                        let sql = article_select!(
                            "a.status = 'published' AND a.search @@ plainto_tsquery('simple', $1) AND ($2 IS NULL OR a.id < $2) ORDER BY a.id DESC LIMIT $3"
                        );
                        sqlx::query_as::<_, ArticleRow>(sql).bind(q).bind(before).bind(i64::from(limit)).fetch_all(p).await
                    }
                    (Pool::Sqlite(p), Some(q)) => {
                        let sql = article_select!(
                            "a.status = 'published' AND a.rowid IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH $1) \
                             AND ($2 IS NULL OR a.id < $2) ORDER BY a.id DESC LIMIT $3"
                        );
                        sqlx::query_as::<_, ArticleRow>(sql).bind(fts5_query(q)).bind(before).bind(i64::from(limit)).fetch_all(p).await
                    }
                }
            })
            .await
        .map_err(port_err)?;
        convert(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::fts5_query;

    #[test]
    fn user_text_never_becomes_fts5_syntax() {
        assert_eq!(fts5_query("villa  roof"), "\"villa\" \"roof\"");
        assert_eq!(fts5_query("a\"b OR c*"), "\"ab\" \"OR\" \"c*\"");
    }
}
