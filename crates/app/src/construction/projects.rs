//! Projects with their steps, designs, workers and notes.

use chrono::{NaiveDate, Utc};
use nestcms_domain::construction::ports::Page;
use nestcms_domain::construction::{
    ContractId, ContractStatus, Design, DesignId, DesignVersion, Note, NoteId, NoteTarget, Project,
    ProjectId, ProjectStatus, Step, StepId, StepStatus, Worker,
};
use nestcms_domain::identity::UserId;
use nestcms_domain::identity::policy::Action;
use nestcms_domain::{DomainError, PortError};

use nestcms_domain::construction::upload::{check_upload, safe_file_name};

use super::{Caller, Data, Files, Paged, STAFF, member_with, page_slice, paged, text};
use crate::{Store, conflict_if_duplicate, port};

/// A new project.
pub struct NewProject {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// The contract it delivers (approved or active).
    pub contract_id: Option<ContractId>,
    /// The member managing it.
    pub manager_id: UserId,
    /// Planned start.
    pub start_date: NaiveDate,
    /// Planned end.
    pub end_date: Option<NaiveDate>,
}

/// Creates a project.
#[tracing::instrument(name = "projects.create", skip_all)]
pub async fn create(
    store: &Store,
    data: &Data,
    c: &Caller,
    n: NewProject,
) -> Result<Project, DomainError> {
    c.require(Action::ManageProjects)?;
    member_with(
        store,
        c.org(),
        n.manager_id,
        STAFF,
        "/manager_id",
        "staff (not a client)",
    )
    .await?;
    if n.end_date.is_some_and(|e| e < n.start_date) {
        return Err(DomainError::invalid(
            "/end_date",
            "before_start",
            "the end date is before the start date",
        ));
    }
    let client_id = match n.contract_id {
        Some(id) => {
            let k = data
                .contract(c.org(), id)
                .await
                .map_err(port)?
                .ok_or_else(|| {
                    DomainError::invalid("/contract_id", "not_found", "no such contract")
                })?;
            if !matches!(
                k.status,
                ContractStatus::ApprovedByClient | ContractStatus::Active
            ) {
                return Err(DomainError::Conflict {
                    code: "contract_not_approved",
                    message: "a project needs an approved or active contract".into(),
                });
            }
            Some(k.client_id)
        }
        None => None,
    };
    let project = Project {
        id: ProjectId::new(),
        org_id: c.org(),
        contract_id: n.contract_id,
        client_id,
        manager_id: n.manager_id,
        title: text(&n.title, "/title", 200)?,
        description: n.description,
        start_date: n.start_date,
        end_date: n.end_date,
        status: ProjectStatus::Planned,
        created_at: Utc::now(),
    };
    data.insert_project(&project).await.map_err(port)?;
    Ok(project)
}

/// One project the caller may see.
#[tracing::instrument(name = "projects.get", skip_all)]
pub async fn get(data: &Data, c: &Caller, id: ProjectId) -> Result<Project, DomainError> {
    match data.project(c.org(), id).await.map_err(port)? {
        Some(p) if c.sees(p.client_id) => Ok(p),
        _ => Err(DomainError::NotFound("project")),
    }
}

/// Projects the caller may see; `mine` narrows to those they manage or work on.
#[tracing::instrument(name = "projects.list", skip_all)]
pub async fn list(
    data: &Data,
    c: &Caller,
    mine: bool,
    status: Option<ProjectStatus>,
    page: Page,
) -> Result<Paged<Project>, DomainError> {
    let member = mine.then_some(c.user());
    paged(page, |p| data.projects(c.scope(), member, status, p)).await
}

/// Moves a project through its lifecycle.
#[tracing::instrument(name = "projects.set_status", skip_all)]
pub async fn set_status(
    data: &Data,
    c: &Caller,
    id: ProjectId,
    to: ProjectStatus,
) -> Result<Project, DomainError> {
    c.require(Action::ManageProjects)?;
    let p = get(data, c, id).await?;
    let to = p.status.move_to(to)?;
    if !data
        .move_project(c.org(), id, p.status, to)
        .await
        .map_err(port)?
    {
        return Err(DomainError::Conflict {
            code: "changed_meanwhile",
            message: "the project changed meanwhile; reload it".into(),
        });
    }
    Ok(Project { status: to, ..p })
}

