//! Staff roles and the checks on staff input.

use async_graphql::Enum;
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};

/// What a staff member may do. Changing someone's role ends their sessions at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    /// Manages staff (accounts, roles, supervisors) and the support-group directory, and reads
    /// the audit trail. Never reads or changes a client record.
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    /// Everything a counselor may do, for their own clients and those of every counselor they
    /// supervise; reassigns clients within the team, sees team reports and reviews emergency
    /// access.
    #[sea_orm(string_value = "SUPERVISOR")]
    Supervisor,
    /// Registers clients (becoming their primary counselor) and works their own caseload:
    /// referrals, attendance, follow-ups. Sees other clients only by emergency access.
    #[sea_orm(string_value = "COUNSELOR")]
    Counselor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "ADMIN",
            Role::Supervisor => "SUPERVISOR",
            Role::Counselor => "COUNSELOR",
        }
    }

    /// Case-insensitive, for the command line (`--role counselor`).
    pub fn parse(s: &str) -> Option<Role> {
        match s.to_ascii_uppercase().as_str() {
            "ADMIN" => Some(Role::Admin),
            "SUPERVISOR" => Some(Role::Supervisor),
            "COUNSELOR" => Some(Role::Counselor),
            _ => None,
        }
    }
}

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Lower-cased form under which emails are unique.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A plain shape check: one `@`, something on both sides, a dot in the domain or `localhost`,
/// no spaces. Deliverability is not our concern; typos and junk are.
pub fn check_email(email: &str) -> Result<(), &'static str> {
    let email = email.trim();
    if email.is_empty() || email.chars().count() > MAX_EMAIL_CHARS {
        return Err("an email address of 1 to 254 characters is required");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err("an email address needs an @");
    };
    let ok = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && (domain == "localhost" || (domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')));
    if ok { Ok(()) } else { Err("not a valid email address") }
}

/// A display name: trimmed, 1 to 200 characters, no control characters.
pub fn check_name(name: &str) -> Result<String, &'static str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err("a name of 1 to 200 characters is required");
    }
    if name.chars().any(char::is_control) {
        return Err("a name may not contain control characters");
    }
    Ok(name.to_owned())
}

/// NIST SP 800-63B §3.1.1.2 (rev. 4 §5.1.1.2): at least the length floor, and not a
/// password that is common, guessable or built from the account's own details. zxcvbn
/// (Dropbox's estimator, with its bundled lists of common passwords, names and words) judges
/// the rest: a password it expects to fall within 10^8 guesses (score 2 or less) is refused.
/// `context`: the email, the name and the like, which make a password easy to guess.
pub fn check_password(password: &str, context: &[&str]) -> Result<(), &'static str> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err("a password needs at least 12 characters");
    }
    if n > MAX_PASSWORD_CHARS {
        return Err("a password may have at most 256 characters");
    }
    // An email or a name, whole or squashed ("Ann Lee" → "annlee"), is guessed first; so
    // are their parts and the product's own name.
    let squash = |t: &str| t.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>();
    let mut personal: Vec<String> = Vec::new();
    for item in context {
        personal.push(squash(item));
        if let Some((local, _)) = item.split_once('@') {
            personal.push(squash(local));
        }
    }
    personal.retain(|p| p.chars().count() >= 4);
    let squashed = squash(password);
    if personal.iter().any(|p| squashed.contains(p.as_str())) {
        return Err("a password may not contain your email or name");
    }
    let mut words: Vec<&str> = vec!["continuum"];
    words.extend(personal.iter().map(String::as_str));
    for item in context {
        words.push(item);
        words.extend(item.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() >= 3));
    }
    // The estimate grows faster than the length; a longer tail only adds strength.
    let head: String = password.chars().take(64).collect();
    if (zxcvbn::zxcvbn(&head, &words).score() as u8) < 3 {
        return Err("this password is too common or too easy to guess; try a few unrelated words");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(check_email("a@b.org").is_ok());
        assert!(check_email("admin@localhost").is_ok());
        for bad in ["", "no-at", "@b.org", "a@", "a b@c.org", "a@b", "a@@b.org", "a@.org"] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        assert_eq!(normalize_email(" Ann@Clinic.ORG "), "ann@clinic.org");
    }

    #[test]
    fn common_and_personal_passwords_are_refused() {
        for weak in ["aaaaaaaaaaaa", "passwordpassword", "123456789012", "qwertyuiopasdf", "Password1234!"] {
            assert!(check_password(weak, &[]).is_err(), "{weak}");
        }
        assert!(check_password("ann.lee@clinic.org", &["ann.lee@clinic.org", "Ann Lee"]).is_err());
        assert!(check_password("annlee-annlee-2026", &["ann.lee@clinic.org", "Ann Lee"]).is_err());
        assert!(check_password("copper kettle sings at dawn", &["ann.lee@clinic.org", "Ann Lee"]).is_ok());
        // The passwords the demo, the tests, the soak run and the benchmarks use.
        for strong in [
            "violet-harbor-tundra-58",
            "granite-meadow-falcon-31",
            "sable-orchid-compass-77",
            "quiet-river-lantern-83",
            "soak-admin-cobalt-fjord-19",
            "soak-staff-amber-quill-64",
            "bench-cedar-plume-harbor-42",
        ] {
            assert_eq!(check_password(strong, &["someone@clinic.org", "Some One"]), Ok(()), "{strong}");
        }
    }

    #[test]
    fn names_are_trimmed() {
        assert_eq!(check_name("  Ann Lee ").as_deref(), Ok("Ann Lee"));
        assert!(check_name("   ").is_err());
        assert!(check_name("a\u{0}b").is_err());
    }
}
