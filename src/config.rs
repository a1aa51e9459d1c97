//! Settings: built-in defaults, then `config/archive-bot.toml` (or the file
//! named by `--config` / `ARCHIVE_BOT_CONFIG`), then `ARCHIVE_BOT_<KEY>`
//! environment variables, then command-line flags. Later layers win.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// The configuration file read when none is named and it exists.
pub const DEFAULT_CONFIG_FILE: &str = "config/archive-bot.toml";

/// The largest configuration or token file read, in bytes
/// ([`crate::input::read_text`]).
pub const MAX_SMALL_FILE_BYTES: u64 = 1024 * 1024;

/// The export's own name for each of our fields, from the configuration's
/// `[fields]` table (e.g. `text = "article_body"`, `author = "meta.byline"`;
/// a dotted name reaches into nested objects). A configured name is tried
/// before the built-in ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldNames {
    pub title: Option<String>,
    pub text: Option<String>,
    pub date: Option<String>,
    pub source: Option<String>,
    pub author: Option<String>,
    pub url: Option<String>,
    pub id: Option<String>,
}

/// The resolved settings. A configuration file may set any of these keys
/// (and no other); the keys it leaves out keep their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the archive's text files live.
    pub corpus_dir: PathBuf,
    /// Where the search index is kept (built on first use).
    pub index_dir: PathBuf,
    /// A file holding the Telegram bot token, used when `TELOXIDE_TOKEN` is unset.
    pub token_file: Option<PathBuf>,
    /// Export field names (`[fields]`: our name = the export's name).
    pub fields: FieldNames,
    /// Where the bot keeps its state: the update journal, the heartbeat.
    pub data_dir: PathBuf,
    /// Example questions for /start and /help; empty: made from the archive.
    pub examples: Vec<String>,
    /// Telegram user ids who may use the bot anywhere (with `allowed_chats`
    /// empty too: everyone may).
    pub allowed_users: Vec<i64>,
    /// Chat ids (groups, or a user's private chat) where anyone may ask.
    pub allowed_chats: Vec<i64>,
    /// User ids who may always ask and may use `/stats`.
    pub admins: Vec<i64>,
    /// Questions per user per minute (0: no limit).
    pub questions_per_minute: u32,
    /// Webhook mode: the public HTTPS URL Telegram posts updates to
    /// (`None`: long polling).
    pub webhook_url: Option<String>,
    /// Webhook mode: the address the HTTP server listens on.
    pub webhook_listen: String,
    /// Webhook mode: the secret token Telegram must send (`None`: random
    /// at each start).
    pub webhook_secret: Option<String>,
    /// Where `serve` answers `/healthz` and `/metrics` (`None`: nowhere).
    pub metrics_listen: Option<String>,
    /// How often `serve` checks the corpus for changes and reindexes
    /// (seconds; 0: only on an admin's `/reindex`).
    pub reload_seconds: u64,
    /// Whether chats may `/follow` topics and get alerts of new articles.
    pub follows: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            corpus_dir: PathBuf::from("corpus"),
            index_dir: PathBuf::from("data/index"),
            token_file: None,
            fields: FieldNames::default(),
            data_dir: PathBuf::from("data"),
            examples: Vec::new(),
            allowed_users: Vec::new(),
            allowed_chats: Vec::new(),
            admins: Vec::new(),
            questions_per_minute: 20,
            webhook_url: None,
            webhook_listen: "0.0.0.0:8080".to_owned(),
            webhook_secret: None,
            metrics_listen: None,
            reload_seconds: 30,
            follows: true,
        }
    }
}

impl Config {
    /// Loads defaults, the configuration file and the environment.
    ///
    /// `file` is the file named on the command line; `None` reads
    /// `ARCHIVE_BOT_CONFIG` or, failing that, [`DEFAULT_CONFIG_FILE`] when it
    /// exists. `env` looks up environment variables (passed in for tests).
    pub fn load(file: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let named = file
            .map(Path::to_path_buf)
            .or_else(|| env("ARCHIVE_BOT_CONFIG").map(PathBuf::from));
        let path = match named {
            Some(path) => Some(path),
            None => Some(PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|p| p.exists()),
        };
        let mut config = match path {
            Some(path) => {
                let text = crate::input::read_text(&path, MAX_SMALL_FILE_BYTES).map_err(|e| Error::io(&path, e))?;
                Config::from_toml(&text).map_err(|e| match e {
                    Error::Config(msg) => Error::Config(format!("{}: {msg}", path.display())),
                    other => other,
                })?
            }
            None => Config::default(),
        };
        config.apply_env(env)?;
        Ok(config)
    }

