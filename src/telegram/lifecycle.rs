//! The bot's life: start (`getMe`, the command menu, the journal, the
//! background tasks), serving updates (webhook or polling) with the
//! heartbeat beating, and the stop (a signal, then the replies in flight
//! are finished and the update offset confirmed).

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use teloxide::adaptors::Throttle;
use teloxide::error_handlers::{ErrorHandler, IgnoringErrorHandler};
use teloxide::prelude::*;
use teloxide::types::BotCommand;
use teloxide::update_listeners::UpdateListener;

use super::listener::{self, Journaled};
use super::{
    BotError, Settings, State, Tg, examples, handlers, heartbeat, journal, metrics, poll, reload, retry, webhook,
};
use crate::engine::Engine;

/// Runs the bot until `shutdown` completes, then stops polling, finishes
/// the replies in flight, confirms the update offset and returns.
///
/// At start it calls `getMe` (the username is used to match mentions and
/// commands) and `setMyCommands`; pending updates are kept, so questions
/// sent while the bot was down are answered.
pub async fn run(
    engine: Arc<Engine>,
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BotError> {
    let api_url =
        reqwest::Url::parse(settings.api_url.trim_end_matches('/')).map_err(|e| BotError::ApiUrl(e.to_string()))?;
    let bot = Bot::with_client(settings.token.expose(), settings.http_client()?).set_api_url(api_url);
    // Throttle only paces; retrying (429s included) is [`retry`]'s alone,
    // so a flood wait is not retried twice over.
    let throttle = teloxide::adaptors::throttle::Settings::default()
        .limits(settings.limits.into())
        .no_retry();
    let bot: Tg = Throttle::spawn_with_settings(bot, throttle);

    let api = Arc::new(retry::Api::new(&settings.api_url));
    let me = retry::call(bot.get_me(), &api).await?;
    let username = me.user.username.clone().ok_or(BotError::NoUsername)?;
    tracing::info!(bot = %username, "connected to the Bot API");
    let chosen = {
        let engine = Arc::clone(&engine);
        let configured = settings.examples.clone();
        tokio::task::spawn_blocking(move || examples::choose(&configured, &engine))
            .await
            .unwrap_or_default()
    };
    tracing::info!(examples = ?chosen, "example questions");
    let menu = bot.set_my_commands(commands(chosen.first().map(String::as_str)));
    if let Err(e) = retry::call(menu, &api).await {
        tracing::warn!(error = %e, "setMyCommands failed; the command menu may be stale");
    }

    let (journal, replay) = match settings
        .data_dir
        .as_deref()
        .and_then(|d| listener::open_journal(d, me.user.id))
    {
        Some((j, replay)) => (Some(j), replay),
        None => (None, Vec::new()),
    };
    let state = Arc::new(State::new(
        &settings,
        engine,
        username,
        me.user.id,
        journal.clone(),
        chosen,
        api,
    ));
    // The background tasks end with `run`, however it ends (a graceful
    // stop, an error, or its future dropped): a rebuild in progress is
    // abandoned (the next build clears its files), an alert in flight too
    // (what it had not recorded is posted at the next start).
    let mut background = Background::default();
    if let Some(r) = settings.reload.as_ref().filter(|r| !r.every.is_zero()) {
        tracing::info!(corpus = %r.corpus_dir.display(), every_s = r.every.as_secs_f64(), "watching the corpus for changes");
        background.0.push(reload::spawn_watch(Arc::clone(&state), r.clone()));
    }
    // Alerts of new articles on followed topics: once at start (what was
    // added while the bot was down), then after every index update.
    if state.follows.is_some() {
        background
            .0
            .push(tokio::spawn(handlers::alert_loop(bot.clone(), Arc::clone(&state))));
    }
    if let Some(addr) = settings.metrics_listen {
        let (task, _) = metrics::serve(addr, Arc::clone(&state))
            .await
            .map_err(|e| BotError::Webhook(format!("metrics: listening on {addr}: {e}")))?;
        background.0.push(task);
    }
    serve_updates(bot, state, settings, journal, replay, shutdown).await
}

/// Tasks aborted when dropped.
#[derive(Default)]
struct Background(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// The commands shown in Telegram's menu; `/ask` shows the first example.
fn commands(example: Option<&str>) -> Vec<BotCommand> {
    // Telegram allows 256 characters of description.
    let ask = match example {
        Some(q) if q.chars().count() <= 240 => format!("提问：/ask {q}"),
        _ => "提问：/ask 问题".to_owned(),
    };
    vec![
        BotCommand::new("ask", ask),
        BotCommand::new("follow", "关注话题：/follow 关键词、来源或作者，有新文章时通知"),
        BotCommand::new("following", "本聊天关注的话题"),
        BotCommand::new("search", "列出文章：/search 关键词、来源、作者或日期"),
        BotCommand::new("latest", "最新的文章"),
        BotCommand::new("help", "怎么提问、怎么读回答"),
        BotCommand::new("about", "档案概况：文章、段落、日期、来源"),
    ]
}

/// Receives updates (webhook or polling) and dispatches them until
/// `shutdown`.
async fn serve_updates(
    bot: Tg,
    state: Arc<State>,
    settings: Settings,
    journal: Option<Arc<journal::Journal>>,
    replay: Vec<Update>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BotError> {
    if let Some(hook) = settings.webhook.clone() {
        let secret = match hook.secret {
            Some(s) => s.expose().to_owned(),
            None => webhook::random_secret().map_err(|e| BotError::Webhook(format!("making a secret token: {e}")))?,
        };
        let url = reqwest::Url::parse(&hook.url).map_err(|e| BotError::Webhook(e.to_string()))?;
        let (listener, bound) = webhook::serve(hook.listen, secret.clone(), journal, replay)
            .await
            .map_err(|e| BotError::Webhook(format!("listening on {}: {e}", hook.listen)))?;
        retry::call(bot.set_webhook(url).secret_token(secret), &state.api).await?;
        tracing::info!(address = %bound, "webhook set; serving");
        return dispatch(bot, state, listener, shutdown, settings.data_dir).await;
    }
    // A webhook left set would make getUpdates fail.
    retry::call(bot.delete_webhook(), &state.api).await?;
    let polling = poll::Poller::new(bot.clone(), Arc::clone(&state.api), settings.poll_timeout);
    match journal {
        Some(journal) => {
            let listener = Journaled {
                inner: polling,
                journal,
                replay,
            };
            dispatch(bot, state, listener, shutdown, settings.data_dir).await
        }
        None => dispatch(bot, state, polling, shutdown, settings.data_dir).await,
    }
}

/// Dispatches the listener's updates until `shutdown`, then finishes the
/// replies in flight (the poller confirms the offset as it stops).
async fn dispatch<L>(
    bot: Tg,
    state: Arc<State>,
    mut listener: L,
    shutdown: impl Future<Output = ()> + Send + 'static,
    data_dir: Option<PathBuf>,
) -> Result<(), BotError>
where
    L: UpdateListener<Err = teloxide::RequestError> + Send,
{
    // Stopping the listener (not the dispatcher) is race-free: the flag is
    // polled by the update stream itself. The stream then yields what it
    // already fetched and confirms the offset; the dispatcher finishes
    // every queued update before returning.
    let stop = listener.stop_token();
    let api = Arc::clone(&state.api);
    let stopper = tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: no new updates; finishing replies in flight");
        stop.stop();
        // Replies waiting for Telegram stay in the journal for next time.
        api.stop();
    });

    let mut dispatcher = Dispatcher::builder(bot.clone(), super::schema())
        .dependencies(dptree::deps![state.clone()])
        .distribution_function(distribution)
        .default_handler(|_| async {})
        .error_handler(Arc::new(LogErrors))
        .build();
    tracing::info!(articles = state.engine().stats().articles, "serving");
    let beating = data_dir.clone().map(beat);
    let result = dispatcher
        // Polling errors are counted and logged by `poll` (the webhook's
        // listener never fails): nothing more to do with them here.
        .try_dispatch_with_listener(listener, IgnoringErrorHandler::new())
        .await;
    stopper.abort();
    if let (Some(task), Some(dir)) = (beating, &data_dir) {
        task.abort();
        heartbeat::stop(dir);
    }
    result?;
    tracing::info!("stopped");
    Ok(())
}

/// Rewrites the heartbeat in `dir` every [`heartbeat::EVERY`] until
/// aborted. It beats on the serving runtime, so a runtime that stops making
/// progress stops beating too.
fn beat(dir: PathBuf) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut warned = false;
        loop {
            let dir = dir.clone();
            let done = tokio::task::spawn_blocking(move || heartbeat::beat(&dir)).await;
            if let Ok(Err(e)) = done
                && !warned
            {
                tracing::warn!(error = %e, "cannot write the heartbeat; `archive-bot health` will fail");
                warned = true;
            }
            tokio::time::sleep(heartbeat::EVERY).await;
        }
    })
}

