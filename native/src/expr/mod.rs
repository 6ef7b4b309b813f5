//! Filter expressions (field 43): decoding, static type checks and evaluation.
//!
//! An expression is a msgpack tree: a call is an array `[op, args...]`, anything else is a
//! literal. [`Filter::parse`] checks it the way a real server builds one: an unknown op, a
//! wrong argument count, arguments of mismatched types (`eq(int_bin, string_val)`) or a
//! filter that does not return a boolean all answer 4 (`PARAMETER_ERROR`), as a real server
//! does for any expression it cannot build. Nesting is bounded by the msgpack decoder's
//! depth limit ([`crate::cdt::msgpack::MAX_DEPTH`]) and the number of nodes by
//! [`MAX_NODES`].
//!
//! Evaluation follows the real server's three-valued logic: reading an absent bin or a
//! bin of another type gives "unknown", which spreads through comparisons and makes the
//! whole filter fail (the record is filtered out).
//!
//! Not supported (answer 4): regex and geo comparisons, CDT/bit/HLL/list/map expression
//! calls (op 127), `in_list`, `map_keys`/`map_values`, and the `infinity`/`wildcard`
//! literals.

mod eval;
mod eval_num;

use crate::cdt::msgpack::{self, Val};
use crate::error::{OpResult, ResultCode};

pub use eval::RecordView;

/// Most nodes an expression may have.
pub const MAX_NODES: usize = 10_000;

/// Result types, numbered as the wire's `EXP_TYPE_*` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// Nil.
    Nil = 0,
    /// Boolean (three-valued at run time).
    Bool = 1,
    /// 64-bit integer.
    Int = 2,
    /// String.
    Str = 3,
    /// List.
    List = 4,
    /// Map.
    Map = 5,
    /// Bytes.
    Blob = 6,
    /// Double.
    Float = 7,
    /// GeoJSON.
    Geo = 8,
    /// HyperLogLog.
    Hll = 9,
}

impl Ty {
    fn from_wire(code: i64) -> OpResult<Self> {
        Ok(match code {
            0 => Self::Nil,
            1 => Self::Bool,
            2 => Self::Int,
            3 => Self::Str,
            4 => Self::List,
            5 => Self::Map,
            6 => Self::Blob,
            7 => Self::Float,
            8 => Self::Geo,
            9 => Self::Hll,
            _ => return Err(ResultCode::ParameterError),
        })
    }
}

/// Comparison operators (wire ops 1-6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// `eq`.
    Eq,
    /// `ne`.
    Ne,
    /// `gt`.
    Gt,
    /// `ge`.
    Ge,
    /// `lt`.
    Lt,
    /// `le`.
    Le,
}

/// Record metadata readers (wire ops 65-74).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetaOp {
    /// Stored size in bytes (deprecated `device_size` and `memory_size` too).
    RecordSize,
    /// Last update, nanoseconds since the Unix epoch.
    LastUpdate,
    /// Milliseconds since the last update.
    SinceUpdate,
    /// Expiry, nanoseconds since the Unix epoch; -1 for never.
    VoidTime,
    /// Seconds left to live; -1 for never.
    Ttl,
    /// Set name ("" without a set).
    SetName,
    /// Whether the user key is stored.
    KeyExists,
    /// Always false: tombstones are never stored here.
    IsTombstone,
}

/// Arithmetic and bitwise operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumOp {
    /// Sum (wraps on overflow).
    Add,
    /// Difference.
    Sub,
    /// Product.
    Mul,
    /// Quotient (integer division truncates; by zero gives unknown).
    Div,
    /// Power (floats).
    Pow,
    /// Logarithm of the first argument in the base of the second (floats).
    Log,
    /// Remainder (integers; by zero gives unknown).
    Mod,
    /// Absolute value.
    Abs,
    /// Floor (floats).
    Floor,
    /// Ceiling (floats).
    Ceil,
    /// Float to int (truncates).
    ToInt,
    /// Int to float.
    ToFloat,
    /// Bitwise and.
    IntAnd,
    /// Bitwise or.
    IntOr,
    /// Bitwise xor.
    IntXor,
    /// Bitwise not.
    IntNot,
    /// Left shift.
    LShift,
    /// Logical right shift.
    RShift,
    /// Arithmetic right shift.
    ArShift,
    /// Number of one bits.
    Count,
    /// Index of the first bit (from the left) equal to the second argument.
    LScan,
    /// Index of the last bit (from the left) equal to the second argument.
    RScan,
    /// Smallest argument.
    Min,
    /// Largest argument.
    Max,
}

