//! [`SystemRepository`] for [`Store`]: liveness, schema state and installation id.

use nestcms_domain::PortError;
use nestcms_domain::id::InstallationId;
use nestcms_domain::ports::{SchemaStatus, SystemRepository};
use uuid::Uuid;

use crate::error::port_err;
use crate::store::Store;
use crate::{migrate, with_pool};

#[async_trait::async_trait]
impl SystemRepository for Store {
    async fn ping(&self) -> Result<(), PortError> {
        with_pool!(self.primary(), |p| sqlx::query("SELECT 1")
            .execute(p)
            .await
            .map(|r| r.rows_affected()))
        .map_err(port_err)?;
        Ok(())
    }

    async fn schema_status(&self) -> Result<SchemaStatus, PortError> {
        let applied = migrate::applied_versions(self.primary())
            .await
            .map_err(port_err)?;
        Ok(SchemaStatus {
            expected: migrate::expected_versions(self.backend()),
            applied,
        })
    }

    async fn installation_id(&self) -> Result<InstallationId, PortError> {
        let sql = "SELECT id FROM installation";
        let id = with_pool!(self.primary(), |p| sqlx::query_scalar::<_, Uuid>(sql)
            .fetch_one(p)
            .await)
        .map_err(port_err)?;
        Ok(InstallationId(id))
    }
}
