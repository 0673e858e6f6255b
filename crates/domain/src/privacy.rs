//! 42 CFR Part 2: what a consent covers, and the notice that goes with every disclosure.

use async_graphql::Enum;

use super::RuleViolation;

/// Kinds of information a consent may allow to be disclosed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Enum)]
pub enum DisclosureCategory {
    /// The client's contact details (phone, email, address).
    ContactInformation,
    /// The client's referrals to support groups.
    ReferralDetails,
    /// The client's attendance at support-group meetings.
    Attendance,
    /// Where the client is in treatment: stage, level of care, admission and discharge.
    TreatmentStatus,
    /// What the client's follow-up contacts found.
    FollowUpOutcomes,
}

impl DisclosureCategory {
    pub const ALL: [DisclosureCategory; 5] = [
        DisclosureCategory::ContactInformation,
        DisclosureCategory::ReferralDetails,
        DisclosureCategory::Attendance,
        DisclosureCategory::TreatmentStatus,
        DisclosureCategory::FollowUpOutcomes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DisclosureCategory::ContactInformation => "CONTACT_INFORMATION",
            DisclosureCategory::ReferralDetails => "REFERRAL_DETAILS",
            DisclosureCategory::Attendance => "ATTENDANCE",
            DisclosureCategory::TreatmentStatus => "TREATMENT_STATUS",
            DisclosureCategory::FollowUpOutcomes => "FOLLOW_UP_OUTCOMES",
        }
    }
}

pub fn encode(list: &[DisclosureCategory]) -> String {
    let mut list = list.to_vec();
    list.sort();
    list.dedup();
    list.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(",")
}

pub fn decode(stored: &str) -> Vec<DisclosureCategory> {
    stored.split(',').filter_map(|s| DisclosureCategory::ALL.into_iter().find(|c| c.as_str() == s)).collect()
}

