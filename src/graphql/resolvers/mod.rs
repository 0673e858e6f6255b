pub mod auth;
pub mod client;
pub mod directory;
pub mod follow_up;
pub mod referral;
pub mod staff;
