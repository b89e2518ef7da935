//! `nestcms seed`: demo data for a newcomer, or volume for benchmarks.
//!
//! `--demo` goes through the same use cases as the API (so the data obeys every rule) and prints
//! the logins. `--scale N` bulk-loads N organizations of 1,000 projects with 10 earnings each
//! (`nestcms_store::seed`), for the analytics benchmark.

use std::sync::Arc;

use anyhow::Context;
use chrono::{Duration, Utc};
use nestcms_app::construction::{Data, contracts, earnings, offers, projects};
use nestcms_app::identity::auth::{Auth, AuthConfig, Registration};
use nestcms_app::identity::{invitations, orgs};
use nestcms_app::{ClientInfo, Principal};
use nestcms_auth::jwt::Signer;
use nestcms_auth::password::Hasher;
use nestcms_domain::construction::{EarningKind, EarningPeriod, StepStatus};
use nestcms_domain::identity::{EmployeeType, Role, SessionId, UserId};
use nestcms_domain::{Currency, DomainError, Money};
use nestcms_store::Store;
use nestcms_store::seed::Scale;
use secrecy::SecretString;

use crate::config::Config;
use crate::secrets;

/// The password of every demo and scale user (printed; these are not real accounts).
pub const DEMO_PASSWORD: &str = "nestcms-demo-password";

