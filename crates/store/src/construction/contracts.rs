//! [`ContractRepository`] for [`Store`].

use chrono::NaiveDate;
use nestcms_domain::PortError;
use nestcms_domain::construction::ports::{ContractRepository, Page, Scope};
use nestcms_domain::construction::standing::InstalmentPayment;
use nestcms_domain::construction::{Contract, ContractId, ContractStatus, Instalment, OfferId};
use nestcms_domain::events::DomainEvent;
use nestcms_domain::identity::{OrgId, UserId};
use nestcms_domain::payments::{PaymentId, PaymentState};
use uuid::Uuid;

use super::{money, paged_sql, state};
use crate::error::port_err;
use crate::identity::unknown;
use crate::time::Ts;
use crate::{Store, with_pool};

/// Inserts a contract, its employees and instalments inside an open transaction `$tx`.
macro_rules! insert_contract_rows {
    ($tx:ident, $c:expr) => {{
        let c: &nestcms_domain::construction::Contract = $c;
        sqlx::query(
            "INSERT INTO contracts (id, org_id, offer_id, client_id, title, content, document_ref, total_minor, currency, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(c.id.0)
        .bind(c.org_id.0)
        .bind(c.offer_id.map(|o| o.0))
        .bind(c.client_id.0)
        .bind(&c.title)
        .bind(&c.content)
        .bind(&c.document_ref)
        .bind(c.total.minor())
        .bind(c.total.currency().code())
        .bind(c.status.as_str())
        .bind($crate::time::Ts(c.created_at))
        .execute(&mut *$tx)
        .await?;
        for e in &c.employee_ids {
            sqlx::query("INSERT INTO contract_employees (contract_id, user_id) VALUES ($1, $2)").bind(c.id.0).bind(e.0).execute(&mut *$tx).await?;
        }
        for i in &c.instalments {
            sqlx::query("INSERT INTO instalments (contract_id, seq, amount_minor, due_date) VALUES ($1, $2, $3, $4)")
                .bind(c.id.0)
                .bind(i64::from(i.seq))
                .bind(i.amount.minor())
                .bind(i.due_date)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(crate) use insert_contract_rows;

#[derive(sqlx::FromRow)]
struct ContractRow {
    id: Uuid,
    org_id: Uuid,
    offer_id: Option<Uuid>,
    client_id: Uuid,
    title: String,
    content: String,
    document_ref: Option<String>,
    total_minor: i64,
    currency: String,
    status: String,
    created_at: Ts,
}

impl ContractRow {
    fn into_contract(
        self,
        employee_ids: Vec<UserId>,
        instalments: Vec<(i64, i64, NaiveDate)>,
    ) -> Result<Contract, PortError> {
        let total = money(self.total_minor, &self.currency)?;
        Ok(Contract {
            id: ContractId(self.id),
            org_id: OrgId(self.org_id),
            offer_id: self.offer_id.map(OfferId),
            client_id: UserId(self.client_id),
            employee_ids,
            title: self.title,
            content: self.content,
            document_ref: self.document_ref,
            total,
            status: state(&self.status, "contract status", ContractStatus::parse)?,
            instalments: instalments
                .into_iter()
                .map(|(seq, amount, due_date)| Instalment {
                    seq: u32::try_from(seq).unwrap_or(0),
                    amount: nestcms_domain::Money::from_minor(amount, total.currency()),
                    due_date,
                })
                .collect(),
            created_at: self.created_at.0,
        })
    }
}

macro_rules! contract_select {
    ($where:literal) => {
        concat!(
            "SELECT id, org_id, offer_id, client_id, title, content, document_ref, total_minor, currency, status, created_at FROM contracts WHERE ",
            $where
        )
    };
}

#[async_trait::async_trait]
impl ContractRepository for Store {
    async fn insert_contract(&self, c: &Contract) -> Result<(), PortError> {
        let write = async {
            with_pool!(self.primary(), |p| {
                async {
                    let mut tx = p.begin().await?;
                    insert_contract_rows!(tx, c);
                    tx.commit().await
                }
                .await
            })
        };
        self.changing_figures(c.org_id.0, write)
            .await
            .map_err(port_err)
    }

    async fn contract(&self, org: OrgId, id: ContractId) -> Result<Option<Contract>, PortError> {
        let sql = contract_select!("org_id = $1 AND id = $2");
        let found = with_pool!(self.primary(), |p| {
            async {
                let Some(row) = sqlx::query_as::<_, ContractRow>(sql).bind(org.0).bind(id.0).fetch_optional(p).await? else {
                    return Ok(None);
                };
                let employees: Vec<Uuid> =
                    sqlx::query_scalar("SELECT user_id FROM contract_employees WHERE contract_id = $1 ORDER BY user_id").bind(id.0).fetch_all(p).await?;
                let instalments: Vec<(i64, i64, NaiveDate)> =
                    sqlx::query_as("SELECT CAST(seq AS BIGINT), amount_minor, due_date FROM instalments WHERE contract_id = $1 ORDER BY seq")
                        .bind(id.0)
                        .fetch_all(p)
                        .await?;
                Ok::<_, sqlx::Error>(Some((row, employees, instalments)))
            }
            .await
        })
        .map_err(port_err)?;
        found
            .map(|(row, e, i)| row.into_contract(e.into_iter().map(UserId).collect(), i))
            .transpose()
    }

    async fn contracts(
        &self,
        scope: Scope,
        status: Option<ContractStatus>,
        page: Page,
    ) -> Result<Vec<Contract>, PortError> {
        let sql = paged_sql(
            contract_select!(
                "org_id = $1 AND ($2 IS NULL OR client_id = $2) AND ($3 IS NULL OR status = $3)"
            ),
            4,
            5,
            &page,
        );
        let rows = with_pool!(self.primary(), |p| sqlx::query_as::<_, ContractRow>(sql)
            .bind(scope.org.0)
            .bind(scope.client.map(|c| c.0))
            .bind(status.map(ContractStatus::as_str))
            .bind(page.cursor)
            .bind(i64::from(page.limit))
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        rows.into_iter()
            .map(|r| r.into_contract(Vec::new(), Vec::new()))
            .collect()
    }

    async fn replace_instalments(
        &self,
        org: OrgId,
        id: ContractId,
        items: &[Instalment],
    ) -> Result<bool, PortError> {
        with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                // Write first, to a column no trigger watches: locks the contract row
                // (PostgreSQL) or the database (SQLite) while checking that the terms are
                // still editable.
                let editable = sqlx::query("UPDATE contracts SET title = title WHERE org_id = $1 AND id = $2 AND status = 'review'")
                    .bind(org.0)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if editable != 1 {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM instalments WHERE contract_id = $1").bind(id.0).execute(&mut *tx).await?;
                for i in items {
                    sqlx::query("INSERT INTO instalments (contract_id, seq, amount_minor, due_date) VALUES ($1, $2, $3, $4)")
                        .bind(id.0)
                        .bind(i64::from(i.seq))
                        .bind(i.amount.minor())
                        .bind(i.due_date)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok::<_, sqlx::Error>(true)
            }
            .await
        })
        .map_err(port_err)
    }

    async fn update_contract_terms(&self, c: &Contract) -> Result<bool, PortError> {
        let write = async {
            with_pool!(self.primary(), |p| {
                async {
                let mut tx = p.begin().await?;
                let updated = sqlx::query("UPDATE contracts SET title = $3, content = $4, document_ref = $5 WHERE org_id = $1 AND id = $2 AND status = 'review'")
                    .bind(c.org_id.0)
                    .bind(c.id.0)
                    .bind(&c.title)
                    .bind(&c.content)
                    .bind(&c.document_ref)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if updated != 1 {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM contract_employees WHERE contract_id = $1").bind(c.id.0).execute(&mut *tx).await?;
                for e in &c.employee_ids {
                    sqlx::query("INSERT INTO contract_employees (contract_id, user_id) VALUES ($1, $2)").bind(c.id.0).bind(e.0).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok::<_, sqlx::Error>(true)
            }
            .await
            })
        };
        self.changing_figures(c.org_id.0, write)
            .await
            .map_err(port_err)
    }

    async fn instalment_payments(
        &self,
        org: OrgId,
        id: ContractId,
    ) -> Result<Vec<InstalmentPayment>, PortError> {
        let sql = "SELECT CAST(p.instalment_seq AS BIGINT), p.id, p.state, i.id, i.number FROM payments p \
                   LEFT JOIN invoices i ON i.payment_id = p.id AND i.kind = 'invoice' AND i.state <> 'draft' \
                   WHERE p.org_id = $1 AND p.contract_id = $2 AND p.instalment_seq IS NOT NULL ORDER BY p.created_at, p.id";
        let rows: Vec<(i64, Uuid, String, Option<Uuid>, Option<i64>)> =
            with_pool!(self.primary(), |p| sqlx::query_as(sql)
                .bind(org.0)
                .bind(id.0)
                .fetch_all(p)
                .await)
            .map_err(port_err)?;
        rows.into_iter()
            .map(|(seq, payment, state, invoice, number)| {
                Ok(InstalmentPayment {
                    seq: u32::try_from(seq)
                        .map_err(|_| unknown("instalment_seq", &seq.to_string()))?,
                    payment: PaymentId(payment),
                    state: PaymentState::parse(&state)
                        .ok_or_else(|| unknown("payment state", &state))?,
                    invoice: invoice.zip(number),
                })
            })
            .collect()
    }

    async fn move_contract(
        &self,
        org: OrgId,
        id: ContractId,
        from: ContractStatus,
        to: ContractStatus,
    ) -> Result<bool, PortError> {
        let event = DomainEvent::contract_moved(org, id.0, to);
        let write = self.move_status(
            "contracts",
            (org, id.0),
            (from.as_str(), to.as_str()),
            Some(&event),
        );
        self.changing_figures(org.0, write).await.map_err(port_err)
    }
}
