//! The one integration-test binary of the domain crate: the lifecycle driven from the
//! outside, through `decide` and `evolve` only.

mod calendar;
mod clock;
mod fixture;
mod indicators;
mod lifecycle;
mod permissions;
mod serde_forms;
mod transition_table;
mod validation;
