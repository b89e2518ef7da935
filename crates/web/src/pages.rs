//! The handlers: each reads the session from its cookies, calls the same use case as the API,
//! and renders a template.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use nestcms_app::{ClientInfo, Principal};
use nestcms_domain::DomainError;
use nestcms_http::AppState;
use nestcms_http::auth_extract::Client;
use secrecy::SecretString;
use serde::Deserialize;

use crate::i18n::{Lang, Words};
use crate::session;

/// Only our own stylesheet; no script, no inline style, no frames, forms to ourselves.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

static STYLESHEET: &str = include_str!("../assets/app.css");

#[derive(Template)]
#[template(path = "signin.html")]
struct SignIn<'a> {
    lang: &'static str,
    dir: &'static str,
    w: &'static Words,
    csrf: &'a str,
    email: &'a str,
    needs_code: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home<'a> {
    lang: &'static str,
    dir: &'static str,
    w: &'static Words,
    csrf: &'a str,
    name: &'a str,
    orgs: Vec<(String, &'static str)>,
}

/// A rendered page with its status, its security policy and the cookies set on the way.
fn page(
    status: StatusCode,
    html: Result<String, askama::Error>,
    mut headers: HeaderMap,
) -> Response {
    let Ok(html) = html else {
        tracing::error!("a page failed to render");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let mut res = (status, headers, html).into_response();
    // A refused sign-in is still a page for a person, not a problem document.
    res.extensions_mut().insert(nestcms_http::problem::OwnBody);
    res
}

fn redirect(to: &'static str, headers: HeaderMap) -> Response {
    let mut headers = headers;
    headers.insert(LOCATION, HeaderValue::from_static(to));
    (StatusCode::SEE_OTHER, headers).into_response()
}

/// The signed-in person, renewing an expired access token with the refresh token (the new
/// cookies go into `out`).
async fn signed_in(
    state: &AppState,
    req: &HeaderMap,
    client: &ClientInfo,
    out: &mut HeaderMap,
) -> Option<Principal> {
    if let Some(token) = session::cookie(req, session::ACCESS)
        && let Ok(who) = state.auth.authenticate(token).await
    {
        return Some(who);
    }
    let refresh = session::cookie(req, session::REFRESH)?;
    match state.auth.refresh(refresh, client).await {
        Ok(tokens) => {
            session::keep(out, &tokens, state.http.behind_tls);
            state.auth.authenticate(&tokens.access_token).await.ok()
        }
        Err(_) => {
            session::forget(out, state.http.behind_tls);
            None
        }
    }
}

/// `GET /`: the sign-in page, or the signed-in person's home.
pub async fn start(
    State(state): State<AppState>,
    Client(client): Client,
    req: HeaderMap,
) -> Response {
    let mut out = HeaderMap::new();
    if signed_in(&state, &req, &client, &mut out).await.is_some() {
        return redirect("/app", out);
    }
    let lang = Lang::from_headers(&req);
    let csrf = session::form_token(&req, &mut out, state.http.behind_tls);
    let html = SignIn {
        lang: lang.code(),
        dir: lang.dir(),
        w: lang.words(),
        csrf: &csrf,
        email: "",
        needs_code: false,
        error: None,
    }
    .render();
    page(StatusCode::OK, html, out)
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
    csrf: String,
}

/// What a refused sign-in tells the person: the API's message, without the stable code.
fn refusal(e: &DomainError) -> (StatusCode, bool, String) {
    match e {
        DomainError::Unauthenticated {
            code: "mfa_required",
            message,
        } => (StatusCode::UNAUTHORIZED, true, message.clone()),
        DomainError::Unauthenticated {
            code: "invalid_mfa_code",
            message,
        } => (StatusCode::UNAUTHORIZED, true, message.clone()),
        DomainError::Unauthenticated { message, .. } => {
            (StatusCode::UNAUTHORIZED, false, message.clone())
        }
        DomainError::RateLimited {
            message,
            retry_after_secs,
            ..
        } => (
            StatusCode::TOO_MANY_REQUESTS,
            false,
            format!("{message} ({retry_after_secs} s)"),
        ),
        DomainError::Validation(errors) => (
            StatusCode::BAD_REQUEST,
            false,
            errors
                .iter()
                .map(|f| f.message.clone())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        other => {
            tracing::warn!(error = %other, "sign-in failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                false,
                "NestCMS cannot sign you in right now.".to_owned(),
            )
        }
    }
}

/// `POST /signin`.
pub async fn sign_in(
    State(state): State<AppState>,
    Client(client): Client,
    req: HeaderMap,
    Form(f): Form<SignInForm>,
) -> Response {
    let lang = Lang::from_headers(&req);
    let mut out = HeaderMap::new();
    let secure = state.http.behind_tls;
    let ok_form = session::form_token_ok(&req, &f.csrf);
    let csrf = session::form_token(&req, &mut out, secure);
    let render = |status, needs_code, error: String, out| {
        let html = SignIn {
            lang: lang.code(),
            dir: lang.dir(),
            w: lang.words(),
            csrf: &csrf,
            email: &f.email,
            needs_code,
            error: Some(error),
        }
        .render();
        page(status, html, out)
    };
    if !ok_form {
        return render(
            StatusCode::FORBIDDEN,
            false,
            lang.words().bad_form.to_owned(),
            out,
        );
    }
    let code = Some(f.code.trim()).filter(|c| !c.is_empty());
    let password = SecretString::from(f.password.clone());
    match state.auth.login(&f.email, &password, code, &client).await {
        Ok(tokens) => {
            session::keep(&mut out, &tokens, secure);
            redirect("/app", out)
        }
        Err(e) => {
            let (status, needs_code, message) = refusal(&e);
            render(status, needs_code, message, out)
        }
    }
}

/// `GET /app`: the signed-in person's organizations.
pub async fn home(
    State(state): State<AppState>,
    Client(client): Client,
    req: HeaderMap,
) -> Response {
    let mut out = HeaderMap::new();
    let Some(who) = signed_in(&state, &req, &client, &mut out).await else {
        return redirect("/", out);
    };
    let (user, orgs) = match state.auth.me(who).await {
        Ok(me) => me,
        Err(e) => {
            // Not a redirect to `/`, which would send a signed-in person straight back here.
            tracing::warn!(error = %e, "home page");
            let mut res = (
                StatusCode::SERVICE_UNAVAILABLE,
                out,
                "NestCMS cannot show this page right now; try again in a moment.",
            )
                .into_response();
            res.extensions_mut().insert(nestcms_http::problem::OwnBody);
            return res;
        }
    };
    let lang = Lang::from_headers(&req);
    let csrf = session::form_token(&req, &mut out, state.http.behind_tls);
    let html = Home {
        lang: lang.code(),
        dir: lang.dir(),
        w: lang.words(),
        csrf: &csrf,
        name: &user.full_name,
        orgs: orgs
            .iter()
            .map(|(o, m)| (o.title.clone(), m.role.as_str()))
            .collect(),
    }
    .render();
    page(StatusCode::OK, html, out)
}

/// The sign-out form.
#[derive(Deserialize)]
pub struct SignOutForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /signout`: ends the session (its refresh token revoked) and forgets the cookies.
pub async fn sign_out(
    State(state): State<AppState>,
    Client(client): Client,
    req: HeaderMap,
    Form(f): Form<SignOutForm>,
) -> Response {
    let mut out = HeaderMap::new();
    if !session::form_token_ok(&req, &f.csrf) {
        let mut res = (StatusCode::FORBIDDEN, "This form has expired.").into_response();
        res.extensions_mut().insert(nestcms_http::problem::OwnBody);
        return res;
    }
    if let Some(who) = signed_in(&state, &req, &client, &mut out).await
        && let Err(e) = state.auth.logout(who, &client).await
    {
        tracing::warn!(error = %e, "sign-out");
    }
    session::forget(&mut out, state.http.behind_tls);
    redirect("/", out)
}

/// `GET /assets/app.css`.
pub async fn stylesheet() -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    (StatusCode::OK, headers, STYLESHEET).into_response()
}