/// Managers and the project's own people may work on its steps and designs.
async fn require_on_project(data: &Data, c: &Caller, p: &Project) -> Result<(), DomainError> {
    if c.require(Action::ManageProjects).is_ok()
        || data.is_on_project(p.id, c.user()).await.map_err(port)?
    {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "only the project's manager, its workers and managers of the organization can do this"
                .into(),
        ))
    }
}

/// Appends a step.
#[tracing::instrument(name = "projects.add_step", skip_all)]
pub async fn add_step(
    data: &Data,
    c: &Caller,
    id: ProjectId,
    title: &str,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
) -> Result<Step, DomainError> {
    let p = get(data, c, id).await?;
    require_on_project(data, c, &p).await?;
    let title = text(title, "/title", 200)?;
    data.append_step(p.id, StepId::new(), &title, start, end)
        .await
        .map_err(conflict_if_duplicate(
            "changed_meanwhile",
            "another step was added at the same time; retry",
        ))
}

/// Steps in order.
#[tracing::instrument(name = "projects.steps", skip_all)]
pub async fn steps(
    data: &Data,
    c: &Caller,
    id: ProjectId,
    page: Page,
) -> Result<Paged<Step>, DomainError> {
    let p = get(data, c, id).await?;
    let all = data.steps(p.id).await.map_err(port)?;
    page_slice(all, page, page.cursor.map(StepId), |s| s.id)
}

/// Moves a step (e.g. to completed).
#[tracing::instrument(name = "projects.set_step_status", skip_all)]
pub async fn set_step_status(
    data: &Data,
    c: &Caller,
    id: ProjectId,
    step: StepId,
    to: StepStatus,
) -> Result<Step, DomainError> {
    let p = get(data, c, id).await?;
    require_on_project(data, c, &p).await?;
    let current = data
        .steps(p.id)
        .await
        .map_err(port)?
        .into_iter()
        .find(|s| s.id == step)
        .ok_or(DomainError::NotFound("step"))?;
    if current.status == to {
        return Ok(current);
    }
    let to = current.status.move_to(to)?;
    let now = Utc::now();
    if !data
        .move_step(p.id, step, current.status, to, now)
        .await
        .map_err(port)?
    {
        return Err(DomainError::Conflict {
            code: "changed_meanwhile",
            message: "the step changed meanwhile; reload it".into(),
        });
    }
    Ok(Step {
        status: to,
        completed_at: (to == StepStatus::Completed).then_some(now),
        ..current
    })
}

/// Adds a design with its first version (a URL).
#[tracing::instrument(name = "projects.add_design", skip_all)]
pub async fn add_design(
    data: &Data,
    c: &Caller,
    id: ProjectId,
    title: &str,
    url: &str,
) -> Result<Design, DomainError> {
    let p = get(data, c, id).await?;
    require_on_project(data, c, &p).await?;
    let now = Utc::now();
    let design = Design {
        id: DesignId::new(),
        project_id: p.id,
        title: text(title, "/title", 200)?,
        versions: vec![url_version(1, url, c.user(), now)?],
        created_at: now,
    };
    data.insert_design(&design).await.map_err(port)?;
    Ok(design)
}

/// A version that references an http(s) URL.
pub fn url_version(
    version: i32,
    url: &str,
    by: UserId,
    at: chrono::DateTime<Utc>,
) -> Result<DesignVersion, DomainError> {
    let url = url.trim();
    if !(url.starts_with("https://") || url.starts_with("http://"))
        || url.len() > 2000
        || url.chars().any(char::is_whitespace)
    {
        return Err(DomainError::invalid(
            "/url",
            "invalid_url",
            "an http(s) URL without spaces, at most 2000 characters",
        ));
    }
    Ok(DesignVersion {
        version,
        url: Some(url.to_owned()),
        file_key: None,
        file_name: None,
        content_type: None,
        size_bytes: None,
        created_by: by,
        created_at: at,
    })
}