/// Bulk-loads `orgs` organizations.
pub async fn scale(store: &Store, orgs: u32) -> anyhow::Result<()> {
    let hash = Hasher::new(1)?
        .hash(&SecretString::from(DEMO_PASSWORD))
        .await?;
    let started = std::time::Instant::now();
    let s = Scale {
        orgs,
        projects: 1000,
        earnings: 10,
    };
    nestcms_store::seed::scale(store, s, &hash).await?;
    println!(
        "seeded {} organizations, {} projects, {} earnings in {:.1} s; log in as owner0@scale.nestcms.test / {DEMO_PASSWORD}",
        orgs,
        u64::from(orgs) * 1000,
        u64::from(orgs) * 10_000,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn who(user: UserId) -> Principal {
    Principal {
        user,
        session: SessionId::new(),
    }
}

/// Fills one organization with a realistic story through the use cases.
pub async fn demo(config: &Config, store: Arc<Store>) -> anyhow::Result<()> {
    let secrets = secrets::resolve(config)?;
    let identity: nestcms_app::Store = store.clone();
    let data: Data = store.clone();
    let auth = Auth::new(
        identity.clone(),
        Hasher::new(Hasher::default_parallelism())?,
        Signer::new(&secrets.jwt, config.auth.access_token_ttl),
        AuthConfig {
            access_ttl: config.auth.access_token_ttl,
            refresh_ttl: config.auth.refresh_token_ttl,
            registrations_per_hour: config.auth.registrations_per_hour,
        },
    );
    let client_info = ClientInfo::default();
    // The client reads her messages in Arabic; the staff in English.
    let people = [
        ("owner@demo.nestcms.test", "Huda Al-Amri", "en"),
        ("engineer@demo.nestcms.test", "Omar Haddad", "en"),
        ("worker@demo.nestcms.test", "Bilal Saeed", "en"),
        ("client@demo.nestcms.test", "Noura Al-Fahad", "ar"),
    ];
    let mut ids = Vec::new();
    for (email, name, language) in people {
        let r = Registration {
            email: email.into(),
            password: SecretString::from(DEMO_PASSWORD),
            full_name: name.into(),
            phone: None,
            address: None,
            language: Some(language.into()),
        };
        match auth.register(r, &client_info).await {
            Ok(u) => ids.push(u.id),
            Err(DomainError::Conflict { .. }) => {
                println!(
                    "demo data is already there; log in as owner@demo.nestcms.test / {DEMO_PASSWORD}"
                );
                return Ok(());
            }
            Err(e) => return Err(e).context("registering demo users"),
        }
    }
    let (owner, engineer, worker, client) = (who(ids[0]), who(ids[1]), who(ids[2]), who(ids[3]));
    let input = orgs::OrgInput {
        title: Some("Nest Builders (demo)".into()),
        profit_bp: Some(2010),
        ..Default::default()
    };
    let (org, _) = orgs::create(&identity, owner, input, &client_info).await?;
    let joining = [
        (
            engineer,
            people[1].0,
            Role::Employee,
            Some(EmployeeType::Engineer),
        ),
        (
            worker,
            people[2].0,
            Role::Employee,
            Some(EmployeeType::Worker),
        ),
        (client, people[3].0, Role::Client, None),
    ];
    for (person, email, role, trade) in joining {
        let inv =
            invitations::invite(&identity, owner, org.id, email, role, trade, &client_info).await?;
        invitations::accept(&identity, person, &inv.token, &client_info).await?;
    }
    let c = |p| nestcms_app::caller(&identity, p, org.id);
    let sar = |minor| Money::from_minor(minor, Currency::Sar);
    let today = Utc::now().date_naive();
    let offer = offers::NewOffer {
        client_id: client.user,
        title: "Villa extension".into(),
        scope: "Two bedrooms, a bathroom and a roof terrace on the existing villa".into(),
        price: sar(18_000_000),
        valid_until: today + Duration::days(30),
    };
    let offer = offers::create(&identity, &data, &c(engineer).await?, offer).await?;
    let contract = offers::approve(&data, &c(client).await?, offer.id).await?;
    let schedule = (1..=3)
        .map(|m| (sar(6_000_000), today + Duration::days(30 * m)))
        .collect();
    contracts::set_instalments(&data, &c(owner).await?, contract.id, schedule).await?;
    contracts::transition(
        &data,
        &c(client).await?,
        contract.id,
        nestcms_domain::construction::ContractStatus::ApprovedByClient,
    )
    .await?;
    contracts::transition(
        &data,
        &c(owner).await?,
        contract.id,
        nestcms_domain::construction::ContractStatus::Active,
    )
    .await?;
    let project = projects::NewProject {
        title: "Villa extension works".into(),
        description: "Al Olaya, Riyadh".into(),
        contract_id: Some(contract.id),
        manager_id: engineer.user,
        start_date: today,
        end_date: Some(today + Duration::days(180)),
    };
    let mgr = c(engineer).await?;
    let project = projects::create(&identity, &data, &c(owner).await?, project).await?;
    let mut steps = Vec::new();
    for title in [
        "Site preparation",
        "Foundations",
        "Structure",
        "Roof terrace",
        "Finishing",
    ] {
        steps.push(projects::add_step(&data, &mgr, project.id, title, None, None).await?);
    }
    for s in &steps[..2] {
        projects::set_step_status(&data, &mgr, project.id, s.id, StepStatus::Completed).await?;
    }
    let design = projects::add_design(
        &data,
        &mgr,
        project.id,
        "Ground floor plan",
        "https://example.com/plans/ground-floor-v1.pdf",
    )
    .await?;
    let v2 = projects::url_version(
        0,
        "https://example.com/plans/ground-floor-v2.pdf",
        engineer.user,
        Utc::now(),
    )?;
    projects::add_design_version(&data, &mgr, project.id, design.id, v2).await?;
    projects::add_worker(
        &identity,
        &data,
        &c(owner).await?,
        project.id,
        worker.user,
        "mason",
    )
    .await?;
    projects::add_note(
        &data,
        &mgr,
        project.id,
        "Concrete for the foundations poured; curing for 7 days.",
        None,
    )
    .await?;
    projects::add_note(
        &data,
        &c(client).await?,
        project.id,
        "Please keep the olive tree by the gate.",
        None,
    )
    .await?;
    let o = c(owner).await?;
    earnings::set_commission(&identity, &data, &o, project.id, engineer.user, 1500).await?;
    earnings::set_commission(&identity, &data, &o, project.id, worker.user, 500).await?;
    for (m, amount) in [(0, 2_500_000), (1, 3_100_000), (2, 2_750_050)] {
        let e = earnings::NewEarning {
            project_id: Some(project.id),
            kind: EarningKind::Profit,
            period: EarningPeriod::Monthly,
            period_start: today - Duration::days(30 * (3 - m)),
            amount: sar(amount),
            title: format!("Month {}", m + 1),
        };
        let e = earnings::record(&data, &o, e).await?;
        earnings::distribute(&data, &o, e.id).await?;
    }
    println!(
        "demo organization \"Nest Builders (demo)\" ({}) is ready. Log in with any of:",
        org.id
    );
    for (email, name, _) in people {
        println!("  {email:<32} {name:<18} password: {DEMO_PASSWORD}");
    }
    Ok(())
}
