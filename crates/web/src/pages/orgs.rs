//! The signed-in person's companies: creating one, joining one with an invitation, and (for
//! owners and admins) its members and invitations.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use nestcms_app::identity::{invitations, members, orgs};
use nestcms_domain::identity::{OrgId, Role};
use serde::Deserialize;

use super::member_or_return;
use crate::ctx::{Frame, Person, Posted};

#[derive(Template)]
#[template(path = "home.html")]
struct Home<'a> {
    f: &'a Frame,
    orgs: Vec<(uuid::Uuid, String, &'static str)>,
    token: &'a str,
    operator: bool,
}

/// `?join=` on the home page: an invitation link's token, put in the join form.
#[derive(Deserialize, Default)]
pub struct HomeQuery {
    #[serde(default)]
    join: String,
}

/// `GET /app`: the person's companies, a form to create one and a form to join one.
pub async fn home(p: Person, Query(q): Query<HomeQuery>) -> Response {
    show_home(p, &q.join, None).await
}

async fn show_home(p: Person, token: &str, error: Option<String>) -> Response {
    let mut v = p.v;
    let (user, list) = match v.state.auth.me(p.who).await {
        Ok(me) => me,
        Err(e) => return v.refuse(&e),
    };
    v.frame.user = Some(user.full_name);
    let operator = nestcms_app::identity::operators::require(&v.state.identity, p.who)
        .await
        .is_ok();
    v.frame.error = error;
    let status = if v.frame.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let t = Home {
        f: &v.frame,
        orgs: list
            .iter()
            .map(|(o, m)| (o.id.0, o.title.clone(), m.role.as_str()))
            .collect(),
        token,
        operator,
    };
    let html = t.render();
    v.page(status, html)
}

/// The new company form.
#[derive(Deserialize)]
pub struct NewOrg {
    #[serde(default)]
    title: String,
}

/// `POST /app/orgs`: creates a company with the person as its owner.
pub async fn create(p: Person, Posted { form, .. }: Posted<NewOrg>) -> Response {
    let input = orgs::OrgInput {
        title: Some(form.title),
        ..Default::default()
    };
    match orgs::create(&p.v.state.identity, p.who, input, &p.v.client).await {
        Ok((o, _)) => p.v.to(&format!("/app/o/{}", o.id.0)),
        Err(e) => {
            let message = crate::ctx::explain(p.v.frame.lang, &e).1;
            show_home(p, "", Some(message)).await
        }
    }
}

/// The join form.
#[derive(Deserialize)]
pub struct Join {
    #[serde(default)]
    token: String,
}

/// `POST /app/join`: accepts an invitation addressed to the person's e-mail.
pub async fn join(p: Person, Posted { form, .. }: Posted<Join>) -> Response {
    let token = form.token.trim();
    match invitations::accept(&p.v.state.identity, p.who, token, &p.v.client).await {
        Ok(m) => p.v.to(&format!("/app/o/{}", m.org_id.0)),
        Err(e) => {
            let message = crate::ctx::explain(p.v.frame.lang, &e).1;
            show_home(p, token, Some(message)).await
        }
    }
}

#[derive(Template)]
#[template(path = "members.html")]
struct Members<'a> {
    f: &'a Frame,
    org: uuid::Uuid,
    members: Vec<(uuid::Uuid, String, String, &'static str)>,
    roles: [&'static str; 5],
    invited: Option<String>,
}

/// `GET /app/o/{org}/members`.
pub async fn list(p: Person, Path(org): Path<uuid::Uuid>) -> Response {
    show_members(p, org, None, None).await
}

async fn show_members(
    p: Person,
    org: uuid::Uuid,
    invited: Option<String>,
    error: Option<String>,
) -> Response {
    let who = p.who;
    let (_, mut v) = member_or_return!(p, org);
    let found = match members::list(&v.state.identity, who, OrgId(org)).await {
        Ok(found) => found,
        Err(e) => return v.refuse(&e),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    v.frame.error = error;
    let t = Members {
        f: &v.frame,
        org,
        members: found
            .into_iter()
            .map(|(m, u)| {
                let email = u.email.as_str().to_owned();
                (m.user_id.0, u.full_name, email, m.role.as_str())
            })
            .collect(),
        roles: ["client", "employee", "manager", "admin", "owner"],
        invited,
    };
    {
        let html = t.render();
        v.page(status, html)
    }
}

/// The role form.
#[derive(Deserialize)]
pub struct NewRole {
    #[serde(default)]
    role: String,
}

/// `POST /app/o/{org}/members/{user}/role`: the same rules as the API (only owners make or
/// unmake owners; the last owner stays).
pub async fn change_role(
    p: Person,
    Path((org, user)): Path<(uuid::Uuid, uuid::Uuid)>,
    Posted { form, .. }: Posted<NewRole>,
) -> Response {
    let Some(role) = Role::parse(&form.role) else {
        let message = p.v.frame.w.bad_request.to_owned();
        return show_members(p, org, None, Some(message)).await;
    };
    let employee =
        (role == Role::Employee).then_some(nestcms_domain::identity::EmployeeType::Other);
    let changed = members::change_role(
        &p.v.state.identity,
        p.who,
        OrgId(org),
        nestcms_domain::identity::UserId(user),
        role,
        employee,
        &p.v.client,
    )
    .await;
    match changed {
        Ok(_) => p.v.to(&format!("/app/o/{org}/members")),
        Err(e) => {
            let message = crate::ctx::explain(p.v.frame.lang, &e).1;
            show_members(p, org, None, Some(message)).await
        }
    }
}

/// The invitation form.
#[derive(Deserialize)]
pub struct Invite {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// `POST /app/o/{org}/invitations`: invites an e-mail and shows the link to pass on.
pub async fn invite(
    p: Person,
    Path(org): Path<uuid::Uuid>,
    Posted { form, .. }: Posted<Invite>,
) -> Response {
    let Some(role) = Role::parse(&form.role) else {
        let message = p.v.frame.w.bad_request.to_owned();
        return show_members(p, org, None, Some(message)).await;
    };
    let employee =
        (role == Role::Employee).then_some(nestcms_domain::identity::EmployeeType::Worker);
    let sent = invitations::invite(
        &p.v.state.identity,
        p.who,
        OrgId(org),
        &form.email,
        role,
        employee,
        &p.v.client,
    )
    .await;
    match sent {
        Ok(s) => {
            let link = format!("/app?join={}", s.token);
            show_members(p, org, Some(link), None).await
        }
        Err(e) => {
            let message = crate::ctx::explain(p.v.frame.lang, &e).1;
            show_members(p, org, None, Some(message)).await
        }
    }
}

/// The company's people (name and role), for pickers; empty for roles that may not list them.
pub(crate) async fn people(
    state: &nestcms_http::AppState,
    who: nestcms_app::Principal,
    org: uuid::Uuid,
) -> Vec<(nestcms_domain::identity::UserId, String, Role)> {
    members::list(&state.identity, who, OrgId(org))
        .await
        .map(|all| {
            all.into_iter()
                .map(|(m, u)| (m.user_id, u.full_name, m.role))
                .collect()
        })
        .unwrap_or_default()
}
