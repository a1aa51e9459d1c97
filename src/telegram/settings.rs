//! How to reach Telegram and how to serve: the token, the API URL and
//! proxy, timeouts, rate limits, webhook mode, live updates. Read from the
//! configuration and the environment; `Debug` never shows a secret.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use teloxide::adaptors::throttle::Limits;

use super::{BotError, access, webhook};
use crate::config::Config;

/// Telegram's Bot API.
pub const TELEGRAM_API_URL: &str = "https://api.telegram.org";

/// A value that grants access (the token, a proxy URL that may carry a
/// password, the webhook's secret): its `Debug` shows only that it is set,
/// so deriving `Debug` for the settings cannot leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_owned())
    }
}

/// Telegram's rate limits as the bot applies them to outgoing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub messages_per_sec_chat: u32,
    pub messages_per_min_chat: u32,
    pub messages_per_min_group: u32,
    pub messages_per_sec_overall: u32,
}

impl Default for RateLimits {
    /// Telegram's documented limits (teloxide's defaults).
    fn default() -> Self {
        let l = Limits::default();
        RateLimits {
            messages_per_sec_chat: l.messages_per_sec_chat,
            messages_per_min_chat: l.messages_per_min_chat,
            messages_per_min_group: l.messages_per_min_channel_or_supergroup,
            messages_per_sec_overall: l.messages_per_sec_overall,
        }
    }
}

impl From<RateLimits> for Limits {
    fn from(r: RateLimits) -> Limits {
        Limits {
            messages_per_sec_chat: r.messages_per_sec_chat,
            messages_per_min_chat: r.messages_per_min_chat,
            messages_per_min_channel_or_supergroup: r.messages_per_min_group,
            messages_per_sec_overall: r.messages_per_sec_overall,
        }
    }
}

/// How to reach Telegram and how to serve.
#[derive(Debug, Clone)]
pub struct Settings {
    pub token: Secret,
    /// The Bot API server (`TELOXIDE_API_URL`), default Telegram's.
    pub api_url: String,
    /// A proxy for all requests (`TELOXIDE_PROXY`).
    pub proxy: Option<Secret>,
    /// Long-polling timeout.
    pub poll_timeout: Duration,
    /// How long one Bot API request may take before it is a timeout (and
    /// retried): longer than `poll_timeout`, and than 10 s (teloxide reads
    /// a 5xx answer only after waiting 10 s, within this time).
    pub request_timeout: Duration,
    pub limits: RateLimits,
    /// Answer messages remembered for follow-ups.
    pub follow_up_memory: usize,
    /// Where the update journal lives (`None`: no journal, and a crash
    /// loses the updates being handled).
    pub data_dir: Option<PathBuf>,
    /// Example questions (configuration `examples`); empty: made from the
    /// archive (see [`super::examples`]).
    pub examples: Vec<String>,
    /// Who may ask and how often.
    pub access: access::Rules,
    /// When the index was built, for `/stats`.
    pub index_built: Option<SystemTime>,
    /// Webhook mode instead of polling.
    pub webhook: Option<WebhookSettings>,
    /// Where to serve `/healthz` and `/metrics` (`None`: nowhere).
    pub metrics_listen: Option<SocketAddr>,
    /// Live index updates (`None`: the engine given to [`super::run`] is
    /// served as it is, and `/reindex` says it cannot).
    pub reload: Option<ReloadSettings>,
    /// Whether chats may follow topics (kept in the data directory).
    pub follows: bool,
}

/// Where the served index comes from, for live updates ([`super::reload`]).
#[derive(Debug, Clone)]
pub struct ReloadSettings {
    pub corpus_dir: PathBuf,
    /// The index the engine was opened from; rebuilt in place (a new
    /// generation swapped in atomically).
    pub index_dir: PathBuf,
    /// How often the corpus is checked (zero: only on `/reindex`).
    pub every: Duration,
}

/// Webhook mode: where Telegram posts and where we listen.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// The public URL given to `setWebhook`.
    pub url: String,
    /// The address the HTTP server binds.
    pub listen: SocketAddr,
    /// The secret token (`None`: random).
    pub secret: Option<Secret>,
}

impl Settings {
    /// Settings with Telegram's defaults for this token.
    pub fn new(token: impl Into<String>) -> Settings {
        Settings {
            token: Secret(token.into()),
            api_url: TELEGRAM_API_URL.to_owned(),
            proxy: None,
            poll_timeout: Duration::from_secs(10),
            // teloxide's default.
            request_timeout: Duration::from_secs(17),
            limits: RateLimits::default(),
            follow_up_memory: 10_000,
            data_dir: None,
            examples: Vec::new(),
            access: access::Rules::default(),
            index_built: None,
            webhook: None,
            metrics_listen: None,
            reload: None,
            follows: true,
        }
    }

