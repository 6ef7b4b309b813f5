//! Python bindings of the embedded Aerospike-compatible server (`aerorepo._native`).
//!
//! Only argument conversion lives here; the server itself is plain Rust in the other
//! modules and speaks nothing but the Aerospike wire protocol.

pub mod batch;
pub mod cdt;
pub mod clock;
pub mod config;
pub mod error;
pub mod expr;
pub mod fd_limit;
pub mod flat_size;
pub mod frame;
pub mod info;
pub mod msg;
pub mod persist;
pub mod record_ops;
pub mod scan;
pub mod server;
pub mod sindex;
pub mod store;
pub mod stream;
pub mod validate;
pub mod value;

#[cfg(test)]
mod test_support;

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt};

use crate::config::{
    ServerConfig, DEFAULT_FRAME_TIMEOUT, DEFAULT_MAX_BATCH_KEYS, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_RECORD_SIZE, DEFAULT_NSUP_PERIOD,
};
use crate::error::StartError;

create_exception!(
    _native,
    ServerError,
    PyException,
    "The embedded server could not start (bad setting or address in use)."
);

/// A setting from Python: one value for every namespace, or one per namespace.
enum PerNamespace<T> {
    All(T),
    Each(Vec<(String, T)>),
}

impl<T: Copy> PerNamespace<T> {
    /// Reads `None` (giving `All(default)`), an int, or a dict {namespace: int}, each value
    /// checked by `convert`, which names the setting, value and range when it refuses.
    fn from_py(
        obj: Option<&Bound<'_, PyAny>>,
        default: T,
        convert: impl Fn(Option<&str>, i128) -> Result<T, String>,
    ) -> PyResult<Self> {
        let Some(obj) = obj else { return Ok(Self::All(default)) };
        let Ok(dict) = obj.cast::<PyDict>() else {
            return Ok(Self::All(checked(None, obj, &convert)?));
        };
        let mut each = Vec::with_capacity(dict.len());
        for (ns, value) in dict.iter() {
            let ns: String = ns.extract()?;
            let value = checked(Some(&ns), &value, &convert)?;
            each.push((ns, value));
        }
        Ok(Self::Each(each))
    }

    /// The value for namespaces without their own, `fallback` for a mapping.
    fn all(&self, fallback: T) -> T {
        match self {
            Self::All(value) => *value,
            Self::Each(_) => fallback,
        }
    }

    fn each(self) -> Vec<(String, T)> {
        match self {
            Self::All(_) => Vec::new(),
            Self::Each(each) => each,
        }
    }
}

/// `obj` converted by `convert`; a refusal becomes a `ServerError` showing the int as given.
fn checked<T>(
    ns: Option<&str>,
    obj: &Bound<'_, PyAny>,
    convert: impl Fn(Option<&str>, i128) -> Result<T, String>,
) -> PyResult<T> {
    let value = int_value(obj)?;
    convert(ns, value).map_err(|msg| {
        // A saturated value stands for a larger int: show the one that was passed.
        let shown = obj.str().map_or_else(|_| value.to_string(), |s| s.to_string());
        ServerError::new_err(msg.replacen(&value.to_string(), &shown, 1))
    })
}

/// An int setting as `i128`; ints beyond that range saturate (the range check refuses
/// them), anything else is a `TypeError`.
fn int_value(obj: &Bound<'_, PyAny>) -> PyResult<i128> {
    if let Ok(value) = obj.extract::<i128>() {
        return Ok(value);
    }
    if obj.is_instance_of::<PyInt>() {
        let negative = obj.lt(0)?;
        return Ok(if negative { i128::MIN } else { i128::MAX });
    }
    Err(PyTypeError::new_err(format!(
        "expected an int or a dict {{namespace: int}}, not {}",
        obj.get_type().name()?
    )))
}

/// Nanoseconds in `secs` seconds, refusing values that are not finite or out of range.
fn nanos(name: &str, secs: f64) -> PyResult<i64> {
    let value = (secs * 1e9).round();
    if value.is_finite() && value.abs() < 9.2e18 {
        #[allow(clippy::cast_possible_truncation)] // range checked just above
        return Ok(value as i64);
    }
    Err(ServerError::new_err(format!(
        "{name} {secs} is not a finite number of seconds within ±290 years; pass e.g. 3600"
    )))
}

/// A running server; see `aerorepo/_native.pyi` for the Python documentation.
#[pyclass(name = "Server", module = "aerorepo._native", frozen)]
struct PyServer {
    inner: Mutex<server::Server>,
    host: String,
    port: u16,
}

