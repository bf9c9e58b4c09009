//! From a file to OSM elements: the format is told by the first bytes (never by the name, so a
//! `.osm.pbf` that is really gzipped XML still reads), compressed XML is streamed through its
//! decompressor, and every format fills the same [`RawOsm`] under the same rules.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::build::{OsmOptions, build_city};
use super::format::{ACCEPTED, Detected, SNIFF_LEN, sniff};
use super::raw::RawOsm;
use super::xml::XmlFailure;
use crate::model::CityModel;

/// Errors that stop an import as a whole (a file that cannot be read at all).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a valid OSM PBF file: {message}")]
    Pbf { path: PathBuf, message: String },
    #[error("{path}: not valid OSM XML: {message}")]
    Xml { path: PathBuf, message: String },
    #[error("{path}: the {compression} data is corrupt or cut short: {message}")]
    Compressed { path: PathBuf, compression: &'static str, message: String },
    #[error("{path}: this is {detected}; {ACCEPTED}")]
    UnknownFormat { path: PathBuf, detected: String },
    #[error("{path}: the file holds no nodes")]
    Empty { path: PathBuf },
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
}

/// Imports an OSM file from disk: PBF, XML, or XML compressed with gzip or bzip2, told apart
/// by content. XML is streamed, so a large `.osm.bz2` is never held uncompressed.
pub fn import_osm_path(path: &Path, options: &OsmOptions) -> Result<CityModel, ImportError> {
    let file = std::fs::File::open(path).map_err(|source| ImportError::Io { path: path.into(), source })?;
    let raw = read_raw(BufReader::with_capacity(1 << 16, file), path)?;
    finish(raw, path, options)
}

/// Imports OSM data held in memory (any format [`import_osm_path`] reads); `path` only names
/// the source in messages.
pub fn import_osm_bytes(bytes: &[u8], path: &Path, options: &OsmOptions) -> Result<CityModel, ImportError> {
    let raw = read_raw(bytes, path)?;
    finish(raw, path, options)
}

/// The PBF-named entry point kept for its callers: it reads every format
/// [`import_osm_path`] reads.
pub fn import_pbf_path(path: &Path, options: &OsmOptions) -> Result<CityModel, ImportError> {
    import_osm_path(path, options)
}

/// The PBF-named entry point kept for its callers: it reads every format
/// [`import_osm_bytes`] reads.
pub fn import_pbf_bytes(bytes: &[u8], path: &Path, options: &OsmOptions) -> Result<CityModel, ImportError> {
    import_osm_bytes(bytes, path, options)
}

/// Reads up to `len` leading bytes, which then go back in front of the rest of the stream.
fn peek(input: &mut impl Read, len: usize) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(len);
    input.take(len as u64).read_to_end(&mut head)?;
    Ok(head)
}

fn read_raw<R: BufRead + Send>(mut input: R, path: &Path) -> Result<RawOsm, ImportError> {
    let head = peek(&mut input, SNIFF_LEN).map_err(|source| ImportError::Io { path: path.into(), source })?;
    let stream = head.as_slice().chain(input);
    match sniff(&head) {
        Detected::Pbf => super::pbf::read(stream).map_err(|message| ImportError::Pbf { path: path.into(), message }),
        Detected::Xml => super::xml::read(stream, path).map_err(|failure| match failure {
            XmlFailure::Read(source) => ImportError::Io { path: path.into(), source },
            XmlFailure::Invalid(message) => ImportError::Xml { path: path.into(), message },
        }),
        Detected::Gzip => read_compressed(flate2::bufread::MultiGzDecoder::new(stream), "gzip", path),
        Detected::Bzip2 => read_compressed(bzip2::bufread::MultiBzDecoder::new(stream), "bzip2", path),
        other => Err(ImportError::UnknownFormat { path: path.into(), detected: other.describe() }),
    }
}

/// Reads OSM XML out of a decompressor; positions in messages count uncompressed bytes.
fn read_compressed(decoder: impl Read, compression: &'static str, path: &Path) -> Result<RawOsm, ImportError> {
    let corrupt = |message: String| ImportError::Compressed { path: path.into(), compression, message };
    let mut input = BufReader::with_capacity(1 << 16, decoder);
    let head = peek(&mut input, SNIFF_LEN).map_err(|e| corrupt(e.to_string()))?;
    match sniff(&head) {
        Detected::Xml => super::xml::read(head.as_slice().chain(input), path).map_err(|failure| match failure {
            XmlFailure::Read(e) => corrupt(e.to_string()),
            XmlFailure::Invalid(message) => ImportError::Xml {
                path: path.into(),
                message: format!("{message} (in the {compression}-decompressed data)"),
            },
        }),
        other => Err(ImportError::UnknownFormat {
            path: path.into(),
            detected: format!("{compression}-compressed {}", other.describe_bare()),
        }),
    }
}

/// Builds the city and its per-file report.
fn finish(raw: RawOsm, path: &Path, options: &OsmOptions) -> Result<CityModel, ImportError> {
    if raw.nodes.is_empty() {
        return Err(ImportError::Empty { path: path.into() });
    }
    let mut city = build_city(&raw, options);
    let mut report = crate::model::FileReport::new(path);
    report.loaded = city.buildings.len()
        + city.roads.len()
        + city.railways.len()
        + city.water.len()
        + city.green.len()
        + city.pois.len();
    report.rejected = city.rejected.clone();
    report.repaired = city.repaired.clone();
    city.sources.push(report);
    Ok(city)
}
