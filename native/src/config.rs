//! Server settings with their limits and safe defaults.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::StartError;

/// Default bound on a request body: 128 MiB.
///
/// The client refuses to build a buffer above 120 MiB (plus its 8-byte header), so no
/// legitimate request is larger; anything above this is refused before any allocation.
pub const DEFAULT_MAX_FRAME_BYTES: u64 = 128 * 1024 * 1024;

/// Default cap on simultaneously open client connections: 15,000, the default
/// `proto-fd-max` of a real Aerospike server.
///
/// At start the process's open-file soft limit is raised (up to the hard limit) to fit
/// it; if it cannot be, the cap is lowered to what fits and a warning is logged once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 15_000;

/// Default cap on the keys of one batch request: 0, no limit.
///
/// A real server's `batch-max-requests` defaults to 0 (no limit) and, when set, fails a
/// larger batch as a whole with code 151. Without a cap a batch is still bounded by
/// `max_frame_bytes` (each key takes at least 25 bytes), and its answers are streamed in
/// chunks rather than held in memory.
pub const DEFAULT_MAX_BATCH_KEYS: u32 = 0;

/// Default maximum record size in bytes (the CE default `max-record-size`, 1 MiB).
pub const DEFAULT_MAX_RECORD_SIZE: usize = 1024 * 1024;

/// Smallest `max_record_size` accepted, in bytes (a real server's `MIN_MAX_RECORD_SIZE`).
pub const MIN_RECORD_SIZE_LIMIT: usize = 64;
/// Largest `max_record_size` accepted, in bytes: 8 MiB, a real server's write-block size.
pub const MAX_RECORD_SIZE_LIMIT: usize = 8 * 1024 * 1024;

/// Default time allowed to receive the rest of a started frame: 30 seconds.
pub const DEFAULT_FRAME_TIMEOUT: Duration = Duration::from_secs(30);

/// Default period of the background expiry sweep: 1 second.
///
/// A real server's `nsup-period` defaults to 0 (no sweep, and writes with a TTL are then
/// refused); servers that accept TTLs typically sweep every 120 s. One second keeps the
/// "delete of an expired record answers OK until the sweep" window short for tests.
pub const DEFAULT_NSUP_PERIOD: Duration = Duration::from_secs(1);

/// Longest TTL accepted on a write: ten years, in seconds.
pub const MAX_TTL_SECS: u32 = 315_360_000;

/// Longest namespace name accepted, in bytes (Aerospike's limit is 31).
pub const MAX_NAMESPACE_LEN: usize = 31;

/// Everything needed to start a server.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Address to listen on; loopback unless `allow_non_loopback` is set.
    pub host: String,
    /// TCP port; 0 lets the OS choose.
    pub port: u16,
    /// Namespaces served, in the order `namespaces` lists them.
    pub namespaces: Vec<String>,
    /// Answer to `cluster-name`; `None` answers `null`, which clients that set no name accept.
    pub cluster_name: Option<String>,
    /// TTL in seconds applied when a write asks for the namespace default; 0 = never expire.
    pub default_ttl: u32,
    /// Per-namespace replacements of `default_ttl`, in seconds.
    pub namespace_ttls: Vec<(String, u32)>,
    /// Largest record accepted, in bytes (bins, names, set name and stored key included).
    pub max_record_size: usize,
    /// Per-namespace replacements of `max_record_size`, in bytes.
    pub namespace_record_sizes: Vec<(String, usize)>,
    /// Directory whose logs keep the records across restarts; `None` keeps them in
    /// memory only.
    pub data_dir: Option<PathBuf>,
    /// With `data_dir`: flush each change to the device (`fdatasync`) before answering,
    /// so it survives a power loss; without it a change survives a crash of the server
    /// process (it is in the OS page cache before the answer), not of the machine.
    pub fsync: bool,
    /// With `data_dir`: start from the intact prefix of a log damaged before intact
    /// entries (keeping a backup) instead of refusing to start.
    pub repair_log: bool,
    /// Period of the background sweep that removes expired records; zero turns it off.
    pub nsup_period: Duration,
    /// Initial offset of the server clock from the system time, in nanoseconds.
    pub clock_offset_nanos: i64,
    /// Largest request body accepted, in bytes; larger frames close the connection.
    pub max_frame_bytes: u64,
    /// Connections beyond this many are accepted and closed at once.
    pub max_connections: usize,
    /// Most keys one batch request may carry; a larger batch fails as a whole with code
    /// 151. 0 (the default) sets no limit beyond `max_frame_bytes`.
    pub max_batch_keys: u32,
    /// Closes a connection that has sent nothing for this long between requests;
    /// `None` (the default) keeps idle connections open for ever, as clients expect.
    pub idle_timeout: Option<Duration>,
    /// Permits binding an address other than loopback (there is no authentication).
    pub allow_non_loopback: bool,
    /// Time allowed for a whole frame (header and body) once its first byte arrived; a
    /// peer that has not sent all of it by then is disconnected, however it paces its
    /// bytes. Idle connections (between frames) are governed by `idle_timeout`.
    pub frame_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 0,
            namespaces: vec!["test".to_owned()],
            cluster_name: None,
            default_ttl: 0,
            namespace_ttls: Vec::new(),
            max_record_size: DEFAULT_MAX_RECORD_SIZE,
            namespace_record_sizes: Vec::new(),
            data_dir: None,
            fsync: false,
            repair_log: false,
            nsup_period: DEFAULT_NSUP_PERIOD,
            clock_offset_nanos: 0,
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_batch_keys: DEFAULT_MAX_BATCH_KEYS,
            idle_timeout: None,
            allow_non_loopback: false,
            frame_timeout: DEFAULT_FRAME_TIMEOUT,
        }
    }
}

