//! The one gate every value passes before it is stored: particles, msgpack and user keys.
//!
//! Everything a client can read back must be readable by aerospike-py 0.14.4 (whose
//! decoder indexes its buffer unchecked and panics on truncated or odd values), so a
//! write carrying anything else is refused. The checks are linear in the value's size,
//! and the msgpack walk is a loop with an explicit stack of at most [`MAX_DEPTH`]
//! levels, so hostile input can neither overflow the stack nor take quadratic time.
//!
//! Result codes, with their source:
//! - A LIST or MAP particle that is not complete, well-formed msgpack of the right
//!   type, holds Infinity/Wildcard, or has a map key that is not an integer, string or
//!   blob: 1, as the real server's `list_from_wire`/`map_from_wire` answer when their
//!   untrusted-msgpack check fails (aerospike-server `particle_list.c`,
//!   `particle_map.c`, `cdt.c`, `map_is_key`).
//! - A GEOJSON particle whose cell count overruns it: 160 (`geojson_size_from_wire`).
//!   The real server also parses the JSON geometry; this server only checks that the
//!   text is UTF-8 and looks like a JSON object, and answers 160 otherwise.
//! - A user key field that is empty, or an integer key that is not 8 bytes: 16
//!   (`get_msg_key` in `rw_utils.c`).
//! - Values a real server would store but aerospike-py cannot read back: 4, a
//!   deviation (the real server's answer is 0): nesting deeper than [`MAX_DEPTH`],
//!   zero-length msgpack strings, msgpack strings whose type byte is not string, blob
//!   or GeoJSON, invalid UTF-8 in strings, ext values whose length the client
//!   miscounts, and user keys of particle types other than integer, string and blob.

use crate::error::{OpResult, ResultCode};
use crate::value::particle;

/// Deepest element accepted: the bin value is at depth 0, the elements of a top-level
/// list or map at depth 1. aerospike-py refuses to write values nested deeper than 64
/// ("Value nesting exceeds maximum depth of 64"); an empty list or map may sit at 64.
pub const MAX_DEPTH: usize = 64;

/// Msgpack ext type of Infinity and Wildcard, which may appear only in requests.
const EXT_COMPARE: u8 = 0xff;
/// Msgpack string payload type bytes (the particle type of the element).
const STR_STRING: u8 = particle::STRING;
const STR_BLOB: u8 = particle::BLOB;
const STR_GEOJSON: u8 = particle::GEOJSON;

/// Why a msgpack value was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invalid {
    /// Not valid for a real server either (truncated, wrong type, bad map key, ...).
    Malformed,
    /// Valid msgpack that aerospike-py cannot read back.
    Unreadable,
}

/// What the top of a msgpack buffer must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Top {
    /// An array (LIST particle).
    List,
    /// A map (MAP particle).
    Map,
    /// Anything (CDT op payloads).
    Any,
}

/// Whether Infinity and Wildcard (request-only values) are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// A value to store.
    Storage,
    /// A CDT op payload, which may carry range ends and wildcards.
    Request,
}

/// Checks a LIST, MAP or GEOJSON particle, or a STRING's UTF-8.
///
/// # Errors
/// The codes listed in the module documentation.
pub fn check_particle(kind: u8, bytes: &[u8]) -> OpResult<()> {
    match kind {
        particle::STRING => {
            std::str::from_utf8(bytes).map(|_| ()).map_err(|_| ResultCode::ParameterError)
        }
        particle::LIST => check_stored(bytes, Top::List),
        particle::MAP => check_stored(bytes, Top::Map),
        particle::GEOJSON => check_geojson(bytes),
        _ => Ok(()),
    }
}

fn check_stored(bytes: &[u8], top: Top) -> OpResult<()> {
    check_msgpack(bytes, top, Use::Storage).map_err(|e| match e {
        Invalid::Malformed => ResultCode::ServerError,
        Invalid::Unreadable => ResultCode::ParameterError,
    })
}

/// Checks a GeoJSON particle: `u8 flags`, `u16 ncells`, `ncells` × 8 bytes, JSON text.
///
/// # Errors
/// `GeoInvalidGeojson` (160) if the cells overrun the value or the text is not a
/// UTF-8 JSON object.
pub fn check_geojson(bytes: &[u8]) -> OpResult<()> {
    let bad = Err(ResultCode::GeoInvalidGeojson);
    let [_flags, hi, lo, rest @ ..] = bytes else { return bad };
    let cells = usize::from(u16::from_be_bytes([*hi, *lo])) * 8;
    let Some(text) = rest.get(cells..) else { return bad };
    let Ok(text) = std::str::from_utf8(text) else { return bad };
    let text = text.trim();
    if text.starts_with('{') && text.ends_with('}') {
        Ok(())
    } else {
        bad
    }
}

