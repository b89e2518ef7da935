//! The policy, exhaustively over roles and actions.

use chrono::Utc;

use super::*;
use crate::identity::{GrantId, OrgId, UserId};

const ALL_ACTIONS: [Action; 16] = [
    Action::PublishArticles,
    Action::ViewAllRecords,
    Action::CreateOffer,
    Action::ManageContracts,
    Action::ManageProjects,
    Action::ManageEarnings,
    Action::ViewAnalytics,
    Action::ViewOrg,
    Action::UpdateOrg,
    Action::ViewMembers,
    Action::AddMember,
    Action::ChangeRole,
    Action::RemoveMember,
    Action::ManageGrants,
    Action::ViewGrants,
    Action::ReadAuditLog,
];

#[test]
fn only_owners_and_admins_administer_and_everyone_sees_the_org() {
    for role in Role::ALL {
        for action in ALL_ACTIONS {
            let allowed = role_allows(*role, action);
            let admin_only = matches!(
                action,
                Action::UpdateOrg
                    | Action::AddMember
                    | Action::ChangeRole
                    | Action::RemoveMember
                    | Action::ManageGrants
                    | Action::ReadAuditLog
            );
            if admin_only {
                assert_eq!(allowed, role.is_org_admin(), "{role} {action:?}");
            }
        }
        assert!(role_allows(*role, Action::ViewOrg));
    }
    assert!(
        !role_allows(Role::Client, Action::ViewMembers),
        "clients do not see the staff list"
    );
    assert!(role_allows(Role::Employee, Action::ViewMembers));
    for action in [
        Action::ViewAllRecords,
        Action::CreateOffer,
        Action::ManageContracts,
        Action::ManageProjects,
        Action::ViewAnalytics,
    ] {
        assert!(
            !role_allows(Role::Client, action),
            "clients only see their own records: {action:?}"
        );
    }
    assert!(
        role_allows(Role::Employee, Action::CreateOffer),
        "engineers write offers"
    );
    assert!(!role_allows(Role::Employee, Action::ManageContracts));
}

fn grant(verb: Verb, kind: ObjectKind, object: uuid::Uuid, status: GrantStatus) -> Grant {
    Grant {
        id: GrantId::new(),
        org_id: OrgId::new(),
        user_id: UserId::new(),
        verb,
        object_kind: kind,
        object_id: object,
        status,
        granted_by: UserId::new(),
        granted_at: Utc::now(),
        revoked_by: None,
        revoked_at: None,
    }
}

#[test]
fn a_grant_in_force_on_the_exact_object_adds_the_action() {
    let log = uuid::Uuid::now_v7();
    let other = uuid::Uuid::now_v7();
    let read_log = grant(Verb::Read, ObjectKind::AuditLog, log, GrantStatus::Granted);
    assert!(decide(Role::Employee, Action::ReadAuditLog, Some(log), &[]).is_err());
    assert!(
        decide(
            Role::Employee,
            Action::ReadAuditLog,
            Some(log),
            std::slice::from_ref(&read_log)
        )
        .is_ok()
    );
    assert!(
        decide(
            Role::Employee,
            Action::ReadAuditLog,
            Some(other),
            std::slice::from_ref(&read_log)
        )
        .is_err(),
        "another object"
    );
    let revoked = grant(Verb::Read, ObjectKind::AuditLog, log, GrantStatus::Revoked);
    assert!(
        decide(Role::Employee, Action::ReadAuditLog, Some(log), &[revoked]).is_err(),
        "revoked grants allow nothing"
    );
    let wrong_verb = grant(
        Verb::Modify,
        ObjectKind::AuditLog,
        log,
        GrantStatus::Granted,
    );
    assert!(
        decide(
            Role::Employee,
            Action::ReadAuditLog,
            Some(log),
            &[wrong_verb]
        )
        .is_err()
    );
    assert!(
        decide(Role::Employee, Action::ChangeRole, Some(log), &[read_log]).is_err(),
        "grants never add administration"
    );
}

#[test]
fn only_owners_touch_the_owner_role() {
    assert!(check_role_change(Role::Owner, Role::Employee, Role::Owner).is_ok());
    assert!(check_role_change(Role::Admin, Role::Employee, Role::Manager).is_ok());
    assert!(check_role_change(Role::Admin, Role::Employee, Role::Owner).is_err());
    assert!(check_role_change(Role::Admin, Role::Owner, Role::Admin).is_err());
    for weak in [Role::Manager, Role::Employee, Role::Client] {
        assert!(
            check_role_change(weak, Role::Client, Role::Employee).is_err(),
            "{weak}"
        );
    }
    assert!(check_removal(Role::Admin, Role::Owner).is_err());
    assert!(check_removal(Role::Admin, Role::Client).is_ok());
    assert!(check_removal(Role::Employee, Role::Client).is_err());
}
