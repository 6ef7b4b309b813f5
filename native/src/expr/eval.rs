//! Evaluation of checked expressions against one record, with three-valued logic.

use std::cmp::Ordering;

use super::eval_num::{self, Num};
use super::{CmpOp, MetaOp, Node, NumOp, Ty};
use crate::cdt::msgpack::{self, Val};
use crate::cdt::order;
use crate::flat_size::record_size;
use crate::store::{Digest, Record};
use crate::value::{particle, Value};

/// Seconds from the Unix epoch to 2010-01-01 (the unit origin of void times).
const CITRUSLEAF_EPOCH_SECS: u64 = 1_262_304_000;

/// What an expression may look at: a live record and the current time.
#[derive(Clone, Copy, Debug)]
pub struct RecordView<'r> {
    /// The record.
    pub record: &'r Record,
    /// Its digest.
    pub digest: &'r Digest,
    /// Now, in seconds since 2010-01-01.
    pub now_secs: u32,
    /// Now, in nanoseconds since the Unix epoch.
    pub now_nanos: u64,
}

/// A run-time value; `Unk` is the server's "unknown".
#[derive(Clone, Debug, PartialEq)]
enum Rt<'v> {
    Unk,
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'v [u8]),
    Blob(&'v [u8]),
    Coll(Val<'v>),
}

/// Variables bound by enclosing `let`s, innermost last.
type Env<'v> = Vec<(&'v [u8], Rt<'v>)>;

/// Whether `node` evaluates to true for `view`.
pub(super) fn is_true(node: &Node<'_>, view: &RecordView<'_>) -> bool {
    let mut env = Env::new();
    eval(node, view, &mut env) == Rt::Bool(true)
}

fn eval<'v>(node: &'v Node<'_>, view: &RecordView<'v>, env: &mut Env<'v>) -> Rt<'v> {
    match node {
        Node::Lit(v) => literal(v),
        Node::Bin(ty, name) => read_bin(view.record, name, *ty),
        Node::BinType(name) => bin_type(view.record, name),
        Node::Key(ty) => read_key(view.record, *ty),
        Node::Meta(m) => meta(*m, view),
        Node::DigestModulo(m) => digest_modulo(view.digest, *m),
        Node::Cmp(op, l, r) => compare(*op, &eval(l, view, env), &eval(r, view, env)),
        Node::And(args) => and(args, view, env),
        Node::Or(args) => or(args, view, env),
        Node::Xor(args) => xor(args, view, env),
        Node::Not(arg) => match eval(arg, view, env) {
            Rt::Bool(b) => Rt::Bool(!b),
            _ => Rt::Unk,
        },
        Node::Num(op, args) => number(*op, args, view, env),
        Node::Cond(args) => cond(args, view, env),
        Node::Let(defs, body) => let_(defs, body, view, env),
        Node::Var(name) => lookup(env, name),
    }
}

fn literal<'v>(v: &'v Val<'_>) -> Rt<'v> {
    match v {
        Val::Nil => Rt::Nil,
        Val::Bool(b) => Rt::Bool(*b),
        Val::Int(i) => Rt::Int(*i),
        Val::Float(f) => Rt::Float(*f),
        Val::Bytes([3, rest @ ..]) => Rt::Str(rest),
        Val::Bytes([4, rest @ ..]) => Rt::Blob(rest),
        Val::List(_) | Val::Map(_) => Rt::Coll(v.clone()),
        _ => Rt::Unk,
    }
}

fn read_bin<'v>(rec: &'v Record, name: &[u8], ty: Ty) -> Rt<'v> {
    let Some(bin) = rec.bins.iter().find(|b| b.name.as_bytes() == name) else {
        return Rt::Unk;
    };
    match (ty, &bin.value) {
        (Ty::Int, Value::Int(i)) => Rt::Int(*i),
        (Ty::Float, Value::Float(f)) => Rt::Float(*f),
        (Ty::Str, Value::Str(s)) => Rt::Str(s),
        (Ty::Blob, Value::Blob(b)) => Rt::Blob(b),
        (Ty::Bool, Value::Bool(b)) => Rt::Bool(*b),
        (Ty::List, Value::List(bytes)) | (Ty::Map, Value::Map(bytes)) => {
            msgpack::decode(bytes).map_or(Rt::Unk, Rt::Coll)
        }
        _ => Rt::Unk,
    }
}

fn bin_type<'v>(rec: &Record, name: &[u8]) -> Rt<'v> {
    let bin = rec.bins.iter().find(|b| b.name.as_bytes() == name);
    Rt::Int(bin.map_or(i64::from(particle::NULL), |b| i64::from(b.value.particle())))
}

fn read_key(rec: &Record, ty: Ty) -> Rt<'_> {
    match (ty, rec.key.as_deref()) {
        (Ty::Int, Some([1, rest @ ..])) => {
            <[u8; 8]>::try_from(rest).map_or(Rt::Unk, |b| Rt::Int(i64::from_be_bytes(b)))
        }
        (Ty::Str, Some([3, rest @ ..])) => Rt::Str(rest),
        (Ty::Blob, Some([4, rest @ ..])) => Rt::Blob(rest),
        _ => Rt::Unk,
    }
}

