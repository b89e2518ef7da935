//! What every page handler starts from: the visitor (signed in or not, renewing an expired
//! access token), their language and form token, the frame every page is drawn in, and the
//! responses pages end with (a rendered page with its security headers, a redirect, a refusal).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use nestcms_app::{Caller, ClientInfo, Principal};
use nestcms_domain::DomainError;
use nestcms_domain::identity::OrgId;
use nestcms_http::AppState;
use nestcms_http::auth_extract::Client;
use serde::de::DeserializeOwned;

use crate::i18n::Lang;
use crate::session;
use crate::words::Words;

/// Our own stylesheet and scripts only: no inline script or style, no frames, forms to
/// ourselves. `form-action` also names the payment gateway's origin: browsers apply it to the
/// redirect that answers a form, and the Pay button's answer redirects to the gateway's page.
fn csp(gateway_origin: &str) -> String {
    // An origin is `scheme://host[:port]`; anything else (an opaque "null") is left out.
    let gateway = if gateway_origin.contains("://")
        && gateway_origin
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b';' && b != b',')
    {
        gateway_origin
    } else {
        ""
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self' {gateway}; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The organization a page belongs to, for the navigation.
pub struct OrgNav {
    /// Its id.
    pub id: uuid::Uuid,
    /// Its name.
    pub title: String,
    /// Whether the person is staff there (else a client, who sees the portal).
    pub staff: bool,
    /// The person's role.
    pub role: &'static str,
}

/// The frame every page is drawn in.
pub struct Frame {
    /// Language.
    pub lang: Lang,
    /// Its words.
    pub w: &'static Words,
    /// The form token every form repeats.
    pub csrf: String,
    /// This page's path, where the language switch comes back to.
    pub here: String,
    /// Whether someone is signed in (the sign-out button).
    pub signed_in: bool,
    /// The signed-in person's name, where the page knows it.
    pub user: Option<String>,
    /// The organization, on its pages.
    pub org: Option<OrgNav>,
    /// What went wrong with the last form, shown at the top.
    pub error: Option<String>,
}

/// The visitor of any page, signed in or not.
pub struct Visitor {
    /// Shared state.
    pub state: AppState,
    /// The signed-in person, if any.
    pub who: Option<Principal>,
    /// Address and agent, for the audit trail.
    pub client: ClientInfo,
    /// Cookies set on the way (renewed session, form token, language).
    pub out: HeaderMap,
    /// The frame.
    pub frame: Frame,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Client(client) = Client::from_request_parts(parts, state).await?;
        let req = &parts.headers;
        let mut out = HeaderMap::new();
        let who = signed_in(state, req, &client, &mut out).await;
        let lang = Lang::of(req);
        let csrf = session::form_token(req, &mut out, state.http.behind_tls);
        let here = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        Ok(Self {
            state: state.clone(),
            who,
            client,
            out,
            frame: Frame {
                lang,
                w: lang.words(),
                csrf,
                here,
                signed_in: who.is_some(),
                user: None,
                org: None,
                error: None,
            },
        })
    }
}

/// A signed-in person (anyone else is sent to the sign-in page).
pub struct Person {
    /// The visit.
    pub v: Visitor,
    /// Who.
    pub who: Principal,
}

impl FromRequestParts<AppState> for Person {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Ok(v) = Visitor::from_request_parts(parts, state).await;
        match v.who {
            Some(who) => Ok(Self { who, v }),
            // Back here after signing in (an invitation link, a bookmarked page); a form
            // posted after the session ended cannot be replayed by a link: home instead.
            None if parts.method == axum::http::Method::GET => {
                let next = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("next", &v.frame.here)
                    .finish();
                Err(redirect(&format!("/?{next}"), v.out))
            }
            None => Err(redirect("/", v.out)),
        }
    }
}

impl Person {
    /// The person as a member of `org`, with the frame's navigation filled in; a page saying
    /// "not found" when they are not a member.
    pub async fn member(mut self, org: uuid::Uuid) -> Result<(Caller, Visitor), Response> {
        let state = self.v.state.clone();
        // The organization comes with the person's membership: the caller is built from it.
        match nestcms_app::identity::orgs::get(&state.identity, self.who, OrgId(org)).await {
            Ok((o, member)) => {
                let c = Caller {
                    who: self.who,
                    member,
                };
                self.v.frame.org = Some(OrgNav {
                    id: org,
                    title: o.title,
                    staff: c.is_staff(),
                    role: c.member.role.as_str(),
                });
                Ok((c, self.v))
            }
            Err(e) => Err(self.v.refuse(&e)),
        }
    }
}

