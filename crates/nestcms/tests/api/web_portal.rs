//! The web workspaces over HTTP, for what a browser test cannot easily force: the client's Pay
//! button never opens a second charge (nor one beside a payment the bank holds), the result page shows our records rather than what the
//! return claimed, the instalment editor refuses a schedule that does not add up and keeps
//! what was typed, a refund form pressed twice refunds once, and the language switch never
//! sends anyone off the site. (tests/browser walks the whole story in Chromium.)

use nestcms_paytabs_sim::Faults;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::helpers::{TestApp, spawn_app_with_sim, start_sim};
use crate::instalments::{approved_contract_due, contract_in_review};
use crate::payments::{Shop, ok, press, shop};

/// A form token: any 43 characters, repeated in the cookie and the form, as a browser would.
const CSRF: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";

/// What a browser signed in with `token` sends.
fn cookies(token: &str) -> String {
    format!("nestcms_access={token}; nestcms_csrf={CSRF}")
}

fn browser() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// Posts a form as the person with `token`; the token field comes first.
async fn post(
    app: &TestApp,
    token: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> anyhow::Result<reqwest::Response> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf", CSRF)
        .extend_pairs(fields)
        .finish();
    Ok(browser()?
        .post(app.url(path))
        .header(COOKIE, cookies(token))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await?)
}

