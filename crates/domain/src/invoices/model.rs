//! The invoice document and its states.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::lines::{Line, Totals};
use super::qr::{self, QrFields, TooLong};
use super::tax::TaxProfile;
use crate::Currency;
use crate::construction::ContractId;
use crate::identity::{OrgId, UserId};
use crate::money::Money;
use crate::payments::PaymentId;
use crate::text::text_enum;

crate::define_id!(
    /// An invoice or note; also its ZATCA UUID.
    InvoiceId
);

text_enum!(
    /// What a document is.
    DocKind {
        /// A tax invoice.
        Invoice => "invoice",
        /// Takes off an issued invoice (a refund, a correction).
        CreditNote => "credit_note",
        /// Adds to an issued invoice.
        DebitNote => "debit_note",
    }
);

impl DocKind {
    /// The series prefix its numbers carry.
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::Invoice => "INV",
            Self::CreditNote => "CN",
            Self::DebitNote => "DN",
        }
    }

    /// Number `n` of this series as printed (`INV-000042`).
    pub fn number(self, n: i64) -> String {
        format!("{}-{n:06}", self.prefix())
    }
}

text_enum!(
    /// How money was received outside the payment gateway.
    PaymentMethod {
        /// A bank transfer.
        BankTransfer => "bank_transfer",
        /// Cash.
        Cash => "cash",
        /// A cheque.
        Cheque => "cheque",
        /// A card payment taken elsewhere.
        Card => "card",
        /// Anything else.
        Other => "other",
    }
);

/// Money received against an invoice or debit note outside the gateway, recorded by staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoicePayment {
    /// Id.
    pub id: Uuid,
    /// The document paid.
    pub invoice: InvoiceId,
    /// Organization.
    pub org: OrgId,
    /// Amount in the document's currency, minor units.
    pub amount: i64,
    /// How it came.
    pub method: PaymentMethod,
    /// The bank's or cheque's reference.
    pub reference: String,
    /// The day it was received.
    pub paid_on: chrono::NaiveDate,
    /// Who recorded it.
    pub recorded_by: UserId,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

text_enum!(
    /// Standard (business buyer with a VAT number) or simplified (consumer) invoice.
    InvoiceForm {
        /// B2B: the buyer's VAT number is printed.
        Standard => "standard",
        /// B2C: the QR code is mandatory in Saudi Arabia.
        Simplified => "simplified",
    }
);

text_enum!(
    /// Where a document stands.
    InvoiceState {
        /// Being written; no number yet, still editable.
        Draft => "draft",
        /// Issued and owed.
        Issued => "issued",
        /// Part of it paid.
        PartiallyPaid => "partially_paid",
        /// Paid in full.
        Paid => "paid",
        /// Fully credited by credit notes.
        Void => "void",
    }
);

/// Who is invoiced.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Buyer {
    /// Name as printed.
    pub name: String,
    /// VAT registration number (makes the invoice a standard one).
    pub vat_number: Option<String>,
    /// Address as printed.
    pub address: Option<String>,
    /// The client account, when the buyer is one.
    pub client: Option<UserId>,
}

/// What a document was issued for, when not by hand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    /// The payment it invoices or refunds.
    pub payment: Option<PaymentId>,
    /// The contract.
    pub contract: Option<ContractId>,
    /// The instalment's position.
    pub instalment_seq: Option<u32>,
    /// The payment event that caused it: one document per event.
    pub event: Option<Uuid>,
}

/// An invoice or note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// Id and ZATCA UUID.
    pub id: InvoiceId,
    /// Organization (the seller).
    pub org: OrgId,
    /// Invoice or note.
    pub kind: DocKind,
    /// Standard or simplified.
    pub form: InvoiceForm,
    /// Where it stands.
    pub state: InvoiceState,
    /// Its number in its series, once issued.
    pub number: Option<i64>,
    /// Its place in the organization's chain of documents (ZATCA ICV), once issued.
    pub counter: Option<i64>,
    /// The hash of the document before it in the chain, once issued.
    pub previous_hash: Option<String>,
    /// Its own hash, once issued.
    pub hash: Option<String>,
    /// When it was issued.
    pub issued_at: Option<DateTime<Utc>>,
    /// When payment is due.
    pub due_on: Option<chrono::NaiveDate>,
    /// Currency of every amount.
    pub currency: Currency,
    /// Whether unit prices include VAT.
    pub prices_include_vat: bool,
    /// The seller as it stood at issue.
    pub seller: Option<TaxProfile>,
    /// The buyer.
    pub buyer: Buyer,
    /// Lines with their amounts.
    pub lines: Vec<Line>,
    /// Sums of the lines.
    pub totals: Totals,
    /// Paid so far, in minor units.
    pub paid: i64,
    /// Credited by notes so far, in minor units.
    pub credited: i64,
    /// What caused it.
    pub source: Source,
    /// The invoice a note corrects.
    pub references: Option<InvoiceId>,
    /// Why a note was issued.
    pub reason: Option<String>,
    /// Free text printed under the lines.
    pub note: String,
    /// Who wrote it (none when issued automatically).
    pub created_by: Option<UserId>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// The part of a document its hash covers: everything printed and its place in the chain.
