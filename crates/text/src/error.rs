use std::path::PathBuf;

/// What can go wrong reading data, training, or reading and writing a model. Messages are for
/// people, in Chinese, like the rest of the CLI's.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("无法读写 {path}：{source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}：{message}")]
    Csv { path: PathBuf, message: String },
    #[error("模型文件 {path} 无效：{message}")]
    Format { path: PathBuf, message: String },
    #[error("没有可训练的样本")]
    NoExamples,
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io { path: path.into(), source }
    }
}
