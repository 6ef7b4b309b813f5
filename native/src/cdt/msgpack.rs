//! Aerospike's flavour of msgpack: decoding into borrowed values and canonical encoding.
//!
//! Strings, blobs and GeoJSON are msgpack str/bin values whose first payload byte is the
//! particle type (3, 4, 23). Ordered lists carry an ext element `c7 00 <flags>` first;
//! ordered maps carry an ext key `c7 00 <flags>` with a nil value first. `d4 ff 01` is
//! Infinity and `d4 ff 00` the Wildcard (request-only). Floats are always written as `cb`.

use crate::error::{OpResult, ResultCode};

/// Deepest element accepted (the top value is at depth 0); deeper is a parameter error.
/// The same bound as stored values (see [`crate::validate::MAX_DEPTH`]).
pub const MAX_DEPTH: usize = crate::validate::MAX_DEPTH;

/// Ext type of Infinity and Wildcard.
const EXT_COMPARE: u8 = 0xff;

/// A decoded msgpack value; strings and blobs borrow from the buffer they came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Val<'a> {
    /// `c0`.
    Nil,
    /// `c2` / `c3`.
    Bool(bool),
    /// Any msgpack integer (unsigned 64-bit values above `i64::MAX` wrap).
    Int(i64),
    /// `ca` or `cb`, always written back as `cb`.
    Float(f64),
    /// A str/bin payload: the particle-type byte, then the data (may be empty if malformed).
    Bytes(&'a [u8]),
    /// An array.
    List(List<'a>),
    /// A map.
    Map(Map<'a>),
    /// Any other ext value, kept verbatim (marker included).
    Ext(&'a [u8]),
    /// Matches anything in comparisons (request-only).
    Wildcard,
    /// Greater than anything (request-only, the open end of ranges).
    Infinity,
}

/// List contents and flags (`0x01` = ordered).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct List<'a> {
    /// Ext flags; 0 for a plain list.
    pub flags: u8,
    /// Elements in stored order.
    pub items: Vec<Val<'a>>,
}

/// Map contents and flags (`0x01` key-ordered, `0x03` key-value-ordered, `0x08` preserve).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Map<'a> {
    /// Ext flags; 0 for a plain (unordered) map.
    pub flags: u8,
    /// Key-value pairs in stored order.
    pub pairs: Vec<(Val<'a>, Val<'a>)>,
}

impl Val<'_> {
    /// True for values that may not be stored (Infinity, Wildcard), at any depth.
    #[must_use]
    pub fn is_non_storage(&self) -> bool {
        match self {
            Val::Wildcard | Val::Infinity => true,
            Val::List(l) => l.items.iter().any(Val::is_non_storage),
            Val::Map(m) => m.pairs.iter().any(|(k, v)| k.is_non_storage() || v.is_non_storage()),
            _ => false,
        }
    }
}

/// Decodes one complete value; trailing bytes are a parameter error.
///
/// # Errors
/// `ParameterError` on malformed input or nesting deeper than [`MAX_DEPTH`].
pub fn decode(buf: &[u8]) -> OpResult<Val<'_>> {
    let mut reader = Reader { buf, pos: 0 };
    let value = reader.value(0)?;
    if reader.pos == buf.len() {
        Ok(value)
    } else {
        Err(ResultCode::ParameterError)
    }
}

