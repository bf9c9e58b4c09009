//! What a file is, from its first bytes: the OSM formats the importer reads, and a name for the
//! ones it does not, so that an error says "this is a ZIP archive" or "an HTML page" rather than
//! "blob header is too big".

/// How many leading bytes [`sniff`] looks at.
pub(super) const SNIFF_LEN: usize = 4096;

/// The formats the importer reads, as error messages list them.
pub(super) const ACCEPTED: &str = "the OSM importer reads OSM PBF (.osm.pbf), OSM XML (.osm), \
     and OSM XML compressed with gzip (.osm.gz) or bzip2 (.osm.bz2)";

/// What the first bytes of a file say it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Detected {
    Pbf,
    /// Text that starts like XML with an `<osm>` root (or whose root lies beyond the first bytes:
    /// the XML reader checks it).
    Xml,
    Gzip,
    Bzip2,
    /// Anything else: `article` ("a", "an" or "") and a noun phrase naming it.
    Other {
        article: &'static str,
        what: String,
    },
}

impl Detected {
    fn other(article: &'static str, what: impl Into<String>) -> Self {
        Self::Other { article, what: what.into() }
    }

    /// The format with its article: "an HTML page (...)".
    pub fn describe(&self) -> String {
        match self {
            Self::Other { article, what } if !article.is_empty() => format!("{article} {what}"),
            other => other.describe_bare(),
        }
    }

    /// The format without an article, to follow "gzip-compressed".
    pub fn describe_bare(&self) -> String {
        match self {
            Self::Pbf => "OSM PBF (PBF is compressed already: decompress the file and import the .osm.pbf)".into(),
            Self::Xml => "OSM XML".into(),
            Self::Gzip => "gzip data (compressed twice?)".into(),
            Self::Bzip2 => "bzip2 data (compressed twice?)".into(),
            Self::Other { what, .. } => what.clone(),
        }
    }
}

/// Tells the format from the first bytes of a file (up to [`SNIFF_LEN`]).
pub(super) fn sniff(head: &[u8]) -> Detected {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if head.is_empty() {
        return Detected::other("an", "empty file");
    }
    if starts(&[0x1f, 0x8b]) {
        return Detected::Gzip;
    }
    if head.len() >= 4 && starts(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
        return Detected::Bzip2;
    }
    if is_pbf(head) {
        return Detected::Pbf;
    }
    let binary: [(&[u8], &'static str, &str); 14] = [
        (b"PK\x03\x04", "a", "ZIP archive (unpack it and import the OSM file inside)"),
        (b"PK\x05\x06", "an", "empty ZIP archive"),
        (b"7z\xbc\xaf\x27\x1c", "a", "7-Zip archive (unpack it and import the OSM file inside)"),
        (b"\xfd7zXZ\x00", "", "xz-compressed data (recompress it with gzip or bzip2, or decompress it)"),
        (b"\x28\xb5\x2f\xfd", "", "zstd-compressed data (recompress it with gzip or bzip2, or decompress it)"),
        (b"\xffo5m2", "", "o5m data (convert it, e.g. `osmium cat FILE -o city.osm.pbf`)"),
        (b"\xff\xe0\x04o5m2", "", "o5m data (convert it, e.g. `osmium cat FILE -o city.osm.pbf`)"),
        (b"\xff\xe0\x04o5c2", "an", "o5c change file"),
        (b"SQLite format 3\x00", "an", "SQLite database (a GeoPackage or MBTiles file?)"),
        (b"\x00\x00\x27\x0a", "an", "ESRI shapefile"),
        (b"%PDF", "a", "PDF document"),
        (b"\x89PNG", "a", "PNG image"),
        (b"\xff\xd8\xff", "a", "JPEG image"),
        (b"GIF8", "a", "GIF image"),
    ];
    if let Some((_, article, what)) = binary.iter().find(|(magic, _, _)| starts(magic)) {
        return Detected::other(article, *what);
    }
    if starts(b"\xff\xfe") || starts(b"\xfe\xff") {
        return Detected::other("", "UTF-16 text (OSM XML is read as UTF-8)");
    }
    let body = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        // The cut at SNIFF_LEN may split a character: keep what came before it.
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&body[..e.valid_up_to()]).unwrap_or_default(),
        Err(_) => return binary_of_unknown_kind(head),
    };
    let text = text.trim_start();
    if text.is_empty() {
        return Detected::other("a", "file of blank space only");
    }
    if text.starts_with('<') {
        return sniff_markup(text);
    }
    if text.starts_with('{') || text.starts_with('[') {
        return if text.contains("\"elements\"") {
            Detected::other("", "OSM JSON (Overpass `[out:json]`; ask Overpass for `[out:xml]`)")
        } else if ["\"FeatureCollection\"", "\"Feature\"", "\"coordinates\""].iter().any(|k| text.contains(k)) {
            Detected::other("", "GeoJSON")
        } else {
            Detected::other("", "JSON")
        };
    }
    if text.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return binary_of_unknown_kind(head);
    }
    Detected::other("", "plain text (neither XML nor JSON)")
}

