//! The conformance suite: every `Store` implementation must pass all of it.
//!
//! Each check is an `async fn(Arc<dyn Store>)`; a backend crate instantiates them all with
//! [`conformance_tests!`], giving one named test per check, each on a fresh store.

use std::sync::Arc;

use crate::Store;

/// Expands to one `#[tokio::test]` per conformance check. `$make` is an async expression
/// (an `async { ... }` block) yielding a fresh, migrated `Arc<dyn Store>`.
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            migrate_is_idempotent,
        );
    };
    (@each $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store: std::sync::Arc<dyn $crate::Store> = $make.await;
                $crate::conformance::$name(store).await;
            }
        )*
    };
}

pub async fn migrate_is_idempotent(store: Arc<dyn Store>) {
    store.migrate().await.expect("second migrate");
    assert_eq!(store.count_cases().await.unwrap(), 0);
    assert_eq!(store.chain_head().await.unwrap(), (0, crate::GENESIS_HASH.to_string()));
}
