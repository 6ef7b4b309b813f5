//! Multi-message replies (batch and scan): records are grouped into proto messages of
//! about `CHUNK_BYTES`, split only between records, and closed by a LAST marker.

use std::io::{self, Write};

use crate::frame::{patch_header, PROTO_HEADER_LEN, TYPE_MSG};
use crate::msg::{info3, put_header, MsgHeader};

/// Body size at which a proto message is sent, in bytes (records are never split, so a
/// message may exceed this by one record).
pub const CHUNK_BYTES: usize = 1 << 20;

/// Builds and sends a stream of AS_MSG proto messages.
#[derive(Debug)]
pub struct ReplyStream<'w, W: Write> {
    sink: &'w mut W,
    buf: &'w mut Vec<u8>,
}

impl<'w, W: Write> ReplyStream<'w, W> {
    /// Starts a stream that writes to `sink`, reusing `buf` as scratch space.
    pub fn new(sink: &'w mut W, buf: &'w mut Vec<u8>) -> Self {
        buf.clear();
        buf.resize(PROTO_HEADER_LEN, 0);
        Self { sink, buf }
    }

    /// The buffer records are appended to.
    pub fn body(&mut self) -> &mut Vec<u8> {
        self.buf
    }

    /// Sends the pending records once they reach `CHUNK_BYTES`.
    ///
    /// # Errors
    /// Socket write errors.
    pub fn flush_if_full(&mut self) -> io::Result<()> {
        if self.buf.len() - PROTO_HEADER_LEN >= CHUNK_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Sends the pending records, if any (never an empty proto message).
    ///
    /// # Errors
    /// Socket write errors.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.buf.len() > PROTO_HEADER_LEN {
            patch_header(self.buf, 0, TYPE_MSG);
            self.sink.write_all(self.buf)?;
            self.buf.truncate(PROTO_HEADER_LEN);
        }
        Ok(())
    }

    /// Appends the LAST marker carrying `result_code` and sends everything.
    ///
    /// # Errors
    /// Socket write errors.
    pub fn finish(mut self, result_code: u8) -> io::Result<()> {
        let last = MsgHeader { info3: info3::LAST, result_code, ..MsgHeader::default() };
        put_header(self.buf, &last);
        self.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_stream_is_one_message_with_the_last_marker() {
        let mut sink = Vec::new();
        let mut buf = Vec::new();
        ReplyStream::new(&mut sink, &mut buf).finish(0).unwrap();
        assert_eq!(sink.len(), 8 + 22);
        assert_eq!(&sink[..8], &[2, 3, 0, 0, 0, 0, 0, 22]);
        assert_eq!(sink[8 + 3], info3::LAST);
    }

    #[test]
    fn large_streams_split_between_records() {
        let mut sink = Vec::new();
        let mut buf = Vec::new();
        let mut stream = ReplyStream::new(&mut sink, &mut buf);
        for _ in 0..3 {
            stream.body().extend(std::iter::repeat_n(7u8, CHUNK_BYTES / 2 + 1));
            stream.flush_if_full().unwrap();
        }
        stream.finish(0).unwrap();
        let first_len =
            u64::from_be_bytes([0, 0, sink[2], sink[3], sink[4], sink[5], sink[6], sink[7]]);
        assert_eq!(usize::try_from(first_len).unwrap(), 2 * (CHUNK_BYTES / 2 + 1));
        let second = 8 + usize::try_from(first_len).unwrap();
        assert_eq!(sink[second], 2);
        assert_eq!(sink.len(), second + 8 + CHUNK_BYTES / 2 + 1 + 22);
    }
}
