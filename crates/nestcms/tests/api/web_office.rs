//! The office pages and the operations console over HTTP: what each role may open and do.
//! A client cannot open the staff's records; only a platform operator sees `/ops` and resets a
//! breaker there, and only with the form's token.

use reqwest::header::{COOKIE, LOCATION};

use crate::helpers::spawn_app;
use crate::payments::shop;

const CSRF: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";

fn browser() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

async fn open(
    app: &crate::helpers::TestApp,
    token: &str,
    path: &str,
) -> anyhow::Result<(u16, String)> {
    let res = browser()?
        .get(app.url(path))
        .header(
            COOKIE,
            format!("nestcms_access={token}; nestcms_csrf={CSRF}"),
        )
        .send()
        .await?;
    Ok((res.status().as_u16(), res.text().await?))
}

async fn press(
    app: &crate::helpers::TestApp,
    token: &str,
    path: &str,
    csrf: &str,
) -> anyhow::Result<reqwest::Response> {
    Ok(browser()?
        .post(app.url(path))
        .header(
            COOKIE,
            format!("nestcms_access={token}; nestcms_csrf={CSRF}"),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}"))
        .send()
        .await?)
}

#[tokio::test]
async fn a_client_cannot_open_the_staffs_records() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let s = shop(&app).await?;
    for page in ["earnings", "audit", "articles"] {
        let path = format!("/app/o/{}/{page}", s.org);
        let (owner, _) = open(&app, &s.owner, &path).await?;
        assert_eq!(owner, 200, "the owner opens {page}");
        let (client, html) = open(&app, &s.client, &path).await?;
        assert_eq!(client, 403, "{page}: {html}");
    }
    // Nor is the company's anything to a stranger.
    let (_, stranger) = app.user("stranger@office.example").await?;
    let (status, _) = open(&app, &stranger, &format!("/app/o/{}/invoices", s.org)).await?;
    assert_eq!(status, 404);
    Ok(())
}

#[tokio::test]
async fn only_a_platform_operator_sees_the_console_and_resets_a_breaker() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (_, person) = app.user("person@office.example").await?;
    let (status, _) = open(&app, &person, "/ops").await?;
    assert_eq!(status, 403, "an ordinary account");

    let identity: nestcms_app::Store = app.store.clone();
    nestcms_app::identity::operators::set(&identity, "person@office.example", true).await?;
    let (status, html) = open(&app, &person, "/ops").await?;
    assert_eq!(status, 200);
    assert!(
        html.contains("id=\"overall\"") && html.contains("/ops/breakers/database/reset"),
        "{html}"
    );

    // The database breaker is listed with a reset button that works only with the token.
    let db = app
        .breakers
        .snapshot()
        .into_iter()
        .find(|b| b.name == "database");
    assert!(db.is_some(), "the database breaker is listed");
    let res = press(&app, &person, "/ops/breakers/database/reset", "").await?;
    assert_eq!(res.status(), 403, "without the form's token");
    let res = press(&app, &person, "/ops/breakers/database/reset", CSRF).await?;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[LOCATION], "/ops");
    let res = press(&app, &person, "/ops/breakers/no-such/reset", CSRF).await?;
    assert_eq!(res.status(), 404);
    Ok(())
}
