//! The web pages at `/`: signing in through the form opens a session kept in HttpOnly cookies,
//! every form needs its token, every page has a content security policy, and the page speaks
//! Arabic right to left when the browser asks for it. (tests/browser walks the workspaces in Chromium.)

use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};

use crate::helpers::{PASSWORD, spawn_app};

/// The `Set-Cookie` values of an answer.
fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

/// `name=value` of cookie `name` among `set`, with the attributes that came with it.
fn cookie<'a>(set: &'a [String], name: &str) -> Option<(&'a str, &'a str)> {
    set.iter().find_map(|c| {
        let (pair, attributes) = c.split_once(';').unwrap_or((c, ""));
        pair.strip_prefix(&format!("{name}="))
            .map(|_| (pair, attributes))
    })
}

/// The hidden form token in a page.
fn form_token(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[tokio::test]
async fn signing_in_on_the_page_opens_a_cookie_session_that_signing_out_ends() -> anyhow::Result<()>
{
    let app = spawn_app().await?;
    let (_, owner) = app.user("owner@web.example").await?;
    app.org(&owner, "Nile Builders").await?;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;

    // The sign-in page, in Arabic for a browser that prefers it.
    let res = browser
        .get(app.url("/"))
        .header("accept-language", "ar-SA,ar;q=0.9,en;q=0.8")
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let csp = res.headers()[CONTENT_SECURITY_POLICY].to_str()?.to_owned();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let set = set_cookies(&res);
    let (csrf_cookie, attributes) = cookie(&set, "nestcms_csrf").expect("a form-token cookie");
    assert!(
        attributes.contains("HttpOnly") && attributes.contains("SameSite=Lax"),
        "{attributes}"
    );
    assert!(
        !attributes.contains("Secure"),
        "not behind TLS here: {attributes}"
    );
    let csrf_cookie = csrf_cookie.to_owned();
    let html = res.text().await?;
    assert!(html.contains("<html lang=\"ar\" dir=\"rtl\">"), "{html}");
    assert!(html.contains("تسجيل الدخول"), "{html}");
    let token = form_token(&html);
    assert_eq!(token.len(), 43, "{html}");

    let post = |body: String, cookies: String| {
        browser
            .post(app.url("/signin"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(COOKIE, cookies)
            .body(body)
            .send()
    };
    // Without its token (or with another), the form is refused.
    let res = post(
        form(&[("email", "owner@web.example"), ("password", PASSWORD)]),
        csrf_cookie.clone(),
    )
    .await?;
    assert_eq!(res.status(), 403);
    let res = post(
        form(&[
            ("email", "owner@web.example"),
            ("password", PASSWORD),
            ("csrf", "x".repeat(43).as_str()),
        ]),
        csrf_cookie.clone(),
    )
    .await?;
    assert_eq!(res.status(), 403);
    // A wrong password says so on the page.
    let res = post(
        form(&[
            ("email", "owner@web.example"),
            ("password", "wrong"),
            ("csrf", &token),
        ]),
        csrf_cookie.clone(),
    )
    .await?;
    assert_eq!(res.status(), 401);
    let html = res.text().await?;
    assert!(html.contains("role=\"alert\""), "{html}");

    let res = post(
        form(&[
            ("email", "owner@web.example"),
            ("password", PASSWORD),
            ("csrf", &token),
        ]),
        csrf_cookie.clone(),
    )
    .await?;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[LOCATION], "/app");
    let set = set_cookies(&res);
    let mut jar = vec![csrf_cookie.clone()];
    for name in ["nestcms_access", "nestcms_refresh"] {
        let (pair, attributes) =
            cookie(&set, name).unwrap_or_else(|| panic!("{name} set: {set:?}"));
        assert!(
            attributes.contains("HttpOnly") && attributes.contains("SameSite=Lax"),
            "{name}: {attributes}"
        );
        jar.push(pair.to_owned());
    }
    let jar = jar.join("; ");

    let res = browser
        .get(app.url("/app"))
        .header(COOKIE, &jar)
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    let html = res.text().await?;
    assert!(
        html.contains("Nile Builders") && html.contains("lang=\"en\""),
        "{html}"
    );
    let res = browser
        .get(app.url("/"))
        .header(COOKIE, &jar)
        .send()
        .await?;
    assert_eq!(
        (res.status().as_u16(), res.headers()[LOCATION].to_str()?),
        (303, "/app")
    );
    let css = browser.get(app.url("/assets/app.css")).send().await?;
    assert_eq!(css.headers()[CONTENT_TYPE], "text/css; charset=utf-8");

    // Without its access cookie (expired), the page renews the session with the refresh
    // token, rotated: new cookies for both.
    let without_access = |jar: &str| {
        jar.split("; ")
            .filter(|c| !c.starts_with("nestcms_access="))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let res = browser
        .get(app.url("/app"))
        .header(COOKIE, without_access(&jar))
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    let renewed = set_cookies(&res);
    let mut fresh = vec![csrf_cookie.clone()];
    for name in ["nestcms_access", "nestcms_refresh"] {
        let (pair, _) =
            cookie(&renewed, name).unwrap_or_else(|| panic!("{name} renewed: {renewed:?}"));
        // The refresh token is a new one (the access token, minted in the same second for the
        // same session, may read the same).
        if name == "nestcms_refresh" {
            assert!(!jar.contains(pair), "the refresh token rotated");
        }
        fresh.push(pair.to_owned());
    }
    let jar = fresh.join("; ");

    // Signing out needs the token too, then ends the session for good.
    let out = |body: String| {
        browser
            .post(app.url("/signout"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(COOKIE, &jar)
            .body(body)
            .send()
    };
    assert_eq!(out(String::new()).await?.status(), 403);
    let res = out(form(&[("csrf", &token)])).await?;
    assert_eq!(res.status(), 303);
    let cleared = set_cookies(&res);
    assert!(
        cookie(&cleared, "nestcms_refresh").is_some_and(|(_, a)| a.contains("Max-Age=0")),
        "{cleared:?}"
    );
    let res = browser
        .get(app.url("/app"))
        .header(COOKIE, without_access(&jar))
        .send()
        .await?;
    assert_eq!(
        (res.status().as_u16(), res.headers()[LOCATION].to_str()?),
        (303, "/?next=%2Fapp"),
        "the refresh token was revoked: to the sign-in page, and back here after it"
    );
    // The API's 404 stays a problem document.
    let res = browser.get(app.url("/api/v1/nowhere")).send().await?;
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()[CONTENT_TYPE], "application/problem+json");
    Ok(())
}
