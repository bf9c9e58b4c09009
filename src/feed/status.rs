//! The link to the feed and what the app shows of it: which source, its state, when data last
//! came, what was refused, and the banner that says so.

use std::time::{Duration, Instant};

use bevy::prelude::*;
use crossbeam_channel::Receiver;
use twinhall_core::config::Lang;

use crate::context::Settings;
use crate::settings::redact_url;

use super::{ClientEvent, LinkState};

/// Where the feed's events come from; the client (if any) lives as long as this resource.
#[derive(Resource)]
pub struct FeedLink {
    pub events: Receiver<ClientEvent>,
    pub client: Option<std::sync::Arc<twinhall_client::FeedClient>>,
}

/// The feed's state as the status bar and the wall banner show it.
#[derive(Resource, Clone, Debug)]
pub struct FeedStatus {
    pub state: LinkState,
    /// What the feed is: the backend's URL (redacted) or the embedded simulator.
    pub target: String,
    pub embedded: bool,
    /// When the last snapshot or batch arrived.
    pub last_data: Option<Instant>,
    /// Messages and stream lines skipped as malformed, so far.
    pub malformed: u64,
    /// Snapshots, stream events and stills refused for their size, so far.
    pub refused: u64,
    /// Why no data will ever come, when that is known (shown instead of the link state).
    pub no_source: Option<NoSource>,
}

/// Why a feed will send nothing, so the wall says so rather than "connecting" forever.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoSource {
    /// The embedded simulator needs roads to place units on; this city has none.
    CityWithoutRoads { city: String },
}

impl NoSource {
    /// The reason in words.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            NoSource::CityWithoutRoads { city } => {
                let why = lang.tr("没有道路，内置模拟无法运行", "has no roads, so the embedded simulator cannot run");
                lang.labelled(lang.tr("无实时数据", "no live data"), format!("{city} {why}"))
            }
        }
    }
}

impl FeedStatus {
    pub fn is_live(&self) -> bool {
        self.state.is_live()
    }

    /// Seconds since the last data, if any came.
    pub fn data_age(&self) -> Option<Duration> {
        self.last_data.map(|t| t.elapsed())
    }

    /// The state in words.
    pub fn state_text(&self, lang: Lang) -> String {
        if let Some(reason) = &self.no_source {
            return reason.text(lang);
        }
        match &self.state {
            LinkState::Connecting => lang.tr("连接中", "connecting").to_owned(),
            LinkState::Syncing => lang.tr("同步中", "syncing").to_owned(),
            LinkState::Live => lang.tr("实时", "live").to_owned(),
            LinkState::Stale { .. } => lang.tr("数据停滞", "stale").to_owned(),
            LinkState::Resyncing { reason } => {
                format!("{}{}", lang.tr("重新同步", "resyncing"), lang.bracket(cause_text(reason, lang)))
            }
            LinkState::Unauthorized => lang.tr("未授权（令牌被拒绝）", "unauthorized (token refused)").to_owned(),
            LinkState::Error { cause, retry_in_ms } => {
                let mut text = lang.labelled(lang.tr("错误", "error"), cause_text(cause, lang));
                // No retry is coming after a failure to start (retry_in_ms 0).
                if *retry_in_ms > 0 {
                    let s = (*retry_in_ms as f64 / 1000.0).ceil();
                    text.push_str(lang.comma());
                    text.push_str(&match lang {
                        Lang::Zh => format!("{s:.0} 秒后重试"),
                        Lang::En => format!("retry in {s:.0} s"),
                    });
                }
                text
            }
        }
    }

    /// The link's trouble as the client wrote it (English, the address redacted), for a tooltip
    /// or the log; the state text says it in the wall's language.
    pub fn detail(&self) -> Option<&str> {
        match &self.state {
            LinkState::Error { cause, .. } => Some(cause.as_str()),
            LinkState::Resyncing { reason } => Some(reason.as_str()),
            _ => None,
        }
    }

    /// One line for the status bar.
    pub fn describe(&self, lang: Lang) -> String {
        let mut line = format!("{} · {}", self.target, self.state_text(lang));
        if self.malformed > 0 {
            line.push_str(&format!(" · {} {}", self.malformed, lang.tr("条异常消息已跳过", "malformed skipped")));
        }
        if self.refused > 0 {
            line.push_str(&format!(" · {} {}", self.refused, lang.tr("项超限数据已拒收", "refused as oversize")));
        }
        line
    }

