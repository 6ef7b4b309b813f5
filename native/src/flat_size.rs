//! Record size as a real server counts it for the `max-record-size` check.
//!
//! Aerospike stores a record in a "flat" format and refuses a write (result 13) when the
//! flat image exceeds `max-record-size`. Measured by bisection on Aerospike CE 8.1.2 (the
//! largest blob accepted next to other bins, set names and stored keys of each kind), the
//! flat size in bytes is:
//!
//! - record header: 39, plus the bin count as an unsigned LEB128 varint (1 byte below
//!   128 bins, 2 below 16,384);
//! - a void time of 4 bytes when the record expires (none for "never expire");
//! - a set name: 1 length byte plus its bytes (nothing without a set);
//! - a stored key: its type byte and value (8 bytes for an integer) plus their length as
//!   a varint;
//! - per bin: 1 name-length byte, the name, then the particle: an integer takes 2 bytes
//!   plus 1, 2, 4 or 8 for the smallest unsigned width holding it (negative ones take
//!   8), a float 9, a boolean 2, and every other type (string, blob, list, map, HLL,
//!   GeoJSON) 5 plus its payload (lists and maps as the msgpack the client sent).
//!
//! GeoJSON is the one approximation: a real server also stores the covering cell ids.

use crate::store::Record;
use crate::value::{Bin, Value};

/// Fixed bytes of a record header, besides the bin count varint.
const RECORD_HEADER: usize = 39;
/// Bytes of a void time, present only when the record expires.
const VOID_TIME: usize = 4;
/// Bytes before a variable-length particle's payload: type and `u32` length.
const VARIABLE_PARTICLE_HEADER: usize = 5;

/// Flat size of `rec` in bytes, as compared with `max-record-size` (refused when above).
#[must_use]
pub fn record_size(rec: &Record) -> usize {
    let void_time = if rec.void_time == 0 { 0 } else { VOID_TIME };
    let set = if rec.set.is_empty() { 0 } else { 1 + rec.set.len() };
    let key = rec.key.as_ref().map_or(0, |k| varint_len(k.len()) + k.len());
    let bins: usize = rec.bins.iter().map(bin_size).sum();
    RECORD_HEADER + varint_len(rec.bins.len()) + void_time + set + key + bins
}

/// Flat size of one bin in bytes: name length byte, name, particle.
#[must_use]
pub fn bin_size(bin: &Bin) -> usize {
    1 + bin.name.as_bytes().len() + particle_size(&bin.value)
}

/// Flat size of a particle in bytes, its type byte included.
#[must_use]
pub fn particle_size(value: &Value) -> usize {
    match value {
        Value::Int(v) => 2 + int_width(*v),
        Value::Float(_) => 9,
        Value::Bool(_) => 2,
        Value::Str(b)
        | Value::Blob(b)
        | Value::Hll(b)
        | Value::Map(b)
        | Value::List(b)
        | Value::GeoJson(b) => VARIABLE_PARTICLE_HEADER + b.len(),
    }
}

/// Bytes an integer is stored in: the smallest of 1, 2, 4, 8 holding it unsigned.
fn int_width(v: i64) -> usize {
    match u64::try_from(v) {
        Ok(u) if u <= 0xff => 1,
        Ok(u) if u <= 0xffff => 2,
        Ok(u) if u <= 0xffff_ffff => 4,
        _ => 8,
    }
}

/// Bytes of `n` as an unsigned LEB128 varint (7 bits per byte).
fn varint_len(n: usize) -> usize {
    let bits = usize::BITS - n.leading_zeros();
    usize::try_from(bits.div_ceil(7).max(1)).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(set: &[u8], key: Option<&[u8]>, bins: Vec<Bin>) -> Record {
        Record {
            bins,
            generation: 1,
            void_time: 0,
            last_update_nanos: 0,
            set: set.into(),
            key: key.map(Into::into),
        }
    }

    fn bin(name: &[u8], value: Value) -> Bin {
        Bin { name: crate::value::BinName::new(name).unwrap(), value }
    }

    #[test]
    fn largest_blobs_a_real_server_accepts_fill_one_mib_exactly() {
        let blob = |n| bin(b"z", Value::Blob(vec![0u8; n].as_slice().into()));
        assert_eq!(record_size(&record(b"", None, vec![blob(1_048_529)])), 1 << 20);
        assert_eq!(record_size(&record(b"fix2_a", None, vec![blob(1_048_522)])), 1 << 20);
        let int_key = b"\x01\0\0\0\0\0\0\0\x01".as_slice();
        let sent = record(b"fix2_a", Some(int_key), vec![blob(1_048_512)]);
        assert_eq!(record_size(&sent), 1 << 20);
    }

    #[test]
    fn varints_and_int_widths() {
        assert_eq!([0, 127, 128, 16_383, 16_384].map(varint_len), [1, 1, 2, 2, 3]);
        assert_eq!([0, 255, 256, 65_536, 1 << 32, -1].map(int_width), [1, 1, 2, 4, 8, 8]);
    }
}
