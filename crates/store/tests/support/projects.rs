//! Projects for storage tests.

use chrono::{NaiveDate, Utc};
use nestcms_domain::construction::ports::ProjectRepository;
use nestcms_domain::construction::{Project, ProjectId, ProjectStatus};
use nestcms_domain::identity::{OrgId, UserId};
use nestcms_store::Store;

/// Stores a project of `org` managed by `manager`, for `client` if any, in `status`.
pub async fn project(
    store: &Store,
    org: OrgId,
    manager: UserId,
    client: Option<UserId>,
    status: ProjectStatus,
) -> anyhow::Result<ProjectId> {
    let project = Project {
        id: ProjectId::new(),
        org_id: org,
        contract_id: None,
        client_id: client,
        manager_id: manager,
        title: "Tower".into(),
        description: String::new(),
        start_date: NaiveDate::from_ymd_opt(2027, 1, 1).ok_or_else(|| anyhow::anyhow!("date"))?,
        end_date: None,
        status,
        created_at: Utc::now(),
    };
    store.insert_project(&project).await?;
    Ok(project.id)
}
