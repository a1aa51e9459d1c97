//! The fake Telegram Bot API the bot tests drive the real `serve` code
//! against: an axum server on 127.0.0.1:0.
//!
//! It behaves like Telegram where it matters: methods by PascalCase or
//! lowercase path, JSON, form and multipart bodies, long polling with
//! offsets that confirm updates, and it refuses what Telegram refuses —
//! malformed HTML, messages over 4096 UTF-16 units, callback data over 64
//! bytes — so every test also checks escaping and splitting. It records
//! every call for the assertions. Faults (429s, 5xx, timeouts, dropped
//! connections, outages) are injected per call or at a rate.
//!
//! Also here: the update builders (`dm`, `callback`, …) and the log
//! capture every test shares (to check the token never shows).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::Notify;

pub const TOKEN: &str = "123456789:AAH-test_secret_abcdefghijklmnopqrstuv";
pub const TOKEN_SECRET: &str = "AAH-test_secret_abcdefghijklmnopqrstuv";
pub const BOT_NAME: &str = "TestArchiveBot";
pub const BOT_ID: i64 = 4242;

/// Everything logged by any test, at TRACE, to check the token never shows.
pub static LOGS: LazyLock<Arc<Mutex<Vec<u8>>>> = LazyLock::new(|| {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let writer = Arc::clone(&buf);
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || LogWriter(Arc::clone(&writer)))
        .try_init();
    buf
});

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One recorded Bot API call.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub params: Value,
    pub at: Instant,
    /// The message the fake returned, for sendMessage/editMessageText.
    pub result: Option<Value>,
    /// Whether the fake refused it (status, description; 0 for a
    /// dropped connection).
    pub refused: Option<(u16, String)>,
    /// The fault injected into it, if any.
    pub fault: Option<Fault>,
}

#[derive(Default)]
pub struct Inner {
    pub pending: VecDeque<Value>,
    pub next_update_id: i64,
    /// The highest offset any getUpdates confirmed.
    pub confirmed: i64,
    /// Update ids handed out by getUpdates, in order (with repeats).
    pub delivered: Vec<i64>,
    pub calls: Vec<Call>,
    pub next_message_id: i64,
    pub chats: HashMap<i64, Value>,
    /// Scripted failures per lowercase method.
    pub failures: HashMap<String, VecDeque<Fault>>,
    /// Delay before answering sendMessage (to catch replies in flight).
    pub send_delay: Duration,
    /// Soak: one call in `fault_every` (any method, chosen by a scrambled
    /// call count) fails with a 429 (retry after 1 s), a 502, a timeout or
    /// a dropped connection, a quarter each (0: never).
    pub fault_every: u64,
    pub call_count: u64,
    /// How long a [`Fault::Timeout`] holds its answer back: longer than
    /// the bot's request timeout.
    pub stall: Duration,
    /// The bot account's id (getMe).
    pub bot_id: i64,
    /// An outage: every call is answered 502 Bad Gateway.
    pub down: bool,
    /// (chat, user) pairs getChatMember calls an owner of the group.
    pub owners: std::collections::HashSet<(i64, i64)>,
}

/// A failure the fake injects into one call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// An error answer: status and, for a 429, retry_after seconds; a 400
    /// says Telegram cannot parse the entities.
    Status(u16, u32),
    /// The call is carried out (a message is sent) but its answer comes
    /// only after `stall`: what the client sees as a timeout.
    Timeout,
    /// The connection closes without a byte of answer; nothing is done.
    Drop,
}

#[derive(Clone)]
pub struct Fake {
    pub inner: Arc<Mutex<Inner>>,
    pub changed: Arc<Notify>,
    pub url: String,
}

impl Fake {
    pub async fn start() -> Fake {
        LazyLock::force(&LOGS);
        let fake = Fake {
            inner: Arc::new(Mutex::new(Inner {
                next_update_id: 1000,
                next_message_id: 5000,
                bot_id: BOT_ID,
                ..Inner::default()
            })),
            changed: Arc::new(Notify::new()),
            url: String::new(),
        };
        let app = Router::new()
            .route("/{bot}/{method}", axum::routing::post(api).get(api))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Fake { url, ..fake }
    }

