//! Long lists: the payment list (API and page) reaches every payment a page at a time and
//! filters by state in the store, so an office with years of payments still finds the old
//! ones; the other list pages link to their older items the same way.

use std::collections::BTreeSet;

use reqwest::header::COOKIE;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with_sim, start_sim};
use crate::payments::{created, shop};

/// The list's ids, and whether more follow.
async fn listed(app: &TestApp, token: &str, query: &str) -> anyhow::Result<(Vec<String>, bool)> {
    let s = app.get_as(token, query).await?;
    assert_eq!(s.status(), 200, "{query}");
    let body: Value = s.json().await?;
    let ids = body["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok((ids, body["has_more"] == json!(true)))
}

#[tokio::test]
async fn the_payment_list_pages_through_every_payment_and_filters_by_state() -> anyhow::Result<()> {
    let sim = start_sim(nestcms_paytabs_sim::Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    let mut paths = Vec::new();
    for amount in ["10.00", "20.00", "30.00"] {
        paths.push(created(&app, &s, amount, "SAR").await?);
    }
    let id = |path: &String| path.rsplit('/').next().unwrap_or_default().to_owned();
    // The oldest one is checked out: it alone is pending.
    let res = app
        .post(
            Some(&s.client),
            &format!("{}/checkout", paths[0]),
            &json!({}),
        )
        .await?;
    assert_eq!(res.status(), 200);

    let list = format!("/api/v1/orgs/{}/payments", s.org);
    let (first, more) = listed(&app, &s.owner, &format!("{list}?limit=2")).await?;
    assert_eq!(first, vec![id(&paths[2]), id(&paths[1])], "newest first");
    assert!(more);
    let next = format!("{list}?limit=2&starting_after={}", first[1]);
    let (rest, more) = listed(&app, &s.owner, &next).await?;
    assert_eq!(rest, vec![id(&paths[0])]);
    assert!(!more, "the last page says so");

    // A page of one, newest first, still finds the oldest: the store filters, not the page.
    let only = format!("{list}?state=pending&limit=1");
    let (pending, more) = listed(&app, &s.owner, &only).await?;
    assert_eq!(pending, vec![id(&paths[0])]);
    assert!(!more);
    let (waiting, _) = listed(&app, &s.client, &format!("{list}?state=created&order=asc")).await?;
    assert_eq!(waiting, vec![id(&paths[1]), id(&paths[2])]);

    let bad = app.get_as(&s.owner, &format!("{list}?state=lost")).await?;
    assert_eq!(bad.status(), 400);
    let problem: Value = bad.json().await?;
    assert_eq!(problem["errors"][0]["field"], "?state", "{problem}");
    let bad = app.get_as(&s.owner, &format!("{list}?limit=0")).await?;
    assert_eq!(bad.status(), 400);
    Ok(())
}

/// The page's HTML for the owner.
async fn page(app: &TestApp, token: &str, path: &str) -> anyhow::Result<(u16, String)> {
    let res = reqwest::Client::new()
        .get(app.url(path))
        .header(COOKIE, format!("nestcms_access={token}"))
        .send()
        .await?;
    Ok((res.status().as_u16(), res.text().await?))
}

/// The payment links on a payments page.
fn payment_links(html: &str, org: &str) -> BTreeSet<String> {
    let prefix = format!("/app/o/{org}/payments/");
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter_map(|href| href.strip_prefix(&prefix).map(str::to_owned))
        .collect()
}

/// The "Older" link's query, if the page has one.
fn older(html: &str) -> Option<String> {
    let at = html.find("rel=\"next\"")?;
    let start = html[..at].rfind("href=\"?")? + "href=\"?".len();
    let end = start + html[start..].find('"')?;
    Some(html[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

#[tokio::test]
async fn the_payments_page_shows_fifty_and_links_to_the_older_ones_keeping_the_filter()
-> anyhow::Result<()> {
    let sim = start_sim(nestcms_paytabs_sim::Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    // The oldest is checked out (pending); fifty-one newer ones wait.
    let oldest = created(&app, &s, "9.00", "SAR").await?;
    let res = app
        .post(Some(&s.client), &format!("{oldest}/checkout"), &json!({}))
        .await?;
    assert_eq!(res.status(), 200);
    let mut all = BTreeSet::new();
    for i in 0..51 {
        let path = created(&app, &s, &format!("{}.00", 10 + i), "SAR").await?;
        all.insert(path.rsplit('/').next().unwrap_or_default().to_owned());
    }
    let list = format!("/app/o/{}/payments", s.org);
    // Fifty newer payments do not hide the pending one from its filter.
    let (status, pending) = page(&app, &s.owner, &format!("{list}?state=pending")).await?;
    assert_eq!(status, 200);
    let oldest_id = oldest.rsplit('/').next().unwrap_or_default().to_owned();
    assert_eq!(payment_links(&pending, &s.org), BTreeSet::from([oldest_id]));
    let (status, first) = page(&app, &s.owner, &format!("{list}?state=created")).await?;
    assert_eq!(status, 200);
    let on_first = payment_links(&first, &s.org);
    assert_eq!(on_first.len(), 50, "a page holds fifty");
    let query = older(&first).expect("an Older link while more follow");
    assert!(query.starts_with("state=created&after="), "{query}");
    let (status, second) = page(&app, &s.owner, &format!("{list}?{query}")).await?;
    assert_eq!(status, 200);
    let on_second = payment_links(&second, &s.org);
    assert_eq!(on_second.len(), 1);
    assert!(older(&second).is_none(), "nothing older than the last");
    assert!(second.contains("rel=\"first\""), "a way back to the newest");
    let seen: BTreeSet<_> = on_first.union(&on_second).cloned().collect();
    assert_eq!(seen, all, "every payment once, none twice");

    let (status, none) = page(&app, &s.owner, &format!("{list}?state=paid")).await?;
    assert_eq!(status, 200);
    assert!(payment_links(&none, &s.org).is_empty() && older(&none).is_none());
    let (status, _) = page(&app, &s.owner, &format!("{list}?after=yesterday")).await?;
    assert_eq!(status, 400, "a malformed cursor is refused, not ignored");
    let (status, _) = page(&app, &s.owner, &format!("{list}?state=lost")).await?;
    assert_eq!(status, 400);
    Ok(())
}
