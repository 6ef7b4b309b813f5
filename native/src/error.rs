//! Result codes answered on the wire, and errors raised while starting the server.

use std::fmt;

/// An Aerospike result code that a request can fail with.
///
/// The discriminants are the codes sent in byte 5 of the AS_MSG header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ResultCode {
    /// Generic server failure.
    ServerError = 1,
    /// The record does not exist (or has expired).
    KeyNotFound = 2,
    /// The expected generation did not match.
    GenerationError = 3,
    /// Malformed request or illegal combination of ops and flags.
    ParameterError = 4,
    /// Create-only write on an existing record.
    KeyExists = 5,
    /// Arithmetic or concatenation on a bin of the wrong type.
    BinTypeError = 12,
    /// The record would exceed the configured maximum size.
    RecordTooBig = 13,
    /// The request needs a feature this server does not implement.
    UnsupportedFeature = 16,
    /// The sent user key differs from the stored one.
    KeyMismatch = 19,
    /// The namespace is not served.
    InvalidNamespace = 20,
    /// A bin name is longer than 15 bytes.
    BinNameTooLong = 21,
    /// A map element that a list or map op requires is missing (update-only writes).
    ElementNotFound = 23,
    /// A list or map element already exists (create-only or add-unique writes).
    ElementExists = 24,
    /// The request needs the Enterprise Edition (durable deletes).
    EnterpriseOnly = 25,
    /// A list or map op does not apply (index out of range, op not allowed on the order).
    OpNotApplicable = 26,
    /// A filter expression excluded the record.
    FilteredOut = 27,
    /// A batch has more keys than the server's batch key limit allows.
    BatchMaxRequests = 151,
    /// A GeoJSON value is malformed (cells overrun it, or the text is not a JSON object).
    GeoInvalidGeojson = 160,
    /// An index with this name exists with another definition.
    IndexFound = 200,
    /// A query needs a secondary index that does not exist.
    IndexNotFound = 201,
}

impl ResultCode {
    /// The code as sent on the wire.
    #[must_use]
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// Shorthand for results of request handling.
pub type OpResult<T> = Result<T, ResultCode>;

/// A failure to configure or start the server, shown to Python as `ServerError`.
#[derive(Debug)]
pub enum StartError {
    /// A configuration value is out of range; the message names the fix.
    Config(String),
    /// The listening socket could not be opened.
    Bind(String),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(msg) | Self::Bind(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for StartError {}
