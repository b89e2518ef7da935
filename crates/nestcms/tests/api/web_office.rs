//! The office pages and the operations console over HTTP: what each role may open and do.
//! A client cannot open the staff's records; only a platform operator sees `/ops` and resets a
//! breaker there, and only with the form's token; a design upload from a page needs the token and
//! membership and stays within the upload limit.

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

/// A multipart body with the form token (when given) and one file field.
fn multipart(csrf: Option<&str>, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "nestcms-test-boundary";
    let mut body = Vec::new();
    if let Some(t) = csrf {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{t}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"plan.png\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn a_design_upload_from_the_page_is_checked_bounded_and_kept() -> anyhow::Result<()> {
    let app = crate::helpers::spawn_app_with(|c| c.server.upload_limit_bytes = 4096).await?;
    let (owner_id, owner) = app.user("owner@uploads.example").await?;
    let org = app.org(&owner, "Uploads Co").await?;
    let base = format!("/api/v1/orgs/{org}");
    let body =
        serde_json::json!({ "title": "P", "manager_id": owner_id, "start_date": "2027-01-01" });
    let project = crate::fixtures::ok(
        app.post(Some(&owner), &format!("{base}/projects"), &body)
            .await?,
        201,
    )
    .await?;
    let pid = crate::fixtures::id(&project);
    let body = serde_json::json!({ "title": "Plan", "url": "https://files.example/v1.pdf" });
    let design = crate::fixtures::ok(
        app.post(
            Some(&owner),
            &format!("{base}/projects/{pid}/designs"),
            &body,
        )
        .await?,
        201,
    )
    .await?;
    let did = crate::fixtures::id(&design);
    let path = format!("/app/o/{org}/projects/{pid}/designs/{did}/versions");
    let send = |token: String, csrf: Option<&'static str>, bytes: Vec<u8>| {
        let (ct, body) = multipart(csrf, "image/png", &bytes);
        let url = app.url(&path);
        async move {
            browser()?
                .post(url)
                .header(
                    COOKIE,
                    format!("nestcms_access={token}; nestcms_csrf={CSRF}"),
                )
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .map_err(anyhow::Error::from)
        }
    };
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&[7u8; 100]);

    assert_eq!(
        send(owner.clone(), None, png.clone()).await?.status(),
        403,
        "no form token"
    );
    let (_, stranger) = app.user("stranger@uploads.example").await?;
    assert_eq!(
        send(stranger, Some(CSRF), png.clone()).await?.status(),
        404,
        "not a member"
    );
    let mut big = png.clone();
    big.extend_from_slice(&[7u8; 5000]);
    let res = send(owner.clone(), Some(CSRF), big).await?;
    assert_eq!(res.status(), 400);
    assert!(res.text().await?.contains("at most 4096 bytes"));

    let res = send(owner.clone(), Some(CSRF), png.clone()).await?;
    assert_eq!(res.status(), 303);
    let (status, html) = open(&app, &owner, &format!("/app/o/{org}/projects/{pid}")).await?;
    assert_eq!(status, 200);
    let file = format!("/app/o/{org}/projects/{pid}/designs/{did}/versions/2/file");
    assert!(html.contains(&file), "{html}");
    let res = browser()?
        .get(app.url(&file))
        .header(COOKIE, format!("nestcms_access={owner}"))
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.bytes().await?.as_ref(),
        png.as_slice(),
        "the file comes back intact"
    );
    Ok(())
}
