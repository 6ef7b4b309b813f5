//! Bin values and their particle encoding on the wire.

use smallvec::SmallVec;

use crate::error::{OpResult, ResultCode};
use crate::msg::MAX_BIN_NAME_LEN;
use crate::validate;

/// Particle types the server stores and sends.
pub mod particle {
    /// No value (deletes a bin on write).
    pub const NULL: u8 = 0;
    /// 64-bit signed integer, 8 bytes big-endian.
    pub const INTEGER: u8 = 1;
    /// IEEE-754 double, 8 bytes big-endian.
    pub const FLOAT: u8 = 2;
    /// UTF-8 string.
    pub const STRING: u8 = 3;
    /// Raw bytes.
    pub const BLOB: u8 = 4;
    /// Boolean, one byte.
    pub const BOOL: u8 = 17;
    /// HyperLogLog, raw bytes.
    pub const HLL: u8 = 18;
    /// Map, msgpack.
    pub const MAP: u8 = 19;
    /// List, msgpack.
    pub const LIST: u8 = 20;
    /// GeoJSON: flags, cell count, cells, JSON text.
    pub const GEOJSON: u8 = 23;
}

/// Byte payloads up to this many bytes are stored inline, without a heap allocation.
pub const INLINE_BYTES: usize = 16;

/// Bytes of a string, blob, list or map value (short ones inline).
pub type Bytes = SmallVec<[u8; INLINE_BYTES]>;

/// A stored bin value.
///
/// Lists and maps keep their msgpack bytes exactly as the client sent them; the CDT engine
/// (module `cdt`) is the only place that will look inside them.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// 64-bit signed integer.
    Int(i64),
    /// Double.
    Float(f64),
    /// String bytes (UTF-8 as sent; not re-validated).
    Str(Bytes),
    /// Raw bytes.
    Blob(Bytes),
    /// Boolean.
    Bool(bool),
    /// HyperLogLog bytes.
    Hll(Bytes),
    /// Msgpack map, starting with a map marker.
    Map(Bytes),
    /// Msgpack array, starting with an array marker.
    List(Bytes),
    /// GeoJSON particle bytes.
    GeoJson(Bytes),
}

impl Value {
    /// Decodes a particle; `Ok(None)` for NULL.
    ///
    /// Every value that enters the store comes through here (WRITE values, INCR,
    /// APPEND and PREPEND operands), and is checked by [`validate::check_particle`].
    ///
    /// # Errors
    /// `ParameterError` for wrong fixed sizes and for particle types aerospike-py cannot
    /// read back: unknown ones (a real server also answers 4) and the legacy language
    /// blobs 7-12 and vector 16 (a real server stores those; the client panics on
    /// them). Malformed lists and maps give 1, malformed GeoJSON 160, non-UTF-8
    /// strings 4 (see the `validate` module).
    pub fn from_particle(kind: u8, bytes: &[u8]) -> OpResult<Option<Self>> {
        validate::check_particle(kind, bytes)?;
        let value = match kind {
            particle::NULL => return Ok(None),
            particle::INTEGER => Self::Int(i64::from_be_bytes(fixed8(bytes)?)),
            particle::FLOAT => Self::Float(f64::from_be_bytes(fixed8(bytes)?)),
            particle::STRING => Self::Str(Bytes::from_slice(bytes)),
            particle::BLOB => Self::Blob(Bytes::from_slice(bytes)),
            particle::BOOL => match bytes {
                [b] => Self::Bool(*b != 0),
                _ => return Err(ResultCode::ParameterError),
            },
            particle::HLL => Self::Hll(Bytes::from_slice(bytes)),
            particle::MAP => Self::Map(Bytes::from_slice(bytes)),
            particle::LIST => Self::List(Bytes::from_slice(bytes)),
            particle::GEOJSON => Self::GeoJson(Bytes::from_slice(bytes)),
            _ => return Err(ResultCode::ParameterError),
        };
        Ok(Some(value))
    }

    /// The particle type sent for this value.
    #[must_use]
    pub fn particle(&self) -> u8 {
        match self {
            Self::Int(_) => particle::INTEGER,
            Self::Float(_) => particle::FLOAT,
            Self::Str(_) => particle::STRING,
            Self::Blob(_) => particle::BLOB,
            Self::Bool(_) => particle::BOOL,
            Self::Hll(_) => particle::HLL,
            Self::Map(_) => particle::MAP,
            Self::List(_) => particle::LIST,
            Self::GeoJson(_) => particle::GEOJSON,
        }
    }

