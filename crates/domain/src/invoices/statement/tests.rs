use super::*;

fn e(day: &str, kind: EntryKind, amount: i64, currency: Currency) -> LedgerEntry {
    LedgerEntry {
        at: format!("{day}T10:00:00Z").parse().unwrap(),
        kind,
        reference: String::new(),
        description: String::new(),
        currency,
        amount,
    }
}

fn d(day: &str) -> NaiveDate {
    day.parse().unwrap()
}

/// A hand-computed fixture. In SAR: before October, invoiced 1,150.00 and paid 1,000.00, so
/// 150.00 is carried in. In October: invoice 2,300.00 (2,450.00), payment 2,300.00 (150.00),
/// credit note 100.00 (50.00), a refund of 40.00 paid back (90.00); a November invoice is
/// after the period. In KWD, only an October payment ahead of any invoice: −0.500.
#[test]
fn a_statement_carries_the_opening_balance_and_runs_the_balance_per_currency() {
    let entries = vec![
        e("2026-10-20", EntryKind::CreditNote, 10_000, Currency::Sar),
        e("2026-09-01", EntryKind::Invoice, 115_000, Currency::Sar),
        e("2026-11-02", EntryKind::Invoice, 50_000, Currency::Sar),
        e("2026-10-05", EntryKind::Payment, 230_000, Currency::Sar),
        e("2026-09-15", EntryKind::Payment, 100_000, Currency::Sar),
        e("2026-10-05", EntryKind::Invoice, 230_000, Currency::Sar),
        e("2026-10-21", EntryKind::Refund, 4_000, Currency::Sar),
        e("2026-10-09", EntryKind::Payment, 500, Currency::Kwd),
    ];
    let s = statements(entries, d("2026-10-01"), d("2026-10-31"));
    assert_eq!(s.len(), 2);
    let sar = &s[0];
    assert_eq!(sar.currency, Currency::Sar);
    assert_eq!(sar.opening, 15_000);
    let run: Vec<(EntryKind, i64)> = sar
        .lines
        .iter()
        .map(|l| (l.entry.kind, l.balance))
        .collect();
    assert_eq!(
        run,
        [
            (EntryKind::Invoice, 245_000),
            (EntryKind::Payment, 15_000),
            (EntryKind::CreditNote, 5_000),
            (EntryKind::Refund, 9_000),
        ]
    );
    assert_eq!(
        (sar.debits, sar.credits, sar.closing),
        (234_000, 240_000, 9_000)
    );
    assert_eq!(sar.opening + sar.debits - sar.credits, sar.closing);
    let kwd = &s[1];
    assert_eq!(
        (kwd.currency, kwd.opening, kwd.closing),
        (Currency::Kwd, 0, -500)
    );
    // A period with nothing in it and nothing carried in has no statement.
    assert!(
        statements(
            vec![e("2026-11-02", EntryKind::Invoice, 1, Currency::Aed)],
            d("2026-10-01"),
            d("2026-10-31")
        )
        .is_empty()
    );
}
