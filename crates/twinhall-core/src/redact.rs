//! Redaction of secrets in URLs before they reach a log or the screen.

/// A URL with any user:password and secret-looking query values removed, for logs and screens.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), url),
    };
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let host = match authority.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => authority.to_owned(),
    };
    let path = match path.split_once('?') {
        Some((p, query)) => {
            let q: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if is_secret_key(k) => format!("{k}=***"),
                    _ => kv.to_owned(),
                })
                .collect();
            format!("{p}?{}", q.join("&"))
        }
        None => path.to_owned(),
    };
    format!("{scheme}{host}{path}")
}

fn is_secret_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    // Short keys tile and map providers use for their tokens (Tianditu's tk, Baidu's ak).
    if matches!(k.as_str(), "tk" | "ak" | "sk" | "t") {
        return true;
    }
    ["token", "password", "passwd", "pwd", "secret", "key", "auth", "sig", "signature"].iter().any(|s| k.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_secrets() {
        assert_eq!(redact_url("rtsp://admin:hunter2@10.0.0.5:554/stream1"), "rtsp://***@10.0.0.5:554/stream1");
        assert_eq!(redact_url("https://feed.example/v1?token=abc&x=1"), "https://feed.example/v1?token=***&x=1");
        assert_eq!(redact_url("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert!(!redact_url("http://u:p@h/?access_key=zzz").contains("zzz"));
        assert_eq!(
            redact_url("https://tiles.example.cn/vec_w/wmts?x=1&tk=abc123"),
            "https://tiles.example.cn/vec_w/wmts?x=1&tk=***"
        );
    }
}