impl Visitor {
    /// A page.
    pub fn page(self, status: StatusCode, html: Result<String, askama::Error>) -> Response {
        let policy = csp(&self.state.gateway_origin);
        page(status, html, self.out, &policy)
    }

    /// A redirect after a form (303, so the browser follows with GET).
    pub fn to(self, location: &str) -> Response {
        redirect(location, self.out)
    }

    /// A page saying why a request could not be done.
    pub fn refuse(self, e: &DomainError) -> Response {
        let (status, message) = explain(self.frame.lang, e);
        self.message(status, message)
    }

    /// A plain page with one message.
    pub fn message(mut self, status: StatusCode, message: String) -> Response {
        self.frame.error = Some(message);
        let html = crate::pages::Plain { f: &self.frame }.render();
        self.page(status, html)
    }
}

/// A posted form: its CSRF token checked against the browser's cookie before anything else,
/// then its fields (`pairs` keeps repeated ones, such as an instalment editor's rows).
pub struct Posted<T> {
    /// The fields.
    pub form: T,
    /// Every field in order.
    pub pairs: Vec<(String, String)>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for Posted<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let lang = Lang::of(&headers);
        let refuse = |status, text: &str| {
            let mut r = (status, text.to_owned()).into_response();
            r.extensions_mut().insert(nestcms_http::problem::OwnBody);
            r
        };
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| refuse(StatusCode::BAD_REQUEST, lang.words().bad_request))?;
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(&bytes).into_owned().collect();
        let posted = pairs
            .iter()
            .find(|(k, _)| k == "csrf")
            .map_or("", |(_, v)| v.as_str());
        if !session::form_token_ok(&headers, posted) {
            return Err(refuse(StatusCode::FORBIDDEN, lang.words().bad_form));
        }
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| refuse(StatusCode::BAD_REQUEST, lang.words().bad_request))?;
        Ok(Self { form, pairs })
    }
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

/// The status and the sentence a person reads for a refused request, in their language. The
/// use cases word their reasons in English; an Arabic page leads with what happened in Arabic
/// and keeps the precise reason after it.
pub fn explain(lang: Lang, e: &DomainError) -> (StatusCode, String) {
    let (status, detail) = reason(e);
    if lang == Lang::En {
        return (status, detail);
    }
    let lead = match e {
        DomainError::Validation(_) => "بعض الحقول غير صحيحة",
        DomainError::Unprocessable { .. } => "لا يمكن قبول هذه القيم",
        DomainError::NotFound(_) => "غير موجود",
        DomainError::Forbidden(_) => "ليست لديك صلاحية لذلك",
        DomainError::Unauthenticated { .. } => "تعذر التحقق من هويتك",
        DomainError::Conflict { .. } => "لا يمكن تنفيذ ذلك الآن",
        DomainError::GatewayUnavailable { .. } => "بوابة الدفع لا تستجيب الآن",
        DomainError::RateLimited { .. } => "طلبات كثيرة، حاول لاحقًا",
        DomainError::Unavailable(_) => "الخدمة غير متاحة الآن، حاول بعد قليل",
        DomainError::Internal(_) => return (status, "حدث خطأ من جهتنا".to_owned()),
    };
    (status, format!("{lead}: {detail}"))
}

