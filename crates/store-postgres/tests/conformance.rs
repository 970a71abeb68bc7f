//! The shared conformance suite, each check on its own throw-away PostgreSQL database.

mod common;

redress_store::conformance_tests!(async { common::fresh_store().await });
