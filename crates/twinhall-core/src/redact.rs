//! Redaction of secrets in URLs before they reach a log or the screen.

/// A URL with any user:password, secret-looking query values and its `#fragment` removed, for
/// logs and screens. A fragment never reaches the server but often carries a token
/// (`#access_token=...`), so all of it is replaced with `***`.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), url),
    };
    // User info ends at the last `@` before the path, even when an unencoded `#` or `?` in a
    // password would otherwise seem to end the authority first.
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (user_info, rest) = match rest[..authority_end].rfind('@') {
        Some(i) => ("***@", &rest[i + 1..]),
        None => ("", rest),
    };
    let (rest, fragment) = match rest.split_once('#') {
        Some((r, _)) => (r, "#***"),
        None => (rest, ""),
    };
    let rest = match rest.split_once('?') {
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
        None => rest.to_owned(),
    };
    format!("{scheme}{user_info}{rest}{fragment}")
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

    #[test]
    fn fragments_lose_their_secrets() {
        assert_eq!(
            redact_url("https://wall.example/cb#access_token=eyJhbGci.x.y&state=1"),
            "https://wall.example/cb#***"
        );
        assert_eq!(redact_url("https://h/p?x=1&token=abc#frag?token=def"), "https://h/p?x=1&token=***#***");
        assert_eq!(redact_url("http://u:p@h#t0ken"), "http://***@h#***");
        assert_eq!(redact_url("https://h/p"), "https://h/p", "no fragment, none added");
        for url in [
            "https://h/#eyJhbGciOiJIUzI1NiJ9",
            "https://h/p#a?b=sekrit",
            "rtsp://u:pw@cam#x",
            "rtsp://admin:pw#sekrit@10.0.0.5:554/s1",
            "rtsp://admin:pw?sekrit@10.0.0.5/s1",
        ] {
            let shown = redact_url(url);
            assert!(!shown.contains("eyJ") && !shown.contains("sekrit") && !shown.contains("pw"), "{shown}");
        }
    }
}
