//! Signing in and out, creating an account, and the language switch.

use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use nestcms_app::identity::auth::{Registration, Tokens};
use nestcms_domain::DomainError;
use secrecy::SecretString;
use serde::Deserialize;

use crate::ctx::{Frame, Posted, Visitor, explain, local_path};
use crate::i18n::Lang;
use crate::session;

#[derive(Template)]
#[template(path = "signin.html")]
struct SignIn<'a> {
    f: &'a Frame,
    email: &'a str,
    needs_code: bool,
    next: &'a str,
}

#[derive(Template)]
#[template(path = "register.html")]
struct Register<'a> {
    f: &'a Frame,
    full_name: &'a str,
    email: &'a str,
    next: &'a str,
}

/// `?next=` on the sign-in and registration pages: where to go once signed in.
#[derive(Deserialize, Default)]
pub struct Next {
    #[serde(default)]
    next: String,
}

/// `GET /`: the sign-in page, or the signed-in person's companies.
pub async fn start(v: Visitor, Query(q): Query<Next>) -> Response {
    let next = local_path(&q.next, "/app");
    if v.who.is_some() {
        return v.to(next);
    }
    let t = SignIn {
        f: &v.frame,
        email: "",
        needs_code: false,
        next,
    };
    let html = t.render();
    v.page(StatusCode::OK, html)
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

/// Whether a refusal asks for the second factor.
fn needs_code(e: &DomainError) -> bool {
    matches!(
        e,
        DomainError::Unauthenticated {
            code: "mfa_required" | "invalid_mfa_code",
            ..
        }
    )
}

/// `POST /signin`.
pub async fn sign_in(mut v: Visitor, Posted { form: f, .. }: Posted<SignInForm>) -> Response {
    let code = Some(f.code.trim()).filter(|c| !c.is_empty());
    let password = SecretString::from(f.password.clone());
    match v
        .state
        .auth
        .login(&f.email, &password, code, &v.client)
        .await
    {
        Ok(tokens) => signed_in_to(v, &tokens, &f.next),
        Err(e) => {
            let (status, message) = explain(v.frame.lang, &e);
            v.frame.error = Some(message);
            let html = SignIn {
                f: &v.frame,
                email: &f.email,
                needs_code: needs_code(&e),
                next: local_path(&f.next, "/app"),
            }
            .render();
            v.page(status, html)
        }
    }
}

/// Keeps a new session's tokens and goes where the person was heading.
fn signed_in_to(mut v: Visitor, tokens: &Tokens, next: &str) -> Response {
    session::keep(&mut v.out, tokens, v.state.http.behind_tls);
    v.to(local_path(next, "/app"))
}

/// `GET /register`.
pub async fn register_form(v: Visitor, Query(q): Query<Next>) -> Response {
    let html = Register {
        f: &v.frame,
        full_name: "",
        email: "",
        next: local_path(&q.next, "/app"),
    }
    .render();
    v.page(StatusCode::OK, html)
}

/// The registration form.
#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /register`: creates the account and signs it in.
pub async fn register(mut v: Visitor, Posted { form: f, .. }: Posted<RegisterForm>) -> Response {
    let password = SecretString::from(f.password.clone());
    let r = Registration {
        email: f.email.clone(),
        password: password.clone(),
        full_name: f.full_name.clone(),
        phone: None,
        address: None,
        language: Some(v.frame.lang.code().to_owned()),
    };
    let done = match v.state.auth.register(r, &v.client).await {
        Ok(_) => {
            v.state
                .auth
                .login(&f.email, &password, None, &v.client)
                .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(tokens) => signed_in_to(v, &tokens, &f.next),
        Err(e) => {
            let (status, message) = explain(v.frame.lang, &e);
            v.frame.error = Some(message);
            let html = Register {
                f: &v.frame,
                full_name: &f.full_name,
                email: &f.email,
                next: local_path(&f.next, "/app"),
            }
            .render();
            v.page(status, html)
        }
    }
}

/// `POST /signout`: ends the session (its refresh token revoked) and forgets the cookies.
pub async fn sign_out(mut v: Visitor, _: Posted<serde::de::IgnoredAny>) -> Response {
    if let Some(who) = v.who
        && let Err(e) = v.state.auth.logout(who, &v.client).await
    {
        tracing::warn!(error = %e, "sign-out");
    }
    session::forget(&mut v.out, v.state.http.behind_tls);
    v.to("/")
}

/// The language switch.
#[derive(Deserialize)]
pub struct LangForm {
    lang: String,
    #[serde(default)]
    back: String,
}

/// `POST /lang`: remembers the choice (and on the account, for e-mails) and goes back.
pub async fn set_lang(mut v: Visitor, Posted { form: f, .. }: Posted<LangForm>) -> Response {
    let Some(lang) = Lang::parse(&f.lang) else {
        let why = v.frame.w.bad_request.to_owned();
        return v.message(StatusCode::BAD_REQUEST, why);
    };
    session::remember_lang(&mut v.out, lang.code(), v.state.http.behind_tls);
    if let Some(who) = v.who
        && let Err(e) = v.state.auth.set_language(who, lang.code()).await
    {
        tracing::warn!(error = %e, "language choice not kept on the account");
    }
    // Only a path of ours: never an address elsewhere.
    let back = local_path(&f.back, "/").to_owned();
    v.to(&back)
}
