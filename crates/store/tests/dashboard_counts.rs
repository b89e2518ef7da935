//! The dashboard's project counts, per status, come from the database's own count (they were
//! once counted from a list capped at 1,000 rows): for everyone in the organization, for a
//! client (their projects only), and for a member (projects they manage or work on).

use chrono::Utc;
use nestcms_domain::construction::ports::{AnalyticsRepository, ProjectRepository, Scope};
use nestcms_domain::construction::{ProjectStatus, Worker};
use nestcms_testkit::TestDatabase;

#[path = "support/projects.rs"]
mod projects;
#[path = "support/accounts.rs"]
mod support;

#[tokio::test]
async fn projects_are_counted_per_status_for_the_org_a_client_and_a_member() -> anyhow::Result<()> {
    let db = TestDatabase::create().await?;
    let store = support::migrated(&db).await?;
    let owner = support::user(&store, "owner@counts.example").await?;
    let engineer = support::user(&store, "engineer@counts.example").await?;
    let client = support::user(&store, "client@counts.example").await?;
    let org = support::org(&store, "Counts", owner).await?;
    let elsewhere = support::org(&store, "Elsewhere", owner).await?;
    use ProjectStatus::{Completed, Planned};
    // Owner manages three (one for the client); the engineer manages one and works on one.
    projects::project(&store, org, owner, None, Planned).await?;
    projects::project(&store, org, owner, Some(client), Planned).await?;
    let worked = projects::project(&store, org, owner, None, Completed).await?;
    projects::project(&store, org, engineer, Some(client), Completed).await?;
    // Another organization's project counts nowhere here.
    projects::project(&store, elsewhere, engineer, Some(client), Planned).await?;
    store
        .insert_worker(&Worker {
            project_id: worked,
            user_id: engineer,
            role: "site engineer".into(),
            added_at: Utc::now(),
        })
        .await?;

    let counts = |scope: Scope, member| {
        let store = &store;
        async move {
            let mut got: Vec<(String, i64)> = store
                .projects_of(scope, member)
                .await?
                .into_iter()
                .map(|c| (c.status, c.count))
                .collect();
            got.sort();
            anyhow::Ok(got)
        }
    };
    let all = Scope { org, client: None };
    let of_client = Scope {
        org,
        client: Some(client),
    };
    let pair = |s: &str, n| (s.to_owned(), n);
    assert_eq!(
        counts(all, None).await?,
        [pair("completed", 2), pair("planned", 2)]
    );
    assert_eq!(
        counts(of_client, None).await?,
        [pair("completed", 1), pair("planned", 1)]
    );
    assert_eq!(
        counts(all, Some(engineer)).await?,
        [pair("completed", 2)],
        "the one they manage and the one they work on"
    );
    assert_eq!(
        store.project_status_counts(org).await?.len(),
        2,
        "the organization-wide count is the same query"
    );
    store.close().await;
    Ok(())
}
