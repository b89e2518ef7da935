//! The aging of receivables: what each client still owes on issued invoices and debit notes,
//! by how long past due it is on a given day (current, 1–30, 31–60, 61–90, over 90 days), per
//! currency. A document with no due date is due the day it was issued.

use chrono::NaiveDate;

use crate::Currency;
use crate::identity::UserId;

/// One open document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receivable {
    /// The client, when the buyer is one.
    pub client: Option<UserId>,
    /// Who is invoiced.
    pub buyer: String,
    /// Due day.
    pub due: NaiveDate,
    /// Currency.
    pub currency: Currency,
    /// Still owed, in minor units.
    pub balance: i64,
}

/// Amounts by age, in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Buckets {
    /// Not yet past due.
    pub current: i64,
    /// 1 to 30 days past due.
    pub days_1_30: i64,
    /// 31 to 60.
    pub days_31_60: i64,
    /// 61 to 90.
    pub days_61_90: i64,
    /// More than 90.
    pub over_90: i64,
}

impl Buckets {
    /// Adds `amount` at `days` past due.
    fn add(&mut self, days: i64, amount: i64) {
        let slot = match days {
            ..=0 => &mut self.current,
            1..=30 => &mut self.days_1_30,
            31..=60 => &mut self.days_31_60,
            61..=90 => &mut self.days_61_90,
            _ => &mut self.over_90,
        };
        *slot = slot.saturating_add(amount);
    }

    /// Everything owed.
    pub fn total(&self) -> i64 {
        [
            self.current,
            self.days_1_30,
            self.days_31_60,
            self.days_61_90,
            self.over_90,
        ]
        .iter()
        .fold(0i64, |a, b| a.saturating_add(*b))
    }
}

/// One buyer's row in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgingRow {
    /// The client, when the buyer is one.
    pub client: Option<UserId>,
    /// Who is invoiced.
    pub buyer: String,
    /// Amounts by age.
    pub buckets: Buckets,
}

/// One currency's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aging {
    /// Currency.
    pub currency: Currency,
    /// Per buyer, largest total first.
    pub rows: Vec<AgingRow>,
    /// The sums of the rows.
    pub totals: Buckets,
}

/// The report on `as_of`, per currency in code order.
pub fn aging(open: &[Receivable], as_of: NaiveDate) -> Vec<Aging> {
    let mut out: Vec<Aging> = Vec::new();
    for r in open.iter().filter(|r| r.balance > 0) {
        let days = (as_of - r.due).num_days();
        let report = match out.iter_mut().position(|a| a.currency == r.currency) {
            Some(i) => &mut out[i],
            None => {
                out.push(Aging {
                    currency: r.currency,
                    rows: Vec::new(),
                    totals: Buckets::default(),
                });
                let last = out.len() - 1;
                &mut out[last]
            }
        };
        report.totals.add(days, r.balance);
        let row = match report
            .rows
            .iter()
            .position(|x| x.client == r.client && x.buyer == r.buyer)
        {
            Some(i) => &mut report.rows[i],
            None => {
                report.rows.push(AgingRow {
                    client: r.client,
                    buyer: r.buyer.clone(),
                    buckets: Buckets::default(),
                });
                let last = report.rows.len() - 1;
                &mut report.rows[last]
            }
        };
        row.buckets.add(days, r.balance);
    }
    out.sort_by_key(|a| a.currency);
    for a in &mut out {
        a.rows.sort_by(|x, y| {
            y.buckets
                .total()
                .cmp(&x.buckets.total())
                .then_with(|| x.buyer.cmp(&y.buyer))
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(buyer: &str, due: &str, currency: Currency, balance: i64) -> Receivable {
        Receivable {
            client: None,
            buyer: buyer.to_owned(),
            due: due.parse().unwrap(),
            currency,
            balance,
        }
    }

    /// A hand-computed fixture on 2026-11-30: due today and tomorrow are current; 30 days past
    /// due (Oct 31) is 1–30; 31 (Oct 30) and 60 (Oct 1) are 31–60; 61 (Sep 30) and 90 (Sep 1)
    /// are 61–90; 91 (Aug 31) is over 90. Paid-off documents and other currencies stay apart.
    #[test]
    fn balances_fall_into_their_buckets_by_days_past_due() {
        let open = [
            r("Rayyan", "2026-11-30", Currency::Sar, 100),
            r("Rayyan", "2026-12-01", Currency::Sar, 200),
            r("Rayyan", "2026-10-31", Currency::Sar, 400),
            r("Gulf", "2026-10-30", Currency::Sar, 800),
            r("Gulf", "2026-10-01", Currency::Sar, 1_600),
            r("Gulf", "2026-09-30", Currency::Sar, 3_200),
            r("Rayyan", "2026-09-01", Currency::Sar, 6_400),
            r("Gulf", "2026-08-31", Currency::Sar, 12_800),
            r("Gulf", "2026-08-31", Currency::Sar, 0),
            r("Nile", "2026-11-01", Currency::Egp, 5_000),
        ];
        let report = aging(&open, "2026-11-30".parse().unwrap());
        assert_eq!(report.len(), 2);
        let sar = &report[0];
        assert_eq!(
            sar.totals,
            Buckets {
                current: 300,
                days_1_30: 400,
                days_31_60: 2_400,
                days_61_90: 9_600,
                over_90: 12_800
            }
        );
        assert_eq!(sar.totals.total(), 25_500);
        let names: Vec<(&str, i64)> = sar
            .rows
            .iter()
            .map(|x| (x.buyer.as_str(), x.buckets.total()))
            .collect();
        assert_eq!(names, [("Gulf", 18_400), ("Rayyan", 7_100)]);
        assert_eq!(report[1].totals.days_1_30, 5_000);
    }
}