fn binary_of_unknown_kind(head: &[u8]) -> Detected {
    let hex: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
    Detected::other("", format!("binary data of an unknown kind (first bytes {})", hex.join(" ")))
}

/// A PBF file opens with a 4-byte big-endian length and a BlobHeader whose first field is the
/// string `OSMHeader` (or `OSMData` in a file that lost its header block).
fn is_pbf(head: &[u8]) -> bool {
    let Some(len) = head.get(..4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])) else { return false };
    (1..=64 * 1024).contains(&len)
        && head.get(4) == Some(&0x0a)
        && [&b"\x09OSMHeader"[..], &b"\x07OSMData"[..]].iter().any(|t| head[5..].starts_with(t))
}

/// Text starting with `<`: the root element's name decides.
fn sniff_markup(text: &str) -> Detected {
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        let skip_past = |rest: &str, end: &str| rest.find(end).map(|at| at + end.len());
        let next = if rest.starts_with("<?") {
            skip_past(rest, "?>")
        } else if rest.starts_with("<!--") {
            skip_past(rest, "-->")
        } else if rest.get(..9).is_some_and(|d| d.eq_ignore_ascii_case("<!doctype")) {
            let end = rest.find('>').unwrap_or(rest.len());
            if rest[..end].to_ascii_lowercase().contains("html") {
                return html();
            }
            skip_past(rest, ">")
        } else {
            break;
        };
        match next {
            Some(at) => rest = &rest[at..],
            // The prologue runs past the bytes looked at: let the XML reader judge the root.
            None => return Detected::Xml,
        }
    }
    let name: String = rest
        .strip_prefix('<')
        .unwrap_or_default()
        .chars()
        .take_while(|c| c.is_alphanumeric() || matches!(c, ':' | '-' | '_' | '.'))
        .take(40)
        .collect();
    match name.as_str() {
        "osm" => Detected::Xml,
        "" => Detected::other("", "text that starts with `<` but is not XML"),
        "osmChange" => Detected::other("an", "OsmChange file (a list of edits, not a map extract)"),
        n if n.eq_ignore_ascii_case("html") => html(),
        n => Detected::other("", format!("XML whose root element is <{n}> (OSM XML's root is <osm>)")),
    }
}

fn html() -> Detected {
    Detected::other("an", "HTML page (a server's error page saved instead of the data?)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_their_first_bytes() {
        let pbf = crate::load::HELSINKI_PBF;
        assert_eq!(sniff(&pbf[..SNIFF_LEN]), Detected::Pbf);
        assert_eq!(sniff(b"<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6'>"), Detected::Xml);
        assert_eq!(sniff(b"\xef\xbb\xbf\n  <!-- from JOSM -->\n<osm version=\"0.6\"/>"), Detected::Xml);
        assert_eq!(sniff(b"<?xml version=\"1.0\"?>\n<!-- a comment that runs past the head"), Detected::Xml);
        assert_eq!(sniff(b"\x1f\x8b\x08\x00"), Detected::Gzip);
        assert_eq!(sniff(b"BZh91AY&SY"), Detected::Bzip2);
        let named = |head: &[u8]| sniff(head).describe();
        assert_eq!(named(b""), "an empty file");
        assert!(named(b"PK\x03\x04\x14\x00").starts_with("a ZIP archive"));
        assert!(named(b"  {\"type\": \"FeatureCollection\", \"features\": []}").starts_with("GeoJSON"));
        assert!(named(b"{\"version\":0.6,\"generator\":\"Overpass API\",\"elements\":[").starts_with("OSM JSON"));
        assert!(named(b"[1, 2]").starts_with("JSON"));
        let overpass_error = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\">\n<html>";
        assert!(named(overpass_error).starts_with("an HTML page"), "{}", named(overpass_error));
        assert!(named(b"<HTML><body>504 Gateway Timeout").starts_with("an HTML page"));
        assert!(named(b"<?xml version='1.0'?><gpx version='1.1'>").contains("<gpx>"));
        assert!(named(b"<osmChange version=\"0.6\">").starts_with("an OsmChange file"));
        assert!(named(b"SQLite format 3\x00\x10\x00").starts_with("an SQLite database"));
        assert!(named(b"id,lon,lat\n1,24.9,60.1\n").starts_with("plain text"));
        assert_eq!(
            named(b"\x00\x01\x02\x03\xfe\xff\x00\x00\x09"),
            "binary data of an unknown kind (first bytes 00 01 02 03 fe ff 00 00)"
        );
        assert!(named(b"   \n\t ").contains("blank"));
    }
}
