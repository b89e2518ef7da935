//! Statements of account: what a client was invoiced and paid, per currency, with the balance
//! carried in from before the period and a running balance after each entry. Amounts are never
//! summed across currencies.

use chrono::{DateTime, NaiveDate, Utc};

use crate::Currency;

/// What moved a client's balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntryKind {
    /// An invoice: owed more.
    Invoice,
    /// A debit note: owed more.
    DebitNote,
    /// Money paid back to the client: owed more (a credit note usually goes with it).
    Refund,
    /// A credit note: owed less.
    CreditNote,
    /// Money received: owed less.
    Payment,
}

impl EntryKind {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Invoice => "invoice",
            Self::DebitNote => "debit_note",
            Self::Refund => "refund",
            Self::CreditNote => "credit_note",
            Self::Payment => "payment",
        }
    }

    /// Whether it adds to what the client owes.
    pub const fn is_debit(self) -> bool {
        matches!(self, Self::Invoice | Self::DebitNote | Self::Refund)
    }
}

/// One movement, its amount positive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What it is.
    pub kind: EntryKind,
    /// The document or payment number.
    pub reference: String,
    /// In words.
    pub description: String,
    /// Currency.
    pub currency: Currency,
    /// Amount in minor units, positive.
    pub amount: i64,
}

/// An entry of a statement with the balance after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    /// The movement.
    pub entry: LedgerEntry,
    /// What the client owes after it (negative: in credit).
    pub balance: i64,
}

/// One currency's statement for a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Currency.
    pub currency: Currency,
    /// Owed at the start of the period.
    pub opening: i64,
    /// The period's movements, oldest first.
    pub lines: Vec<StatementLine>,
    /// Sum of the period's debits.
    pub debits: i64,
    /// Sum of the period's credits.
    pub credits: i64,
    /// Owed at the end of the period.
    pub closing: i64,
}

/// Statements per currency (in code order) of the entries from `from` to `to`, both days
/// included (UTC), with everything before `from` carried in as the opening balance. A
/// currency with neither an opening balance nor an entry in the period has no statement.
pub fn statements(mut entries: Vec<LedgerEntry>, from: NaiveDate, to: NaiveDate) -> Vec<Statement> {
    // By day, and within a day what is owed before what settles it, so a paid instalment's
    // invoice and payment show a balance going up then back to zero; documents of the same
    // second in number order.
    entries.sort_by(|a, b| {
        let key = |e: &LedgerEntry| (e.at.date_naive(), !e.kind.is_debit(), e.at, e.kind);
        key(a)
            .cmp(&key(b))
            .then_with(|| a.reference.cmp(&b.reference))
    });
    let mut currencies: Vec<Currency> = entries.iter().map(|e| e.currency).collect();
    currencies.sort();
    currencies.dedup();
    let mut out = Vec::new();
    for currency in currencies {
        let mut s = Statement {
            currency,
            opening: 0,
            lines: Vec::new(),
            debits: 0,
            credits: 0,
            closing: 0,
        };
        for e in entries.iter().filter(|e| e.currency == currency) {
            let day = e.at.date_naive();
            if day > to {
                continue;
            }
            let signed = if e.kind.is_debit() {
                e.amount
            } else {
                -e.amount
            };
            if day < from {
                s.opening = s.opening.saturating_add(signed);
                continue;
            }
            if e.kind.is_debit() {
                s.debits = s.debits.saturating_add(e.amount);
            } else {
                s.credits = s.credits.saturating_add(e.amount);
            }
            let balance = s
                .lines
                .last()
                .map_or(s.opening, |l| l.balance)
                .saturating_add(signed);
            s.lines.push(StatementLine {
                entry: e.clone(),
                balance,
            });
        }
        s.closing = s.lines.last().map_or(s.opening, |l| l.balance);
        if s.opening != 0 || !s.lines.is_empty() {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests;