    /// Queues an update (`kind` is e.g. `{"message": {...}}`); returns its id.
    pub fn push(&self, mut kind: Value) -> i64 {
        let mut inner = self.inner.lock().unwrap();
        let id = inner.next_update_id;
        inner.next_update_id += 1;
        for key in ["message", "callback_query"] {
            let chat = match key {
                "message" => kind.get(key).and_then(|m| m.get("chat")),
                _ => kind.get(key).and_then(|q| q.get("message")).and_then(|m| m.get("chat")),
            };
            if let Some(chat) = chat.cloned() {
                inner.chats.insert(chat["id"].as_i64().unwrap(), chat);
            }
        }
        kind["update_id"] = json!(id);
        inner.pending.push_back(kind);
        drop(inner);
        self.changed.notify_waiters();
        id
    }

    /// The next update gets id `id`: Telegram picks a random id after a
    /// week without updates, so ids can start again lower.
    pub fn restart_ids(&self, id: i64) {
        self.inner.lock().unwrap().next_update_id = id;
    }

    /// Starts (`true`) or ends an outage: every call answered 502.
    pub fn set_down(&self, down: bool) {
        self.inner.lock().unwrap().down = down;
        self.changed.notify_waiters();
    }

    pub fn fail_next(&self, method: &str, status: u16, retry_after: u32) {
        self.fault_next(method, Fault::Status(status, retry_after));
    }

    pub fn fault_next(&self, method: &str, fault: Fault) {
        let mut inner = self.inner.lock().unwrap();
        inner
            .failures
            .entry(method.to_ascii_lowercase())
            .or_default()
            .push_back(fault);
    }

    pub fn calls(&self, method: &str) -> Vec<Call> {
        let m = method.to_ascii_lowercase();
        let inner = self.inner.lock().unwrap();
        inner.calls.iter().filter(|c| c.method == m).cloned().collect()
    }

    /// Successful sendMessage calls to `chat`.
    pub fn sent_to(&self, chat: i64) -> Vec<Call> {
        self.calls("sendMessage")
            .into_iter()
            .filter(|c| c.refused.is_none() && c.params["chat_id"].as_i64() == Some(chat))
            .collect()
    }

    /// Waits until `check` returns something, looking again at each change
    /// of the fake (a call recorded, an update pushed); panics after `secs`
    /// without one.
    pub async fn wait<T>(&self, secs: u64, what: &str, mut check: impl FnMut(&Fake) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            // Registered before looking, so a change in between is not missed.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if let Some(v) = check(self) {
                return v;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                let inner = self.inner.lock().unwrap();
                let methods: Vec<_> = inner.calls.iter().map(|c| c.method.as_str()).collect();
                panic!("timed out waiting for {what}; calls: {methods:?}");
            }
        }
    }

    /// Waits up to `secs` for a message to `chat` whose text holds `needle`.
    pub async fn sent_containing(&self, secs: u64, chat: i64, needle: &str) -> Call {
        self.wait(secs, &format!("a message to chat {chat} with {needle:?}"), |f| {
            f.sent_to(chat).into_iter().find(|c| text_of(c).contains(needle))
        })
        .await
    }

    /// Waits for the `n`th successful message to `chat` (1-based).
    pub async fn nth_sent(&self, chat: i64, n: usize) -> Call {
        self.wait(20, &format!("message {n} to chat {chat}"), |f| {
            f.sent_to(chat).get(n - 1).cloned()
        })
        .await
    }

    pub fn confirmed(&self) -> i64 {
        self.inner.lock().unwrap().confirmed
    }
}

pub fn bot_user() -> Value {
    json!({"id": BOT_ID, "is_bot": true, "first_name": "Archive", "username": BOT_NAME})
}

pub fn ok(result: Value) -> Response {
    axum::Json(json!({"ok": true, "result": result})).into_response()
}

fn refuse(status: u16, description: &str, retry_after: Option<u32>) -> Response {
    let mut body = json!({"ok": false, "error_code": status, "description": description});
    if let Some(s) = retry_after {
        body["parameters"] = json!({"retry_after": s});
    }
    let code = StatusCode::from_u16(status).unwrap();
    (code, axum::Json(body)).into_response()
}

