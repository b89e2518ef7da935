//! What clients owe: payments recorded against invoices, a client's statement of account and
//! the organization's aging report, checked against figures computed by hand.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem, spawn_app};
use crate::invoices::saudi;
use crate::payments::{Shop, ok, shop};

/// Issues an invoice to the shop's client of one line, VAT included, due `due_in` days from
/// today; returns its path.
async fn issued(app: &TestApp, s: &Shop, amount: &str, due_in: i64) -> anyhow::Result<String> {
    let base = format!("/api/v1/orgs/{}/invoices", s.org);
    let due = (Utc::now().date_naive() + Duration::days(due_in)).to_string();
    let body = json!({
        "currency": "SAR", "due_on": due,
        "buyer": { "name": "Villa owner", "client_id": s.client_id },
        "lines": [{ "description": "Works", "quantity": "1", "unit_price": amount }],
    });
    let d = ok(app.post(Some(&s.owner), &base, &body).await?, 201).await?;
    let path = format!("{base}/{}", d["id"].as_str().unwrap_or_default());
    ok(
        app.post(Some(&s.owner), &format!("{path}/issue"), &json!({}))
            .await?,
        200,
    )
    .await?;
    Ok(path)
}

#[tokio::test]
async fn statements_and_aging_match_figures_computed_by_hand() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let s = shop(&app).await?;
    saudi(&app, &s).await?;
    // A: 1150.00, 45 days past due, 150.00 credited → 1000.00 in 31–60.
    let a = issued(&app, &s, "1150.00", -45).await?;
    ok(
        app.post(
            Some(&s.owner),
            &format!("{a}/credit-notes"),
            &json!({ "amount": "150.00", "reason": "Snagging" }),
        )
        .await?,
        201,
    )
    .await?;
    // B: 230.00, due in ten days → current.
    issued(&app, &s, "230.00", 10).await?;
    // C: 575.00, 100 days past due, 175.00 received by transfer yesterday → 400.00 over 90.
    let c = issued(&app, &s, "575.00", -100).await?;
    let yesterday = (Utc::now().date_naive() - Duration::days(1)).to_string();
    let paid = ok(
        app.post(Some(&s.owner), &format!("{c}/payments"), &json!({ "amount": "175.00", "method": "bank_transfer", "reference": "TRF-88", "paid_on": yesterday }))
            .await?,
        200,
    )
    .await?;
    assert_eq!(
        (&paid["state"], &paid["paid"], &paid["balance"]),
        (&json!("partially_paid"), &json!("175.00"), &json!("400.00"))
    );
    let p = problem(
        app.post(
            Some(&s.owner),
            &format!("{c}/payments"),
            &json!({ "amount": "400.01", "method": "cash" }),
        )
        .await?,
        422,
        "overpaid",
    )
    .await?;
    assert_eq!(p["errors"][0]["field"], "/amount");
    let p = problem(
        app.post(
            Some(&s.owner),
            &format!("{c}/payments"),
            &json!({ "amount": "1.00", "method": "barter" }),
        )
        .await?,
        400,
        "validation_failed",
    )
    .await?;
    assert_eq!(p["errors"][0]["field"], "/method");

    let aging = ok(
        app.get_as(&s.owner, &format!("/api/v1/orgs/{}/reports/aging", s.org))
            .await?,
        200,
    )
    .await?;
    let sar = &aging["currencies"][0];
    assert_eq!(sar["currency"], "SAR");
    assert_eq!(
        sar["totals"],
        json!({ "current": "230.00", "days_1_30": "0.00", "days_31_60": "1000.00", "days_61_90": "0.00", "over_90": "400.00", "total": "1630.00" })
    );
    assert_eq!(sar["rows"][0]["client_id"], s.client_id.as_str());
    // Sixty days on, A and B have aged too.
    let later = (Utc::now().date_naive() + Duration::days(60)).to_string();
    let aging = ok(
        app.get_as(
            &s.owner,
            &format!("/api/v1/orgs/{}/reports/aging?as_of={later}", s.org),
        )
        .await?,
        200,
    )
    .await?;
    let t = &aging["currencies"][0]["totals"];
    assert_eq!(
        (&t["days_31_60"], &t["over_90"]),
        (&json!("230.00"), &json!("1400.00"))
    );
    assert_eq!(
        app.get_as(&s.client, &format!("/api/v1/orgs/{}/reports/aging", s.org))
            .await?
            .status(),
        403
    );
    // As things stood yesterday, before any of today's invoices: nothing was owed.
    let aging = ok(
        app.get_as(
            &s.owner,
            &format!("/api/v1/orgs/{}/reports/aging?as_of={yesterday}", s.org),
        )
        .await?,
        200,
    )
    .await?;
    assert_eq!(aging["currencies"], json!([]));

    // The statement since yesterday: the transfer, then today's three invoices and the note.
    let statement = format!("/api/v1/orgs/{}/clients/{}/statement", s.org, s.client_id);
    let st = ok(
        app.get_as(&s.client, &format!("{statement}?from={yesterday}"))
            .await?,
        200,
    )
    .await?;
    let sar: &Value = &st["currencies"][0];
    assert_eq!(
        (
            &sar["opening_balance"],
            &sar["total_debits"],
            &sar["total_credits"],
            &sar["closing_balance"]
        ),
        (
            &json!("0.00"),
            &json!("1955.00"),
            &json!("325.00"),
            &json!("1630.00")
        )
    );
    let run: Vec<(&str, &str)> = sar["lines"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            (
                l["kind"].as_str().unwrap_or_default(),
                l["balance"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        run,
        [
            ("payment", "-175.00"),
            ("invoice", "975.00"),
            ("invoice", "1205.00"),
            ("invoice", "1780.00"),
            ("credit_note", "1630.00")
        ]
    );
    // From tomorrow everything is carried in.
    let tomorrow = (Utc::now().date_naive() + Duration::days(1)).to_string();
    let st = ok(
        app.get_as(
            &s.owner,
            &format!("{statement}?from={tomorrow}&to={tomorrow}"),
        )
        .await?,
        200,
    )
    .await?;
    let sar = &st["currencies"][0];
    assert_eq!(
        (&sar["opening_balance"], &sar["closing_balance"]),
        (&json!("1630.00"), &json!("1630.00"))
    );
    assert_eq!(sar["lines"], json!([]));
    problem(
        app.get_as(
            &s.owner,
            &format!("{statement}?from={tomorrow}&to={yesterday}"),
        )
        .await?,
        400,
        "validation_failed",
    )
    .await?;
    // Another client of the firm does not see this one's statement.
    let (_, other) = app.user("other@pay.example").await?;
    app.add_member(&s.owner, &s.org, "other@pay.example", "client")
        .await?;
    assert_eq!(app.get_as(&other, &statement).await?.status(), 404);

    // Accountants' exports: the four documents of today, and the transfer of yesterday.
    let exports = format!("/api/v1/orgs/{}/exports", s.org);
    let res = app
        .get_as(
            &s.owner,
            &format!("{exports}/invoices.csv?from={yesterday}"),
        )
        .await?;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = res.text().await?;
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(
        lines[0].starts_with("number,kind,form,state,issued_at"),
        "{csv}"
    );
    // In chain order: the credit note came right after the invoice it corrects.
    assert!(
        lines[2].starts_with("CN-000001,credit_note,simplified,issued,"),
        "{csv}"
    );
    assert!(
        lines[2].contains(",150.00,") && lines[2].contains(",INV-000001,"),
        "{csv}"
    );
    let csv = app
        .get_as(
            &s.owner,
            &format!("{exports}/payments.csv?from={yesterday}"),
        )
        .await?
        .text()
        .await?;
    assert!(
        csv.contains(",recorded,TRF-88,Villa owner,SAR,175.00,0.00,bank_transfer,INV-000003"),
        "{csv}"
    );
    assert_eq!(
        app.get_as(&s.client, &format!("{exports}/payments.csv"))
            .await?
            .status(),
        403
    );

    let pdf = app
        .get_as(&s.client, &format!("{statement}/pdf?from={yesterday}"))
        .await?;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await?.starts_with(b"%PDF"));

    // A payment not paid yet has no receipt.
    let unpaid = crate::payments::created(&app, &s, "10.00", "SAR").await?;
    problem(
        app.get_as(&s.owner, &format!("{unpaid}/receipt")).await?,
        409,
        "not_paid",
    )
    .await?;

    // A buyer named like a formula is exported as text, never run by a spreadsheet.
    let base = format!("/api/v1/orgs/{}/invoices", s.org);
    let body = json!({ "currency": "SAR", "buyer": { "name": "=HYPERLINK(\"http://x\")" }, "lines": [{ "description": "x", "quantity": "1", "unit_price": "1.00" }] });
    let d = ok(app.post(Some(&s.owner), &base, &body).await?, 201).await?;
    ok(
        app.post(
            Some(&s.owner),
            &format!("{base}/{}/issue", d["id"].as_str().unwrap_or_default()),
            &json!({}),
        )
        .await?,
        200,
    )
    .await?;
    let csv = app
        .get_as(&s.owner, &format!("{exports}/invoices.csv"))
        .await?
        .text()
        .await?;
    assert!(csv.contains(",\"'=HYPERLINK(\"\"http://x\"\")\","), "{csv}");
    Ok(())
}
