//! Contracts: instalment schedules (editable only in review), client approval, activation,
//! closing.

use chrono::{NaiveDate, Utc};
use nestcms_domain::construction::ports::Page;
use nestcms_domain::construction::standing::{ScheduledInstalment, standings};
use nestcms_domain::construction::{
    Contract, ContractId, ContractStatus, Instalment, check_instalments,
};
use nestcms_domain::identity::policy::Action;
use nestcms_domain::{DomainError, Money};

use super::{Caller, Data, Paged, paged};
use crate::port;

/// One contract the caller may see.
#[tracing::instrument(name = "contracts.get", skip_all)]
pub async fn get(data: &Data, c: &Caller, id: ContractId) -> Result<Contract, DomainError> {
    match data.contract(c.org(), id).await.map_err(port)? {
        Some(k) if c.sees(Some(k.client_id)) => Ok(k),
        _ => Err(DomainError::NotFound("contract")),
    }
}

/// Where each instalment of `k` (a contract the caller may see) stands today: due, paid or
/// overdue, with the payment behind it. "Today" is the date in UTC: an instalment due on the
/// 1st is overdue from midnight UTC at the end of that day (03:00 in Riyadh, 02:00 in Cairo).
#[tracing::instrument(name = "contracts.schedule", skip_all)]
pub async fn schedule(data: &Data, k: &Contract) -> Result<Vec<ScheduledInstalment>, DomainError> {
    let payments = data
        .instalment_payments(k.org_id, k.id)
        .await
        .map_err(port)?;
    Ok(standings(
        k.status,
        &k.instalments,
        &payments,
        Utc::now().date_naive(),
    ))
}

/// Contracts the caller may see.
#[tracing::instrument(name = "contracts.list", skip_all)]
pub async fn list(
    data: &Data,
    c: &Caller,
    status: Option<ContractStatus>,
    page: Page,
) -> Result<Paged<Contract>, DomainError> {
    paged(page, |p| data.contracts(c.scope(), status, p)).await
}

/// Replaces the instalment schedule; only in review, and it must sum to the total (else 422).
#[tracing::instrument(name = "contracts.set_instalments", skip_all)]
pub async fn set_instalments(
    data: &Data,
    c: &Caller,
    id: ContractId,
    items: Vec<(Money, NaiveDate)>,
) -> Result<Contract, DomainError> {
    c.require(Action::ManageContracts)?;
    let contract = get(data, c, id).await?;
    if contract.status != ContractStatus::Review {
        return Err(not_editable());
    }
    check_instalments(contract.total, &items).map_err(|errors| DomainError::Unprocessable {
        code: "invalid_schedule",
        errors,
    })?;
    let instalments: Vec<Instalment> = items
        .into_iter()
        .enumerate()
        .map(|(i, (amount, due_date))| Instalment {
            seq: u32::try_from(i + 1).unwrap_or(u32::MAX),
            amount,
            due_date,
        })
        .collect();
    if !data
        .replace_instalments(c.org(), id, &instalments)
        .await
        .map_err(port)?
    {
        return Err(not_editable());
    }
    Ok(Contract {
        instalments,
        ..contract
    })
}

fn not_editable() -> DomainError {
    DomainError::Conflict {
        code: "not_editable",
        message: "terms can change only while the contract is in review".into(),
    }
}

/// Moves a contract; `by_client` moves are the client's alone, the others need ManageContracts.
#[tracing::instrument(name = "contracts.transition", skip_all)]
pub async fn transition(
    data: &Data,
    c: &Caller,
    id: ContractId,
    to: ContractStatus,
) -> Result<Contract, DomainError> {
    let contract = get(data, c, id).await?;
    let by_client = matches!(
        to,
        ContractStatus::ApprovedByClient | ContractStatus::RejectedByClient
    );
    if by_client && contract.client_id != c.user() {
        return Err(DomainError::Forbidden(
            "only the contract's client can accept or decline it".into(),
        ));
    }
    if !by_client {
        c.require(Action::ManageContracts)?;
    }
    let to = contract.status.move_to(to)?;
    if to == ContractStatus::ApprovedByClient && contract.instalments.is_empty() {
        return Err(DomainError::Conflict {
            code: "no_instalments",
            message: "the contract needs an instalment schedule before approval".into(),
        });
    }
    if !data
        .move_contract(c.org(), id, contract.status, to)
        .await
        .map_err(port)?
    {
        return Err(DomainError::Conflict {
            code: "changed_meanwhile",
            message: "the contract changed meanwhile; reload it".into(),
        });
    }
    Ok(Contract {
        status: to,
        ..contract
    })
}

/// New terms of a contract in review.
pub struct Terms {
    /// Title.
    pub title: Option<String>,
    /// Terms text.
    pub content: Option<String>,
    /// Document reference (URL or file reference); `Some("")` clears it.
    pub document_ref: Option<String>,
    /// Responsible employees (replaces the list).
    pub employee_ids: Option<Vec<nestcms_domain::identity::UserId>>,
}

/// Edits the terms; only while the contract is in review.
#[tracing::instrument(name = "contracts.update_terms", skip_all)]
pub async fn update_terms(
    store: &crate::Store,
    data: &Data,
    c: &Caller,
    id: ContractId,
    t: Terms,
) -> Result<Contract, DomainError> {
    c.require(Action::ManageContracts)?;
    let mut k = get(data, c, id).await?;
    if k.status != ContractStatus::Review {
        return Err(not_editable());
    }
    if let Some(title) = t.title {
        k.title = super::text(&title, "/title", 200)?;
    }
    if let Some(content) = t.content {
        k.content = super::text(&content, "/content", 50_000)?;
    }
    if let Some(doc) = t.document_ref {
        k.document_ref = (!doc.trim().is_empty()).then(|| doc.trim().chars().take(2000).collect());
    }
    if let Some(ids) = t.employee_ids {
        for (i, e) in ids.iter().enumerate() {
            super::member_with(
                store,
                c.org(),
                *e,
                super::STAFF,
                &format!("/employee_ids/{i}"),
                "staff (not a client)",
            )
            .await?;
        }
        k.employee_ids = ids;
    }
    if !data.update_contract_terms(&k).await.map_err(port)? {
        return Err(not_editable());
    }
    Ok(k)
}
