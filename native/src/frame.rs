//! The 8-byte proto header that frames every message, and reading whole frames safely.

use std::io::{self, Read};

/// Protocol version byte every message starts with.
pub const PROTO_VERSION: u8 = 2;
/// Proto type of info (text) messages.
pub const TYPE_INFO: u8 = 1;
/// Proto type of security/admin messages (login).
pub const TYPE_ADMIN: u8 = 2;
/// Proto type of AS_MSG (record) messages.
pub const TYPE_MSG: u8 = 3;
/// Size of the proto header in bytes.
pub const PROTO_HEADER_LEN: usize = 8;
/// Largest body length the 48-bit size field can express.
const MAX_WIRE_LEN: u64 = (1 << 48) - 1;

/// A decoded proto header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProtoHeader {
    /// Protocol version (2 for every valid message).
    pub version: u8,
    /// Message type (`TYPE_INFO`, `TYPE_ADMIN`, `TYPE_MSG`, ...).
    pub kind: u8,
    /// Body length in bytes, not counting the header.
    pub len: u64,
}

impl ProtoHeader {
    /// Decodes the 8 header bytes.
    #[must_use]
    pub fn parse(bytes: [u8; PROTO_HEADER_LEN]) -> Self {
        let mut len_bytes = [0u8; 8];
        len_bytes[2..].copy_from_slice(&bytes[2..]);
        Self { version: bytes[0], kind: bytes[1], len: u64::from_be_bytes(len_bytes) }
    }
}

/// Encodes a proto header for a body of `len` bytes.
///
/// # Panics
/// Never for bodies the server builds: they stay far below the 48-bit limit (256 TiB).
#[must_use]
pub fn encode_header(kind: u8, len: usize) -> [u8; PROTO_HEADER_LEN] {
    let len = u64::try_from(len).unwrap_or(MAX_WIRE_LEN).min(MAX_WIRE_LEN);
    let mut out = len.to_be_bytes();
    out[0] = PROTO_VERSION;
    out[1] = kind;
    out
}

/// Writes the proto header for the body that follows it into `buf[start..start + 8]`.
///
/// `buf[start..start + 8]` must have been reserved (e.g. with zeros) before the body.
pub fn patch_header(buf: &mut [u8], start: usize, kind: u8) {
    let body_len = buf.len() - start - PROTO_HEADER_LEN;
    buf[start..start + PROTO_HEADER_LEN].copy_from_slice(&encode_header(kind, body_len));
}

/// What reading one frame produced.
#[derive(Clone, Copy, Debug)]
pub enum Frame {
    /// A complete message: header plus body (body left in the caller's buffer).
    Message(ProtoHeader),
    /// The peer closed the connection cleanly between messages.
    Closed,
    /// The header declares more than the configured limit; nothing was allocated.
    TooLarge(ProtoHeader),
}

/// Reads one frame from `reader`, putting the body into `body` (cleared first).
///
/// The body grows only as bytes actually arrive, so a peer announcing a huge size and
/// sending little cannot make the server allocate the announced size.
///
/// # Errors
/// I/O errors, including `UnexpectedEof` when the peer closes in the middle of a frame.
pub fn read_frame(reader: &mut impl Read, body: &mut Vec<u8>, max_len: u64) -> io::Result<Frame> {
    let mut head = [0u8; PROTO_HEADER_LEN];
    if !read_header(reader, &mut head)? {
        return Ok(Frame::Closed);
    }
    let header = ProtoHeader::parse(head);
    if header.len > max_len {
        return Ok(Frame::TooLarge(header));
    }
    body.clear();
    let got = reader.take(header.len).read_to_end(body)?;
    if u64::try_from(got).unwrap_or(u64::MAX) != header.len {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(Frame::Message(header))
}

/// Fills `head`; returns false on a clean close before the first byte.
fn read_header(reader: &mut impl Read, head: &mut [u8; PROTO_HEADER_LEN]) -> io::Result<bool> {
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_captured_info_header() {
        let h = ProtoHeader::parse([0x02, 0x01, 0, 0, 0, 0, 0, 0x2a]);
        assert_eq!(h, ProtoHeader { version: 2, kind: 1, len: 42 });
    }

    #[test]
    fn encodes_captured_reply_header() {
        assert_eq!(encode_header(TYPE_MSG, 0x16), [2, 3, 0, 0, 0, 0, 0, 0x16]);
    }

    #[test]
    fn reads_a_frame_and_then_clean_close() {
        let mut data: &[u8] = &[2, 1, 0, 0, 0, 0, 0, 5, b'b', b'u', b'i', b'l', b'd'];
        let mut body = Vec::new();
        let frame = read_frame(&mut data, &mut body, 100).unwrap();
        assert!(matches!(frame, Frame::Message(ProtoHeader { len: 5, .. })));
        assert_eq!(body, b"build");
        assert!(matches!(read_frame(&mut data, &mut body, 100).unwrap(), Frame::Closed));
    }

    #[test]
    fn refuses_oversized_frame_without_reading_it() {
        let mut data: &[u8] = &[2, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        let mut body = Vec::new();
        let frame = read_frame(&mut data, &mut body, 1 << 20).unwrap();
        assert!(matches!(frame, Frame::TooLarge(_)));
        assert_eq!(body.capacity(), 0);
    }

    #[test]
    fn truncated_header_and_body_are_eof() {
        let mut body = Vec::new();
        let mut short: &[u8] = &[2, 3, 0];
        assert!(read_frame(&mut short, &mut body, 100).is_err());
        let mut cut: &[u8] = &[2, 3, 0, 0, 0, 0, 0, 9, 1, 2];
        assert!(read_frame(&mut cut, &mut body, 100).is_err());
    }
}
