//! A refused change: which rule refused it, the field at fault, and a sentence for a person.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleViolation {
    /// A stable name for the rule, e.g. `STAGE_MOVE`; clients may branch on it.
    pub rule: &'static str,
    pub field: Option<&'static str>,
    pub message: String,
}

impl RuleViolation {
    pub fn new(rule: &'static str, field: Option<&'static str>, message: impl Into<String>) -> Self {
        RuleViolation { rule, field, message: message.into() }
    }
}