#[derive(serde::Serialize)]
struct Sealed<'a> {
    uuid: Uuid,
    kind: &'a str,
    number: Option<i64>,
    counter: Option<i64>,
    previous_hash: Option<&'a str>,
    issued_at: Option<DateTime<Utc>>,
    currency: &'a str,
    seller: Option<&'a TaxProfile>,
    buyer: &'a Buyer,
    lines: &'a [Line],
    totals: &'a Totals,
    references: Option<Uuid>,
}

impl Invoice {
    /// `INV-000042`, `CN-000003`; `DRAFT` before it has a number.
    pub fn label(&self) -> String {
        match self.number {
            Some(n) => self.kind.number(n),
            None => "DRAFT".to_owned(),
        }
    }

    /// An amount of its currency.
    pub fn money(&self, minor: i64) -> Money {
        Money::from_minor(minor, self.currency)
    }

    /// What is still owed (gross less paid and credited), never below zero.
    pub fn balance(&self) -> i64 {
        (self.totals.gross - self.paid - self.credited).max(0)
    }

    /// The base64 SHA-256 of the document as issued, with its number, counter and previous
    /// hash: the link the next document in the chain carries.
    pub fn seal(&self) -> String {
        let sealed = Sealed {
            uuid: self.id.0,
            kind: self.kind.as_str(),
            number: self.number,
            counter: self.counter,
            previous_hash: self.previous_hash.as_deref(),
            issued_at: self.issued_at,
            currency: self.currency.code(),
            seller: self.seller.as_ref(),
            buyer: &self.buyer,
            lines: &self.lines,
            totals: &self.totals,
            references: self.references.map(|r| r.0),
        };
        // Serialising plain structs, strings and integers cannot fail.
        let bytes = serde_json::to_vec(&sealed).unwrap_or_default();
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes))
    }

    /// The document as issued with `number` in its series and `counter` in the chain after
    /// the document hashed `previous_hash`: stamped to the second (as printed and as the QR
    /// code carries it), in its settled state, and sealed.
    pub fn issued(
        mut self,
        number: i64,
        counter: i64,
        previous_hash: String,
        at: DateTime<Utc>,
    ) -> Self {
        use chrono::SubsecRound as _;
        self.number = Some(number);
        self.counter = Some(counter);
        self.previous_hash = Some(previous_hash);
        self.issued_at = Some(at.trunc_subsecs(0));
        self.updated_at = at;
        self.state = self.settled_state();
        self.hash = Some(self.seal());
        self
    }

    /// The ZATCA phase-1 QR payload, for an issued document whose seller has a VAT number.
    pub fn qr(&self) -> Result<Option<String>, TooLong> {
        let (Some(seller), Some(at)) = (&self.seller, self.issued_at) else {
            return Ok(None);
        };
        let Some(vat_number) = &seller.vat_number else {
            return Ok(None);
        };
        qr::encode(&QrFields {
            seller: seller.seller_name().to_owned(),
            vat_number: vat_number.clone(),
            issued_at: at,
            total: self.money(self.totals.gross).amount_string(),
            vat: self.money(self.totals.vat).amount_string(),
        })
        .map(Some)
    }

    /// The state an issued invoice has after payments and credits.
    pub fn settled_state(&self) -> InvoiceState {
        if self.kind == DocKind::CreditNote {
            return InvoiceState::Issued;
        }
        if self.credited >= self.totals.gross && self.totals.gross > 0 {
            InvoiceState::Void
        } else if self.balance() == 0 {
            InvoiceState::Paid
        } else if self.paid > 0 {
            InvoiceState::PartiallyPaid
        } else {
            InvoiceState::Issued
        }
    }
}
