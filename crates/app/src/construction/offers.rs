//! Offers: written by staff for a client; approved by that client, which converts the offer
//! into a contract exactly once.

use chrono::{NaiveDate, Utc};
use nestcms_domain::construction::ports::Page;
use nestcms_domain::construction::{
    Contract, ContractId, ContractStatus, Offer, OfferId, OfferStatus,
};
use nestcms_domain::identity::policy::Action;
use nestcms_domain::identity::{Role, UserId};
use nestcms_domain::{DomainError, Money};

use super::{Caller, Data, Paged, member_with, paged, text};
use crate::{Store, port};

/// A new offer.
pub struct NewOffer {
    /// The client (a member with the client role).
    pub client_id: UserId,
    /// Title.
    pub title: String,
    /// What the work covers.
    pub scope: String,
    /// Price.
    pub price: Money,
    /// Last day to accept.
    pub valid_until: NaiveDate,
}

/// Writes an offer.
#[tracing::instrument(name = "offers.create", skip_all)]
pub async fn create(
    store: &Store,
    data: &Data,
    c: &Caller,
    n: NewOffer,
) -> Result<Offer, DomainError> {
    c.require(Action::CreateOffer)?;
    member_with(
        store,
        c.org(),
        n.client_id,
        &[Role::Client],
        "/client_id",
        "a client",
    )
    .await?;
    if n.valid_until < Utc::now().date_naive() {
        return Err(DomainError::invalid(
            "/valid_until",
            "in_the_past",
            "the offer must be valid at least until today",
        ));
    }
    let offer = Offer {
        id: OfferId::new(),
        org_id: c.org(),
        client_id: n.client_id,
        author_id: c.user(),
        title: text(&n.title, "/title", 200)?,
        scope: text(&n.scope, "/scope", 20_000)?,
        price: n.price,
        valid_until: n.valid_until,
        status: OfferStatus::Review,
        contract_id: None,
        created_at: Utc::now(),
    };
    data.insert_offer(&offer).await.map_err(port)?;
    Ok(offer)
}

/// One offer the caller may see.
#[tracing::instrument(name = "offers.get", skip_all)]
pub async fn get(data: &Data, c: &Caller, id: OfferId) -> Result<Offer, DomainError> {
    match data.offer(c.org(), id).await.map_err(port)? {
        Some(o) if c.sees(Some(o.client_id)) => Ok(o),
        _ => Err(DomainError::NotFound("offer")),
    }
}

/// Offers the caller may see.
#[tracing::instrument(name = "offers.list", skip_all)]
pub async fn list(
    data: &Data,
    c: &Caller,
    status: Option<OfferStatus>,
    page: Page,
) -> Result<Paged<Offer>, DomainError> {
    paged(page, |p| data.offers(c.scope(), status, p)).await
}

fn only_the_client(c: &Caller, o: &Offer) -> Result<(), DomainError> {
    if o.client_id == c.user() {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "only the offer's client can accept or decline it".into(),
        ))
    }
}

/// The client accepts: the offer becomes a contract in review, once.
#[tracing::instrument(name = "offers.approve", skip_all)]
pub async fn approve(data: &Data, c: &Caller, id: OfferId) -> Result<Contract, DomainError> {
    let offer = get(data, c, id).await?;
    only_the_client(c, &offer)?;
    if offer.status == OfferStatus::ConvertedToContract {
        return Err(DomainError::Conflict {
            code: "already_converted",
            message: "this offer has already become a contract".into(),
        });
    }
    let (from, to) = OfferStatus::conversion(offer.status)?;
    if offer.valid_until < Utc::now().date_naive() {
        return Err(DomainError::Conflict {
            code: "offer_expired",
            message: "this offer is no longer valid; ask for a new one".into(),
        });
    }
    let contract = Contract {
        id: ContractId::new(),
        org_id: offer.org_id,
        offer_id: Some(offer.id),
        client_id: offer.client_id,
        employee_ids: vec![offer.author_id],
        title: offer.title.clone(),
        content: offer.scope.clone(),
        document_ref: None,
        total: offer.price,
        status: ContractStatus::Review,
        instalments: Vec::new(),
        created_at: Utc::now(),
    };
    if !data
        .convert_offer(offer.id, from, to, &contract)
        .await
        .map_err(port)?
    {
        return Err(DomainError::Conflict {
            code: "already_converted",
            message: "this offer has already become a contract".into(),
        });
    }
    Ok(contract)
}

/// The client declines.
#[tracing::instrument(name = "offers.reject", skip_all)]
pub async fn reject(data: &Data, c: &Caller, id: OfferId) -> Result<Offer, DomainError> {
    let offer = get(data, c, id).await?;
    only_the_client(c, &offer)?;
    let to = offer.status.move_to(OfferStatus::RejectedByClient)?;
    if !data
        .move_offer(c.org(), id, offer.status, to)
        .await
        .map_err(port)?
    {
        return Err(DomainError::Conflict {
            code: "changed_meanwhile",
            message: "the offer changed meanwhile; reload it".into(),
        });
    }
    Ok(Offer {
        status: to,
        ..offer
    })
}

/// Staff withdraw an offer (from review, or after the client declined).
#[tracing::instrument(name = "offers.close", skip_all)]
pub async fn close(data: &Data, c: &Caller, id: OfferId) -> Result<Offer, DomainError> {
    c.require(Action::CreateOffer)?;
    let offer = get(data, c, id).await?;
    let to = offer.status.move_to(OfferStatus::Closed)?;
    if !data
        .move_offer(c.org(), id, offer.status, to)
        .await
        .map_err(port)?
    {
        return Err(DomainError::Conflict {
            code: "changed_meanwhile",
            message: "the offer changed meanwhile; reload it".into(),
        });
    }
    Ok(Offer {
        status: to,
        ..offer
    })
}
