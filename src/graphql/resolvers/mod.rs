pub mod auth;
pub mod client;
pub mod directory;
pub mod events;
pub mod follow_up;
pub mod referral;
pub mod report;
pub mod staff;
