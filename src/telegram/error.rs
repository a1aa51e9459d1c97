//! Everything that can stop the bot, and which of it is the operator's to
//! fix.

use std::path::PathBuf;

use super::retry;

/// Everything that can stop the bot.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error("no bot token: set TELOXIDE_TOKEN, or token_file in the configuration")]
    NoToken,
    #[error("reading the token file {path}: {source}")]
    TokenFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("TELOXIDE_API_URL is not a valid URL ({0})")]
    ApiUrl(String),
    #[error("TELOXIDE_PROXY is not a valid proxy ({0})")]
    Proxy(String),
    #[error("cannot create the HTTP client ({0})")]
    Client(String),
    #[error("webhook: {0}")]
    Webhook(String),
    #[error("the bot account has no username (getMe)")]
    NoUsername,
    #[error("Telegram Bot API: {0}")]
    Request(#[from] teloxide::RequestError),
    #[error("Telegram Bot API: {0}")]
    Call(#[from] retry::CallError),
}

impl BotError {
    /// Whether this is the operator's to fix (a missing or refused token, a
    /// bad setting) rather than a passing failure: `serve` exits with its
    /// own code then, and a restart would meet the same error.
    pub fn is_configuration(&self) -> bool {
        use teloxide::{ApiError, RequestError};
        match self {
            BotError::NoToken
            | BotError::TokenFile { .. }
            | BotError::ApiUrl(_)
            | BotError::Proxy(_)
            | BotError::Webhook(_)
            | BotError::NoUsername => true,
            // 401 Unauthorized; 404 Not Found (a malformed token, or an API
            // URL that is not a Bot API).
            BotError::Call(e) => match e.request() {
                Some(RequestError::Api(ApiError::InvalidToken)) => true,
                Some(RequestError::Api(ApiError::Unknown(text))) => text.contains("Not Found"),
                _ => false,
            },
            BotError::Request(_) | BotError::Client(_) => false,
        }
    }

    /// A reply deferred by shutdown: its update stays in the journal.
    pub(crate) fn is_deferred(&self) -> bool {
        matches!(self, BotError::Call(retry::CallError::Deferred { .. }))
    }
}
