//! Bulk generation of realistic data for benchmarks (`nestcms seed --scale N`).
//!
//! Writes straight to the tables in batches of multi-row INSERTs (one statement per 500 rows),
//! because going through the use cases one row at a time would take hours for a million rows.
//! The data is deterministic for a given scale: each organization gets an owner, ten employees,
//! `projects` projects and `earnings` earnings per project spread over 24 months, mostly in SAR
//! with some AED and KWD, and a few losses.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use sqlx::QueryBuilder;
use uuid::Uuid;

use crate::error::StoreError;
use crate::time::Ts;
use crate::{Pool, Store};

/// How much to generate.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Organizations.
    pub orgs: u32,
    /// Projects per organization.
    pub projects: u32,
    /// Earnings per project.
    pub earnings: u32,
}

/// What was generated, and how to log in as the first organization's owner.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// Organizations created.
    pub orgs: Vec<Uuid>,
    /// The owner e-mail of organization `i` is `owner{i}@scale.nestcms.test`.
    pub owner_email_pattern: &'static str,
}

const BATCH: usize = 500;

/// A tiny deterministic generator (SplitMix64): reproducible data without a dependency.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// One multi-row INSERT: `$prefix` then one `VALUES` tuple per row, built separately for each
/// backend (a `QueryBuilder` is typed by its database).
macro_rules! insert_rows {
    ($pool:expr, $prefix:expr, $rows:expr, |$b:ident, $row:pat_param| $push:expr) => {
        $crate::with_pool!($pool, |p| {
            let mut qb = QueryBuilder::new($prefix);
            qb.push_values($rows, |mut $b, $row| {
                $push;
            });
            qb.build().execute(p).await.map(|_| ())
        })
    };
}

/// Generates `scale` worth of data; `password_hash` is stored for every generated user.
pub async fn scale(store: &Store, scale: Scale, password_hash: &str) -> Result<Seeded, StoreError> {
    let pool = store.primary();
    let mut rng = Mix(u64::from(scale.orgs) << 32 | u64::from(scale.projects));
    let now = Utc::now();
    let first_month = NaiveDate::from_ymd_opt(now.year() - 2, now.month(), 1).unwrap_or_default();
    let run = Uuid::now_v7().simple().to_string();
    let mut orgs = Vec::new();
    for o in 0..scale.orgs {
        let org = Uuid::now_v7();
        orgs.push(org);
        let staff: Vec<Uuid> = (0..11).map(|_| Uuid::now_v7()).collect();
        let users = "INSERT INTO users (id, email, full_name, password_hash, password_changed_at, mfa_enabled, created_at) ";
        insert_rows!(pool, users, staff.iter().enumerate(), |b, (i, id)| {
            let email = if i == 0 {
                format!("owner{o}@scale.nestcms.test")
            } else {
                format!("e{i}.{o}.{run}@scale.nestcms.test")
            };
            b.push_bind(*id)
                .push_bind(email)
                .push_bind(format!("Person {o}-{i}"))
                .push_bind(password_hash)
                .push_bind(Ts(now))
                .push_bind(false)
                .push_bind(Ts(now))
        })?;
        insert_rows!(
            pool,
            "INSERT INTO orgs (id, title, description, status, profit_bp, require_mfa, created_at) ",
            [org],
            |b, id| {
                b.push_bind(id)
                    .push_bind(format!("Scale Builders {o}"))
                    .push_bind("")
                    .push_bind("open")
                    .push_bind(2010_i32)
                    .push_bind(false)
                    .push_bind(Ts(now))
            }
        )?;
        insert_rows!(
            pool,
            "INSERT INTO memberships (org_id, user_id, role, employee_type, created_at) ",
            staff.iter().enumerate(),
            |b, (i, id)| {
                let (role, kind) = if i == 0 {
                    ("owner", None)
                } else {
                    ("employee", Some("engineer"))
                };
                b.push_bind(org)
                    .push_bind(*id)
                    .push_bind(role)
                    .push_bind(kind)
                    .push_bind(Ts(now))
            }
        )?;

        let projects: Vec<Uuid> = (0..scale.projects).map(|_| Uuid::now_v7()).collect();
        for chunk in projects.chunks(BATCH) {
            let statuses = [
                "planned",
                "active",
                "active",
                "active",
                "on_hold",
                "completed",
                "completed",
                "cancelled",
            ];
            let rows: Vec<(Uuid, Uuid, &str, i64)> = chunk
                .iter()
                .map(|p| {
                    (
                        *p,
                        staff[1 + rng.below(10) as usize],
                        statuses[rng.below(8) as usize],
                        rng.below(700) as i64,
                    )
                })
                .collect();
            let sql = "INSERT INTO projects (id, org_id, manager_id, title, description, start_date, status, created_at) ";
            insert_rows!(pool, sql, rows, |b, (id, manager, status, offset)| {
                b.push_bind(id)
                    .push_bind(org)
                    .push_bind(manager)
                    .push_bind(format!("Project {id}"))
                    .push_bind("")
                    .push_bind(first_month + Duration::days(offset))
                    .push_bind(status)
                    .push_bind(Ts(now))
            })?;
        }

        let mut pending: Vec<(Uuid, Uuid, &str, NaiveDate, i64, &str)> = Vec::with_capacity(BATCH);
        for p in &projects {
            for _ in 0..scale.earnings {
                let month = first_month
                    .checked_add_months(chrono::Months::new(rng.below(24) as u32))
                    .unwrap_or(first_month);
                let currency = match rng.below(10) {
                    0 => "KWD",
                    1 | 2 => "AED",
                    _ => "SAR",
                };
                let kind = if rng.below(8) == 0 { "loss" } else { "profit" };
                pending.push((
                    Uuid::now_v7(),
                    *p,
                    kind,
                    month,
                    1 + rng.below(5_000_000) as i64,
                    currency,
                ));
                if pending.len() == BATCH {
                    flush_earnings(pool, org, &mut pending, now).await?;
                }
            }
        }
        flush_earnings(pool, org, &mut pending, now).await?;
    }
    Ok(Seeded {
        orgs,
        owner_email_pattern: "owner{i}@scale.nestcms.test",
    })
}

async fn flush_earnings(
    pool: &Pool,
    org: Uuid,
    rows: &mut Vec<(Uuid, Uuid, &str, NaiveDate, i64, &str)>,
    now: chrono::DateTime<Utc>,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let sql = "INSERT INTO earnings (id, org_id, project_id, kind, period, period_start, amount_minor, currency, title, created_at) ";
    insert_rows!(pool, sql, rows.drain(..), |b,
                                             (
        id,
        project,
        kind,
        month,
        amount,
        currency,
    )| {
        b.push_bind(id)
            .push_bind(org)
            .push_bind(project)
            .push_bind(kind)
            .push_bind("monthly")
            .push_bind(month)
            .push_bind(amount)
            .push_bind(currency)
            .push_bind("Monthly result")
            .push_bind(Ts(now))
    })?;
    Ok(())
}
