//! Secondary indexes: definitions managed by info commands, and predicate matching.
//!
//! An index here is only a definition: a query scans the namespace's records and keeps
//! those whose bin matches the predicate, so results always agree with every write,
//! delete, expiry and truncate. The cost is a full pass over the namespace per query
//! (O(records)), where a real server walks an index tree.
//!
//! Supported: `sindex-create` (`type=NUMERIC|STRING|BLOB|GEO2DSPHERE`, default collection
//! type only), `sindex-delete`, `sindex-exists`, `sindex-stat`, `sindex-list`; queries with
//! an integer range (equality is a range of one value), string or blob equality. Index
//! type GEO2DSPHERE can be defined but geo queries are not answered (aerospike-py does not
//! send them). An index serves queries on exactly its own set (or on no set when defined
//! without one).

use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};

use crate::error::{OpResult, ResultCode};
use crate::msg::Cursor;
use crate::store::{Record, Store};
use crate::value::{particle, Value};

/// Most index definitions kept (a real server allows 256 per cluster).
pub const MAX_INDEXES: usize = 256;

/// One index definition.
#[derive(Clone, Debug, PartialEq, Eq)]
struct IndexDef {
    namespace: String,
    set: String,
    bin: String,
    /// Key type as sent: `NUMERIC`, `STRING`, `BLOB` or `GEO2DSPHERE`.
    kind: String,
    name: String,
}

impl IndexDef {
    fn same_definition(&self, other: &IndexDef) -> bool {
        (&self.namespace, &self.set, &self.bin, &self.kind)
            == (&other.namespace, &other.set, &other.bin, &other.kind)
    }
}

/// The index definitions of one server.
#[derive(Debug, Default)]
pub struct Registry {
    defs: Mutex<Vec<IndexDef>>,
}

impl Registry {
    /// An empty registry.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<IndexDef>> {
        self.defs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Answers a `sindex-*` info command, or `None` if `name` is not one.
    #[must_use]
    pub fn info(&self, store: &Store, name: &str, params: &str) -> Option<String> {
        let p = Params(params);
        let namespace = p.get("namespace").or_else(|| p.get("ns")).unwrap_or_default();
        let known = store.namespace(namespace.as_bytes()).is_some();
        let answer = match name {
            "sindex-create" if known => self.create(namespace, &p),
            "sindex-delete" if known => self.delete(namespace, p.get("indexname")),
            "sindex-exists" if known => self.exists(namespace, p.get("indexname")).to_string(),
            "sindex-stat" if known => self.stat(namespace, p.get("indexname")),
            "sindex-list" => self.list(namespace),
            "sindex-create" | "sindex-delete" | "sindex-exists" | "sindex-stat" => {
                "ERROR:4:namespace not found".to_owned()
            }
            _ => return None,
        };
        Some(answer)
    }

    fn create(&self, namespace: &str, p: &Params<'_>) -> String {
        let (Some(name), Some(bin), Some(kind)) =
            (p.get("indexname"), p.get("bin"), p.get("type"))
        else {
            return "ERROR:4:missing 'indexname', 'bin' or 'type'".to_owned();
        };
        let kind = kind.to_ascii_uppercase();
        if !matches!(kind.as_str(), "NUMERIC" | "STRING" | "BLOB" | "GEO2DSPHERE") {
            return "ERROR:4:bad 'type'".to_owned();
        }
        if p.get("indextype").is_some_and(|t| !t.eq_ignore_ascii_case("default")) {
            return "ERROR:4:collection index types are not supported".to_owned();
        }
        let def = IndexDef {
            namespace: namespace.to_owned(),
            set: p.get("set").unwrap_or_default().to_owned(),
            bin: bin.to_owned(),
            kind,
            name: name.to_owned(),
        };
        self.insert(def)
    }

    /// Same name and definition: nothing to do; same name, other definition: 200; same
    /// definition, other name: renamed (as a real server does).
    fn insert(&self, def: IndexDef) -> String {
        let mut defs = self.lock();
        let by_name = defs.iter().find(|d| d.namespace == def.namespace && d.name == def.name);
        if let Some(existing) = by_name {
            return if existing.same_definition(&def) {
                "ok".to_owned()
            } else {
                "ERROR:200:'indexname' already exists with different definition".to_owned()
            };
        }
        if let Some(existing) = defs.iter_mut().find(|d| d.same_definition(&def)) {
            existing.name = def.name;
            return "ok".to_owned();
        }
        if defs.len() >= MAX_INDEXES {
            return "ERROR:202:already at sindex definition limit".to_owned();
        }
        defs.push(def);
        "ok".to_owned()
    }

    /// Removing a missing index answers `ok`, as a real server does.
    fn delete(&self, namespace: &str, name: Option<&str>) -> String {
        let Some(name) = name else { return "ERROR:4:missing 'indexname'".to_owned() };
        self.lock().retain(|d| !(d.namespace == namespace && d.name == name));
        "ok".to_owned()
    }

    fn exists(&self, namespace: &str, name: Option<&str>) -> bool {
        self.lock().iter().any(|d| d.namespace == namespace && Some(d.name.as_str()) == name)
    }