    /// The wall banner when the feed is not live: the state and how old the data on screen is.
    pub fn banner(&self, lang: Lang) -> Option<String> {
        if self.is_live() {
            return None;
        }
        let age = match self.data_age() {
            Some(a) => {
                format!("{} {} {}", lang.tr("画面数据为", "data on screen is"), a.as_secs(), lang.tr("秒前", "s old"))
            }
            None => lang.tr("尚无数据", "no data yet").to_owned(),
        };
        Some(format!("{} {} · {} · {}", lang.tr("数据链路", "Feed"), self.target, self.state_text(lang), age))
    }
}

pub(super) fn init_feed_status(mut commands: Commands, settings: Res<Settings>) {
    let lang = settings.lang();
    let embedded = settings.config.feed.url.is_empty();
    let target = if embedded {
        lang.tr("内置模拟城市", "embedded simulator").to_owned()
    } else {
        redact_url(&settings.config.feed.url)
    };
    commands.insert_resource(FeedStatus {
        state: LinkState::Connecting,
        target,
        embedded,
        last_data: None,
        malformed: 0,
        refused: 0,
        no_source: None,
    });
}

/// The HTTP status a client error names ("HTTP 503 Service Unavailable for /v1/snapshot").
fn http_status(cause: &str) -> Option<u16> {
    let at = cause.find("HTTP ")?;
    let digits: String = cause[at + 5..].chars().take_while(char::is_ascii_digit).collect();
    if digits.len() == 3 { digits.parse().ok() } else { None }
}

/// What an HTTP status means, in Chinese.
fn http_meaning_zh(code: u16) -> &'static str {
    match code {
        400 => "请求无效",
        401 => "未授权",
        403 => "禁止访问",
        404 => "接口不存在",
        408 => "请求超时",
        413 => "请求过大",
        429 => "请求过于频繁",
        500 => "后端内部错误",
        502 => "网关错误",
        503 => "服务不可用",
        504 => "网关超时",
        _ if (400..500).contains(&code) => "请求被拒绝",
        _ if (500..600).contains(&code) => "后端出错",
        _ => "",
    }
}

/// The address (already redacted) or the path an error names, if any.
fn address_in(cause: &str) -> Option<&str> {
    cause
        .split_whitespace()
        .map(|t| t.trim_end_matches([':', ',', ';', ')', '.']).trim_start_matches('('))
        .find(|t| t.contains("://") || (t.starts_with('/') && t.len() > 1))
}