/// One node of a checked expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Node<'a> {
    /// A literal (strings and blobs keep their particle-type byte).
    Lit(Val<'a>),
    /// A bin read of the given type.
    Bin(Ty, &'a [u8]),
    /// The particle type of a bin (0 when absent).
    BinType(&'a [u8]),
    /// The stored user key, read as the given type.
    Key(Ty),
    /// Record metadata.
    Meta(MetaOp),
    /// Digest bytes 16-19 (little-endian u32) modulo a positive integer.
    DigestModulo(i64),
    /// A comparison.
    Cmp(CmpOp, Box<Node<'a>>, Box<Node<'a>>),
    /// All true.
    And(Vec<Node<'a>>),
    /// Any true.
    Or(Vec<Node<'a>>),
    /// Exactly one true.
    Xor(Vec<Node<'a>>),
    /// Negation.
    Not(Box<Node<'a>>),
    /// Arithmetic.
    Num(NumOp, Vec<Node<'a>>),
    /// `cond`: condition/value pairs, then the default value.
    Cond(Vec<Node<'a>>),
    /// `let`: variable definitions, then the body.
    Let(Vec<(&'a [u8], Node<'a>)>, Box<Node<'a>>),
    /// A variable defined by an enclosing `let`.
    Var(&'a [u8]),
}

/// A decoded, type-checked filter expression borrowing the request bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter<'a> {
    root: Node<'a>,
}

impl<'a> Filter<'a> {
    /// Decodes and checks a field-43 payload.
    ///
    /// # Errors
    /// `ParameterError` for malformed msgpack, nesting deeper than the msgpack depth
    /// limit, more than [`MAX_NODES`] nodes, unknown or unsupported ops, wrong argument
    /// counts or types, and filters that do not return a boolean.
    pub fn parse(bytes: &'a [u8]) -> OpResult<Self> {
        let tree = msgpack::decode(bytes)?;
        let mut builder = Builder { nodes: 0, vars: Vec::new() };
        let (root, ty) = builder.build(&tree)?;
        if ty != Ty::Bool {
            return Err(ResultCode::ParameterError);
        }
        Ok(Self { root })
    }

    /// Whether the record passes the filter ("unknown" counts as no).
    #[must_use]
    pub fn matches(&self, view: &RecordView<'_>) -> bool {
        eval::is_true(&self.root, view)
    }
}

/// Parses an optional field-43 payload.
///
/// # Errors
/// As [`Filter::parse`].
pub fn parse_field(data: Option<&[u8]>) -> OpResult<Option<Filter<'_>>> {
    data.map(Filter::parse).transpose()
}

/// Builds nodes from decoded msgpack, tracking `let` variables and their types.
struct Builder<'a> {
    nodes: usize,
    vars: Vec<(&'a [u8], Ty)>,
}

type Built<'a> = (Node<'a>, Ty);

fn bad<T>() -> OpResult<T> {
    Err(ResultCode::ParameterError)
}

impl<'a> Builder<'a> {
    fn build(&mut self, v: &Val<'a>) -> OpResult<Built<'a>> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return bad();
        }
        match v {
            Val::List(list) => {
                let (op, args) = list.items.split_first().ok_or(ResultCode::ParameterError)?;
                let Val::Int(op) = op else { return bad() };
                self.call(*op, args)
            }
            _ => literal(v),
        }
    }

    fn call(&mut self, op: i64, args: &[Val<'a>]) -> OpResult<Built<'a>> {
        match op {
            1..=6 => self.compare(op, args),
            16..=19 => self.logical(op, args),
            20..=41 | 50 | 51 => self.number(op, args),
            64..=74 => meta(op, args),
            80..=82 => bin_read(op, args),
            123 => self.cond(args),
            124 => self.var(args),
            125 => self.let_(args),
            126 => quoted(args),
            _ => bad(),
        }
    }

    fn args(&mut self, args: &[Val<'a>]) -> OpResult<Vec<Built<'a>>> {
        args.iter().map(|a| self.build(a)).collect()
    }

    fn compare(&mut self, op: i64, args: &[Val<'a>]) -> OpResult<Built<'a>> {
        let [l, r] = args else { return bad() };
        let (l, lt) = self.build(l)?;
        let (r, rt) = self.build(r)?;
        if lt != rt || matches!(lt, Ty::Geo | Ty::Hll) {
            return bad();
        }
        let cmp = match op {
            1 => CmpOp::Eq,
            2 => CmpOp::Ne,
            3 => CmpOp::Gt,
            4 => CmpOp::Ge,
            5 => CmpOp::Lt,
            _ => CmpOp::Le,
        };
        Ok((Node::Cmp(cmp, Box::new(l), Box::new(r)), Ty::Bool))
    }

    fn logical(&mut self, op: i64, args: &[Val<'a>]) -> OpResult<Built<'a>> {
        let built = self.args(args)?;
        if built.iter().any(|(_, t)| *t != Ty::Bool) {
            return bad();
        }
        let mut nodes: Vec<Node<'a>> = built.into_iter().map(|(n, _)| n).collect();
        let node = match op {
            18 if nodes.len() == 1 => Node::Not(Box::new(nodes.remove(0))),
            18 => return bad(),
            _ if nodes.len() < 2 => return bad(),
            16 => Node::And(nodes),
            17 => Node::Or(nodes),
            _ => Node::Xor(nodes),
        };
        Ok((node, Ty::Bool))
    }

    fn number(&mut self, op: i64, args: &[Val<'a>]) -> OpResult<Built<'a>> {
        let (num, arity) = num_op(op)?;
        let built = self.args(args)?;
        let arity_ok = match arity {
            Arity::Exactly(n) => built.len() == n,
            Arity::AtLeast(n) => built.len() >= n,
        };
        if !arity_ok {
            return bad();
        }
        let first = built.first().map_or(Ty::Nil, |(_, t)| *t);
        let ty = num_type(num, first, built.iter().map(|(_, t)| *t))?;
        Ok((Node::Num(num, built.into_iter().map(|(n, _)| n).collect()), ty))
    }

    fn cond(&mut self, args: &[Val<'a>]) -> OpResult<Built<'a>> {
        if args.len() < 3 || args.len().is_multiple_of(2) {
            return bad();
        }
        let built = self.args(args)?;
        let ty = built[1].1;
        for (i, (_, t)) in built.iter().enumerate() {
            let is_condition = i % 2 == 0 && i + 1 < built.len();
            if (is_condition && *t != Ty::Bool) || (!is_condition && *t != ty) {
                return bad();
            }
        }
        Ok((Node::Cond(built.into_iter().map(|(n, _)| n).collect()), ty))
    }

    fn var(&mut self, args: &[Val<'a>]) -> OpResult<Built<'a>> {
        let [Val::Bytes(name)] = args else { return bad() };
        let ty =
            self.vars.iter().rev().find(|(n, _)| n == name).ok_or(ResultCode::ParameterError)?.1;
        Ok((Node::Var(name), ty))
    }

    fn let_(&mut self, args: &[Val<'a>]) -> OpResult<Built<'a>> {
        if args.len() < 3 || args.len().is_multiple_of(2) {
            return bad();
        }
        let depth = self.vars.len();
        let mut defs = Vec::new();
        for pair in args[..args.len() - 1].chunks_exact(2) {
            let Val::Bytes(name) = &pair[0] else { return bad() };
            let (node, ty) = self.build(&pair[1])?;
            self.vars.push((name, ty));
            defs.push((*name, node));
        }
        let body = self.build(&args[args.len() - 1]);
        self.vars.truncate(depth);
        let (body, ty) = body?;
        Ok((Node::Let(defs, Box::new(body)), ty))
    }
}

/// How many arguments an arithmetic op takes.
enum Arity {
    Exactly(usize),
    AtLeast(usize),
}

fn num_op(op: i64) -> OpResult<(NumOp, Arity)> {
    use Arity::{AtLeast, Exactly};
    Ok(match op {
        20 => (NumOp::Add, AtLeast(1)),
        21 => (NumOp::Sub, AtLeast(1)),
        22 => (NumOp::Mul, AtLeast(1)),
        23 => (NumOp::Div, AtLeast(1)),
        24 => (NumOp::Pow, Exactly(2)),
        25 => (NumOp::Log, Exactly(2)),
        26 => (NumOp::Mod, Exactly(2)),
        27 => (NumOp::Abs, Exactly(1)),
        28 => (NumOp::Floor, Exactly(1)),
        29 => (NumOp::Ceil, Exactly(1)),
        30 => (NumOp::ToInt, Exactly(1)),
        31 => (NumOp::ToFloat, Exactly(1)),
        32 => (NumOp::IntAnd, AtLeast(1)),
        33 => (NumOp::IntOr, AtLeast(1)),
        34 => (NumOp::IntXor, AtLeast(1)),
        35 => (NumOp::IntNot, Exactly(1)),
        36 => (NumOp::LShift, Exactly(2)),
        37 => (NumOp::RShift, Exactly(2)),
        38 => (NumOp::ArShift, Exactly(2)),
        39 => (NumOp::Count, Exactly(1)),
        40 => (NumOp::LScan, Exactly(2)),
        41 => (NumOp::RScan, Exactly(2)),
        50 => (NumOp::Min, AtLeast(1)),
        51 => (NumOp::Max, AtLeast(1)),
        _ => return bad(),
    })
}

/// The result type of an arithmetic op, checking its argument types.
fn num_type(op: NumOp, first: Ty, all: impl Iterator<Item = Ty>) -> OpResult<Ty> {
    let all: Vec<Ty> = all.collect();
    let same = |want: Ty, all: &mut std::slice::Iter<'_, Ty>| all.all(|t| *t == want);
    let mut all = all.iter();
    let ty = match op {
        NumOp::Add
        | NumOp::Sub
        | NumOp::Mul
        | NumOp::Div
        | NumOp::Min
        | NumOp::Max
        | NumOp::Abs => {
            (matches!(first, Ty::Int | Ty::Float) && same(first, &mut all)).then_some(first)
        }
        NumOp::Pow | NumOp::Log | NumOp::Floor | NumOp::Ceil => {
            same(Ty::Float, &mut all).then_some(Ty::Float)
        }
        NumOp::ToInt => same(Ty::Float, &mut all).then_some(Ty::Int),
        NumOp::ToFloat => same(Ty::Int, &mut all).then_some(Ty::Float),
        NumOp::LScan | NumOp::RScan => {
            let first_int = all.next() == Some(&Ty::Int);
            (first_int && all.next() == Some(&Ty::Bool)).then_some(Ty::Int)
        }
        _ => same(Ty::Int, &mut all).then_some(Ty::Int),
    };
    ty.ok_or(ResultCode::ParameterError)
}

fn literal<'a>(v: &Val<'a>) -> OpResult<Built<'a>> {
    let ty = match v {
        Val::Nil => Ty::Nil,
        Val::Bool(_) => Ty::Bool,
        Val::Int(_) => Ty::Int,
        Val::Float(_) => Ty::Float,
        Val::Bytes(b) => match b.first() {
            Some(3) => Ty::Str,
            Some(4) => Ty::Blob,
            _ => return bad(),
        },
        Val::Map(_) => Ty::Map,
        _ => return bad(),
    };
    Ok((Node::Lit(v.clone()), ty))
}

/// `[126, list]`: a list literal.
fn quoted<'a>(args: &[Val<'a>]) -> OpResult<Built<'a>> {
    match args {
        [v @ Val::List(_)] => Ok((Node::Lit(v.clone()), Ty::List)),
        _ => bad(),
    }
}

fn meta<'a>(op: i64, args: &[Val<'a>]) -> OpResult<Built<'a>> {
    if op == 64 {
        return match args {
            [Val::Int(m)] if *m > 0 => Ok((Node::DigestModulo(*m), Ty::Int)),
            _ => bad(),
        };
    }
    if !args.is_empty() {
        return bad();
    }
    let (m, ty) = match op {
        65 | 73 | 74 => (MetaOp::RecordSize, Ty::Int),
        66 => (MetaOp::LastUpdate, Ty::Int),
        67 => (MetaOp::SinceUpdate, Ty::Int),
        68 => (MetaOp::VoidTime, Ty::Int),
        69 => (MetaOp::Ttl, Ty::Int),
        70 => (MetaOp::SetName, Ty::Str),
        71 => (MetaOp::KeyExists, Ty::Bool),
        72 => (MetaOp::IsTombstone, Ty::Bool),
        _ => return bad(),
    };
    Ok((Node::Meta(m), ty))
}

fn bin_read<'a>(op: i64, args: &[Val<'a>]) -> OpResult<Built<'a>> {
    match (op, args) {
        (80, [Val::Int(t)]) => {
            let ty = Ty::from_wire(*t)?;
            if !matches!(ty, Ty::Int | Ty::Str | Ty::Blob) {
                return bad();
            }
            Ok((Node::Key(ty), ty))
        }
        (81, [Val::Int(t), Val::Bytes(name)]) => {
            let ty = Ty::from_wire(*t)?;
            if ty == Ty::Nil || name.is_empty() || name.len() > crate::msg::MAX_BIN_NAME_LEN {
                return bad();
            }
            Ok((Node::Bin(ty, name), ty))
        }
        (82, [Val::Bytes(name)]) if !name.is_empty() => Ok((Node::BinType(name), Ty::Int)),
        _ => bad(),
    }
}

#[cfg(test)]
mod tests;