/// Recipients match case- and space-insensitively ("Hope  Group" = "hope group").
pub fn normalize_recipient(recipient: &str) -> String {
    recipient.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Whether a consent's categories cover everything a disclosure would share.
pub fn covers(consented: &[DisclosureCategory], wanted: &[DisclosureCategory]) -> bool {
    !wanted.is_empty() && wanted.iter().all(|w| consented.contains(w))
}

/// The notice stored with disclosures made before the 2024 final rule (the 2018 § 2.32
/// wording). Disclosures recorded then keep it; new ones carry [`NOTICE_2024`].
pub const REDISCLOSURE_NOTICE_2018: &str = "This information has been disclosed to you from records protected by federal \
confidentiality rules (42 CFR part 2). The federal rules prohibit you from making any further disclosure of information \
in this record that identifies a patient as having or having had a substance use disorder either directly, by reference \
to publicly available information, or through verification of such identification by another person unless further \
disclosure is expressly permitted by the written consent of the individual whose information is being disclosed or as \
otherwise permitted by 42 CFR part 2. A general authorization for the release of medical or other information is NOT \
sufficient for this purpose (see § 2.31). The federal rules restrict any use of the information to investigate or \
prosecute with regard to a crime any patient with a substance use disorder, except as provided at §§ 2.12(c)(5) and 2.65.";

/// 42 CFR § 2.32(a)(1), Statement 1, as amended by the 2024 final rule (89 FR 12472,
/// 2024-02-16; compliance date 2026-02-16): the full notice that accompanies each disclosure
/// made with the patient's written consent.
pub const NOTICE_2024: &str = "This record which has been disclosed to you is protected by Federal confidentiality rules \
(42 CFR part 2). These rules prohibit you from using or disclosing this record, or testimony that describes the \
information contained in this record, in any civil, criminal, administrative, or legislative proceedings by any Federal, \
State, or local authority, against the patient, unless authorized by the consent of the patient, except as provided at \
42 CFR 2.12(c)(5) or as authorized by a court in accordance with 42 CFR 2.64 or 2.65. In addition, the Federal rules \
prohibit you from making any other use or disclosure of this record unless at least one of the following applies: \
(i) Further use or disclosure is expressly permitted by the written consent of the individual whose information is \
being disclosed in this record or as otherwise permitted by 42 CFR part 2. (ii) You are a covered entity or business \
associate and have received the record for treatment, payment, or health care operations, or (iii) You have received \
the record from a covered entity or business associate as permitted by 45 CFR part 164, subparts A and E. A general \
authorization for the release of medical or other information is NOT sufficient to meet the required elements of \
written consent to further use or redisclose the record (see 42 CFR 2.31).";

/// § 2.32(a)(2), Statement 2: the abbreviated notice.
pub const NOTICE_2024_ABBREVIATED: &str = "42 CFR part 2 prohibits unauthorized use or disclosure of these records.";

/// § 2.31(a)(6): the right to revoke, how, and that revoking does not undo what was done in
/// reliance on the consent. Stored with each consent and printed on its form.
pub const RIGHT_TO_REVOKE: &str = "You may revoke this consent at any time, in writing, by giving or sending a signed \
statement to the program, except to the extent that the program or others have already acted in reliance on it. \
Revoking it does not undo a use or disclosure made before the program received your revocation.";

/// § 2.31 as amended in 2024: the two statements a consent for treatment, payment and
/// health care operations adds: records may be redisclosed as HIPAA permits, and what
/// refusing to sign means.
pub const TPO_STATEMENT: &str = "Records disclosed under this consent to a HIPAA covered entity or business associate \
for treatment, payment or health care operations may be further disclosed by them as the HIPAA regulations \
(45 CFR parts 160 and 164) permit, except for uses in proceedings against you. Refusing to sign this consent does not \
affect your treatment here, payment for it, or your eligibility for benefits.";

/// What a consent lets the information be used for (§ 2.31(a)(5)): a controlled list, with
/// the client's own words beside it on the consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Enum)]
pub enum ConsentPurpose {
    /// Treatment of the client. One of treatment, payment and health care operations (TPO): a
    /// TPO-only consent may name recipients by the general designation and may have no expiry.
    Treatment,
    /// Payment for the client's care. A TPO purpose.
    Payment,
    /// Running the program (e.g. quality review, administration). A TPO purpose.
    HealthCareOperations,
    /// Coordinating the client's care with other providers; counted as treatment, so a TPO
    /// purpose.
    CareCoordination,
    /// Verifying the client's attendance. Not a TPO purpose: the consent must name its recipient
    /// and have an expiry.
    AttendanceVerification,
    /// "At the request of the patient" (§ 2.31(a)(5)).
    PatientRequest,
    /// Civil, criminal, administrative or legislative proceedings: a consent of its own,
    /// never combined with another (§ 2.31(d)).
    LegalProceedings,
}

impl ConsentPurpose {
    pub const ALL: [ConsentPurpose; 7] = [
        ConsentPurpose::Treatment,
        ConsentPurpose::Payment,
        ConsentPurpose::HealthCareOperations,
        ConsentPurpose::CareCoordination,
        ConsentPurpose::AttendanceVerification,
        ConsentPurpose::PatientRequest,
        ConsentPurpose::LegalProceedings,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConsentPurpose::Treatment => "TREATMENT",
            ConsentPurpose::Payment => "PAYMENT",
            ConsentPurpose::HealthCareOperations => "HEALTH_CARE_OPERATIONS",
            ConsentPurpose::CareCoordination => "CARE_COORDINATION",
            ConsentPurpose::AttendanceVerification => "ATTENDANCE_VERIFICATION",
            ConsentPurpose::PatientRequest => "PATIENT_REQUEST",
            ConsentPurpose::LegalProceedings => "LEGAL_PROCEEDINGS",
        }
    }

    /// How the form and a refusal say it.
    pub fn label(self) -> &'static str {
        match self {
            ConsentPurpose::Treatment => "treatment",
            ConsentPurpose::Payment => "payment",
            ConsentPurpose::HealthCareOperations => "health care operations",
            ConsentPurpose::CareCoordination => "care coordination",
            ConsentPurpose::AttendanceVerification => "verification of attendance",
            ConsentPurpose::PatientRequest => "at the request of the patient",
            ConsentPurpose::LegalProceedings => "legal proceedings",
        }
    }

    /// Treatment, payment and health care operations (care coordination is treatment).
    pub fn is_tpo(self) -> bool {
        matches!(
            self,
            ConsentPurpose::Treatment
                | ConsentPurpose::Payment
                | ConsentPurpose::HealthCareOperations
                | ConsentPurpose::CareCoordination
        )
    }
}

pub fn encode_purposes(list: &[ConsentPurpose]) -> String {
    let mut list = list.to_vec();
    list.sort();
    list.dedup();
    list.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(",")
}

pub fn decode_purposes(stored: &str) -> Vec<ConsentPurpose> {
    stored.split(',').filter_map(|s| ConsentPurpose::ALL.into_iter().find(|p| p.as_str() == s)).collect()
}

/// To whom (§ 2.31(a)(4)): a named person or organisation, or, for a consent to treatment,
/// payment and health care operations, the general designation the 2024 rule allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum RecipientKind {
    /// A person or organisation named on the consent; a disclosure must go to that recipient
    /// (matched ignoring case and extra spaces). Allowed for any purpose.
    Named,
    /// "My treating providers, health plans, third-party payers, and people helping to
    /// operate this program."
    TreatingProviders,
}

/// How the consent ends (§ 2.31(a)(7)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ConsentExpiry {
    /// On a date.
    OnDate,
    /// On an event or condition ("when I finish aftercare"), ended when it is recorded.
    OnEvent,
    /// No expiry: only a consent for treatment, payment and health care operations.
    None,
}