impl ServerConfig {
    /// Checks every setting and returns the address to bind.
    ///
    /// # Errors
    /// `StartError::Config` naming the bad value and how to fix it.
    pub fn validate(&self) -> Result<IpAddr, StartError> {
        let addr = self.parse_host()?;
        self.check_namespaces()?;
        crate::clock::check_offset_nanos(self.clock_offset_nanos).map_err(config_error)?;
        self.check_ttls()?;
        self.check_record_sizes()?;
        if self.max_frame_bytes < 1024 {
            return Err(config_error(format!(
                "max_frame_bytes {} is below 1024 bytes; pass a larger value",
                self.max_frame_bytes
            )));
        }
        if self.frame_timeout.is_zero() {
            return Err(config_error("frame_timeout must be above zero".to_owned()));
        }
        if self.idle_timeout.is_some_and(|t| t.is_zero()) {
            return Err(config_error(
                "idle_timeout must be above zero; pass None to keep idle connections".to_owned(),
            ));
        }
        if self.max_connections == 0 {
            return Err(config_error("max_connections must be at least 1".to_owned()));
        }
        Ok(addr)
    }

    fn parse_host(&self) -> Result<IpAddr, StartError> {
        let host = if self.host == "localhost" { "127.0.0.1" } else { self.host.as_str() };
        let addr: IpAddr = host.parse().map_err(|_| {
            config_error(format!(
                "host {:?} is not an IP address; pass e.g. \"127.0.0.1\"",
                self.host
            ))
        })?;
        if !addr.is_loopback() && !self.allow_non_loopback {
            return Err(config_error(format!(
                "refusing to listen on non-loopback address {addr}: the server has no \
                 authentication; pass allow_non_loopback=True to do it anyway"
            )));
        }
        Ok(addr)
    }

    /// The default TTL of namespace `name`, in seconds (0 = never expire).
    #[must_use]
    pub fn default_ttl_for(&self, name: &str) -> u32 {
        let special = self.namespace_ttls.iter().find(|(ns, _)| ns == name);
        special.map_or(self.default_ttl, |(_, ttl)| *ttl)
    }

    /// The record size limit of namespace `name`, in bytes.
    #[must_use]
    pub fn max_record_size_for(&self, name: &str) -> usize {
        let special = self.namespace_record_sizes.iter().find(|(ns, _)| ns == name);
        special.map_or(self.max_record_size, |(_, size)| *size)
    }

    fn check_record_sizes(&self) -> Result<(), StartError> {
        let all = std::iter::once((None, self.max_record_size));
        let each = self.namespace_record_sizes.iter().map(|(ns, size)| (Some(ns.as_str()), *size));
        for (ns, size) in all.chain(each) {
            let size = i128::try_from(size).unwrap_or(i128::MAX);
            to_max_record_size(ns, size).map_err(config_error)?;
        }
        self.check_named_namespaces("max_record_size", &self.namespace_record_sizes)
    }

    fn check_ttls(&self) -> Result<(), StartError> {
        let all = std::iter::once((None, self.default_ttl));
        let each = self.namespace_ttls.iter().map(|(ns, ttl)| (Some(ns.as_str()), *ttl));
        for (ns, ttl) in all.chain(each) {
            to_default_ttl(ns, i128::from(ttl)).map_err(config_error)?;
        }
        self.check_named_namespaces("default_ttl", &self.namespace_ttls)
    }

    /// Refuses a per-namespace `setting` naming a namespace that is not served.
    fn check_named_namespaces<T>(
        &self,
        setting: &str,
        values: &[(String, T)],
    ) -> Result<(), StartError> {
        match values.iter().find(|(ns, _)| !self.namespaces.contains(ns)) {
            Some((ns, _)) => Err(config_error(format!(
                "{setting} names namespace {ns:?}, which is not served; add it to namespaces"
            ))),
            None => Ok(()),
        }
    }