/// Adds a version to a design; returns the design with its history.
#[tracing::instrument(name = "projects.add_design_version", skip_all)]
pub async fn add_design_version(
    data: &Data,
    c: &Caller,
    id: ProjectId,
    design: DesignId,
    version: DesignVersion,
) -> Result<Design, DomainError> {
    let p = get(data, c, id).await?;
    require_on_project(data, c, &p).await?;
    data.design(p.id, design)
        .await
        .map_err(port)?
        .ok_or(DomainError::NotFound("design"))?;
    match data.add_design_version(design, &version).await {
        Ok(_) => {}
        Err(PortError::Duplicate) => {
            return Err(DomainError::Conflict {
                code: "changed_meanwhile",
                message: "another version was added at the same time; retry".into(),
            });
        }
        Err(e) => return Err(port(e)),
    }
    data.design(p.id, design)
        .await
        .map_err(port)?
        .ok_or(DomainError::NotFound("design"))
}

/// Designs with their versions.
#[tracing::instrument(name = "projects.designs", skip_all)]
pub async fn designs(
    data: &Data,
    c: &Caller,
    id: ProjectId,
    page: Page,
) -> Result<Paged<Design>, DomainError> {
    let p = get(data, c, id).await?;
    let all = data.designs(p.id).await.map_err(port)?;
    page_slice(all, page, page.cursor.map(DesignId), |d| d.id)
}

/// Versions of one design, by version number (the cursor is a version number).
#[tracing::instrument(name = "projects.design_versions", skip_all)]
pub async fn design_versions(
    data: &Data,
    c: &Caller,
    id: ProjectId,
    design: DesignId,
    page: Page,
    after_version: Option<i32>,
) -> Result<Paged<DesignVersion>, DomainError> {
    let p = get(data, c, id).await?;
    let d = data
        .design(p.id, design)
        .await
        .map_err(port)?
        .ok_or(DomainError::NotFound("design"))?;
    page_slice(d.versions, page, after_version, |v| v.version)
}

/// Puts a staff member on the project with a role.
#[tracing::instrument(name = "projects.add_worker", skip_all)]
pub async fn add_worker(
    store: &Store,
    data: &Data,
    c: &Caller,
    id: ProjectId,
    user: UserId,
    role: &str,
) -> Result<Worker, DomainError> {
    c.require(Action::ManageProjects)?;
    let p = get(data, c, id).await?;
    member_with(
        store,
        c.org(),
        user,
        STAFF,
        "/user_id",
        "staff (not a client)",
    )
    .await?;
    let w = Worker {
        project_id: p.id,
        user_id: user,
        role: text(role, "/role", 100)?,
        added_at: Utc::now(),
    };
    data.insert_worker(&w).await.map_err(conflict_if_duplicate(
        "already_on_project",
        "this member already works on the project",
    ))?;
    Ok(w)
}

/// Workers of a project.
#[tracing::instrument(name = "projects.workers", skip_all)]
pub async fn workers(
    data: &Data,
    c: &Caller,
    id: ProjectId,
    page: Page,
) -> Result<Paged<Worker>, DomainError> {
    let p = get(data, c, id).await?;
    let all = data.workers(p.id).await.map_err(port)?;
    page_slice(all, page, page.cursor.map(UserId), |w| w.user_id)
}

/// Adds a note to the project or one of its designs; anyone who sees the project may.
#[tracing::instrument(name = "projects.add_note", skip_all)]
pub async fn add_note(
    data: &Data,
    c: &Caller,
    id: ProjectId,
    body: &str,
    design: Option<DesignId>,
) -> Result<Note, DomainError> {
    let p = get(data, c, id).await?;
    if let Some(d) = design {
        data.design(p.id, d).await.map_err(port)?.ok_or_else(|| {
            DomainError::invalid("/design_id", "not_found", "no such design on this project")
        })?;
    }
    let note = Note {
        id: NoteId::new(),
        project_id: Some(p.id),
        target: if design.is_some() {
            NoteTarget::Design
        } else {
            NoteTarget::Project
        },
        design_id: design,
        author_id: c.user(),
        body: text(body, "/body", 10_000)?,
        read_at: None,
        created_at: Utc::now(),
    };
    data.insert_note(&note).await.map_err(port)?;
    Ok(note)
}