/// A cursor over msgpack bytes.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> OpResult<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(ResultCode::ParameterError)?;
        let bytes = self.buf.get(self.pos..end).ok_or(ResultCode::ParameterError)?;
        self.pos = end;
        Ok(bytes)
    }

    fn byte(&mut self) -> OpResult<u8> {
        Ok(self.take(1)?[0])
    }

    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn uint(&mut self, n: usize) -> OpResult<u64> {
        Ok(self.take(n)?.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn len(&mut self, n: usize) -> OpResult<usize> {
        usize::try_from(self.uint(n)?).map_err(|_| ResultCode::ParameterError)
    }

    fn value(&mut self, depth: usize) -> OpResult<Val<'a>> {
        let marker = self.byte()?;
        let value = match marker {
            0x00..=0x7f => Val::Int(i64::from(marker)),
            0x80..=0x8f => return self.map(usize::from(marker & 0x0f), depth),
            0x90..=0x9f => return self.list(usize::from(marker & 0x0f), depth),
            0xa0..=0xbf => Val::Bytes(self.take(usize::from(marker & 0x1f))?),
            0xc0 => Val::Nil,
            0xc2 => Val::Bool(false),
            0xc3 => Val::Bool(true),
            0xc4 | 0xd9 => Val::Bytes(self.sized(1)?),
            0xc5 | 0xda => Val::Bytes(self.sized(2)?),
            0xc6 | 0xdb => Val::Bytes(self.sized(4)?),
            0xc7..=0xc9 | 0xd4..=0xd8 => self.ext(marker)?,
            0xca => Val::Float(f64::from(f32::from_bits(self.uint_u32()?))),
            0xcb => Val::Float(f64::from_bits(self.uint(8)?)),
            0xcc => Val::Int(self.signed_from_unsigned(1)?),
            0xcd => Val::Int(self.signed_from_unsigned(2)?),
            0xce => Val::Int(self.signed_from_unsigned(4)?),
            0xcf => Val::Int(self.signed_from_unsigned(8)?),
            0xd0 => Val::Int(i64::from(i8::from_be_bytes([self.byte()?]))),
            0xd1 => Val::Int(i64::from(i16::from_be_bytes(self.array()?))),
            0xd2 => Val::Int(i64::from(i32::from_be_bytes(self.array()?))),
            0xd3 => Val::Int(i64::from_be_bytes(self.array()?)),
            0xdc => return self.list_sized(2, depth),
            0xdd => return self.list_sized(4, depth),
            0xde => return self.map_sized(2, depth),
            0xdf => return self.map_sized(4, depth),
            0xe0..=0xff => Val::Int(i64::from(i8::from_be_bytes([marker]))),
            _ => return Err(ResultCode::ParameterError),
        };
        Ok(value)
    }

    fn array<const N: usize>(&mut self) -> OpResult<[u8; N]> {
        self.take(N)?.try_into().map_err(|_| ResultCode::ParameterError)
    }

    fn uint_u32(&mut self) -> OpResult<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// Unsigned integers; values above `i64::MAX` wrap, as the client does.
    #[allow(clippy::cast_possible_wrap)] // wrapping is the documented behaviour
    fn signed_from_unsigned(&mut self, n: usize) -> OpResult<i64> {
        Ok(self.uint(n)? as i64)
    }

    fn sized(&mut self, len_bytes: usize) -> OpResult<&'a [u8]> {
        let n = self.len(len_bytes)?;
        self.take(n)
    }

    /// Reads an ext value: (marker, type, data).
    fn ext_parts(&mut self, marker: u8) -> OpResult<(u8, &'a [u8])> {
        let len = match marker {
            0xd4..=0xd8 => 1usize << (marker - 0xd4),
            0xc7 => self.len(1)?,
            0xc8 => self.len(2)?,
            _ => self.len(4)?,
        };
        let kind = self.byte()?;
        Ok((kind, self.take(len)?))
    }

    fn ext(&mut self, marker: u8) -> OpResult<Val<'a>> {
        let start = self.pos - 1;
        let (kind, data) = self.ext_parts(marker)?;
        Ok(match (kind, data) {
            (EXT_COMPARE, [1]) => Val::Infinity,
            (EXT_COMPARE, [0]) => Val::Wildcard,
            _ => Val::Ext(&self.buf[start..self.pos]),
        })
    }

    /// If the next value is a flags ext (any ext but Infinity/Wildcard), consumes it.
    fn flags_ext(&mut self) -> OpResult<Option<u8>> {
        let Some(marker @ (0xc7..=0xc9 | 0xd4..=0xd8)) = self.peek() else {
            return Ok(None);
        };
        let saved = self.pos;
        self.pos += 1;
        let (kind, _) = self.ext_parts(marker)?;
        if kind == EXT_COMPARE {
            self.pos = saved;
            return Ok(None);
        }
        Ok(Some(kind))
    }

    fn list_sized(&mut self, len_bytes: usize, depth: usize) -> OpResult<Val<'a>> {
        let n = self.len(len_bytes)?;
        self.list(n, depth)
    }

    fn map_sized(&mut self, len_bytes: usize, depth: usize) -> OpResult<Val<'a>> {
        let n = self.len(len_bytes)?;
        self.map(n, depth)
    }

    /// Every element takes at least one byte: cap preallocation by the bytes left.
    fn capacity(&self, n: usize) -> usize {
        n.min(self.buf.len() - self.pos)
    }

    fn list(&mut self, mut n: usize, depth: usize) -> OpResult<Val<'a>> {
        let depth = nested(depth, n)?;
        let mut flags = 0;
        if n > 0 {
            if let Some(f) = self.flags_ext()? {
                flags = f;
                n -= 1;
            }
        }
        let mut items = Vec::with_capacity(self.capacity(n));
        for _ in 0..n {
            items.push(self.value(depth)?);
        }
        Ok(Val::List(List { flags, items }))
    }

    fn map(&mut self, mut n: usize, depth: usize) -> OpResult<Val<'a>> {
        let depth = nested(depth, n)?;
        let mut flags = 0;
        if n > 0 {
            if let Some(f) = self.flags_ext()? {
                self.value(depth)?; // the ext key's value, nil
                flags = f;
                n -= 1;
            }
        }
        let mut pairs = Vec::with_capacity(self.capacity(n));
        for _ in 0..n {
            let key = self.value(depth)?;
            pairs.push((key, self.value(depth)?));
        }
        Ok(Val::Map(Map { flags, pairs }))
    }
}