/// Who signed (§ 2.31(a)(8), § 2.14, § 2.15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum SignerCapacity {
    /// The client signed for themselves.
    Patient,
    /// A guardian signed on the client's behalf, e.g. for a minor (§ 2.14).
    Guardian,
    /// A person authorized to sign for the client, e.g. for a client who lacks capacity or has
    /// died (§ 2.15).
    PersonalRepresentative,
}

/// How it was signed; electronic signatures are allowed (§ 2.31(a)(8)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum SignatureMethod {
    /// Signed by hand on paper; the signed form is kept on file.
    WetSignatureOnFile,
    /// Signed electronically.
    Electronic,
}

macro_rules! stored_enum {
    ($ty:ty { $($variant:ident = $s:literal),* $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $s),* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(<$ty>::$variant),)* _ => None }
            }
        }
    };
}
stored_enum!(RecipientKind { Named = "NAMED", TreatingProviders = "TREATING_PROVIDERS" });
stored_enum!(ConsentExpiry { OnDate = "ON_DATE", OnEvent = "ON_EVENT", None = "NONE" });
stored_enum!(SignerCapacity { Patient = "PATIENT", Guardian = "GUARDIAN", PersonalRepresentative = "PERSONAL_REPRESENTATIVE" });
stored_enum!(SignatureMethod { WetSignatureOnFile = "WET_SIGNATURE_ON_FILE", Electronic = "ELECTRONIC" });

/// A consent as the counselor enters it, before the checks.
#[derive(Debug, Clone)]
pub struct ConsentDraft<'a> {
    pub recipient_kind: RecipientKind,
    pub recipient: &'a str,
    pub purposes: &'a [ConsentPurpose],
    pub categories: &'a [DisclosureCategory],
    pub expiry: ConsentExpiry,
    pub expires_on: Option<chrono::NaiveDate>,
    pub expiry_event: &'a str,
    pub signer_name: &'a str,
    pub signer_capacity: Option<SignerCapacity>,
    pub signature_method: Option<SignatureMethod>,
    pub signed_on: chrono::NaiveDate,
    pub right_to_revoke_explained: bool,
}

fn missing(field: &'static str, message: &str) -> RuleViolation {
    RuleViolation::new("CONSENT_ELEMENTS", Some(field), format!("{message} (42 CFR 2.31)"))
}

/// The § 2.31 elements every consent must have, each refused with its field named. The
/// patient is the client the consent is recorded on; who may disclose is the program.
pub fn check_consent(draft: &ConsentDraft<'_>, today: chrono::NaiveDate) -> Result<(), RuleViolation> {
    if draft.recipient_kind == RecipientKind::Named && draft.recipient.trim().is_empty() {
        return Err(missing("recipient", "name the person or organisation the information may go to"));
    }
    if draft.categories.is_empty() {
        return Err(missing("categories", "say how much and what kind of information may be disclosed"));
    }
    if draft.purposes.is_empty() {
        return Err(missing("purposes", "name at least one purpose of the disclosure"));
    }
    if draft.purposes.contains(&ConsentPurpose::LegalProceedings) && draft.purposes.len() > 1 {
        return Err(RuleViolation::new(
            "CONSENT_SEPARATE",
            Some("purposes"),
            "a consent for use in legal proceedings is a consent of its own, never combined with other purposes (42 CFR 2.31(d))",
        ));
    }
    let tpo_only = draft.purposes.iter().all(|p| p.is_tpo());
    if draft.recipient_kind == RecipientKind::TreatingProviders && !tpo_only {
        return Err(missing(
            "recipientKind",
            "a general designation of recipients is allowed only for treatment, payment and health care operations",
        ));
    }
    match draft.expiry {
        ConsentExpiry::OnDate => match draft.expires_on {
            None => return Err(missing("expiresOn", "give the date the consent expires")),
            Some(d) if d < today || d > today + chrono::Days::new(5 * 366) => {
                return Err(RuleViolation::new(
                    "CONSENT_ELEMENTS",
                    Some("expiresOn"),
                    "a consent expires between today and five years from now",
                ));
            }
            Some(_) => {}
        },
        ConsentExpiry::OnEvent if draft.expiry_event.trim().is_empty() => {
            return Err(missing("expiryEvent", "name the event or condition on which the consent expires"));
        }
        ConsentExpiry::None if !tpo_only => {
            return Err(missing(
                "expiry",
                "only a consent for treatment, payment and health care operations may have no expiry",
            ));
        }
        _ => {}
    }
    if draft.signer_name.trim().is_empty() {
        return Err(missing("signerName", "name who signed the consent"));
    }
    if draft.signer_capacity.is_none() {
        return Err(missing(
            "signerCapacity",
            "say in what capacity they signed (the patient, a guardian, a personal representative)",
        ));
    }
    if draft.signature_method.is_none() {
        return Err(missing("signatureMethod", "say how it was signed (wet signature on file, or electronic)"));
    }
    if draft.signed_on > today {
        return Err(RuleViolation::new(
            "CONSENT_ELEMENTS",
            Some("signedOn"),
            "a consent cannot be signed in the future",
        ));
    }
    if !draft.right_to_revoke_explained {
        return Err(missing(
            "rightToRevokeExplained",
            "the consent must state the right to revoke it, and the client be told",
        ));
    }
    Ok(())
}