/// Checks a user key field (`u8 particle type` + value) before it is stored.
///
/// # Errors
/// `UnsupportedFeature` (16) for an empty field or an integer key that is not 8 bytes
/// (as a real server); `ParameterError` for other particle types or a string key that
/// is not UTF-8 (aerospike-py cannot read those back).
pub fn check_key(key: &[u8]) -> OpResult<()> {
    match key {
        [] => Err(ResultCode::UnsupportedFeature),
        [particle::INTEGER, int @ ..] if int.len() != 8 => Err(ResultCode::UnsupportedFeature),
        [particle::INTEGER | particle::BLOB, ..] => Ok(()),
        [particle::STRING, text @ ..] => check_particle(particle::STRING, text),
        _ => Err(ResultCode::ParameterError),
    }
}

/// Longest set name a real server stores, in bytes (its 64-byte buffer holds a NUL).
pub const MAX_SET_NAME_LEN: usize = 63;

/// Checks the set name of a write, scan or query as a real server does.
///
/// # Errors
/// `ParameterError` (4) for a name over 63 bytes or containing a NUL byte.
pub fn check_set_name(set: &[u8]) -> OpResult<()> {
    if set.len() > MAX_SET_NAME_LEN || set.contains(&0) {
        return Err(ResultCode::ParameterError);
    }
    Ok(())
}

/// Checks a bin name sent in an op as a real server does (an empty name is allowed).
///
/// # Errors
/// `BinNameTooLong` (21) for a name over 15 bytes or containing a NUL byte.
pub fn check_bin_name(name: &[u8]) -> OpResult<()> {
    if name.len() > crate::msg::MAX_BIN_NAME_LEN || name.contains(&0) {
        return Err(ResultCode::BinNameTooLong);
    }
    Ok(())
}

/// One open list or map while walking msgpack.
#[derive(Clone, Copy, Debug)]
struct Level {
    /// Elements still to read (a map counts keys and values).
    remaining: u64,
    /// Whether this is a map (even `remaining` then means a key comes next).
    is_map: bool,
    /// Elements in total, to tell the first one (which may be a flags ext).
    total: u64,
}

impl Level {
    fn next_is_key(&self) -> bool {
        self.is_map && self.remaining.is_multiple_of(2)
    }

    fn at_first(&self) -> bool {
        self.remaining == self.total
    }
}

/// What one msgpack item header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    Nil,
    Bool,
    Int,
    Float,
    /// A str/bin payload whose first byte is the given type (None if empty).
    Str(Option<u8>),
    Ext {
        compare: bool,
    },
    Array(u64),
    Map(u64),
}

/// Checks that `buf` holds exactly one complete msgpack value of type `top` that
/// aerospike-py can read, in one pass without recursion.
///
/// # Errors
/// `Invalid::Malformed` or `Invalid::Unreadable` (see [`Invalid`]).
pub fn check_msgpack(buf: &[u8], top: Top, usage: Use) -> Result<(), Invalid> {
    let mut reader = Reader { buf, pos: 0 };
    let first = reader.item()?;
    match (top, first) {
        (Top::List, Item::Array(_)) | (Top::Map, Item::Map(_)) | (Top::Any, _) => {}
        _ => return Err(Invalid::Malformed),
    }
    let mut stack: Vec<Level> = Vec::new();
    check_leaf(first, None, usage)?;
    open(&mut stack, first, reader.left())?;
    while let Some(level) = stack.last().copied() {
        let item = reader.item()?;
        check_leaf(item, Some(level), usage)?;
        if let Some(top) = stack.last_mut() {
            top.remaining -= 1;
        }
        open(&mut stack, item, reader.left())?;
        while stack.last().is_some_and(|l| l.remaining == 0) {
            stack.pop();
        }
    }
    if reader.left() == 0 {
        Ok(())
    } else {
        Err(Invalid::Malformed)
    }
}

/// Rules for one item given the container it sits in (`None` at the top).
fn check_leaf(item: Item, parent: Option<Level>, usage: Use) -> Result<(), Invalid> {
    let is_key = parent.is_some_and(|p| p.next_is_key());
    if let Item::Ext { compare } = item {
        // A flags ext may open a list or map; elsewhere the client reads an ext as nil.
        let misplaced_key = is_key && !parent.is_some_and(|p| p.at_first());
        let non_storage = compare && usage == Use::Storage;
        return if misplaced_key || non_storage { Err(Invalid::Malformed) } else { Ok(()) };
    }
    if is_key {
        return if is_map_key(item) { Ok(()) } else { Err(Invalid::Malformed) };
    }
    match item {
        Item::Str(None) => Err(Invalid::Unreadable),
        Item::Str(Some(kind)) if !matches!(kind, STR_STRING | STR_BLOB | STR_GEOJSON) => {
            Err(Invalid::Unreadable)
        }
        _ => Ok(()),
    }
}

/// Map keys a real server accepts (`map_is_key`): integers, strings and blobs.
fn is_map_key(item: Item) -> bool {
    matches!(item, Item::Int | Item::Str(Some(STR_STRING | STR_BLOB)))
}