    /// The defaults with the keys of a TOML document applied.
    pub fn from_toml(text: &str) -> Result<Config> {
        toml::from_str(text).map_err(|e| Error::Config(e.message().to_string()))
    }

    /// Applies `ARCHIVE_BOT_<KEY>` variables; empty values are ignored, a
    /// malformed one is an [`Error::Env`] naming the variable.
    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<()> {
        for (var, apply) in ENV_KEYS {
            if let Some(value) = env(var).filter(|v| !v.is_empty()) {
                apply(self, var, &value)?;
            }
        }
        Ok(())
    }
}

/// Sets one key from its variable's value (`var` names it in errors).
type ApplyEnv = fn(&mut Config, &str, &str) -> Result<()>;

/// Every key the environment may set, as `ARCHIVE_BOT_<KEY>`, in the
/// order they are applied (the first malformed one is reported).
const ENV_KEYS: &[(&str, ApplyEnv)] = &[
    ("ARCHIVE_BOT_CORPUS_DIR", |c, _, v| {
        c.corpus_dir = v.into();
        Ok(())
    }),
    ("ARCHIVE_BOT_INDEX_DIR", |c, _, v| {
        c.index_dir = v.into();
        Ok(())
    }),
    ("ARCHIVE_BOT_TOKEN_FILE", |c, _, v| {
        c.token_file = Some(v.into());
        Ok(())
    }),
    ("ARCHIVE_BOT_DATA_DIR", |c, _, v| {
        c.data_dir = v.into();
        Ok(())
    }),
    ("ARCHIVE_BOT_WEBHOOK_URL", |c, _, v| {
        c.webhook_url = Some(v.into());
        Ok(())
    }),
    ("ARCHIVE_BOT_WEBHOOK_LISTEN", |c, _, v| {
        c.webhook_listen = v.into();
        Ok(())
    }),
    ("ARCHIVE_BOT_WEBHOOK_SECRET", |c, _, v| {
        c.webhook_secret = Some(v.into());
        Ok(())
    }),
    ("ARCHIVE_BOT_METRICS_LISTEN", |c, _, v| {
        c.metrics_listen = Some(v.into());
        Ok(())
    }),
    ("ARCHIVE_BOT_RELOAD_SECONDS", |c, var, v| {
        c.reload_seconds = parse_env(var, v, "a whole number of seconds")?;
        Ok(())
    }),
    ("ARCHIVE_BOT_FOLLOWS", |c, var, v| {
        c.follows = parse_env(var, v, "true or false")?;
        Ok(())
    }),
    ("ARCHIVE_BOT_QUESTIONS_PER_MINUTE", |c, var, v| {
        c.questions_per_minute = parse_env(var, v, "a whole number (0: no limit)")?;
        Ok(())
    }),
    ("ARCHIVE_BOT_ALLOWED_USERS", |c, var, v| {
        c.allowed_users = parse_ids(var, v)?;
        Ok(())
    }),
    ("ARCHIVE_BOT_ALLOWED_CHATS", |c, var, v| {
        c.allowed_chats = parse_ids(var, v)?;
        Ok(())
    }),
    ("ARCHIVE_BOT_ADMINS", |c, var, v| {
        c.admins = parse_ids(var, v)?;
        Ok(())
    }),
    ("ARCHIVE_BOT_EXAMPLES", |c, _, v| {
        c.examples = split_examples(v);
        Ok(())
    }),
];

/// The separator of example questions in `ARCHIVE_BOT_EXAMPLES` (one line,
/// so it fits an env file).
pub const EXAMPLES_SEPARATOR: char = '|';

/// `a | b|c` → `["a", "b", "c"]`; empty pieces are dropped.
fn split_examples(value: &str) -> Vec<String> {
    value
        .split(EXAMPLES_SEPARATOR)
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Comma-separated Telegram ids (`123, -100456`); a piece that is not an
/// id is an error naming the variable.
fn parse_ids(var: &str, value: &str) -> Result<Vec<i64>> {
    value
        .split(',')
        .map(str::trim)
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            piece.parse().map_err(|_| Error::Env {
                var: var.to_owned(),
                value: value.to_owned(),
                expected: format!(
                    "{piece:?} is not a Telegram id; expected comma-separated numeric ids, e.g. 12345,-1001234567890"
                ),
            })
        })
        .collect()
}