/// What became of an attempt on a record, as the audit trail records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum AuditOutcome {
    /// The caller was allowed and the read or change was done.
    Allowed,
    /// Refused by a role, visibility, consent or rate-limit check; recorded against the client
    /// it was aimed at, if any.
    Denied,
    /// The attempt was checked and failed, e.g. a sign-in or password change with a wrong
    /// password.
    Failed,
}

impl AuditOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Allowed => "ALLOWED",
            AuditOutcome::Denied => "DENIED",
            AuditOutcome::Failed => "FAILED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ALLOWED" => Some(AuditOutcome::Allowed),
            "DENIED" => Some(AuditOutcome::Denied),
            "FAILED" => Some(AuditOutcome::Failed),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{DisclosureCategory::*, *};

    #[test]
    fn consent_must_cover_every_category() {
        assert!(covers(&[Attendance, ReferralDetails], &[Attendance]));
        assert!(!covers(&[Attendance], &[Attendance, TreatmentStatus]));
        assert!(!covers(&[Attendance], &[]));
        assert_eq!(decode(&encode(&[TreatmentStatus, Attendance, Attendance])), vec![Attendance, TreatmentStatus]);
        assert_eq!(normalize_recipient("  Hope   Group "), "hope group");
    }

    fn draft<'a>(purposes: &'a [ConsentPurpose]) -> ConsentDraft<'a> {
        ConsentDraft {
            recipient_kind: RecipientKind::Named,
            recipient: "Hope Group",
            purposes,
            categories: &[Attendance],
            expiry: ConsentExpiry::OnEvent,
            expires_on: None,
            expiry_event: "when I finish aftercare",
            signer_name: "Ana Diaz",
            signer_capacity: Some(SignerCapacity::Patient),
            signature_method: Some(SignatureMethod::Electronic),
            signed_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
            right_to_revoke_explained: true,
        }
    }

    #[test]
    fn every_element_is_required_and_legal_proceedings_stand_alone() {
        use ConsentPurpose::*;
        let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default();
        assert_eq!(check_consent(&draft(&[AttendanceVerification]), today), Ok(()));
        let field = |d: ConsentDraft<'_>| check_consent(&d, today).err().and_then(|e| e.field);
        assert_eq!(field(ConsentDraft { recipient: " ", ..draft(&[Treatment]) }), Some("recipient"));
        assert_eq!(field(ConsentDraft { categories: &[], ..draft(&[Treatment]) }), Some("categories"));
        assert_eq!(field(draft(&[])), Some("purposes"));
        assert_eq!(field(ConsentDraft { expiry_event: "", ..draft(&[Treatment]) }), Some("expiryEvent"));
        assert_eq!(field(ConsentDraft { expiry: ConsentExpiry::OnDate, ..draft(&[Treatment]) }), Some("expiresOn"));
        assert_eq!(
            field(ConsentDraft { expiry: ConsentExpiry::None, ..draft(&[AttendanceVerification]) }),
            Some("expiry")
        );
        assert_eq!(field(ConsentDraft { expiry: ConsentExpiry::None, ..draft(&[Treatment, Payment]) }), None);
        assert_eq!(field(ConsentDraft { signer_name: "", ..draft(&[Treatment]) }), Some("signerName"));
        assert_eq!(field(ConsentDraft { signer_capacity: None, ..draft(&[Treatment]) }), Some("signerCapacity"));
        assert_eq!(field(ConsentDraft { signature_method: None, ..draft(&[Treatment]) }), Some("signatureMethod"));
        assert_eq!(
            field(ConsentDraft { right_to_revoke_explained: false, ..draft(&[Treatment]) }),
            Some("rightToRevokeExplained")
        );
        let general = ConsentDraft {
            recipient_kind: RecipientKind::TreatingProviders,
            recipient: "",
            ..draft(&[AttendanceVerification])
        };
        assert_eq!(field(general), Some("recipientKind"));
        let combined = check_consent(&draft(&[LegalProceedings, Treatment]), today);
        assert_eq!(combined.map_err(|e| e.rule), Err("CONSENT_SEPARATE"));
        assert_eq!(check_consent(&draft(&[LegalProceedings]), today), Ok(()));
    }
}