/// Updates of one chat are handled in order; chats (and inline queries of
/// different users) in parallel.
fn distribution(update: &Update) -> Option<i64> {
    update
        .chat()
        .map(|c| c.id.0)
        .or_else(|| update.from().map(|u| u.id.0 as i64))
}

/// Logs handler errors (teloxide strips the token from network errors;
/// nothing here formats a URL).
struct LogErrors;

impl<E: std::fmt::Display + Send + 'static> ErrorHandler<E> for LogErrors {
    fn handle_error(self: Arc<Self>, error: E) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        tracing::warn!(error = %error, "Bot API or handler error");
        Box::pin(async {})
    }
}

/// [`run`] until SIGTERM or Ctrl-C, then a graceful stop. A second signal
/// while replies are still being finished exits at once (`Ok(false)`);
/// a graceful stop returns `Ok(true)`.
pub async fn run_until_signalled(engine: Arc<Engine>, settings: Settings) -> Result<bool, BotError> {
    let bot = run(engine, settings, shutdown_signal());
    let impatient = async {
        shutdown_signal().await;
        shutdown_signal().await;
    };
    tokio::select! {
        result = bot => result.map(|()| true),
        () = impatient => {
            tracing::warn!("second signal: exiting without finishing replies in flight");
            Ok(false)
        }
    }
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                    _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