/// Parses one variable's value, or says which variable holds what.
fn parse_env<T: std::str::FromStr>(var: &str, value: &str, expected: &str) -> Result<T> {
    value.trim().parse().map_err(|_| Error::Env {
        var: var.to_owned(),
        value: value.to_owned(),
        expected: format!("expected {expected}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn defaults_work_without_a_file() {
        let c = Config::load(Some(Path::new("/nonexistent/x.toml")), no_env);
        assert!(c.is_err(), "a named file that does not exist is an error");
        let mut c = Config::default();
        c.apply_env(no_env).unwrap();
        assert_eq!(c.corpus_dir, PathBuf::from("corpus"));
        assert_eq!(c.index_dir, PathBuf::from("data/index"));
    }

    #[test]
    fn file_then_env_override() {
        let mut c = Config::from_toml("corpus_dir = \"a\"\nindex_dir = \"b\"\n").unwrap();
        assert_eq!(c.corpus_dir, PathBuf::from("a"));
        c.apply_env(|k| (k == "ARCHIVE_BOT_INDEX_DIR").then(|| "c".to_string()))
            .unwrap();
        assert_eq!(c.index_dir, PathBuf::from("c"));
        assert_eq!(c.corpus_dir, PathBuf::from("a"));
    }

    #[test]
    fn list_settings_from_the_environment() {
        let mut c = Config::from_toml("admins = [1]\nallowed_users = [2]\nexamples = [\"甲?\"]\n").unwrap();
        let env = |k: &str| {
            match k {
                "ARCHIVE_BOT_ALLOWED_USERS" => Some(" 7, 8 ,"),
                "ARCHIVE_BOT_ALLOWED_CHATS" => Some("-1001234567890"),
                "ARCHIVE_BOT_ADMINS" => Some("9"),
                "ARCHIVE_BOT_EXAMPLES" => Some("陈达锋是谁? | 锦湖街道集结了多少名机关干部?|"),
                "ARCHIVE_BOT_QUESTIONS_PER_MINUTE" => Some("5"),
                _ => None,
            }
            .map(str::to_owned)
        };
        c.apply_env(env).unwrap();
        assert_eq!(c.allowed_users, [7, 8]);
        assert_eq!(c.allowed_chats, [-1001234567890]);
        assert_eq!(c.admins, [9], "the environment overrides the file");
        assert_eq!(c.examples, ["陈达锋是谁?", "锦湖街道集结了多少名机关干部?"]);
        assert_eq!(c.questions_per_minute, 5);

        let mut unset = Config::from_toml("admins = [1]\n").unwrap();
        unset
            .apply_env(|k| (k == "ARCHIVE_BOT_ADMINS").then(String::new))
            .unwrap();
        assert_eq!(unset.admins, [1], "an empty variable leaves the file's value");
    }

    #[test]
    fn malformed_environment_values_name_the_variable() {
        for (var, value) in [
            ("ARCHIVE_BOT_ALLOWED_USERS", "12,abc"),
            ("ARCHIVE_BOT_ALLOWED_CHATS", "1;2"),
            ("ARCHIVE_BOT_ADMINS", "99999999999999999999"),
            ("ARCHIVE_BOT_QUESTIONS_PER_MINUTE", "-1"),
            ("ARCHIVE_BOT_RELOAD_SECONDS", "30s"),
        ] {
            let err = Config::default()
                .apply_env(|k| (k == var).then(|| value.to_owned()))
                .unwrap_err();
            assert!(matches!(err, Error::Env { .. }), "{err:?}");
            let text = err.to_string();
            assert!(text.contains(var), "{text}");
        }
    }

    #[test]
    fn examples_are_a_list_of_questions() {
        let c = Config::from_toml("examples = [\"甲是谁?\", \"乙在哪里?\"]\n").unwrap();
        assert_eq!(c.examples, ["甲是谁?", "乙在哪里?"]);
        assert!(
            Config::from_toml("examples = \"甲是谁?\"\n").is_err(),
            "a list, not a string"
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Config::from_toml("corpus_dri = \"a\"\n").unwrap_err().to_string();
        assert!(err.contains("corpus_dri"), "{err}");
    }

    #[test]
    fn export_field_names_and_unknown_ones() {
        let c = Config::from_toml("[fields]\ntext = \"article_body\"\nauthor = \"meta.byline\"\n").unwrap();
        assert_eq!(c.fields.text.as_deref(), Some("article_body"));
        assert_eq!(c.fields.author.as_deref(), Some("meta.byline"));
        let err = Config::from_toml("[fields]\nbodyy = \"x\"\n").unwrap_err().to_string();
        assert!(err.contains("bodyy"), "{err}");
    }

    #[test]
    fn shipped_config_file_parses() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/archive-bot.toml")).unwrap();
        let c = Config::from_toml(&text).unwrap();
        assert_eq!(c, Config::default(), "the shipped file documents the defaults");
    }
}