    fn stat(&self, namespace: &str, name: Option<&str>) -> String {
        if self.exists(namespace, name) {
            "entries=0;used_bytes=0;entries_per_bval=0;entries_per_rec=0;load_pct=100;\
             load_time=0;stat_gc_recs=0"
                .to_owned()
        } else {
            "ERROR:201:no index".to_owned()
        }
    }

    fn list(&self, namespace: &str) -> String {
        let defs = self.lock();
        let mut out = String::new();
        for d in defs.iter().filter(|d| namespace.is_empty() || d.namespace == namespace) {
            let set = if d.set.is_empty() { "NULL" } else { &d.set };
            let kind = d.kind.to_ascii_lowercase();
            let _ = write!(
                out,
                "ns={}:indexname={}:set={set}:bin={}:type={kind}:indextype=default:\
                 context=NULL:exp=NULL:state=RW;",
                d.namespace, d.name, d.bin
            );
        }
        out
    }

    /// Whether an index serves `pred` for a query on `namespace` and `set`.
    #[must_use]
    pub fn covers(&self, namespace: &[u8], set: &[u8], pred: &Predicate<'_>) -> bool {
        let kind = match pred.value {
            Match::IntRange(..) => "NUMERIC",
            Match::Str(_) => "STRING",
            Match::Blob(_) => "BLOB",
        };
        self.lock().iter().any(|d| {
            d.namespace.as_bytes() == namespace
                && d.set.as_bytes() == set
                && d.bin.as_bytes() == pred.bin
                && d.kind == kind
        })
    }
}

/// `key=value` pairs separated by `;`.
struct Params<'a>(&'a str);

impl<'a> Params<'a> {
    fn get(&self, key: &str) -> Option<&'a str> {
        self.0
            .split(';')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }
}

/// What a predicate accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match<'a> {
    /// Integers from the first to the second bound, both included.
    IntRange(i64, i64),
    /// A string equal to this.
    Str(&'a [u8]),
    /// Bytes equal to these.
    Blob(&'a [u8]),
}

/// A query predicate (field 22): one bin and what its value must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Predicate<'a> {
    /// Bin name.
    pub bin: &'a [u8],
    /// Accepted values.
    pub value: Match<'a>,
}

impl<'a> Predicate<'a> {
    /// Parses field 22: `u8 count` (must be 1), `u8 name length`, name, `u8 particle type`,
    /// `u32 length` + begin, `u32 length` + end.
    ///
    /// # Errors
    /// `ParameterError` for a malformed field, several predicates, integer bounds that
    /// are not 8 bytes or are reversed (begin above end), or a string/blob range whose
    /// ends differ; `IndexNotFound` for
    /// value types no index can hold (float, bool, lists, GeoJSON).
    pub fn parse(data: &'a [u8]) -> OpResult<Self> {
        let mut cur = Cursor::new(data);
        if cur.u8()? != 1 {
            return Err(ResultCode::ParameterError);
        }
        let name_len = usize::from(cur.u8()?);
        let bin = cur.bytes(name_len)?;
        let kind = cur.u8()?;
        let begin_len = usize::try_from(cur.u32()?).map_err(|_| ResultCode::ParameterError)?;
        let begin = cur.bytes(begin_len)?;
        let end_len = usize::try_from(cur.u32()?).map_err(|_| ResultCode::ParameterError)?;
        let end = cur.bytes(end_len)?;
        if cur.remaining() != 0 {
            return Err(ResultCode::ParameterError);
        }
        let value = match kind {
            particle::INTEGER => match (int_bound(begin)?, int_bound(end)?) {
                // A real server refuses a range whose begin is above its end.
                (lo, hi) if lo > hi => return Err(ResultCode::ParameterError),
                (lo, hi) => Match::IntRange(lo, hi),
            },
            particle::STRING | particle::BLOB if begin != end => {
                return Err(ResultCode::ParameterError)
            }
            particle::STRING => Match::Str(begin),
            particle::BLOB => Match::Blob(begin),
            _ => return Err(ResultCode::IndexNotFound),
        };
        Ok(Self { bin, value })
    }

    /// Whether `rec` has the bin with a matching value (a bin of another type never
    /// matches).
    #[must_use]
    pub fn matches(&self, rec: &Record) -> bool {
        let Some(bin) = rec.bins.iter().find(|b| b.name.as_bytes() == self.bin) else {
            return false;
        };
        match (&bin.value, self.value) {
            (Value::Int(v), Match::IntRange(lo, hi)) => lo <= *v && *v <= hi,
            (Value::Str(s), Match::Str(want)) | (Value::Blob(s), Match::Blob(want)) => {
                s.as_slice() == want
            }
            _ => false,
        }
    }
}

fn int_bound(bytes: &[u8]) -> OpResult<i64> {
    let raw: [u8; 8] = bytes.try_into().map_err(|_| ResultCode::ParameterError)?;
    Ok(i64::from_be_bytes(raw))
}

#[cfg(test)]
mod tests;
