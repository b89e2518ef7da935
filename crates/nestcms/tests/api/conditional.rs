//! Conditional GETs: a phone polling a payment or a list gets 304 and no body while nothing
//! changed, and the new answer as soon as something did.

use nestcms_paytabs_sim::Faults;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app_with_sim, start_sim};
use crate::payments::{created, shop};

async fn get_if(
    app: &TestApp,
    token: Option<&str>,
    path: &str,
    tag: Option<&str>,
) -> anyhow::Result<reqwest::Response> {
    let mut req = app.client.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(tag) = tag {
        req = req.header("if-none-match", tag);
    }
    Ok(req.send().await?)
}

fn etag(res: &reqwest::Response) -> String {
    res.headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_polled_payment_answers_304_until_it_changes() -> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    let path = created(&app, &s, "75.00", "SAR").await?;

    let first = get_if(&app, Some(&s.client), &path, None).await?;
    assert_eq!(first.status(), 200);
    let tag = etag(&first);
    assert!(tag.starts_with("W/\""), "a weak tag: {tag}");
    assert_eq!(
        first.headers()["cache-control"],
        "private, no-cache",
        "a caller's answer is for the caller only, and always revalidated"
    );
    let again = get_if(&app, Some(&s.client), &path, Some(&tag)).await?;
    assert_eq!(again.status(), 304);
    assert_eq!(etag(&again), tag);
    assert_eq!(again.headers()["cache-control"], "private, no-cache");
    assert!(again.bytes().await?.is_empty(), "no body on 304");

    // The client pays: the same tag now gets the new state.
    let res = app
        .post(Some(&s.client), &format!("{path}/checkout"), &json!({}))
        .await?;
    assert_eq!(res.status(), 200);
    let changed = get_if(&app, Some(&s.client), &path, Some(&tag)).await?;
    assert_eq!(changed.status(), 200);
    assert_ne!(etag(&changed), tag);
    let body: serde_json::Value = changed.json().await?;
    assert_eq!(body["state"], "pending");
    Ok(())
}

#[tokio::test]
async fn lists_and_public_pages_are_tagged_too_and_errors_are_not() -> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    created(&app, &s, "10.00", "SAR").await?;
    let list = format!("/api/v1/orgs/{}/payments", s.org);
    let tag = etag(&get_if(&app, Some(&s.owner), &list, None).await?);
    let res = get_if(
        &app,
        Some(&s.owner),
        &list,
        Some(&format!("\"other\", {tag}")),
    )
    .await?;
    assert_eq!(res.status(), 304, "any tag of the list matches");
    created(&app, &s, "20.00", "SAR").await?;
    assert_eq!(
        get_if(&app, Some(&s.owner), &list, Some(&tag))
            .await?
            .status(),
        200,
        "a new payment changes the list"
    );

    let public = get_if(&app, None, "/api/v1/articles", None).await?;
    assert_eq!(public.status(), 200);
    assert!(
        public.headers().get("cache-control").is_none(),
        "no credentials, nothing private"
    );
    let public_tag = etag(&public);
    let res = get_if(&app, None, "/api/v1/articles", Some(&public_tag)).await?;
    assert_eq!(res.status(), 304);

    let missing = format!("{list}/0190b0c4-0000-7000-8000-000000000000");
    let res = get_if(&app, Some(&s.owner), &missing, Some("*")).await?;
    assert_eq!(res.status(), 404, "only a 200 is ever replaced by 304");
    assert!(res.headers().get("etag").is_none());
    Ok(())
}
