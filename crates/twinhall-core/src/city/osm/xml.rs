//! OSM XML (`<osm>` as JOSM, Overpass and osmium write it) into [`RawOsm`], streamed with
//! `quick-xml` so that memory holds the elements, never the text.
//!
//! What the file says that a PBF cannot: JOSM's not-yet-uploaded deletions (`action="delete"`)
//! and history's `visible="false"` are left out, as the map does not have them; coordinates on
//! a way's `<nd>` (Overpass `out geom`) stand in for nodes the file lacks; an Overpass
//! `<remark>` (a query that timed out or ran out of memory, so the data is partial) is logged.

use std::io::BufRead;
use std::path::Path;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use super::raw::RawOsm;
use super::tags::Tags;
use crate::frame::LonLat;

/// Why the XML could not be read: the stream failed (a disk or a decompressor), or the text is
/// not OSM XML.
pub(super) enum XmlFailure {
    Read(std::io::Error),
    Invalid(String),
}

/// The element being read at depth 1, committed when it closes.
enum Element {
    Node {
        id: i64,
        lonlat: Option<LonLat>,
        tags: Tags,
    },
    Way {
        id: i64,
        refs: Vec<i64>,
        tags: Tags,
    },
    Relation {
        id: i64,
        tags: Tags,
        ways: Vec<(i64, String)>,
    },
    /// A deleted or invisible element, or one this import has no use for.
    Skipped,
    Remark(String),
}

