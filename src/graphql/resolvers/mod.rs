pub mod auth;
pub mod staff;
