//! Staff roles and the checks on staff input.

use async_graphql::Enum;
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    #[sea_orm(string_value = "SUPERVISOR")]
    Supervisor,
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

pub fn check_password(password: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err("a password needs at least 12 characters");
    }
    if n > MAX_PASSWORD_CHARS {
        return Err("a password may have at most 256 characters");
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
    fn names_are_trimmed() {
        assert_eq!(check_name("  Ann Lee ").as_deref(), Ok("Ann Lee"));
        assert!(check_name("   ").is_err());
        assert!(check_name("a\u{0}b").is_err());
    }
}
