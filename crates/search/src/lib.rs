//! Full-text search over cases: a tantivy index with Chinese word segmentation (jieba's
//! dictionary), filters on the list fields, the viewer's visibility as a filter on the case's
//! organisations, BM25 ranking and highlighted snippets. It follows the event log, so each
//! server instance keeps its own index in its own directory.
//!
//! - [`tokenize`]: the segmenters and the tantivy tokenizer.
//! - [`index`]: [`SearchIndex`] (schema, index a case, commit with the log position, search).
//! - [`follow`]: bulk build from the store, catch-up and the follower task.

pub mod follow;
pub mod index;
pub mod tokenize;

use std::path::PathBuf;

pub use index::{Options, SearchIndex, SCHEMA_VERSION};
pub use redress_app::search::{SearchHit, SearchPage, SearchQuery, SearchStatus};
pub use tokenize::Segmenter;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("全文检索索引目录 {0} 正被另一进程使用（每个服务实例须有自己的 --index-dir；重建索引前请先停止服务）")]
    Locked(PathBuf),
    #[error("目录 {0} 不是全文检索索引，也不是空目录；请换一个 --index-dir")]
    NotAnIndex(PathBuf),
    #[error("全文检索索引目录 {0} 无法读写：{1}")]
    Io(PathBuf, std::io::Error),
    #[error("全文检索索引错误：{0}")]
    Index(String),
    #[error("{0}")]
    Store(redress_store::StoreError),
}

pub type Result<T, E = SearchError> = std::result::Result<T, E>;