/// The status and the use case's own reason.
fn reason(e: &DomainError) -> (StatusCode, String) {
    let joined = |errors: &[nestcms_domain::FieldError]| {
        errors
            .iter()
            .map(|f| format!("{}: {}", f.field.trim_start_matches('/'), f.message))
            .collect::<Vec<_>>()
            .join("; ")
    };
    match e {
        DomainError::Validation(errors) => (StatusCode::BAD_REQUEST, joined(errors)),
        DomainError::Unprocessable { errors, .. } => {
            (StatusCode::UNPROCESSABLE_ENTITY, joined(errors))
        }
        DomainError::NotFound(what) => (StatusCode::NOT_FOUND, format!("{what} not found")),
        DomainError::Forbidden(m) => (StatusCode::FORBIDDEN, m.clone()),
        DomainError::Unauthenticated { message, .. } => (StatusCode::UNAUTHORIZED, message.clone()),
        DomainError::Conflict { message, .. } => (StatusCode::CONFLICT, message.clone()),
        DomainError::GatewayUnavailable { retry_after_secs } => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the payment gateway is not answering; try again in {retry_after_secs} s"),
        ),
        DomainError::RateLimited {
            message,
            retry_after_secs,
            ..
        } => (
            StatusCode::TOO_MANY_REQUESTS,
            format!("{message} ({retry_after_secs} s)"),
        ),
        DomainError::Unavailable(what) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{what} is unavailable right now; try again in a moment"),
        ),
        DomainError::Internal(_) => {
            tracing::error!(error = %e, "a page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "something went wrong on our side".to_owned(),
            )
        }
    }
}

/// A rendered page with its status, its security policy and the cookies set on the way.
fn page(
    status: StatusCode,
    html: Result<String, askama::Error>,
    mut headers: HeaderMap,
    policy: &str,
) -> Response {
    let Ok(html) = html else {
        tracing::error!("a page failed to render");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    match HeaderValue::from_str(policy) {
        Ok(v) => headers.insert(CONTENT_SECURITY_POLICY, v),
        Err(_) => headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'"),
        ),
    };
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let mut res = (status, headers, html).into_response();
    // A refused form is still a page for a person, not a problem document.
    res.extensions_mut().insert(nestcms_http::problem::OwnBody);
    res
}

/// `path` when it is a path of ours (`/…`, not `//host` or a backslash trick, visible ASCII
/// only), else `fallback`: where a form may send the browser back to.
pub fn local_path<'a>(path: &'a str, fallback: &'a str) -> &'a str {
    let ours = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && path.bytes().all(|b| b.is_ascii_graphic());
    if ours { path } else { fallback }
}

/// A file for the browser to show (`inline`) or save, as the API answers files, with the
/// cookies set on the way and never cached.
pub fn file(
    out: HeaderMap,
    bytes: Vec<u8>,
    content_type: &str,
    name: &str,
    inline: bool,
) -> Response {
    let mut res =
        nestcms_http::routes::invoice_files::attachment(bytes, content_type, name, inline);
    res.headers_mut().extend(out);
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A 303 to a path of ours (or to the payment page, for the Pay button).
pub fn redirect(to: &str, mut headers: HeaderMap) -> Response {
    match HeaderValue::from_str(to) {
        Ok(v) => {
            headers.insert(LOCATION, v);
            (StatusCode::SEE_OTHER, headers).into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arabic_page_says_what_happened_in_arabic_and_keeps_the_reason() {
        let e = DomainError::Conflict {
            code: "already_paid",
            message: "instalment 1 is already paid".into(),
        };
        assert_eq!(
            explain(Lang::En, &e),
            (
                StatusCode::CONFLICT,
                "instalment 1 is already paid".to_owned()
            )
        );
        let (status, ar) = explain(Lang::Ar, &e);
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(ar, "لا يمكن تنفيذ ذلك الآن: instalment 1 is already paid");
        // Our own failures never show their cause.
        let (_, ar) = explain(Lang::Ar, &DomainError::Internal("pool timed out".into()));
        assert!(!ar.contains("pool"));
    }

    #[test]
    fn only_paths_of_ours_are_places_to_go_back_to() {
        for ours in ["/app", "/app?join=inv_x", "/app/o/1/contracts/2"] {
            assert_eq!(local_path(ours, "/"), ours);
        }
        for away in [
            "//evil.example",
            "/\\evil",
            "https://evil.example",
            "/\t/evil",
            "",
            "app",
        ] {
            assert_eq!(local_path(away, "/"), "/", "{away:?}");
        }
    }

    #[test]
    fn the_policy_names_the_gateway_only_when_it_is_an_origin() {
        assert!(
            csp("https://secure.paytabs.sa")
                .contains("form-action 'self' https://secure.paytabs.sa;")
        );
        assert!(csp("null").contains("form-action 'self' ;"));
        assert!(!csp("https://x.example; script-src *").contains("script-src *"));
    }
}