async fn page(app: &TestApp, token: &str, path: &str) -> anyhow::Result<(u16, String)> {
    let res = browser()?
        .get(app.url(path))
        .header(COOKIE, cookies(token))
        .header("accept-language", "en")
        .send()
        .await?;
    Ok((res.status().as_u16(), res.text().await?))
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A shop with a contract the client approved: three KWD instalments, the first due today.
async fn approved(app: &TestApp) -> anyhow::Result<(Shop, String)> {
    let s = shop(app).await?;
    let (_, contract) = approved_contract_due(app, &s, [0, 30, 60]).await?;
    Ok((s, contract))
}

#[tokio::test]
async fn the_pay_button_opens_one_charge_and_the_result_page_shows_our_records()
-> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let (s, contract) = approved(&app).await?;
    let pay = format!("/app/o/{}/contracts/{contract}/pay/1", s.org);

    // The client's contract page offers to pay what is due, and its policy lets the form's
    // answer lead to the gateway's page.
    let res = browser()?
        .get(app.url(&format!("/app/o/{}/contracts/{contract}", s.org)))
        .header(COOKIE, cookies(&s.client))
        .send()
        .await?;
    let csp = res.headers()["content-security-policy"]
        .to_str()?
        .to_owned();
    assert!(
        csp.contains(&format!("form-action 'self' {};", sim.url)),
        "{csp}"
    );
    let (status, html) = page(
        &app,
        &s.client,
        &format!("/app/o/{}/contracts/{contract}", s.org),
    )
    .await?;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("action=\"{pay}\"")), "{html}");

    // Pressing twice goes to the same gateway page: one payment, one charge.
    let first = post(&app, &s.client, &pay, &[]).await?;
    assert_eq!(first.status(), 303);
    let gateway = location(&first);
    assert!(gateway.starts_with(&sim.url), "{gateway}");
    let again = post(&app, &s.client, &pay, &[]).await?;
    assert_eq!(
        location(&again),
        gateway,
        "the live page, not a second charge"
    );
    let list = ok(
        app.get_as(&s.owner, &format!("/api/v1/orgs/{}/payments", s.org))
            .await?,
        200,
    )
    .await?;
    let payments = list["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(payments.len(), 1, "{list}");
    let id = payments[0]["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(payments[0]["amount"], "150.000");

    // A return claiming success does not make it so: the page reads our records.
    let (_, html) = page(
        &app,
        &s.client,
        &format!("/app/paid?payment_id={id}&state=paid"),
    )
    .await?;
    assert!(
        html.contains("being confirmed") && html.contains("hx-trigger=\"every 2s\""),
        "{html}"
    );

    // Paid at the gateway, the same page says so and leads back to the contract.
    press(&gateway, "A").await?;
    let mut html = String::new();
    for _ in 0..100 {
        html = page(&app, &s.client, &format!("/app/paid?payment_id={id}"))
            .await?
            .1;
        if html.contains("your payment was received") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(html.contains("your payment was received"), "{html}");
    assert!(
        html.contains(&format!("/app/o/{}/contracts/{contract}", s.org)),
        "{html}"
    );
    assert!(
        !html.contains("hx-trigger"),
        "a settled payment stops polling"
    );

    // Paid, the instalment has no Pay button and pressing one anyway is refused.
    let refused = post(&app, &s.client, &pay, &[]).await?;
    assert_eq!(refused.status(), 409);
    assert!(refused.text().await?.contains("already paid"));

    // Someone else's client cannot pay it, nor learn it exists.
    let (_, stranger) = app.user("stranger@pay.example").await?;
    let res = post(&app, &stranger, &pay, &[]).await?;
    assert_eq!(res.status(), 404);
    Ok(())
}

/// How many instalments contract `k` has, as the API tells the owner.
async fn instalments(app: &TestApp, s: &Shop, k: &str) -> anyhow::Result<usize> {
    let path = format!("/api/v1/orgs/{}/contracts/{k}", s.org);
    let body = ok(app.get_as(&s.owner, &path).await?, 200).await?;
    Ok(body["instalments"].as_array().map_or(0, Vec::len))
}

#[tokio::test]
async fn the_instalment_editor_refuses_a_schedule_that_does_not_add_up() -> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    let k = contract_in_review(&app, &s, "1000.00", "SAR").await?;
    let editor = format!("/app/o/{}/contracts/{k}/instalments", s.org);

    let (_, html) = page(&app, &s.owner, &format!("/app/o/{}/contracts/{k}", s.org)).await?;
    assert!(
        html.contains("data-total=\"1000.00\"") && html.contains("data-exponent=\"2\""),
        "{html}"
    );

    // 600 + 300 is not 1,000: refused with the reason, the rows as typed kept.
    let rows = [
        ("amount", "600.00"),
        ("due", "2099-01-01"),
        ("amount", "300.00"),
        ("due", "2099-02-01"),
        ("amount", ""),
        ("due", ""),
    ];
    let res = post(&app, &s.owner, &editor, &rows).await?;
    assert_eq!(res.status(), 422);
    let html = res.text().await?;
    assert!(
        html.contains("role=\"alert\"") && html.contains("value=\"300.00\""),
        "{html}"
    );
    assert_eq!(instalments(&app, &s, &k).await?, 0, "nothing saved");

    // An amount that is not one names its row.
    let res = post(
        &app,
        &s.owner,
        &editor,
        &[("amount", "ten"), ("due", "2099-01-01")],
    )
    .await?;
    assert_eq!(res.status(), 400);
    assert!(res.text().await?.contains("instalments/0/amount"));

    // 600 + 400 is saved.
    let rows = [
        ("amount", "600.00"),
        ("due", "2099-01-01"),
        ("amount", "400.00"),
        ("due", "2099-02-01"),
    ];
    let res = post(&app, &s.owner, &editor, &rows).await?;
    assert_eq!(res.status(), 303);
    assert_eq!(instalments(&app, &s, &k).await?, 2, "two saved");

    // The client cannot edit it.
    let res = post(&app, &s.client, &editor, &rows).await?;
    assert_eq!(res.status(), 403);
    Ok(())
}

#[tokio::test]
async fn a_refund_form_sent_twice_refunds_once() -> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let (s, contract) = approved(&app).await?;
    let first = post(
        &app,
        &s.client,
        &format!("/app/o/{}/contracts/{contract}/pay/1", s.org),
        &[],
    )
    .await?;
    press(&location(&first), "A").await?;
    let list = format!("/api/v1/orgs/{}/payments", s.org);
    let mut id = String::new();
    for _ in 0..100 {
        let body = ok(app.get_as(&s.owner, &list).await?, 200).await?;
        if body["data"][0]["state"] == "paid" {
            id = body["data"][0]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!id.is_empty(), "the payment was never paid");
    let path = format!("/app/o/{}/payments/{id}", s.org);
    let (_, html) = page(&app, &s.owner, &path).await?;
    let key = html
        .split("name=\"key\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(key.len(), 43, "{html}");

    // The same form sent twice: both answers lead back to the payment, one refund is made.
    let form = [
        ("amount", "20.000"),
        ("reason", "Less tiling"),
        ("key", key.as_str()),
    ];
    for _ in 0..2 {
        let res = post(&app, &s.owner, &format!("{path}/refunds"), &form).await?;
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), path);
    }
    let body = ok(app.get_as(&s.owner, &format!("{list}/{id}")).await?, 200).await?;
    assert_eq!(body["refunded"], "20.000", "{body}");
    // The same key with other fields is another form's: refused.
    let other = [
        ("amount", "30.000"),
        ("reason", "Less tiling"),
        ("key", key.as_str()),
    ];
    let res = post(&app, &s.owner, &format!("{path}/refunds"), &other).await?;
    assert_eq!(res.status(), 422);
    assert_eq!(body["state"], "partially_refunded");

    // The client sees the payment but no refund form.
    let (status, html) = page(&app, &s.client, &path).await?;
    assert_eq!(status, 200);
    assert!(!html.contains("/refunds\""), "{html}");
    Ok(())
}

