//! `/app/notifications`: what NestCMS told the signed-in person (receipts, payment links,
//! offers to review, security notices), newest first, whichever channel carried it.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use nestcms_domain::DomainError;

use crate::ctx::{Frame, Person};
use crate::fmt;

#[derive(Template)]
#[template(path = "inbox.html")]
struct Inbox<'a> {
    f: &'a Frame,
    items: Vec<(String, String, String, &'static str)>,
}

/// `GET /app/notifications`: the newest hundred.
pub async fn inbox(p: Person) -> Response {
    let v = p.v;
    let lang = v.frame.lang;
    let found =
        nestcms_app::notify::notifications_of(v.state.notifications.as_ref(), p.who.user, 100)
            .await;
    let items = match found {
        Ok(items) => items,
        Err(e) => return v.refuse(&DomainError::Internal(e.to_string())),
    };
    let t = Inbox {
        f: &v.frame,
        items: items
            .into_iter()
            .map(|n| (n.subject, n.body, fmt::moment(lang, n.at), n.channel))
            .collect(),
    };
    let html = t.render();
    v.page(StatusCode::OK, html)
}
