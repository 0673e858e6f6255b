//! The rules of the domain as plain types and functions, with no I/O: unit-tested without a
//! database. The service layer is the only place that combines them with storage.

pub mod staff;

pub use staff::Role;