async fn api(
    State(fake): State<Fake>,
    UrlPath((bot, method)): UrlPath<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if bot != format!("bot{TOKEN}") {
        return refuse(401, "Unauthorized", None);
    }
    let method = method.to_ascii_lowercase();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let params = parse_body(&content_type, &body);
    let (fault, stall) = {
        let mut inner = fake.inner.lock().unwrap();
        let down = inner.down.then_some(Fault::Status(502, 0));
        let scripted = down.or_else(|| inner.failures.get_mut(&method).and_then(VecDeque::pop_front));
        inner.call_count += 1;
        let n = inner.call_count;
        let every = inner.fault_every;
        // Which calls fail is scrambled (deterministically), so the faults
        // do not all land on one method of a regular call pattern.
        let h = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        let fault = scripted.or_else(|| {
            (every > 0 && h % every == 0).then(|| match (h / every) % 4 {
                0 => Fault::Status(429, 1),
                1 => Fault::Status(502, 0),
                2 => Fault::Timeout,
                _ => Fault::Drop,
            })
        });
        (fault, inner.stall)
    };
    let record = |method: String, result: Option<Value>, refused: Option<(u16, String)>| {
        fake.inner.lock().unwrap().calls.push(Call {
            method,
            params: params.clone(),
            at: Instant::now(),
            result,
            refused,
            fault,
        });
        fake.changed.notify_waiters();
    };
    match fault {
        Some(Fault::Status(status, retry_after)) => {
            let desc = match status {
                429 => format!("Too Many Requests: retry after {retry_after}"),
                502 => "Bad Gateway".to_owned(),
                400 => "Bad Request: can't parse entities: injected".to_owned(),
                403 => "Forbidden: bot was blocked by the user".to_owned(),
                _ => "Internal Server Error".to_owned(),
            };
            let r = refuse(status, &desc, (status == 429).then_some(retry_after));
            record(method, None, Some((status, desc)));
            r
        }
        Some(Fault::Drop) => {
            record(method, None, Some((0, "dropped connection".to_owned())));
            // Unwinding ends the connection's task: its socket closes with
            // no answer at all. `resume_unwind` skips the panic hook (no
            // noise), and no lock is held here.
            std::panic::resume_unwind(Box::new("dropped connection"))
        }
        Some(Fault::Timeout) => {
            // Done first and recorded as done (Telegram got it), answered late.
            let (response, result, refused) = respond(&fake, &method, &params).await;
            record(method, result, refused);
            tokio::time::sleep(stall).await;
            response
        }
        None => {
            let (response, result, refused) = respond(&fake, &method, &params).await;
            record(method, result, refused);
            response
        }
    }
}

type Outcome = (Response, Option<Value>, Option<(u16, String)>);

async fn respond(fake: &Fake, method: &str, p: &Value) -> Outcome {
    let plain = |v: Value| (ok(v), None, None);
    match method {
        "getme" => plain(json!({
            "id": fake.inner.lock().unwrap().bot_id, "is_bot": true, "first_name": "Archive", "username": BOT_NAME,
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": true, "can_connect_to_business": false,
            "has_main_web_app": false
        })),
        "getwebhookinfo" => plain(json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0})),
        "getupdates" => plain(get_updates(fake, p).await),
        "getchatmember" => {
            let chat = lenient_i64(&p["chat_id"]).unwrap_or(0);
            let user_id = lenient_i64(&p["user_id"]).unwrap_or(0);
            let owner = fake.inner.lock().unwrap().owners.contains(&(chat, user_id));
            let mut member = json!({"user": user(user_id), "status": "member"});
            if owner {
                member = json!({"user": user(user_id), "status": "creator", "is_anonymous": false});
            }
            plain(member)
        }
        "sendmessage" | "editmessagetext" => {
            let delay = fake.inner.lock().unwrap().send_delay;
            if method == "sendmessage" && !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if let Err(e) = check_message(p) {
                let desc = format!("Bad Request: {e}");
                return (refuse(400, &desc, None), None, Some((400, desc)));
            }
            let msg = message_for(fake, method, p);
            (ok(msg.clone()), Some(msg), None)
        }
        "answercallbackquery" | "answerinlinequery" => {
            if let Some(results) = p["results"].as_array() {
                for r in results {
                    let content = &r["input_message_content"];
                    if let Err(e) = check_message(content) {
                        let desc = format!("Bad Request: {e}");
                        return (refuse(400, &desc, None), None, Some((400, desc)));
                    }
                }
            }
            plain(json!(true))
        }
        _ => plain(json!(true)),
    }
}