    /// Reads the token from `TELOXIDE_TOKEN` or else the configured token
    /// file, and the API URL and proxy from `TELOXIDE_API_URL` and
    /// `TELOXIDE_PROXY`. `env` looks up environment variables.
    pub fn from_env(config: &Config, env: impl Fn(&str) -> Option<String>) -> Result<Settings, BotError> {
        let set = |k: &str| env(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let token = match (set("TELOXIDE_TOKEN"), &config.token_file) {
            (Some(t), _) => t,
            (None, Some(path)) => crate::input::read_text(path, crate::config::MAX_SMALL_FILE_BYTES)
                .map_err(|source| BotError::TokenFile {
                    path: path.clone(),
                    source,
                })?
                .trim()
                .to_owned(),
            (None, None) => return Err(BotError::NoToken),
        };
        if token.is_empty() {
            return Err(BotError::NoToken);
        }
        let mut settings = Settings::new(token);
        settings.data_dir = Some(config.data_dir.clone());
        settings.follows = config.follows;
        settings.examples = config.examples.clone();
        settings.access = access::Rules {
            users: config.allowed_users.iter().copied().collect(),
            chats: config.allowed_chats.iter().copied().collect(),
            admins: config.admins.iter().copied().collect(),
            per_minute: config.questions_per_minute,
        };
        if let Some(url) = set("TELOXIDE_API_URL") {
            reqwest::Url::parse(url.trim_end_matches('/')).map_err(|e| BotError::ApiUrl(e.to_string()))?;
            settings.api_url = url;
        }
        settings.proxy = set("TELOXIDE_PROXY").map(Secret);
        if let Some(addr) = &config.metrics_listen {
            settings.metrics_listen = Some(
                addr.parse()
                    .map_err(|e| BotError::Webhook(format!("metrics_listen {addr:?}: {e}")))?,
            );
        }
        if let Some(url) = &config.webhook_url {
            reqwest::Url::parse(url).map_err(|e| BotError::Webhook(format!("webhook_url {url:?}: {e}")))?;
            let listen = config
                .webhook_listen
                .parse()
                .map_err(|e| BotError::Webhook(format!("webhook_listen {:?}: {e}", config.webhook_listen)))?;
            if let Some(secret) = &config.webhook_secret
                && !webhook::valid_secret(secret)
            {
                return Err(BotError::Webhook(
                    "webhook_secret: 1-256 characters of A-Z a-z 0-9 _ -".to_owned(),
                ));
            }
            settings.webhook = Some(WebhookSettings {
                url: url.clone(),
                listen,
                secret: config.webhook_secret.clone().map(Secret),
            });
        }
        Ok(settings)
    }

    /// The HTTP client for the Bot API: the request timeout, the proxy,
    /// and no system proxy for a Bot API on this machine.
    pub(crate) fn http_client(&self) -> Result<reqwest::Client, BotError> {
        let mut builder = teloxide::net::default_reqwest_settings().timeout(self.request_timeout);
        if let Some(p) = &self.proxy {
            builder = builder
                .proxy(reqwest::Proxy::all(p.expose()).map_err(|e| BotError::Proxy(e.without_url().to_string()))?);
        } else if is_loopback(&self.api_url) {
            builder = builder.no_proxy();
        }
        builder
            .build()
            .map_err(|e| BotError::Client(e.without_url().to_string()))
    }
}

fn is_loopback(url: &str) -> bool {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| h == "localhost" || h == "127.0.0.1" || h == "[::1]")
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_token_and_url() {
        let config = Config::default();
        let env = |k: &str| match k {
            "TELOXIDE_TOKEN" => Some(" 123:abc \n".to_owned()),
            "TELOXIDE_API_URL" => Some("http://127.0.0.1:9/".to_owned()),
            "TELOXIDE_PROXY" => Some("http://user:hunter2@127.0.0.1:3128".to_owned()),
            _ => None,
        };
        let s = Settings::from_env(&config, env).unwrap();
        assert_eq!(s.token.expose(), "123:abc");
        assert_eq!(s.api_url, "http://127.0.0.1:9/");
        let debug = format!("{s:?}");
        assert!(!debug.contains("abc"), "Debug hides the token: {debug}");
        assert!(!debug.contains("hunter2"), "Debug hides the proxy: {debug}");
        assert!(matches!(Settings::from_env(&config, |_| None), Err(BotError::NoToken)));
        let bad_url = |k: &str| match k {
            "TELOXIDE_TOKEN" => Some("1:a".to_owned()),
            "TELOXIDE_API_URL" => Some("not a url".to_owned()),
            _ => None,
        };
        assert!(matches!(Settings::from_env(&config, bad_url), Err(BotError::ApiUrl(_))));
    }

    #[test]
    fn webhook_secret_is_not_shown() {
        let config = Config {
            webhook_url: Some("https://bot.example.org/hook".to_owned()),
            webhook_secret: Some("s3cret_token".to_owned()),
            ..Config::default()
        };
        let s = Settings::from_env(&config, |k| (k == "TELOXIDE_TOKEN").then(|| "1:a".to_owned())).unwrap();
        let hook = s.webhook.as_ref().unwrap();
        assert_eq!(hook.secret.as_ref().map(Secret::expose), Some("s3cret_token"));
        assert!(!format!("{s:?}").contains("s3cret"));
    }

    #[test]
    fn token_file_is_read_when_the_variable_is_unset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "42:secret\n").unwrap();
        let config = Config {
            token_file: Some(path),
            ..Config::default()
        };
        assert_eq!(
            Settings::from_env(&config, |_| None).unwrap().token.expose(),
            "42:secret"
        );
        let missing = Config {
            token_file: Some(dir.path().join("nope")),
            ..Config::default()
        };
        assert!(matches!(
            Settings::from_env(&missing, |_| None),
            Err(BotError::TokenFile { .. })
        ));
    }

    #[test]
    fn loopback_detection() {
        assert!(is_loopback("http://127.0.0.1:8080"));
        assert!(is_loopback("http://localhost/"));
        assert!(!is_loopback(TELEGRAM_API_URL));
    }

    #[test]
    fn default_limits_are_telegrams() {
        let l = RateLimits::default();
        assert_eq!((l.messages_per_sec_chat, l.messages_per_sec_overall), (1, 30));
    }
}
