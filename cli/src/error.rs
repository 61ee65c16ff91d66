//! The CLI's one error type: every failure ends as one line on stderr and a non-zero exit code.

use client_core::CoreError;

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
    /// Boxed: the core's error is large and every `Result` here would carry its size.
    #[error("{}", core_message(.0))]
    Core(Box<CoreError>),
    #[error("{0}")]
    Other(String),
}

impl From<CoreError> for CliError {
    fn from(e: CoreError) -> Self {
        Self::Core(Box::new(e))
    }
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Usage(_) => 2,
            _ => 1,
        }
    }
}

/// The core's sentences are written for the SPA's buttons; a few get the terminal's wording.
fn core_message(e: &CoreError) -> String {
    match e {
        CoreError::AccessDenied { description } => format!(
            "login refused: the consent was declined (access_denied){}",
            description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
        ),
        CoreError::Unauthorized => {
            "the login has expired or was revoked (401 after renewing failed): run `mcp-auth login <mcp-url>` again"
                .into()
        }
        CoreError::OAuth { error, .. } if error == "invalid_grant" => {
            format!("{e} — the login is no longer valid: run `mcp-auth login <mcp-url>` again")
        }
        CoreError::NoOAuth { url, status } => format!(
            "{url} does not speak OAuth: it answered {status} to a request without a token (no 401 challenge), so \
             there is nothing to log in to"
        ),
        _ => e.to_string(),
    }
}
