//! Who is calling: passwords, access tokens, refresh-token sessions and the `Viewer`.

pub mod jwt;
pub mod password;
pub mod throttle;
pub mod viewer;

pub use jwt::JwtKeys;
pub use viewer::{Auth, TokenProblem, Viewer};
