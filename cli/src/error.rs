//! The CLI's one error type: every failure ends as one line on stderr and a non-zero exit code.

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad command-line input (exit code 2, like clap's own usage errors).
    #[error("{0}")]
    Usage(String),
    #[error("not logged in: run `mcp-auth login <mcp-url>` first")]
    NotLoggedIn,
    #[error("{0}")]
    Timeout(String),
    #[error("{0}")]
    Protocol(String),
    #[error("credentials store: {0}")]
    Store(String),
    #[error("{0}")]
    Other(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Usage(_) => 2,
            _ => 1,
        }
    }
}
