use super::*;
use crate::payments::PaymentId;
use std::time::Duration;

fn event(kind: &str, detail: serde_json::Value) -> PaymentEvent {
    PaymentEvent::new(PaymentId(Uuid::now_v7()), kind, "ipn", None, detail)
}

#[test]
fn payment_events_map_to_the_types_endpoints_hear() {
    let paid = event("state_changed", json!({ "from": "pending", "to": "paid" }));
    assert_eq!(type_of(&paid), Some("payment.paid"));
    let declined = event("state_changed", json!({ "to": "declined" }));
    assert_eq!(type_of(&declined), Some("payment.failed"));
    let refunded = event("refund_settled", json!({ "state": "succeeded" }));
    assert_eq!(type_of(&refunded), Some("refund.succeeded"));
    let refused = event("refund_settled", json!({ "state": "failed" }));
    assert_eq!(type_of(&refused), Some("refund.failed"));
    let unsent = event(
        "refund_settled",
        json!({ "state": "failed", "sent": false }),
    );
    assert_eq!(type_of(&unsent), None, "never sent: no refund failed");
    assert_eq!(type_of(&event("ipn_received", json!({}))), None);
    assert_eq!(
        type_of(&event("state_changed", json!({ "to": "pending" }))),
        None
    );
}

#[test]
fn the_default_schedule_retries_for_more_than_three_days() {
    let s = RetrySchedule::webhooks();
    assert_eq!(s.attempts(), 10);
    assert!(s.span() > Duration::from_secs(3 * 24 * 3600));
    // Jitter only ever lengthens a wait, by at most a tenth.
    assert_eq!(s.after(1, 0.0), Some(Duration::from_secs(5)));
    assert_eq!(s.after(1, 1.0), Some(Duration::from_millis(5_500)));
    assert_eq!(s.after(10, 0.5), None);
    assert_eq!(s.after(0, 0.5), None);
}

#[test]
fn unknown_or_repeated_event_types_are_refused_with_their_position() {
    let ok = vec!["payment.paid".to_owned(), "refund.succeeded".to_owned()];
    assert!(check_event_types(&ok).is_ok());
    let unknown = vec!["payment.paid".to_owned(), "payment.teleported".to_owned()];
    let e = check_event_types(&unknown)
        .map(|()| "accepted")
        .unwrap_or_else(|e| {
            assert!(format!("{e:?}").contains("/event_types/1"), "{e:?}");
            "refused"
        });
    assert_eq!(e, "refused");
    let twice = vec!["payment.paid".to_owned(), "payment.paid".to_owned()];
    assert!(check_event_types(&twice).is_err());
}

#[test]
fn a_previous_secret_signs_until_it_expires() {
    let now = Utc::now();
    let e = Endpoint {
        id: EndpointId(Uuid::now_v7()),
        org: OrgId(Uuid::now_v7()),
        url: "https://example.com/hook".to_owned(),
        description: String::new(),
        event_types: vec!["payment.paid".to_owned()],
        secrets: vec![
            SigningSecret {
                secret: "whsec_new".to_owned(),
                expires_at: None,
            },
            SigningSecret {
                secret: "whsec_old".to_owned(),
                expires_at: Some(now + chrono::Duration::hours(1)),
            },
        ],
        enabled: true,
        disabled_reason: None,
        created_at: now,
    };
    assert_eq!(e.signing_at(now), vec!["whsec_new", "whsec_old"]);
    assert_eq!(
        e.signing_at(now + chrono::Duration::hours(2)),
        vec!["whsec_new"]
    );
    assert!(e.hears("payment.paid") && e.hears(TEST_TYPE) && !e.hears("refund.failed"));
    assert!(!format!("{:?}", e.secrets).contains("whsec_new"));
}

#[test]
fn the_audit_keeps_where_an_endpoint_points_not_the_token_in_its_path() {
    assert_eq!(
        url_origin("https://hooks.example.com:8443/in/s3cr3t-token?sig=abc#x"),
        "https://hooks.example.com:8443"
    );
    assert_eq!(
        url_origin("https://hooks.example.com?t=1"),
        "https://hooks.example.com"
    );
    assert_eq!(url_origin("https://[::1]:9000/x"), "https://[::1]:9000");
    assert_eq!(url_origin("https://plain.example"), "https://plain.example");
}