fn meta<'v>(m: MetaOp, view: &RecordView<'v>) -> Rt<'v> {
    let rec = view.record;
    let nanos = |n: u64| Rt::Int(i64::try_from(n).unwrap_or(i64::MAX));
    match m {
        MetaOp::RecordSize => Rt::Int(i64::try_from(record_size(rec)).unwrap_or(i64::MAX)),
        MetaOp::LastUpdate => nanos(rec.last_update_nanos),
        MetaOp::SinceUpdate => {
            nanos(view.now_nanos.saturating_sub(rec.last_update_nanos) / 1_000_000)
        }
        MetaOp::VoidTime | MetaOp::Ttl if rec.void_time == 0 => Rt::Int(-1),
        MetaOp::VoidTime => {
            nanos((u64::from(rec.void_time) + CITRUSLEAF_EPOCH_SECS).saturating_mul(1_000_000_000))
        }
        MetaOp::Ttl => Rt::Int(i64::from(rec.void_time.saturating_sub(view.now_secs))),
        MetaOp::SetName => Rt::Str(&rec.set),
        MetaOp::KeyExists => Rt::Bool(rec.key.is_some()),
        MetaOp::IsTombstone => Rt::Bool(false),
    }
}

fn digest_modulo<'v>(digest: &Digest, m: i64) -> Rt<'v> {
    let word = u32::from_le_bytes([digest[16], digest[17], digest[18], digest[19]]);
    Rt::Int(i64::from(word) % m)
}

/// Compares two values of one type; values of different types, and maps (which a real
/// server does not compare: every comparison of a map is unknown), give unknown.
fn compare<'v>(op: CmpOp, l: &Rt<'_>, r: &Rt<'_>) -> Rt<'v> {
    let ord = match (l, r) {
        (Rt::Coll(Val::Map(_)), _) | (_, Rt::Coll(Val::Map(_))) => return Rt::Unk,
        (Rt::Nil, Rt::Nil) => Some(Ordering::Equal),
        (Rt::Bool(a), Rt::Bool(b)) => Some(a.cmp(b)),
        (Rt::Int(a), Rt::Int(b)) => Some(a.cmp(b)),
        (Rt::Float(a), Rt::Float(b)) => a.partial_cmp(b),
        (Rt::Str(a), Rt::Str(b)) | (Rt::Blob(a), Rt::Blob(b)) => Some(a.cmp(b)),
        (Rt::Coll(a), Rt::Coll(b)) => Some(order::compare(a, b)),
        _ => return Rt::Unk,
    };
    let Some(ord) = ord else { return Rt::Bool(op == CmpOp::Ne) };
    Rt::Bool(match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
    })
}

/// False if any argument is false, else unknown if any is unknown, else true.
fn and<'v>(args: &'v [Node<'_>], view: &RecordView<'v>, env: &mut Env<'v>) -> Rt<'v> {
    let mut unknown = false;
    for arg in args {
        match eval(arg, view, env) {
            Rt::Bool(false) => return Rt::Bool(false),
            Rt::Bool(true) => {}
            _ => unknown = true,
        }
    }
    if unknown {
        Rt::Unk
    } else {
        Rt::Bool(true)
    }
}

/// True if any argument is true, else unknown if any is unknown, else false.
fn or<'v>(args: &'v [Node<'_>], view: &RecordView<'v>, env: &mut Env<'v>) -> Rt<'v> {
    let mut unknown = false;
    for arg in args {
        match eval(arg, view, env) {
            Rt::Bool(true) => return Rt::Bool(true),
            Rt::Bool(false) => {}
            _ => unknown = true,
        }
    }
    if unknown {
        Rt::Unk
    } else {
        Rt::Bool(false)
    }
}

/// True when exactly one argument is true; unknown as soon as one is unknown.
fn xor<'v>(args: &'v [Node<'_>], view: &RecordView<'v>, env: &mut Env<'v>) -> Rt<'v> {
    let mut seen = false;
    for arg in args {
        match eval(arg, view, env) {
            Rt::Bool(true) if seen => return Rt::Bool(false),
            Rt::Bool(true) => seen = true,
            Rt::Bool(false) => {}
            _ => return Rt::Unk,
        }
    }
    Rt::Bool(seen)
}

fn cond<'v>(args: &'v [Node<'_>], view: &RecordView<'v>, env: &mut Env<'v>) -> Rt<'v> {
    let mut pairs = args.chunks_exact(2);
    for pair in pairs.by_ref() {
        match eval(&pair[0], view, env) {
            Rt::Bool(true) => return eval(&pair[1], view, env),
            Rt::Bool(false) => {}
            _ => return Rt::Unk,
        }
    }
    pairs.remainder().first().map_or(Rt::Unk, |default| eval(default, view, env))
}

fn let_<'v>(
    defs: &'v [(&[u8], Node<'_>)],
    body: &'v Node<'_>,
    view: &RecordView<'v>,
    env: &mut Env<'v>,
) -> Rt<'v> {
    let depth = env.len();
    for (name, node) in defs {
        let value = eval(node, view, env);
        env.push((name, value));
    }
    let result = eval(body, view, env);
    env.truncate(depth);
    result
}

fn lookup<'v>(env: &Env<'v>, name: &[u8]) -> Rt<'v> {
    env.iter().rev().find(|(n, _)| *n == name).map_or(Rt::Unk, |(_, v)| v.clone())
}

fn number<'v>(
    op: NumOp,
    args: &'v [Node<'_>],
    view: &RecordView<'v>,
    env: &mut Env<'v>,
) -> Rt<'v> {
    let mut values = Vec::with_capacity(args.len());
    for arg in args {
        match eval(arg, view, env) {
            Rt::Int(i) => values.push(Num::Int(i)),
            Rt::Float(f) => values.push(Num::Float(f)),
            Rt::Bool(b) => values.push(Num::Int(i64::from(b))),
            _ => return Rt::Unk,
        }
    }
    match eval_num::apply(op, &values) {
        Some(Num::Int(i)) => Rt::Int(i),
        Some(Num::Float(f)) => Rt::Float(f),
        None => Rt::Unk,
    }
}
