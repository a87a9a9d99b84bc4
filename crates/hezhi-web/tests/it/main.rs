//! The HTTP surface end to end: every scenario builds the real router over a real store and
//! sends requests through it, once on SQLite and once on PostgreSQL (when
//! `HEZHI_TEST_PG_URL` names a server).
//!
//! A scenario is an `async fn(Harness)`; each is run by two `#[tokio::test]`s, `…_on_sqlite`
//! and `…_on_postgres`, through [`harness::on_sqlite`] and [`harness::on_postgres`].

mod access;
mod attachments;
mod audit;
mod bad_input;
mod browser;
mod browser_walk;
mod clock;
mod commands;
mod concurrency;
mod deadline_policy;
mod fixture;
mod garbage;
mod grids;
mod harness;
mod idempotency;
mod isolation;
mod lifecycle;
mod limits;
mod listing;
mod openapi;
mod openapi_fuzz;
mod personal_data;
mod reference;
mod reminders_sms;
mod residents;
mod sign_in;
mod stats;
mod tracking;
mod ui;
mod ui_admin;
mod ui_files;
mod ui_inbox;
mod ui_intake;
mod ui_ledger;
mod ui_overview;
mod ui_report;
mod webdriver;