/// Pushes a non-empty container, checking depth and that its count can fit in `left`.
fn open(stack: &mut Vec<Level>, item: Item, left: usize) -> Result<(), Invalid> {
    let (count, is_map) = match item {
        Item::Array(n) => (n, false),
        Item::Map(n) => (n * 2, true),
        _ => return Ok(()),
    };
    if count == 0 {
        return Ok(());
    }
    // Every element takes at least one byte: a count beyond the bytes left is a lie.
    if count > u64::try_from(left).unwrap_or(u64::MAX) {
        return Err(Invalid::Malformed);
    }
    if stack.len() + 1 > MAX_DEPTH {
        return Err(Invalid::Unreadable);
    }
    stack.push(Level { remaining: count, is_map, total: count });
    Ok(())
}

/// A bounds-checked cursor over msgpack bytes.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn left(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], Invalid> {
        let n = usize::try_from(n).map_err(|_| Invalid::Malformed)?;
        let end = self.pos.checked_add(n).ok_or(Invalid::Malformed)?;
        let out = self.buf.get(self.pos..end).ok_or(Invalid::Malformed)?;
        self.pos = end;
        Ok(out)
    }

    fn uint(&mut self, n: u64) -> Result<u64, Invalid> {
        Ok(self.take(n)?.iter().fold(0, |acc, b| (acc << 8) | u64::from(*b)))
    }

    /// Reads one item header, and the payload of scalars, strings and exts.
    fn item(&mut self) -> Result<Item, Invalid> {
        let marker = self.take(1)?[0];
        let item = match marker {
            0x00..=0x7f | 0xe0..=0xff => Item::Int,
            0x80..=0x8f => Item::Map(u64::from(marker & 0x0f)),
            0x90..=0x9f => Item::Array(u64::from(marker & 0x0f)),
            0xa0..=0xbf => self.string(u64::from(marker & 0x1f))?,
            0xc0 => Item::Nil,
            0xc2 | 0xc3 => Item::Bool,
            0xc4 | 0xd9 => self.sized_string(1)?,
            0xc5 | 0xda => self.sized_string(2)?,
            0xc6 | 0xdb => self.sized_string(4)?,
            0xc7..=0xc9 => self.ext(1 << (marker - 0xc7), None)?,
            0xca => self.skip(4, Item::Float)?,
            0xcb => self.skip(8, Item::Float)?,
            0xcc | 0xd0 => self.skip(1, Item::Int)?,
            0xcd | 0xd1 => self.skip(2, Item::Int)?,
            0xce | 0xd2 => self.skip(4, Item::Int)?,
            0xcf | 0xd3 => self.skip(8, Item::Int)?,
            0xd4..=0xd8 => self.ext(0, Some(1 << (marker - 0xd4)))?,
            0xdc => Item::Array(self.uint(2)?),
            0xdd => Item::Array(self.uint(4)?),
            0xde => Item::Map(self.uint(2)?),
            0xdf => Item::Map(self.uint(4)?),
            // 0xc1 is reserved: no valid msgpack uses it.
            _ => return Err(Invalid::Malformed),
        };
        Ok(item)
    }

    fn skip(&mut self, n: u64, item: Item) -> Result<Item, Invalid> {
        self.take(n)?;
        Ok(item)
    }

    fn sized_string(&mut self, len_bytes: u64) -> Result<Item, Invalid> {
        let len = self.uint(len_bytes)?;
        self.string(len)
    }

    /// A str/bin payload; strings (type byte 3) and GeoJSON (23) must be UTF-8.
    fn string(&mut self, len: u64) -> Result<Item, Invalid> {
        let payload = self.take(len)?;
        let Some((&kind, text)) = payload.split_first() else { return Ok(Item::Str(None)) };
        if matches!(kind, STR_STRING | STR_GEOJSON) && std::str::from_utf8(text).is_err() {
            return Err(Invalid::Unreadable);
        }
        Ok(Item::Str(Some(kind)))
    }

    /// An ext: `fixed` data bytes for fixext, else a `len_bytes`-byte length first.
    fn ext(&mut self, len_bytes: u64, fixed: Option<u64>) -> Result<Item, Invalid> {
        let len = match fixed {
            Some(n) => n,
            None => self.uint(len_bytes)?,
        };
        // The client skips `1 + len` computed in the length's own width, which wraps
        // to 0 for the largest length and desynchronises it.
        let max = if len_bytes == 0 { u64::MAX } else { (1u64 << (8 * len_bytes)) - 1 };
        if fixed.is_none() && len == max {
            return Err(Invalid::Unreadable);
        }
        let kind = self.take(1)?[0];
        self.take(len)?;
        // As a real server: fixext 1/2 and ext 8/16/32 of 1-3 bytes with the compare
        // type are Infinity/Wildcard, which may not be stored.
        let short = fixed.map_or((1..4).contains(&len), |n| n <= 2);
        Ok(Item::Ext { compare: kind == EXT_COMPARE && short })
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
