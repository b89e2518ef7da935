//! Closed vocabularies of identity: roles, employee types, grant verbs and object kinds.

use crate::text::text_enum;

text_enum!(
    /// What a member is in an organization.
    Role {
        /// Owns the organization; only owners manage owners.
        Owner => "owner",
        /// Runs the organization with the owner.
        Admin => "admin",
        /// Manages projects and people under them.
        Manager => "manager",
        /// Engineer, worker or other staff.
        Employee => "employee",
        /// A customer of the firm.
        Client => "client",
    }
);

text_enum!(
    /// The trade of an employee.
    EmployeeType {
        /// Designs and supervises technical work.
        Engineer => "engineer",
        /// Works on site.
        Worker => "worker",
        /// Leads a site crew.
        Supervisor => "supervisor",
        /// Keeps the books.
        Accountant => "accountant",
        /// Produces designs and drawings.
        Designer => "designer",
        /// Any other trade.
        Other => "other",
    }
);

text_enum!(
    /// What a per-object grant allows.
    Verb {
        /// Approve (e.g. a design or an offer).
        Approve => "approve",
        /// See it.
        Read => "read",
        /// Create things under it.
        Write => "write",
        /// Change it.
        Modify => "modify",
    }
);

text_enum!(
    /// The kind of object a grant is on.
    ObjectKind {
        /// A project.
        Project => "project",
        /// A schedule or appointment.
        Schedule => "schedule",
        /// A payment.
        Payment => "payment",
        /// A design document.
        Design => "design",
        /// A contract.
        Contract => "contract",
        /// An offer (quote).
        Offer => "offer",
        /// The organization's security audit log (object id = the organization id).
        AuditLog => "audit_log",
    }
);

text_enum!(
    /// Whether a grant is in force.
    GrantStatus {
        /// In force.
        Granted => "granted",
        /// Withdrawn; kept for the record.
        Revoked => "revoked",
    }
);

impl Role {
    /// Owners and admins run the organization.
    pub const fn is_org_admin(self) -> bool {
        matches!(self, Self::Owner | Self::Admin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_through_its_text() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
        }
        for k in ObjectKind::ALL {
            assert_eq!(ObjectKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(Role::parse("superuser"), None);
        assert_eq!(
            serde_json::to_string(&ObjectKind::AuditLog).ok(),
            Some("\"audit_log\"".into())
        );
    }
}
