//! 42 CFR Part 2: what a consent covers, and the notice that goes with every disclosure.

use async_graphql::Enum;

/// Kinds of information a consent may allow to be disclosed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Enum)]
pub enum DisclosureCategory {
    ContactInformation,
    ReferralDetails,
    Attendance,
    TreatmentStatus,
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

/// The notice that must accompany each disclosure (42 CFR § 2.32).
pub const REDISCLOSURE_NOTICE: &str = "This information has been disclosed to you from records protected by federal \
confidentiality rules (42 CFR part 2). The federal rules prohibit you from making any further disclosure of information \
in this record that identifies a patient as having or having had a substance use disorder either directly, by reference \
to publicly available information, or through verification of such identification by another person unless further \
disclosure is expressly permitted by the written consent of the individual whose information is being disclosed or as \
otherwise permitted by 42 CFR part 2. A general authorization for the release of medical or other information is NOT \
sufficient for this purpose (see § 2.31). The federal rules restrict any use of the information to investigate or \
prosecute with regard to a crime any patient with a substance use disorder, except as provided at §§ 2.12(c)(5) and 2.65.";

/// What became of an attempt on a record, as the audit trail records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum AuditOutcome {
    Allowed,
    Denied,
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
}