    fn check_namespaces(&self) -> Result<(), StartError> {
        if self.namespaces.is_empty() {
            return Err(config_error(
                "namespaces is empty; pass at least one, e.g. [\"test\"]".into(),
            ));
        }
        for (i, ns) in self.namespaces.iter().enumerate() {
            let bad_char = ns.bytes().any(|b| matches!(b, b':' | b';' | b'\t' | b'\n' | b'='));
            if ns.is_empty() || ns.len() > MAX_NAMESPACE_LEN || bad_char {
                return Err(config_error(format!(
                    "namespace {ns:?} is invalid; use 1-{MAX_NAMESPACE_LEN} bytes without :;=, \
                     tabs or newlines"
                )));
            }
            if self.namespaces[..i].contains(ns) {
                return Err(config_error(format!("namespace {ns:?} is listed twice")));
            }
        }
        Ok(())
    }
}

/// `value` as a default TTL in seconds, if within 0..=[`MAX_TTL_SECS`] (10 years).
///
/// # Errors
/// A message naming the setting, the namespace (`None`: every namespace), the value and
/// the allowed range.
pub fn to_default_ttl(ns: Option<&str>, value: i128) -> Result<u32, String> {
    u32::try_from(value).ok().filter(|ttl| *ttl <= MAX_TTL_SECS).ok_or_else(|| {
        format!(
            "default_ttl {value}{} is out of range; pass 0 to {MAX_TTL_SECS} seconds (10 \
             years; 0 = never expire)",
            scope(ns)
        )
    })
}

/// `value` as a record size limit in bytes, if within a real server's `max-record-size`
/// range, [`MIN_RECORD_SIZE_LIMIT`]..=[`MAX_RECORD_SIZE_LIMIT`] (64 B to 8 MiB).
///
/// # Errors
/// A message naming the setting, the namespace, the value and the allowed range.
pub fn to_max_record_size(ns: Option<&str>, value: i128) -> Result<usize, String> {
    let range = MIN_RECORD_SIZE_LIMIT..=MAX_RECORD_SIZE_LIMIT;
    usize::try_from(value).ok().filter(|size| range.contains(size)).ok_or_else(|| {
        format!(
            "max_record_size {value}{} is out of range; pass {MIN_RECORD_SIZE_LIMIT} to \
             {MAX_RECORD_SIZE_LIMIT} bytes (a real server's max-record-size range)",
            scope(ns)
        )
    })
}

fn scope(ns: Option<&str>) -> String {
    ns.map_or_else(String::new, |ns| format!(" for namespace {ns:?}"))
}

fn config_error(msg: String) -> StartError {
    StartError::Config(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_valid() {
        assert!(ServerConfig::default().validate().is_ok());
    }

    #[test]
    fn non_loopback_needs_explicit_flag() {
        let mut cfg = ServerConfig { host: "0.0.0.0".into(), ..ServerConfig::default() };
        assert!(cfg.validate().is_err());
        cfg.allow_non_loopback = true;
        assert!(cfg.validate().is_ok());
    }

    #[test]
    fn per_namespace_ttls_override_the_default() {
        let cfg = ServerConfig {
            namespaces: vec!["a".into(), "b".into()],
            default_ttl: 5,
            namespace_ttls: vec![("b".into(), 7)],
            ..ServerConfig::default()
        };
        assert!(cfg.validate().is_ok());
        assert_eq!((cfg.default_ttl_for("a"), cfg.default_ttl_for("b")), (5, 7));
        let unknown = ServerConfig { namespace_ttls: vec![("zz".into(), 1)], ..cfg.clone() };
        assert!(unknown.validate().is_err());
        let ttls = vec![("a".into(), MAX_TTL_SECS + 1)];
        let too_long = ServerConfig { namespace_ttls: ttls, ..cfg };
        assert!(too_long.validate().is_err());
    }

    #[test]
    fn bad_namespaces_are_refused() {
        let cases: [Vec<String>; 4] =
            [vec![], vec![String::new()], vec!["a;b".into()], vec!["x".into(), "x".into()]];
        for bad in cases {
            let cfg = ServerConfig { namespaces: bad, ..ServerConfig::default() };
            assert!(cfg.validate().is_err());
        }
    }

    #[test]
    fn ranges_are_the_real_servers() {
        assert_eq!(to_default_ttl(None, 0), Ok(0));
        assert_eq!(to_default_ttl(None, i128::from(MAX_TTL_SECS)), Ok(MAX_TTL_SECS));
        let err = to_default_ttl(Some("t"), -5).unwrap_err();
        assert!(err.starts_with("default_ttl -5 for namespace \"t\" is out of range"), "{err}");
        assert!(to_default_ttl(None, i128::from(MAX_TTL_SECS) + 1).is_err());
        assert_eq!(to_max_record_size(None, 64), Ok(64));
        assert_eq!(to_max_record_size(None, 8 << 20), Ok(8 << 20));
        assert!(to_max_record_size(None, 63).is_err());
        assert!(to_max_record_size(None, (8 << 20) + 1).is_err());
    }
}
