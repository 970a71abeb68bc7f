//! The shared Store conformance suite, each check on its own fresh database file.

mod common;

redress_store::conformance_tests!(async {
    let store: std::sync::Arc<dyn redress_store::Store> = std::sync::Arc::new(common::fresh("conformance").await);
    store
});
