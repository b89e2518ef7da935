//! [`SystemRepository`] for [`Store`]: liveness, schema state and installation id.

use nestcms_domain::PortError;
use nestcms_domain::id::InstallationId;
use nestcms_domain::ports::{PoolStatus, ReplicaHealth, SchemaStatus, SystemRepository};
use uuid::Uuid;

use crate::error::port_err;
use crate::store::Store;
use crate::{migrate, with_pool};

#[async_trait::async_trait]
impl SystemRepository for Store {
    fn pool_status(&self) -> PoolStatus {
        let (size, idle, max) = crate::on_pool!(self.primary(), |p| (
            p.size(),
            u32::try_from(p.num_idle()).unwrap_or(u32::MAX),
            p.options().get_max_connections()
        ));
        PoolStatus {
            in_use: size.saturating_sub(idle),
            idle,
            max,
        }
    }

    fn replica_health(&self) -> Vec<ReplicaHealth> {
        self.replicas().health()
    }

    async fn ping(&self) -> Result<(), PortError> {
        with_pool!(self.primary(), |p| sqlx::query("SELECT 1")
            .execute(p)
            .await
            .map(|r| r.rows_affected()))
        .map_err(port_err)?;
        Ok(())
    }

    async fn acquire_wait(&self) -> Result<std::time::Duration, PortError> {
        let started = std::time::Instant::now();
        crate::on_pool!(self.primary(), |p| p.acquire().await.map(drop)).map_err(port_err)?;
        Ok(started.elapsed())
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
