//! The dashboard's project counts come from the database's own count, however many projects an
//! organization has (they were once counted from a list capped at 1,000 rows).

use chrono::{NaiveDate, Utc};
use nestcms_domain::construction::ports::{AnalyticsRepository, ProjectRepository, Scope};
use nestcms_domain::construction::{Project, ProjectId, ProjectStatus};
use nestcms_testkit::TestDatabase;

#[path = "support/accounts.rs"]
mod support;

#[tokio::test]
async fn more_than_a_thousand_projects_are_all_counted() -> anyhow::Result<()> {
    let db = TestDatabase::create().await?;
    let store = support::migrated(&db).await?;
    let owner = support::user(&store, "owner@counts.example").await?;
    let org = support::org(&store, "Counts", owner).await?;
    let now = Utc::now();
    let start = NaiveDate::from_ymd_opt(2027, 1, 1).ok_or_else(|| anyhow::anyhow!("date"))?;
    for i in 0..1_005 {
        let status = if i < 1_002 {
            ProjectStatus::Planned
        } else {
            ProjectStatus::Completed
        };
        let project = Project {
            id: ProjectId::new(),
            org_id: org,
            contract_id: None,
            client_id: None,
            manager_id: owner,
            title: format!("Villa {i}"),
            description: String::new(),
            start_date: start,
            end_date: None,
            status,
            created_at: now,
        };
        store.insert_project(&project).await?;
    }
    let scope = Scope { org, client: None };
    let mut counts: Vec<(String, i64)> = store
        .projects_of(scope, Some(owner))
        .await?
        .into_iter()
        .map(|c| (c.status, c.count))
        .collect();
    counts.sort();
    assert_eq!(
        counts,
        vec![("completed".to_owned(), 3), ("planned".to_owned(), 1_002)]
    );
    store.close().await;
    Ok(())
}