async fn get_updates(fake: &Fake, p: &Value) -> Value {
    let offset = lenient_i64(&p["offset"]).unwrap_or(0);
    let limit = lenient_i64(&p["limit"]).unwrap_or(100).clamp(1, 100) as usize;
    let timeout = lenient_i64(&p["timeout"]).unwrap_or(0).clamp(0, 30) as u64;
    let deadline = Instant::now() + Duration::from_secs(timeout);
    loop {
        let notified = fake.changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut inner = fake.inner.lock().unwrap();
            // As the Bot API server: an offset well ahead of the queue's
            // next id (ids that started again lower) confirms nothing and
            // returns the queue from its start.
            if offset > 0 && offset <= inner.next_update_id + 10 {
                inner.confirmed = inner.confirmed.max(offset);
                inner.pending.retain(|u| u["update_id"].as_i64().unwrap() >= offset);
            }
            let batch: Vec<Value> = inner.pending.iter().take(limit).cloned().collect();
            if !batch.is_empty() || Instant::now() >= deadline {
                let ids: Vec<i64> = batch.iter().map(|u| u["update_id"].as_i64().unwrap()).collect();
                inner.delivered.extend(ids);
                return Value::Array(batch);
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let _ = tokio::time::timeout(left, notified).await;
    }
}

fn message_for(fake: &Fake, method: &str, p: &Value) -> Value {
    let mut inner = fake.inner.lock().unwrap();
    let chat_id = lenient_i64(&p["chat_id"]).unwrap_or(0);
    let id = match method {
        "editmessagetext" => lenient_i64(&p["message_id"]).unwrap_or(0),
        _ => {
            inner.next_message_id += 1;
            inner.next_message_id
        }
    };
    let chat = inner
        .chats
        .get(&chat_id)
        .cloned()
        .unwrap_or_else(|| json!({"id": chat_id, "type": "private", "first_name": "U"}));
    let text = visible_text(
        p["text"].as_str().unwrap_or(""),
        p["parse_mode"].as_str() == Some("HTML"),
    );
    let mut msg = json!({"message_id": id, "date": 1_700_000_000, "chat": chat, "from": bot_user(), "text": text});
    if let Some(t) = lenient_i64(&p["message_thread_id"]) {
        msg["message_thread_id"] = json!(t);
        msg["is_topic_message"] = json!(true);
    }
    if !p["reply_markup"].is_null() {
        msg["reply_markup"] = p["reply_markup"].clone();
    }
    msg
}

fn lenient_i64(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

fn parse_body(content_type: &str, body: &[u8]) -> Value {
    let text = String::from_utf8_lossy(body);
    let value_of = |s: String| -> Value {
        if s.starts_with('{') || s.starts_with('[') {
            serde_json::from_str(&s).unwrap_or(Value::String(s))
        } else {
            Value::String(s)
        }
    };
    if content_type.starts_with("application/json") {
        serde_json::from_slice(body).unwrap_or(Value::Null)
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let mut map = serde_json::Map::new();
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            map.insert(percent_decode(k), value_of(percent_decode(v)));
        }
        Value::Object(map)
    } else if let Some(boundary) = content_type.split("boundary=").nth(1) {
        let mut map = serde_json::Map::new();
        for part in text.split(&format!("--{}", boundary.trim_matches('"'))) {
            let Some((head, value)) = part.split_once("\r\n\r\n") else {
                continue;
            };
            if let Some(name) = head.split("name=\"").nth(1).and_then(|s| s.split('"').next()) {
                map.insert(name.to_owned(), value_of(value.trim_end_matches("\r\n").to_owned()));
            }
        }
        Value::Object(map)
    } else {
        Value::Null
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Checks a message the way Telegram does: HTML tags it knows, balanced;
/// every `<`, `>`, `&` escaped; at most 4096 UTF-16 units of text; keyboards
/// with callback data of at most 64 bytes.
pub fn check_message(p: &Value) -> Result<(), String> {
    let text = p["text"].as_str().or(p["message_text"].as_str()).unwrap_or("");
    let html = p["parse_mode"].as_str() == Some("HTML");
    if html {
        check_html(text)?;
    }
    let visible = visible_text(text, html);
    if visible.trim().is_empty() {
        return Err("message text is empty".into());
    }
    if visible.encode_utf16().count() > 4096 {
        return Err("message is too long".into());
    }
    if let Some(rows) = p["reply_markup"]["inline_keyboard"].as_array() {
        for b in rows.iter().flat_map(|r| r.as_array().unwrap().iter()) {
            if let Some(d) = b["callback_data"].as_str()
                && (d.is_empty() || d.len() > 64)
            {
                return Err("BUTTON_DATA_INVALID".into());
            }
        }
    }
    Ok(())
}

const TAGS: [&str; 16] = [
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-spoiler",
    "span",
    "tg-emoji",
];

fn check_html(text: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                let end = rest.find('>').ok_or("can't parse entities: unclosed start tag")?;
                let tag = &rest[1..end];
                if let Some(name) = tag.strip_prefix('/') {
                    if stack.pop().as_deref() != Some(name.trim()) {
                        return Err(format!("can't parse entities: unmatched end tag {name}"));
                    }
                } else {
                    let name = tag.split_whitespace().next().unwrap_or("");
                    if !TAGS.contains(&name) {
                        return Err(format!("can't parse entities: unsupported start tag \"{name}\""));
                    }
                    if tag[name.len()..].contains('<') {
                        return Err("can't parse entities: bad attribute".into());
                    }
                    stack.push(name.to_owned());
                }
                rest = &rest[end + 1..];
            }
            '&' => {
                let end = rest
                    .find(';')
                    .filter(|&e| e <= 8)
                    .ok_or("can't parse entities: bare &")?;
                let name = &rest[1..end];
                let known = ["lt", "gt", "amp", "quot"].contains(&name)
                    || name
                        .strip_prefix('#')
                        .is_some_and(|d| d.chars().all(|c| c.is_ascii_digit()));
                if !known {
                    return Err(format!("can't parse entities: unknown entity &{name};"));
                }
                rest = &rest[end + 1..];
            }
            '>' => return Err("can't parse entities: bare >".into()),
            _ => rest = &rest[c.len_utf8()..],
        }
    }
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("can't parse entities: unclosed {stack:?}"))
    }
}

