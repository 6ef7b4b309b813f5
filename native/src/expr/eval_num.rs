//! Arithmetic and bitwise expression ops; `None` is the server's "unknown".

use super::NumOp;

/// A numeric operand or result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    /// Integer.
    Int(i64),
    /// Double.
    Float(f64),
}

/// Applies `op`; argument types were checked when the expression was built.
/// Integer division or remainder by zero gives `None`; integer overflow wraps.
pub fn apply(op: NumOp, args: &[Num]) -> Option<Num> {
    match args.first()? {
        Num::Int(_) => int_op(op, &ints(args)?).map(Num::Int).or_else(|| to_float(op, args)),
        Num::Float(_) => float_op(op, &floats(args)?).map(Num::Float).or_else(|| to_int(op, args)),
    }
}

fn ints(args: &[Num]) -> Option<Vec<i64>> {
    args.iter().map(|a| if let Num::Int(i) = a { Some(*i) } else { None }).collect()
}

fn floats(args: &[Num]) -> Option<Vec<f64>> {
    args.iter().map(|a| if let Num::Float(f) = a { Some(*f) } else { None }).collect()
}

#[allow(clippy::cast_precision_loss)] // to_float converts exactly as the server's C cast
fn to_float(op: NumOp, args: &[Num]) -> Option<Num> {
    match (op, args) {
        (NumOp::ToFloat, [Num::Int(i)]) => Some(Num::Float(*i as f64)),
        _ => None,
    }
}

#[allow(clippy::cast_possible_truncation)] // to_int truncates (saturating) like a C cast
fn to_int(op: NumOp, args: &[Num]) -> Option<Num> {
    match (op, args) {
        (NumOp::ToInt, [Num::Float(f)]) => Some(Num::Int(*f as i64)),
        _ => None,
    }
}

fn fold(v: &[i64], f: impl Fn(i64, i64) -> Option<i64>) -> Option<i64> {
    let (first, rest) = v.split_first()?;
    rest.iter().try_fold(*first, |acc, x| f(acc, *x))
}

fn int_op(op: NumOp, v: &[i64]) -> Option<i64> {
    match (op, v) {
        (NumOp::Sub, [x]) => Some(x.wrapping_neg()),
        (NumOp::Div, [x]) => 1i64.checked_div(*x),
        (NumOp::Add, _) => fold(v, |a, b| Some(a.wrapping_add(b))),
        (NumOp::Sub, _) => fold(v, |a, b| Some(a.wrapping_sub(b))),
        (NumOp::Mul, _) => fold(v, |a, b| Some(a.wrapping_mul(b))),
        (NumOp::Div, _) => fold(v, |a, b| (b != 0).then(|| a.wrapping_div(b))),
        (NumOp::Mod, [a, b]) => (*b != 0).then(|| a.wrapping_rem(*b)),
        (NumOp::Abs, [x]) => Some(x.wrapping_abs()),
        (NumOp::Min, _) => v.iter().copied().min(),
        (NumOp::Max, _) => v.iter().copied().max(),
        (NumOp::IntAnd, _) => fold(v, |a, b| Some(a & b)),
        (NumOp::IntOr, _) => fold(v, |a, b| Some(a | b)),
        (NumOp::IntXor, _) => fold(v, |a, b| Some(a ^ b)),
        (NumOp::IntNot, [x]) => Some(!x),
        (NumOp::Count, [x]) => Some(i64::from(x.count_ones())),
        _ => shift_op(op, v),
    }
}

#[allow(clippy::cast_sign_loss, clippy::cast_possible_wrap)] // bit patterns, not values
fn shift_op(op: NumOp, v: &[i64]) -> Option<i64> {
    let [x, n] = v else { return None };
    let shift = u32::try_from(*n).ok().filter(|s| *s < 64);
    let bits = *x as u64;
    match op {
        NumOp::LShift => Some(shift.map_or(0, |s| (bits << s) as i64)),
        NumOp::RShift => Some(shift.map_or(0, |s| (bits >> s) as i64)),
        NumOp::ArShift => Some(shift.map_or(if *x < 0 { -1 } else { 0 }, |s| x >> s)),
        NumOp::LScan => Some(scan(bits, *n != 0, true)),
        NumOp::RScan => Some(scan(bits, *n != 0, false)),
        _ => None,
    }
}

fn float_op(op: NumOp, v: &[f64]) -> Option<f64> {
    let fold =
        |f: fn(f64, f64) -> f64| v.split_first().map(|(a, r)| r.iter().fold(*a, |x, y| f(x, *y)));
    match (op, v) {
        (NumOp::Sub, [x]) => Some(-x),
        (NumOp::Div, [x]) => Some(1.0 / x),
        (NumOp::Add, _) => fold(|a, b| a + b),
        (NumOp::Sub, _) => fold(|a, b| a - b),
        (NumOp::Mul, _) => fold(|a, b| a * b),
        (NumOp::Div, _) => fold(|a, b| a / b),
        (NumOp::Pow, [a, b]) => Some(a.powf(*b)),
        (NumOp::Log, [a, b]) => Some(a.ln() / b.ln()),
        (NumOp::Abs, [x]) => Some(x.abs()),
        (NumOp::Floor, [x]) => Some(x.floor()),
        (NumOp::Ceil, [x]) => Some(x.ceil()),
        (NumOp::Min, _) => fold(f64::min),
        (NumOp::Max, _) => fold(f64::max),
        _ => None,
    }
}

/// Index (0 = most significant) of the first (`from_left`) or last bit equal to `bit`;
/// -1 when there is none.
fn scan(bits: u64, bit: bool, from_left: bool) -> i64 {
    let ones = if bit { bits } else { !bits };
    if ones == 0 {
        return -1;
    }
    let index = if from_left { ones.leading_zeros() } else { 63 - ones.trailing_zeros() };
    i64::from(index)
}
