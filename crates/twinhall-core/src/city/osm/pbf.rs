//! OSM PBF elements into [`RawOsm`], through `osmpbf`.

use std::io::Read;

use osmpbf::{Element, ElementReader, RelMemberType};

use super::raw::RawOsm;
use super::tags::Tags;
use crate::frame::LonLat;

pub(super) fn read(input: impl Read + Send) -> Result<RawOsm, String> {
    // osmpbf panics on a few malformed enum values; a broken file must not take the app down.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut raw = RawOsm::default();
        ElementReader::new(input)
            .for_each(|element| match element {
                Element::DenseNode(n) => {
                    let tags: Tags = n.tags().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
                    raw.add_node(n.id(), LonLat::new(n.lon(), n.lat()), tags);
                }
                Element::Node(n) => {
                    let tags: Tags = n.tags().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
                    raw.add_node(n.id(), LonLat::new(n.lon(), n.lat()), tags);
                }
                Element::Way(w) => {
                    let tags: Tags = w.tags().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
                    raw.add_way(w.id(), w.refs().collect(), tags);
                }
                Element::Relation(r) => {
                    let tags: Tags = r.tags().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
                    raw.add_relation(r.id(), tags, || {
                        r.members()
                            .filter(|m| m.member_type == RelMemberType::Way)
                            .map(|m| (m.member_id, m.role().unwrap_or("").to_owned()))
                            .collect()
                    });
                }
            })
            .map(|()| raw)
            .map_err(|e| e.to_string())
    }));
    match result {
        Ok(r) => r,
        Err(_) => Err("the decoder failed on a malformed block".into()),
    }
}
