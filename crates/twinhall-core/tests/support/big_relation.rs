//! A large multipolygon as an OSM XML file: one forest whose outer ring is cut into many ways
//! (shuffled, half of them reversed, as a long relation edited over years looks) with many
//! clearings as inner rings. Shared by the import test and `examples/osm_big_relation.rs`.

use std::io::{BufWriter, Write};
use std::path::Path;

/// What [`write_big_relation`] put in the file.
pub struct BigRelation {
    pub members: usize,
    pub outer_nodes: usize,
    pub holes: usize,
    pub bytes: u64,
}

/// Writes the relation with `outer_pieces` outer ways (two edges each) around a square of
/// 0.1° × 0.05° at Helsinki and `holes` square clearings on a grid inside it.
pub fn write_big_relation(path: &Path, outer_pieces: usize, holes: usize) -> std::io::Result<BigRelation> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6' generator='twinhall test'>")?;
    let (lon0, lat0, w, h) = (24.90, 60.15, 0.1, 0.05);
    // The square's perimeter, counter-clockwise from the south-west corner, in 2n nodes.
    let n = 2 * outer_pieces as i64;
    for k in 0..n {
        let t = 4.0 * k as f64 / n as f64;
        let (x, y) = match t as u32 {
            0 => (t, 0.0),
            1 => (1.0, t - 1.0),
            2 => (3.0 - t, 1.0),
            _ => (0.0, 4.0 - t),
        };
        writeln!(out, "  <node id='{}' lat='{:.7}' lon='{:.7}'/>", k + 1, lat0 + y * h, lon0 + x * w)?;
    }
    let side = (holes as f64).sqrt().ceil() as usize;
    let cell = 1.0 / (side + 1) as f64;
    let hole_node = |k: usize, corner: usize| n + 1 + (4 * k + corner) as i64;
    for k in 0..holes {
        let (cx, cy) = ((k % side + 1) as f64 * cell, (k / side + 1) as f64 * cell);
        let d = cell / 4.0;
        for (corner, (x, y)) in
            [(cx - d, cy - d), (cx + d, cy - d), (cx + d, cy + d), (cx - d, cy + d)].iter().enumerate()
        {
            writeln!(
                out,
                "  <node id='{}' lat='{:.7}' lon='{:.7}'/>",
                hole_node(k, corner),
                lat0 + y * h,
                lon0 + x * w
            )?;
        }
    }
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut pieces: Vec<[i64; 3]> =
        (0..outer_pieces as i64).map(|p| [2 * p + 1, 2 * p + 2, (2 * p + 2) % n + 1]).collect();
    for i in (1..pieces.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        pieces.swap(i, j);
    }
    let mut members = Vec::with_capacity(outer_pieces + holes);
    for (k, piece) in pieces.iter_mut().enumerate() {
        if next() % 2 == 0 {
            piece.reverse();
        }
        let id = k as i64 + 1;
        writeln!(
            out,
            "  <way id='{id}'><nd ref='{}'/><nd ref='{}'/><nd ref='{}'/></way>",
            piece[0], piece[1], piece[2]
        )?;
        members.push((id, "outer"));
    }
    for k in 0..holes {
        let id = (outer_pieces + k) as i64 + 1;
        write!(out, "  <way id='{id}'>")?;
        for corner in [0, 1, 2, 3, 0] {
            write!(out, "<nd ref='{}'/>", hole_node(k, corner))?;
        }
        writeln!(out, "</way>")?;
        members.push((id, "inner"));
    }
    writeln!(out, "  <relation id='1'>")?;
    for (id, role) in &members {
        writeln!(out, "    <member type='way' ref='{id}' role='{role}'/>")?;
    }
    writeln!(out, "    <tag k='type' v='multipolygon'/>\n    <tag k='landuse' v='forest'/>\n  </relation>\n</osm>")?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(BigRelation { members: members.len(), outer_nodes: n as usize, holes, bytes: std::fs::metadata(path)?.len() })
}