/// The depth of the `n` elements of a container at `depth`; only an empty container may
/// sit at [`MAX_DEPTH`].
fn nested(depth: usize, n: usize) -> OpResult<usize> {
    if n > 0 && depth >= MAX_DEPTH {
        Err(ResultCode::ParameterError)
    } else {
        Ok(depth + 1)
    }
}

// ---------------------------------------------------------------------------------------
// Encoding

/// Appends the canonical encoding of `value` to `out`.
///
/// An empty str/bin payload (no particle-type byte) is written as an empty blob
/// (`a1 04`): a zero-length msgpack string makes the client panic.
pub fn encode(value: &Val<'_>, out: &mut Vec<u8>) {
    match value {
        Val::Nil => out.push(0xc0),
        Val::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Val::Int(i) => encode_int(*i, out),
        Val::Float(f) => {
            out.push(0xcb);
            out.extend_from_slice(&f.to_be_bytes());
        }
        Val::Bytes([]) => out.extend_from_slice(&[0xa1, 0x04]),
        Val::Bytes(payload) => {
            encode_str_header(payload.len(), out);
            out.extend_from_slice(payload);
        }
        Val::List(list) => encode_list(list, out),
        Val::Map(map) => encode_map(map, out),
        Val::Ext(raw) => out.extend_from_slice(raw),
        Val::Wildcard => out.extend_from_slice(&[0xd4, EXT_COMPARE, 0]),
        Val::Infinity => out.extend_from_slice(&[0xd4, EXT_COMPARE, 1]),
    }
}

/// Appends a list, with its flags ext first when the flags are non-zero.
pub fn encode_list(list: &List<'_>, out: &mut Vec<u8>) {
    let has_ext = list.flags != 0;
    encode_count_header(list.items.len() + usize::from(has_ext), 0x90, 0xdc, out);
    if has_ext {
        out.extend_from_slice(&[0xc7, 0x00, list.flags]);
    }
    list.items.iter().for_each(|v| encode(v, out));
}

/// Appends a map, with its flags ext key (and nil value) first when the flags are non-zero.
pub fn encode_map(map: &Map<'_>, out: &mut Vec<u8>) {
    let has_ext = map.flags != 0;
    encode_count_header(map.pairs.len() + usize::from(has_ext), 0x80, 0xde, out);
    if has_ext {
        out.extend_from_slice(&[0xc7, 0x00, map.flags, 0xc0]);
    }
    for (k, v) in &map.pairs {
        encode(k, out);
        encode(v, out);
    }
}

/// Smallest encoding, as the client writes: positive values unsigned, negative signed.
#[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)] // ranges checked
fn encode_int(i: i64, out: &mut Vec<u8>) {
    match i {
        0..=0x7f => out.push(i as u8),
        -32..=-1 => out.push(i as i8 as u8),
        0x80..=0xff => out.extend_from_slice(&[0xcc, i as u8]),
        0x100..=0xffff => push_marked(out, 0xcd, &(i as u16).to_be_bytes()),
        0x1_0000..=0xffff_ffff => push_marked(out, 0xce, &(i as u32).to_be_bytes()),
        0x1_0000_0000.. => push_marked(out, 0xcf, &(i as u64).to_be_bytes()),
        -0x80..=-33 => out.extend_from_slice(&[0xd0, i as i8 as u8]),
        -0x8000..=-0x81 => push_marked(out, 0xd1, &(i as i16).to_be_bytes()),
        -0x8000_0000..=-0x8001 => push_marked(out, 0xd2, &(i as i32).to_be_bytes()),
        _ => push_marked(out, 0xd3, &i.to_be_bytes()),
    }
}

fn push_marked(out: &mut Vec<u8>, marker: u8, bytes: &[u8]) {
    out.push(marker);
    out.extend_from_slice(bytes);
}

#[allow(clippy::cast_possible_truncation)] // ranges checked
fn encode_str_header(n: usize, out: &mut Vec<u8>) {
    match n {
        0..=31 => out.push(0xa0 | n as u8),
        32..=0xffff => push_marked(out, 0xda, &(n as u16).to_be_bytes()),
        _ => push_marked(out, 0xdb, &(n as u32).to_be_bytes()),
    }
}

/// Header for `n` elements: fix form (`fix | n`) below 16, else 16- or 32-bit form.
#[allow(clippy::cast_possible_truncation)] // ranges checked
fn encode_count_header(n: usize, fix: u8, marker16: u8, out: &mut Vec<u8>) {
    match n {
        0..=15 => out.push(fix | n as u8),
        16..=0xffff => push_marked(out, marker16, &(n as u16).to_be_bytes()),
        _ => push_marked(out, marker16 + 1, &(n as u32).to_be_bytes()),
    }
}

/// Encodes `value` into a new buffer.
#[must_use]
pub fn to_bytes(value: &Val<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    encode(value, &mut out);
    out
}

#[cfg(test)]
#[path = "msgpack_tests.rs"]
mod tests;