/// A link error in the wall's language. In Chinese the common causes are said in words (连接被拒绝,
/// 连接超时, 域名解析失败, TLS 证书校验失败, 后端返回 HTTP 503 服务不可用 ...) with the address or
/// path the error names (already redacted); the client's own English words stay in the log and
/// in [`FeedStatus::detail`]. In English the cause is shown as the client wrote it.
pub fn cause_text(cause: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return cause.to_owned();
    }
    let l = cause.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| l.contains(w));
    let phrase = if let Some(code) = http_status(cause) {
        format!("后端返回 HTTP {code} {}", http_meaning_zh(code)).trim_end().to_owned()
    } else if l.starts_with("feed.ca_file") {
        "CA 证书文件无法读取".to_owned()
    } else if has(&["connection refused", "actively refused", "os error 111", "os error 10061"]) {
        "连接被拒绝，后端未运行或端口未开放".to_owned()
    } else if has(&[
        "dns error",
        "failed to lookup",
        "name or service not known",
        "no such host",
        "nodename nor servname",
        "temporary failure in name resolution",
        "no address associated",
    ]) {
        "域名解析失败".to_owned()
    } else if has(&["certificate", "unknownissuer", "unknown issuer", "notvalidforname", "badsignature", "expired"]) {
        "TLS 证书校验失败".to_owned()
    } else if has(&["tls", "ssl", "handshake", "alert"]) {
        "TLS 握手失败".to_owned()
    } else if has(&["timed out", "timeout", "deadline has elapsed", "os error 110"]) {
        "连接超时".to_owned()
    } else if has(&["network is unreachable", "no route to host", "host is unreachable", "os error 113"]) {
        "网络不可达".to_owned()
    } else if has(&["connection reset", "broken pipe", "connection aborted", "connection closed", "unexpected eof"]) {
        "连接被中断".to_owned()
    } else if has(&["stream silent", "stopped sending"]) {
        "后端停止发送数据".to_owned()
    } else if has(&["sequence gap"]) {
        "数据序号不连续".to_owned()
    } else if has(&["backend restarted"]) {
        "后端已重启".to_owned()
    } else if has(&["sequence went back"]) {
        "后端序号回退".to_owned()
    } else if has(&["over the limit", "more than the limit", "refused as oversize"]) {
        "数据超出大小上限".to_owned()
    } else if has(&["cut off", "body broken"]) {
        "数据传输中断".to_owned()
    } else if has(&["cannot connect", "error trying to connect", "connect error"]) {
        "无法连接后端".to_owned()
    } else if has(&["decod", "malformed", "invalid json", "parse"]) {
        "数据格式错误".to_owned()
    } else if has(&["crs"]) {
        "坐标系不受支持".to_owned()
    } else {
        "连接异常".to_owned()
    };
    match address_in(cause) {
        Some(a) => format!("{phrase} · {a}"),
        None => phrase,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: LinkState) -> FeedStatus {
        FeedStatus {
            state,
            target: "http://10.0.0.5:8080".into(),
            embedded: false,
            last_data: None,
            malformed: 0,
            refused: 0,
            no_source: None,
        }
    }

    #[test]
    fn link_errors_read_in_chinese_with_the_address_kept() {
        let zh = |c: &str| cause_text(c, Lang::Zh);
        assert_eq!(zh("cannot connect: Connection refused (os error 111)"), "连接被拒绝，后端未运行或端口未开放");
        assert_eq!(zh("timed out: operation timed out"), "连接超时");
        assert_eq!(
            zh("cannot connect: dns error: failed to lookup address information: Name or service not known"),
            "域名解析失败"
        );
        assert_eq!(zh("cannot connect: invalid peer certificate: UnknownIssuer"), "TLS 证书校验失败");
        assert_eq!(zh("cannot connect: received fatal alert: HandshakeFailure"), "TLS 握手失败");
        assert_eq!(zh("HTTP 503 Service Unavailable for /v1/snapshot"), "后端返回 HTTP 503 服务不可用 · /v1/snapshot");
        assert_eq!(zh("HTTP 418 I'm a teapot for /v1/stream"), "后端返回 HTTP 418 请求被拒绝 · /v1/stream");
        assert_eq!(
            zh("snapshot http://10.0.0.5:8080/v1/snapshot: the backend stopped sending"),
            "后端停止发送数据 · http://10.0.0.5:8080/v1/snapshot"
        );
        assert_eq!(zh("something nobody foresaw"), "连接异常");
        // English keeps the client's words.
        let raw = "cannot connect: Connection refused (os error 111)";
        assert_eq!(cause_text(raw, Lang::En), raw);

        let s = status(LinkState::Error { cause: raw.into(), retry_in_ms: 2_500 });
        let banner = s.banner(Lang::Zh).expect("not live");
        assert!(banner.contains("连接被拒绝") && banner.contains("3 秒后重试"), "{banner}");
        assert!(banner.contains("http://10.0.0.5:8080"), "{banner}");
        assert!(!banner.contains("Connection refused") && !banner.contains("os error"), "{banner}");
        assert_eq!(s.detail(), Some(raw));
        let en = s.banner(Lang::En).expect("not live");
        assert!(en.contains("Connection refused") && en.contains("retry in 3 s"), "{en}");
        assert!(!en.chars().any(|c| "：（），；。、".contains(c)), "{en}");
        // A failure to start retries nothing: no countdown.
        let cause = "feed.ca_file /etc/ca.pem: No such file or directory".to_owned();
        let once = status(LinkState::Error { cause, retry_in_ms: 0 });
        let text = once.state_text(Lang::Zh);
        assert_eq!(text, "错误：CA 证书文件无法读取 · /etc/ca.pem");
        let resync = status(LinkState::Resyncing { reason: "sequence gap: expected 5, got 7".into() });
        assert_eq!(resync.state_text(Lang::Zh), "重新同步（数据序号不连续）");
        assert_eq!(resync.state_text(Lang::En), "resyncing (sequence gap: expected 5, got 7)");
    }
}
