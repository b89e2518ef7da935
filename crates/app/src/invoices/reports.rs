//! Money received outside the gateway, statements of account and the aging of receivables.

use chrono::{Datelike, NaiveDate, Utc};
use nestcms_domain::identity::policy::Action;
use nestcms_domain::identity::{OrgId, UserId};
use nestcms_domain::invoices::aging::{Aging, aging};
use nestcms_domain::invoices::ports::{NOT_PAYABLE, StatementDoc};
use nestcms_domain::invoices::statement::statements;
use nestcms_domain::invoices::{Invoice, InvoiceId, InvoicePayment, PaymentMethod};
use nestcms_domain::{DomainError, FieldError, Money, PortError};

use super::Invoicing;
use crate::{Principal, caller, port};

/// Money received, as typed.
#[derive(Debug, Clone, Default)]
pub struct PaymentInput {
    /// Decimal in the document's currency.
    pub amount: String,
    /// `bank_transfer`, `cash`, `cheque`, `card` or `other`.
    pub method: String,
    /// The bank's or cheque's reference.
    pub reference: Option<String>,
    /// The day it was received (today when absent).
    pub paid_on: Option<NaiveDate>,
}

/// The longest period one statement covers.
const MAX_DAYS: i64 = 5 * 366;

/// Checks a statement's period: `from` defaults to the first of January, `to` to today (UTC).
pub fn period(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<(NaiveDate, NaiveDate), DomainError> {
    let today = Utc::now().date_naive();
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
    if from > to {
        return Err(DomainError::invalid(
            "/from",
            "invalid_period",
            "from must not be after to",
        ));
    }
    if (to - from).num_days() > MAX_DAYS {
        return Err(DomainError::invalid(
            "/from",
            "invalid_period",
            "a statement covers at most five years",
        ));
    }
    Ok((from, to))
}

impl Invoicing {
    /// Records money received against an open invoice or debit note.
    #[tracing::instrument(name = "invoices.record_payment", skip_all)]
    pub async fn record_payment(
        &self,
        who: Principal,
        org: OrgId,
        id: InvoiceId,
        i: PaymentInput,
    ) -> Result<Invoice, DomainError> {
        let c = self.staff(who, org, Action::ManageInvoices).await?;
        let doc = self.document(org, id).await?;
        let mut errors = Vec::new();
        let amount = match Money::parse_positive(i.amount.trim(), doc.currency) {
            Ok(m) => m.minor(),
            Err(e) => {
                errors.push(FieldError::new("/amount", e.code(), e.to_string()));
                0
            }
        };
        let method = PaymentMethod::parse(i.method.trim());
        if method.is_none() {
            errors.push(FieldError::new(
                "/method",
                "invalid_method",
                "bank_transfer, cash, cheque, card or other",
            ));
        }
        let reference = i.reference.unwrap_or_default().trim().to_owned();
        if reference.chars().count() > 200 {
            errors.push(FieldError::new(
                "/reference",
                "too_long",
                "at most 200 characters",
            ));
        }
        let today = Utc::now().date_naive();
        let paid_on = i.paid_on.unwrap_or(today);
        if paid_on > today {
            errors.push(FieldError::new(
                "/paid_on",
                "in_future",
                "the day the money was received, not later than today",
            ));
        }
        let (Some(method), true) = (method, errors.is_empty()) else {
            return Err(DomainError::Validation(errors));
        };
        let left = doc.balance();
        if amount > left {
            return Err(DomainError::Unprocessable {
                code: "overpaid",
                errors: vec![FieldError::new(
                    "/amount",
                    "overpaid",
                    format!("{} is left to pay", doc.money(left)),
                )],
            });
        }
        let p = InvoicePayment {
            id: uuid::Uuid::now_v7(),
            invoice: id,
            org,
            amount,
            method,
            reference,
            paid_on,
            recorded_by: c.user(),
            created_at: Utc::now(),
        };
        self.store.record_payment(&p).await.map_err(|e| match e {
            PortError::Constraint(k) if k == NOT_PAYABLE => DomainError::Conflict {
                code: "not_payable",
                message: "only an issued invoice or debit note with something left to pay takes a payment".to_owned(),
            },
            other => port(other),
        })
    }

    /// A client's statements of account for a period: staff see any client's, a client their own.
    pub async fn statement(
        &self,
        who: Principal,
        org: OrgId,
        client: UserId,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<StatementDoc, DomainError> {
        let c = caller(&self.identity, who, org).await?;
        if !c.sees(Some(client)) {
            return Err(DomainError::NotFound("client"));
        }
        let (from, to) = period(from, to)?;
        // Only the organization's own members: no name of anybody else's.
        if self
            .identity
            .membership(org, client)
            .await
            .map_err(port)?
            .is_none()
        {
            return Err(DomainError::NotFound("client"));
        }
        let user = crate::user(&self.identity, client).await?;
        let org_name = self
            .identity
            .org(org)
            .await
            .map_err(port)?
            .map(|o| o.title)
            .unwrap_or_default();
        let entries = self.store.ledger(org, client).await.map_err(port)?;
        Ok(StatementDoc {
            seller: self.store.tax_profile(org).await.map_err(port)?,
            org_name,
            client_name: user.full_name,
            from,
            to,
            statements: statements(entries, from, to),
        })
    }

    /// The statement as a PDF.
    #[tracing::instrument(name = "invoices.statement_pdf", skip_all)]
    pub async fn statement_pdf(&self, doc: StatementDoc) -> Result<Vec<u8>, DomainError> {
        self.typeset(move |t| t.statement(&doc)).await
    }

    /// The organization's receivables as they stood at the end of `as_of` (today, UTC, when
    /// absent), by age that day; staff only.
    pub async fn aging(
        &self,
        who: Principal,
        org: OrgId,
        as_of: Option<NaiveDate>,
    ) -> Result<(NaiveDate, Vec<Aging>), DomainError> {
        self.staff(who, org, Action::ViewAllRecords).await?;
        let as_of = as_of.unwrap_or_else(|| Utc::now().date_naive());
        let open = self.store.receivables(org, as_of).await.map_err(port)?;
        Ok((as_of, aging(&open, as_of)))
    }
}

/// Documents issued in a period, with the numbers of the invoices their notes correct.
#[derive(Debug, Clone)]
pub struct Export {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// In chain order.
    pub docs: Vec<Invoice>,
    /// Number of every document listed or corrected.
    pub numbers: std::collections::HashMap<InvoiceId, String>,
}

/// The most rows one export holds; a longer period is refused, to be split.
pub const EXPORT_LIMIT: u32 = 50_000;

/// A period's days as instants: from the first day's midnight (UTC) to the midnight after the
/// last.
fn instants(from: NaiveDate, to: NaiveDate) -> (chrono::DateTime<Utc>, chrono::DateTime<Utc>) {
    let start = from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let end = (to + chrono::Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    (start, end)
}

fn too_many<T>(rows: Vec<T>) -> Result<Vec<T>, DomainError> {
    if rows.len() >= EXPORT_LIMIT as usize {
        Err(DomainError::Unprocessable {
            code: "export_too_large",
            errors: vec![FieldError::new(
                "/from",
                "export_too_large",
                format!("more than {EXPORT_LIMIT} rows: export a shorter period"),
            )],
        })
    } else {
        Ok(rows)
    }
}

impl Invoicing {
    /// The documents issued in a period, for accountants (staff who manage invoices).
    pub async fn export_invoices(
        &self,
        who: Principal,
        org: OrgId,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Export, DomainError> {
        self.staff(who, org, Action::ManageInvoices).await?;
        let (from, to) = period(from, to)?;
        let (a, b) = instants(from, to);
        let docs = too_many(
            self.store
                .issued_between(org, a, b, EXPORT_LIMIT)
                .await
                .map_err(port)?,
        )?;
        // The numbers notes correct, whether or not those invoices fall in the period.
        let mut numbers: std::collections::HashMap<InvoiceId, String> =
            docs.iter().map(|d| (d.id, d.label())).collect();
        for r in docs.iter().filter_map(|d| d.references) {
            if !numbers.contains_key(&r)
                && let Some(base) = self.store.invoice(org, r).await.map_err(port)?
            {
                numbers.insert(r, base.label());
            }
        }
        Ok(Export {
            from,
            to,
            docs,
            numbers,
        })
    }

    /// The payments received in a period, through the gateway or recorded by staff.
    pub async fn export_payments(
        &self,
        who: Principal,
        org: OrgId,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<
        (
            NaiveDate,
            NaiveDate,
            Vec<nestcms_domain::invoices::export::ReceivedPayment>,
        ),
        DomainError,
    > {
        self.staff(who, org, Action::ManageInvoices).await?;
        let (from, to) = period(from, to)?;
        let (a, b) = instants(from, to);
        let rows = self
            .store
            .received_between(org, a, b, EXPORT_LIMIT)
            .await
            .map_err(port)?;
        Ok((from, to, too_many(rows)?))
    }
}