    /// Length of the particle payload in bytes.
    #[must_use]
    pub fn payload_len(&self) -> usize {
        match self {
            Self::Int(_) | Self::Float(_) => 8,
            Self::Bool(_) => 1,
            Self::Str(b)
            | Self::Blob(b)
            | Self::Hll(b)
            | Self::Map(b)
            | Self::List(b)
            | Self::GeoJson(b) => b.len(),
        }
    }

    /// Appends the particle payload to `out`.
    pub fn write_payload(&self, out: &mut Vec<u8>) {
        match self {
            Self::Int(i) => out.extend_from_slice(&i.to_be_bytes()),
            Self::Float(f) => out.extend_from_slice(&f.to_be_bytes()),
            Self::Bool(b) => out.push(u8::from(*b)),
            Self::Str(b)
            | Self::Blob(b)
            | Self::Hll(b)
            | Self::Map(b)
            | Self::List(b)
            | Self::GeoJson(b) => out.extend_from_slice(b),
        }
    }
}

fn fixed8(bytes: &[u8]) -> OpResult<[u8; 8]> {
    bytes.try_into().map_err(|_| ResultCode::ParameterError)
}

/// A bin name of at most 15 bytes, stored inline (no heap allocation per bin).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BinName {
    len: u8,
    bytes: [u8; MAX_BIN_NAME_LEN],
}

impl BinName {
    /// Wraps `name`.
    ///
    /// # Errors
    /// `BinNameTooLong` if `name` is longer than 15 bytes.
    pub fn new(name: &[u8]) -> OpResult<Self> {
        let len = u8::try_from(name.len()).map_err(|_| ResultCode::BinNameTooLong)?;
        let mut bytes = [0u8; MAX_BIN_NAME_LEN];
        bytes.get_mut(..name.len()).ok_or(ResultCode::BinNameTooLong)?.copy_from_slice(name);
        Ok(Self { len, bytes })
    }

    /// The name's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl std::fmt::Debug for BinName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// One named bin.
#[derive(Clone, Debug, PartialEq)]
pub struct Bin {
    /// Bin name.
    pub name: BinName,
    /// Bin value.
    pub value: Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_particle_round_trips() {
        let v = Value::from_particle(particle::INTEGER, &(-5i64).to_be_bytes()).unwrap().unwrap();
        assert_eq!(v, Value::Int(-5));
        let mut out = Vec::new();
        v.write_payload(&mut out);
        assert_eq!(out, (-5i64).to_be_bytes());
        assert_eq!(v.payload_len(), 8);
    }

    #[test]
    fn bad_particles_are_parameter_errors() {
        let cases: [(u8, &[u8], ResultCode); 10] = [
            (particle::INTEGER, &[1, 2], ResultCode::ParameterError),
            (particle::BOOL, &[], ResultCode::ParameterError),
            (particle::LIST, &[0x80], ResultCode::ServerError),
            (particle::MAP, &[0x90], ResultCode::ServerError),
            (particle::LIST, &[], ResultCode::ServerError),
            (particle::LIST, &[0x9f, 0x01], ResultCode::ServerError),
            (particle::STRING, &[0xff], ResultCode::ParameterError),
            (particle::GEOJSON, b"garbage", ResultCode::GeoInvalidGeojson),
            (8, &[1], ResultCode::ParameterError),
            (99, &[1], ResultCode::ParameterError),
        ];
        for (kind, bytes, code) in cases {
            assert_eq!(Value::from_particle(kind, bytes), Err(code), "type {kind}");
        }
    }

    #[test]
    fn null_is_none_and_list_is_kept_verbatim() {
        assert_eq!(Value::from_particle(particle::NULL, &[]), Ok(None));
        let list = [0x92, 0x01, 0x02];
        let v = Value::from_particle(particle::LIST, &list).unwrap().unwrap();
        assert_eq!(v, Value::List(Bytes::from_slice(&list)));
        assert_eq!(v.particle(), particle::LIST);
    }

    #[test]
    fn values_and_bins_stay_small() {
        assert!(std::mem::size_of::<Value>() <= 32);
        assert!(std::mem::size_of::<Bin>() <= 48);
    }

    #[test]
    fn bin_names_are_limited_to_15_bytes() {
        assert_eq!(BinName::new(b"fifteen-bytes!!").unwrap().as_bytes(), b"fifteen-bytes!!");
        assert_eq!(BinName::new(b"sixteen-bytes!!!"), Err(ResultCode::BinNameTooLong));
    }
}