pub(super) fn read(input: impl BufRead, path: &Path) -> Result<RawOsm, XmlFailure> {
    let mut reader = quick_xml::Reader::from_reader(input);
    let mut raw = RawOsm::default();
    let mut buf = Vec::new();
    let mut depth = 0usize;
    let mut root_closed = false;
    let mut current = Element::Skipped;
    loop {
        buf.clear();
        let at = reader.buffer_position();
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(quick_xml::Error::Io(e)) => {
                let message = format!("at byte {}: {e}", reader.buffer_position());
                return Err(XmlFailure::Read(std::io::Error::new(e.kind(), message)));
            }
            Err(e) => return Err(invalid(reader.error_position(), e)),
        };
        match event {
            Event::Start(e) | Event::Empty(e) if root_closed => {
                return Err(invalid(at, format!("<{}> after the closing </osm>", name_of(&e))));
            }
            Event::Start(e) => {
                open(&e, depth, &mut current, &mut raw).map_err(|m| invalid(at, m))?;
                depth += 1;
            }
            Event::Empty(e) => {
                open(&e, depth, &mut current, &mut raw).map_err(|m| invalid(at, m))?;
                close(depth, &mut current, &mut raw, path);
                root_closed |= depth == 0;
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                close(depth, &mut current, &mut raw, path);
                root_closed |= depth == 0;
            }
            Event::Text(t) => {
                if let Element::Remark(text) = &mut current {
                    text.push_str(&t.xml10_content());
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth > 0 {
        let at = reader.buffer_position();
        return Err(invalid(at, "the file ends inside <osm> (cut short while downloading or copying?)"));
    }
    if !root_closed {
        return Err(invalid(0, "no <osm> element"));
    }
    Ok(raw)
}

fn invalid(at: u64, message: impl std::fmt::Display) -> XmlFailure {
    XmlFailure::Invalid(format!("byte {at}: {message}"))
}

fn name_of(e: &BytesStart<'_>) -> String {
    e.name().as_ref().chars().take(40).collect()
}

/// The attributes of an element as `(name, value)`, values unescaped.
fn attributes(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, String> {
    e.attributes()
        .map(|attribute| {
            let attribute = attribute.map_err(|err| format!("<{}>: {err}", name_of(e)))?;
            let value = attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|err| format!("<{}>: {err}", name_of(e)))?;
            Ok((attribute.key.as_ref().to_owned(), value.into_owned()))
        })
        .collect()
}

fn find<'a>(attributes: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Reads a required number attribute, naming the element and the attribute when it fails.
fn number<T: std::str::FromStr>(attributes: &[(String, String)], element: &str, key: &str) -> Result<T, String> {
    let value = find(attributes, key).ok_or_else(|| format!("<{element}> has no `{key}`"))?;
    value.trim().parse().map_err(|_| format!("<{element}>: `{key}` is `{}`, not a number", shorten(value)))
}

fn shorten(value: &str) -> String {
    if value.chars().count() > 40 { format!("{}…", value.chars().take(40).collect::<String>()) } else { value.into() }
}

/// Whether the map has this element: JOSM marks local deletions, history files invisible ones.
fn is_live(attributes: &[(String, String)]) -> bool {
    find(attributes, "action") != Some("delete") && find(attributes, "visible") != Some("false")
}

fn open(e: &BytesStart<'_>, depth: usize, current: &mut Element, raw: &mut RawOsm) -> Result<(), String> {
    let name = e.name();
    let name = name.as_ref();
    match depth {
        0 if name == "osm" => Ok(()),
        0 => Err(format!("the root element is <{}>, not <osm>", name_of(e))),
        1 => {
            *current = match name {
                "node" | "way" | "relation" => {
                    let attributes = attributes(e)?;
                    let element = name;
                    let id: i64 = number(&attributes, element, "id")?;
                    let at = |m: String| m.replacen(&format!("<{element}>"), &format!("<{element} id=\"{id}\">"), 1);
                    if !is_live(&attributes) {
                        Element::Skipped
                    } else if name == "node" {
                        // A node without coordinates (Overpass `out ids`) gives ways nothing to use.
                        let lonlat = match (find(&attributes, "lat"), find(&attributes, "lon")) {
                            (None, None) => None,
                            _ => Some(LonLat::new(
                                number(&attributes, element, "lon").map_err(at)?,
                                number(&attributes, element, "lat").map_err(at)?,
                            )),
                        };
                        Element::Node { id, lonlat, tags: Tags::new() }
                    } else if name == "way" {
                        Element::Way { id, refs: Vec::new(), tags: Tags::new() }
                    } else {
                        Element::Relation { id, tags: Tags::new(), ways: Vec::new() }
                    }
                }
                "remark" => Element::Remark(String::new()),
                _ => Element::Skipped,
            };
            Ok(())
        }
        2 => {
            let (owner, id) = match current {
                Element::Node { id, .. } => ("node", *id),
                Element::Way { id, .. } => ("way", *id),
                Element::Relation { id, .. } => ("relation", *id),
                Element::Skipped | Element::Remark(_) => return Ok(()),
            };
            let within = |m: String| format!("<{owner} id=\"{id}\">: {m}");
            match (name, &mut *current) {
                ("tag", Element::Node { tags, .. } | Element::Way { tags, .. } | Element::Relation { tags, .. }) => {
                    let mut attributes = attributes(e).map_err(within)?;
                    let value = take(&mut attributes, "v").ok_or_else(|| within("<tag> has no `v`".into()))?;
                    let key = take(&mut attributes, "k").ok_or_else(|| within("<tag> has no `k`".into()))?;
                    tags.push((key, value));
                }
                ("nd", Element::Way { refs, .. }) => {
                    let attributes = attributes(e).map_err(within)?;
                    let node: i64 = number(&attributes, "nd", "ref").map_err(within)?;
                    refs.push(node);
                    if let (Ok(lat), Ok(lon)) = (number(&attributes, "nd", "lat"), number(&attributes, "nd", "lon")) {
                        raw.nodes.entry(node).or_insert(LonLat::new(lon, lat));
                    }
                }
                ("member", Element::Relation { ways, .. }) => {
                    let mut attributes = attributes(e).map_err(within)?;
                    let member: i64 = number(&attributes, "member", "ref").map_err(within)?;
                    if find(&attributes, "type") == Some("way") {
                        ways.push((member, take(&mut attributes, "role").unwrap_or_default()));
                    }
                }
                _ => {}
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn take(attributes: &mut Vec<(String, String)>, key: &str) -> Option<String> {
    let at = attributes.iter().position(|(k, _)| k == key)?;
    Some(attributes.swap_remove(at).1)
}

/// Called when the element at `depth` closes: depth-1 elements go into the raw data.
fn close(depth: usize, current: &mut Element, raw: &mut RawOsm, path: &Path) {
    if depth != 1 {
        return;
    }
    match std::mem::replace(current, Element::Skipped) {
        Element::Node { id, lonlat: Some(lonlat), tags } => raw.add_node(id, lonlat, tags),
        Element::Node { lonlat: None, .. } | Element::Skipped => {}
        Element::Way { id, refs, tags } => raw.add_way(id, refs, tags),
        Element::Relation { id, tags, ways } => raw.add_relation(id, tags, || ways),
        Element::Remark(text) => {
            tracing::warn!(
                "{}: the file carries a remark (its data may be incomplete): {}",
                path.display(),
                text.trim()
            );
        }
    }
}