#[tokio::test]
async fn a_link_opened_before_signing_in_is_where_signing_in_leads() -> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let res = browser()?.get(app.url("/app?join=inv_abc")).send().await?;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/?next=%2Fapp%3Fjoin%3Dinv_abc");
    let (_, html) = page(&app, "", "/?next=%2Fapp%3Fjoin%3Dinv_abc").await?;
    assert!(
        html.contains("name=\"next\" value=\"/app?join=inv_abc\""),
        "{html}"
    );
    app.user("walker@pay.example").await?;
    let signin = [
        ("email", "walker@pay.example"),
        ("password", crate::helpers::PASSWORD),
        ("next", "/app?join=inv_abc"),
    ];
    let res = post(&app, "", "/signin", &signin).await?;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/app?join=inv_abc");
    // A form sent after the session ended is not a place to come back to.
    let res = post(&app, "", "/app/orgs", &[("title", "Late")]).await?;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/");
    // Never somewhere else.
    let away = [signin[0], signin[1], ("next", "//evil.example/x")];
    let res = post(&app, "", "/signin", &away).await?;
    assert_eq!(location(&res), "/app");
    Ok(())
}

#[tokio::test]
async fn the_language_switch_is_remembered_and_never_leaves_the_site() -> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let (_, token) = app.user("reader@pay.example").await?;
    for (back, to) in [
        ("/app", "/app"),
        ("//evil.example/x", "/"),
        ("/\t/evil.example", "/"),
        ("https://evil.example", "/"),
    ] {
        let res = post(&app, &token, "/lang", &[("lang", "ar"), ("back", back)]).await?;
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), to, "back={back}");
        let set: Vec<_> = res
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert!(
            set.iter().any(|c| c.starts_with("nestcms_lang=ar;")),
            "{set:?}"
        );
    }
    // The choice wins over the browser's languages.
    let res = browser()?
        .get(app.url("/"))
        .header(COOKIE, "nestcms_lang=ar")
        .header("accept-language", "en")
        .send()
        .await?;
    assert!(res.text().await?.contains("<html lang=\"ar\" dir=\"rtl\">"));
    // Without its token the switch is refused.
    let res = browser()?
        .post(app.url("/lang"))
        .header(COOKIE, cookies(&token))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("lang=ar&back=/")
        .send()
        .await?;
    assert_eq!(res.status(), 403);
    Ok(())
}

#[tokio::test]
async fn a_payment_on_hold_is_not_offered_again() -> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let (s, contract) = approved(&app).await?;
    let pay = format!("/app/o/{}/contracts/{contract}/pay/1", s.org);
    let first = post(&app, &s.client, &pay, &[]).await?;
    assert_eq!(first.status(), 303);
    // The bank holds the charge for review.
    press(&location(&first), "H").await?;
    let list = format!("/api/v1/orgs/{}/payments", s.org);
    let listed = ok(app.get_as(&s.owner, &list).await?, 200).await?;
    let id = listed["data"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    crate::payments::wait_for(&app, &s, &format!("{list}/{id}"), "on_hold").await?;

    // No Pay button for it (the page links the held payment instead), and pressing one
    // anyway opens no second charge.
    let (status, html) = page(
        &app,
        &s.client,
        &format!("/app/o/{}/contracts/{contract}", s.org),
    )
    .await?;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("/payments/{id}\"")), "{html}");
    assert!(!html.contains(&format!("action=\"{pay}\"")), "{html}");
    let again = post(&app, &s.client, &pay, &[]).await?;
    assert_eq!(again.status(), 409);
    assert!(again.text().await?.contains("being confirmed"));
    let all = ok(app.get_as(&s.owner, &list).await?, 200).await?;
    assert_eq!(all["data"].as_array().map(Vec::len), Some(1), "{all}");
    Ok(())
}