pub fn visible_text(text: &str, html: bool) -> String {
    if !html {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            match rest.find('>') {
                Some(end) => rest = &rest[end + 1..],
                None => break,
            }
        } else if c == '&' {
            let end = rest.find(';').unwrap_or(0);
            out.push_str(match &rest[..=end] {
                "&lt;" => "<",
                "&gt;" => ">",
                "&amp;" => "&",
                "&quot;" => "\"",
                other => other,
            });
            rest = &rest[end + 1..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

// ------------------------------------------------------- updates and calls

pub fn user(id: i64) -> Value {
    json!({"id": id, "is_bot": false, "first_name": "用户", "language_code": "zh-hans"})
}

pub fn private(id: i64) -> Value {
    json!({"id": id, "type": "private", "first_name": "用户"})
}

pub fn supergroup(id: i64, forum: bool) -> Value {
    json!({"id": id, "type": "supergroup", "title": "测试群", "is_forum": forum})
}

static MESSAGE_IDS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1);

pub fn text_message(chat: Value, from: i64, text: &str) -> Value {
    let id = MESSAGE_IDS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    json!({"message_id": id, "date": 1_700_000_000, "chat": chat, "from": user(from), "text": text})
}

pub fn dm(chat: i64, text: &str) -> Value {
    json!({"message": text_message(private(chat), chat, text)})
}

/// A button press on `message`; the callback query id is `cb-<chat>-<data>`.
pub fn callback(from: i64, message: &Value, data: &str) -> Value {
    json!({"callback_query": {
        "id": format!("cb-{from}-{data}"), "from": user(from), "chat_instance": "ci",
        "message": message, "data": data
    }})
}

pub fn text_of(call: &Call) -> String {
    call.params["text"].as_str().unwrap_or("").to_owned()
}

pub fn buttons(call: &Call) -> Vec<Value> {
    call.params["reply_markup"]["inline_keyboard"]
        .as_array()
        .map(|rows| rows.iter().flat_map(|r| r.as_array().unwrap().clone()).collect())
        .unwrap_or_default()
}