#[pymethods]
impl PyServer {
    #[new]
    #[pyo3(signature = (
        host = "127.0.0.1".to_owned(),
        port = 0,
        namespaces = vec!["test".to_owned()],
        *,
        cluster_name = None,
        default_ttl = None,
        max_record_size = None,
        max_frame_bytes = DEFAULT_MAX_FRAME_BYTES,
        max_connections = DEFAULT_MAX_CONNECTIONS,
        max_batch_keys = DEFAULT_MAX_BATCH_KEYS,
        allow_non_loopback = false,
        frame_timeout = DEFAULT_FRAME_TIMEOUT.as_secs_f64(),
        idle_timeout = None,
        data_dir = None,
        fsync = false,
        repair_log = false,
        nsup_period = DEFAULT_NSUP_PERIOD.as_secs_f64(),
        clock_offset = 0.0,
    ))]
    #[pyo3(text_signature = "(host='127.0.0.1', port=0, namespaces=['test'], *, \
        cluster_name=None, default_ttl=0, max_record_size=1048576, max_frame_bytes=134217728, \
        max_connections=15000, max_batch_keys=0, allow_non_loopback=False, \
        frame_timeout=30.0, idle_timeout=None, data_dir=None, fsync=False, repair_log=False, \
        nsup_period=1.0, clock_offset=0.0)")]
    #[allow(clippy::too_many_arguments)] // mirrors the Python keyword arguments one to one
    fn new(
        py: Python<'_>,
        host: String,
        port: u16,
        namespaces: Vec<String>,
        cluster_name: Option<String>,
        default_ttl: Option<&Bound<'_, PyAny>>,
        max_record_size: Option<&Bound<'_, PyAny>>,
        max_frame_bytes: u64,
        max_connections: usize,
        max_batch_keys: u32,
        allow_non_loopback: bool,
        frame_timeout: f64,
        idle_timeout: Option<f64>,
        data_dir: Option<PathBuf>,
        fsync: bool,
        repair_log: bool,
        nsup_period: f64,
        clock_offset: f64,
    ) -> PyResult<Self> {
        let default_ttl = PerNamespace::from_py(default_ttl, 0, config::to_default_ttl)?;
        let max_record_size = PerNamespace::from_py(
            max_record_size,
            DEFAULT_MAX_RECORD_SIZE,
            config::to_max_record_size,
        )?;
        let frame_timeout = seconds("frame_timeout", frame_timeout)?;
        let nsup_period =
            if nsup_period == 0.0 { Duration::ZERO } else { seconds("nsup_period", nsup_period)? };
        let idle_timeout = idle_timeout.map(|t| seconds("idle_timeout", t)).transpose()?;
        let config = ServerConfig {
            host,
            port,
            namespaces,
            cluster_name,
            default_ttl: default_ttl.all(0),
            namespace_ttls: default_ttl.each(),
            max_record_size: max_record_size.all(DEFAULT_MAX_RECORD_SIZE),
            namespace_record_sizes: max_record_size.each(),
            data_dir,
            fsync,
            repair_log,
            nsup_period,
            clock_offset_nanos: nanos("clock_offset", clock_offset)?,
            max_frame_bytes,
            max_connections,
            max_batch_keys,
            allow_non_loopback,
            frame_timeout,
            idle_timeout,
        };
        let server = py.detach(|| server::Server::start(config)).map_err(|e| to_py_error(&e))?;
        let addr = server.local_addr();
        Ok(Self { inner: Mutex::new(server), host: addr.ip().to_string(), port: addr.port() })
    }

    #[getter]
    fn port(&self) -> u16 {
        self.port
    }

    #[getter]
    fn host(&self) -> &str {
        &self.host
    }

    fn stop(&self, py: Python<'_>) {
        py.detach(|| lock_server(&self.inner).stop());
    }

    fn is_running(&self) -> bool {
        lock_server(&self.inner).is_running()
    }

    fn advance_clock(&self, seconds: f64) -> PyResult<()> {
        let delta = nanos("seconds", seconds)?;
        lock_server(&self.inner).clock().try_advance_nanos(delta).map_err(ServerError::new_err)
    }

    #[getter]
    fn get_clock_offset(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)] // nanosecond offsets fit a double's 53 bits
        let offset = lock_server(&self.inner).clock().offset_nanos() as f64;
        offset / 1e9
    }

    #[setter]
    fn set_clock_offset(&self, seconds: f64) -> PyResult<()> {
        let offset = nanos("clock_offset", seconds)?;
        crate::clock::check_offset_nanos(offset).map_err(ServerError::new_err)?;
        lock_server(&self.inner).clock().set_offset_nanos(offset);
        Ok(())
    }

    fn clock_now(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)] // microsecond precision is plenty here
        let now = lock_server(&self.inner).clock().now_unix_nanos() as f64;
        now / 1e9
    }

    fn sweep_expired(&self, py: Python<'_>) -> usize {
        py.detach(|| lock_server(&self.inner).sweep_expired())
    }

    fn __repr__(&self) -> String {
        let state = if self.is_running() { "running" } else { "stopped" };
        format!("Server(host={:?}, port={}, {state})", self.host, self.port)
    }
}

/// Converts a timeout in seconds, refusing values that are not positive and finite.
fn seconds(name: &str, secs: f64) -> PyResult<Duration> {
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(ServerError::new_err(format!(
            "{name} {secs} is not a positive number of seconds; pass e.g. 30.0"
        ))),
    }
}

fn lock_server(m: &Mutex<server::Server>) -> std::sync::MutexGuard<'_, server::Server> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn to_py_error(err: &StartError) -> PyErr {
    ServerError::new_err(err.to_string())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Route the server's log records to Python's `logging` (logger names `_native.*`).
    pyo3_log::init();
    m.add_class::<PyServer>()?;
    let error_type = m.py().get_type::<ServerError>();
    // Importable name, so instances can be pickled (e.g. across pytest-xdist workers).
    error_type.setattr("__module__", "aerorepo._native")?;
    m.add("ServerError", error_type)?;
    Ok(())
}
