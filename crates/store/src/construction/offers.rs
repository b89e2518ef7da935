//! [`OfferRepository`] for [`Store`].

use chrono::NaiveDate;
use nestcms_domain::PortError;
use nestcms_domain::construction::ports::{OfferRepository, Page, Scope};
use nestcms_domain::construction::{Contract, ContractId, Offer, OfferId, OfferStatus};
use nestcms_domain::events::DomainEvent;
use nestcms_domain::identity::{OrgId, UserId};
use serde_json::json;
use uuid::Uuid;

use super::contracts::insert_contract_rows;
use super::{money, paged_sql, state};
use crate::error::port_err;
use crate::events::insert_domain_event;
use crate::time::Ts;
use crate::{Store, with_pool};

#[derive(sqlx::FromRow)]
struct OfferRow {
    id: Uuid,
    org_id: Uuid,
    client_id: Uuid,
    author_id: Uuid,
    title: String,
    scope: String,
    price_minor: i64,
    currency: String,
    valid_until: NaiveDate,
    status: String,
    contract_id: Option<Uuid>,
    created_at: Ts,
}

impl TryFrom<OfferRow> for Offer {
    type Error = PortError;
    fn try_from(r: OfferRow) -> Result<Self, PortError> {
        Ok(Offer {
            id: OfferId(r.id),
            org_id: OrgId(r.org_id),
            client_id: UserId(r.client_id),
            author_id: UserId(r.author_id),
            title: r.title,
            scope: r.scope,
            price: money(r.price_minor, &r.currency)?,
            valid_until: r.valid_until,
            status: state(&r.status, "offer status", OfferStatus::parse)?,
            contract_id: r.contract_id.map(ContractId),
            created_at: r.created_at.0,
        })
    }
}

macro_rules! offer_select {
    ($where:literal) => {
        concat!(
            "SELECT id, org_id, client_id, author_id, title, scope, price_minor, currency, valid_until, status, contract_id, created_at FROM offers WHERE ",
            $where
        )
    };
}

#[async_trait::async_trait]
impl OfferRepository for Store {
    async fn insert_offer(&self, o: &Offer) -> Result<(), PortError> {
        let sql = "INSERT INTO offers (id, org_id, client_id, author_id, title, scope, price_minor, currency, valid_until, status, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
        let sent = DomainEvent::offer_moved(o.org_id, o.id.0, o.status).map(|mut e| {
            e.data = json!({ "offer_id": o.id.0, "client_id": o.client_id.0, "title": o.title, "price": { "minor": o.price.minor(), "currency": o.price.currency().code() }, "valid_until": o.valid_until });
            e
        });
        with_pool!(self.primary(), |p| async {
            let mut tx = p.begin().await?;
            sqlx::query(sql)
                .bind(o.id.0)
                .bind(o.org_id.0)
                .bind(o.client_id.0)
                .bind(o.author_id.0)
                .bind(&o.title)
                .bind(&o.scope)
                .bind(o.price.minor())
                .bind(o.price.currency().code())
                .bind(o.valid_until)
                .bind(o.status.as_str())
                .bind(Ts(o.created_at))
                .execute(&mut *tx)
                .await?;
            if let Some(e) = &sent {
                insert_domain_event!(tx, e)?;
            }
            tx.commit().await
        }
        .await)
        .map_err(port_err)
    }

    async fn offer(&self, org: OrgId, id: OfferId) -> Result<Option<Offer>, PortError> {
        let sql = offer_select!("org_id = $1 AND id = $2");
        let row = with_pool!(self.primary(), |p| sqlx::query_as::<_, OfferRow>(sql)
            .bind(org.0)
            .bind(id.0)
            .fetch_optional(p)
            .await)
        .map_err(port_err)?;
        row.map(Offer::try_from).transpose()
    }

    async fn offers(
        &self,
        scope: Scope,
        status: Option<OfferStatus>,
        page: Page,
    ) -> Result<Vec<Offer>, PortError> {
        let sql = paged_sql(
            offer_select!(
                "org_id = $1 AND ($2 IS NULL OR client_id = $2) AND ($3 IS NULL OR status = $3)"
            ),
            4,
            5,
            &page,
        );
        let rows = with_pool!(self.primary(), |p| sqlx::query_as::<_, OfferRow>(sql)
            .bind(scope.org.0)
            .bind(scope.client.map(|c| c.0))
            .bind(status.map(OfferStatus::as_str))
            .bind(page.cursor)
            .bind(i64::from(page.limit))
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        rows.into_iter().map(Offer::try_from).collect()
    }

    async fn move_offer(
        &self,
        org: OrgId,
        id: OfferId,
        from: OfferStatus,
        to: OfferStatus,
    ) -> Result<bool, PortError> {
        let event = DomainEvent::offer_moved(org, id.0, to);
        self.move_status(
            "offers",
            (org, id.0),
            (from.as_str(), to.as_str()),
            event.as_ref(),
        )
        .await
        .map_err(port_err)
    }

    async fn convert_offer(
        &self,
        offer: OfferId,
        from: OfferStatus,
        to: OfferStatus,
        c: &Contract,
    ) -> Result<bool, PortError> {
        let write = async {
            with_pool!(self.primary(), |p| {
                async {
                let mut tx = p.begin().await?;
                let moved = sqlx::query("UPDATE offers SET status = $5, contract_id = $3 WHERE org_id = $1 AND id = $2 AND status = $4")
                    .bind(c.org_id.0)
                    .bind(offer.0)
                    .bind(c.id.0)
                    .bind(from.as_str())
                    .bind(to.as_str())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if moved != 1 {
                    return Ok(false);
                }
                insert_contract_rows!(tx, c);
                // The client's approval, then the contract it made.
                if let Some(approved) = DomainEvent::offer_moved(c.org_id, offer.0, OfferStatus::ApprovedByClient) {
                    insert_domain_event!(tx, &approved)?;
                }
                insert_domain_event!(tx, &contract_created(c))?;
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
}

/// The event of a contract written from an offer: waiting for its client, with its terms.
fn contract_created(c: &Contract) -> DomainEvent {
    let mut e = DomainEvent::contract_moved(c.org_id, c.id.0, c.status);
    e.data = json!({ "contract_id": c.id.0, "client_id": c.client_id.0, "title": c.title, "total": { "minor": c.total.minor(), "currency": c.total.currency().code() }, "status": c.status.as_str() });
    e
}
