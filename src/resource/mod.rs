//! The vocabulary both sides of a plan speak: where a resource lives in an environment
//! ([`address::Address`]) and the values of references known so far ([`values::Values`]). A
//! leaf below `actual` and `plan`, so that neither imports the other for it.

pub mod address;
pub mod values;