/// Notes of a project.
#[tracing::instrument(name = "projects.notes", skip_all)]
pub async fn notes(
    data: &Data,
    c: &Caller,
    id: ProjectId,
    page: Page,
) -> Result<Paged<Note>, DomainError> {
    let p = get(data, c, id).await?;
    let all = data.notes(p.id).await.map_err(port)?;
    page_slice(all, page, page.cursor.map(NoteId), |n| n.id)
}

/// Marks a note read (by someone other than its author).
#[tracing::instrument(name = "projects.mark_read", skip_all)]
pub async fn mark_read(
    data: &Data,
    c: &Caller,
    id: ProjectId,
    note: NoteId,
) -> Result<(), DomainError> {
    let p = get(data, c, id).await?;
    let n = data
        .notes(p.id)
        .await
        .map_err(port)?
        .into_iter()
        .find(|n| n.id == note)
        .ok_or(DomainError::NotFound("note"))?;
    if n.author_id == c.user() {
        return Err(DomainError::Conflict {
            code: "own_note",
            message: "notes are marked read by their readers, not their author".into(),
        });
    }
    data.mark_note_read(p.id, note, Utc::now())
        .await
        .map_err(port)?;
    Ok(())
}

/// An uploaded file for a new design version.
pub struct Upload {
    /// Name as the client gave it.
    pub file_name: String,
    /// Declared MIME type.
    pub content_type: String,
    /// The bytes (already within the upload size limit).
    pub bytes: Vec<u8>,
}

/// Stores an uploaded file and adds it as the design's next version.
#[tracing::instrument(name = "projects.upload_design_version", skip_all)]
pub async fn upload_design_version(
    data: &Data,
    files: &Files,
    c: &Caller,
    id: ProjectId,
    design: DesignId,
    upload: Upload,
) -> Result<Design, DomainError> {
    let p = get(data, c, id).await?;
    require_on_project(data, c, &p).await?;
    data.design(p.id, design)
        .await
        .map_err(port)?
        .ok_or(DomainError::NotFound("design"))?;
    let ext = check_upload(&upload.content_type, &upload.bytes)
        .map_err(|e| DomainError::Validation(vec![e]))?;
    let key = format!(
        "designs/{}/{}.{ext}",
        design.0.simple(),
        uuid::Uuid::now_v7().simple()
    );
    files.put(&key, &upload.bytes).await.map_err(port)?;
    let version = DesignVersion {
        version: 0,
        url: None,
        file_key: Some(key),
        file_name: Some(safe_file_name(&upload.file_name, &format!("design.{ext}"))),
        content_type: Some(
            upload
                .content_type
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase(),
        ),
        size_bytes: Some(i64::try_from(upload.bytes.len()).unwrap_or(i64::MAX)),
        created_by: c.user(),
        created_at: Utc::now(),
    };
    add_design_version(data, c, id, design, version).await
}

/// The bytes of an uploaded version, with its type and name.
#[tracing::instrument(name = "projects.design_file", skip_all)]
pub async fn design_file(
    data: &Data,
    files: &Files,
    c: &Caller,
    id: ProjectId,
    design: DesignId,
    version: i32,
) -> Result<(Vec<u8>, String, String), DomainError> {
    let p = get(data, c, id).await?;
    let d = data
        .design(p.id, design)
        .await
        .map_err(port)?
        .ok_or(DomainError::NotFound("design"))?;
    let v = d
        .versions
        .into_iter()
        .find(|v| v.version == version)
        .ok_or(DomainError::NotFound("design version"))?;
    let key = v.file_key.ok_or(DomainError::NotFound(
        "uploaded file (this version is a link)",
    ))?;
    let bytes = files.get(&key).await.map_err(port)?;
    Ok((
        bytes,
        v.content_type
            .unwrap_or_else(|| "application/octet-stream".into()),
        v.file_name.unwrap_or_else(|| "design".into()),
    ))
}
