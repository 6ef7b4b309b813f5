//! Aerospike's value order, used by ordered lists, key-ordered maps, ranks and ranges.
//!
//! Across types: nil < false < true < integer < string < list < map < bytes < float <
//! GeoJSON < other ext < Wildcard < Infinity. Integers and floats never compare by value
//! with each other. Strings and bytes compare byte-wise, a prefix first. Lists compare
//! element by element, a prefix first. Maps compare by size first, then pair by pair in
//! stored order. A Wildcard anywhere makes the whole comparison equal from that point.

use std::cmp::Ordering;

use super::msgpack::Val;

/// Particle-type byte of strings inside msgpack.
const STRING: u8 = 3;
/// Particle-type byte of GeoJSON inside msgpack.
const GEOJSON: u8 = 23;

/// Outcome of a comparison that may have met a Wildcard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmp {
    Ord(Ordering),
    Wild,
}

/// Compares two values in Aerospike's order (a Wildcard compares equal).
#[must_use]
pub fn compare(a: &Val<'_>, b: &Val<'_>) -> Ordering {
    match compare_inner(a, b) {
        Cmp::Ord(o) => o,
        Cmp::Wild => Ordering::Equal,
    }
}

/// True when `a` and `b` compare equal.
#[must_use]
pub fn equal(a: &Val<'_>, b: &Val<'_>) -> bool {
    compare(a, b) == Ordering::Equal
}

fn type_rank(v: &Val<'_>) -> u8 {
    match v {
        Val::Nil => 1,
        Val::Bool(false) => 2,
        Val::Bool(true) => 3,
        Val::Int(_) => 4,
        Val::Bytes([STRING, ..]) => 6,
        Val::List(_) => 7,
        Val::Map(_) => 8,
        Val::Bytes([GEOJSON, ..]) => 11,
        Val::Bytes(_) => 9,
        Val::Float(_) => 10,
        Val::Ext(_) => 12,
        Val::Wildcard => 13,
        Val::Infinity => 14,
    }
}

fn compare_inner(a: &Val<'_>, b: &Val<'_>) -> Cmp {
    // Fast paths for the common same-type cases.
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => return Cmp::Ord(x.cmp(y)),
        (Val::Bytes(x @ [kx, ..]), Val::Bytes(y @ [ky, ..])) if kx == ky => {
            return Cmp::Ord(x.cmp(y));
        }
        _ => {}
    }
    if matches!(a, Val::Wildcard) || matches!(b, Val::Wildcard) {
        return Cmp::Wild;
    }
    let by_type = type_rank(a).cmp(&type_rank(b));
    if by_type != Ordering::Equal {
        return Cmp::Ord(by_type);
    }
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => Cmp::Ord(x.cmp(y)),
        (Val::Float(x), Val::Float(y)) => Cmp::Ord(x.partial_cmp(y).unwrap_or(Ordering::Equal)),
        (Val::Bytes(x), Val::Bytes(y)) | (Val::Ext(x), Val::Ext(y)) => Cmp::Ord(x.cmp(y)),
        (Val::List(x), Val::List(y)) => compare_seq(&x.items, &y.items),
        (Val::Map(x), Val::Map(y)) => compare_maps(&x.pairs, &y.pairs),
        _ => Cmp::Ord(Ordering::Equal),
    }
}

fn compare_seq(a: &[Val<'_>], b: &[Val<'_>]) -> Cmp {
    for (x, y) in a.iter().zip(b) {
        match compare_inner(x, y) {
            Cmp::Ord(Ordering::Equal) => {}
            other => return other,
        }
    }
    Cmp::Ord(a.len().cmp(&b.len()))
}

fn compare_maps(a: &[(Val<'_>, Val<'_>)], b: &[(Val<'_>, Val<'_>)]) -> Cmp {
    let by_size = a.len().cmp(&b.len());
    if by_size != Ordering::Equal {
        return Cmp::Ord(by_size);
    }
    for ((ka, va), (kb, vb)) in a.iter().zip(b) {
        for (x, y) in [(ka, kb), (va, vb)] {
            match compare_inner(x, y) {
                Cmp::Ord(Ordering::Equal) => {}
                other => return other,
            }
        }
    }
    Cmp::Ord(Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cdt::msgpack::{List, Map};

    fn s(text: &'static [u8]) -> Val<'static> {
        Val::Bytes(text)
    }

    #[test]
    fn cross_type_order_matches_the_server() {
        let ordered = [
            Val::Nil,
            Val::Bool(false),
            Val::Bool(true),
            Val::Int(-5),
            Val::Int(7),
            s(b"\x03a"),
            Val::List(List::default()),
            Val::Map(Map::default()),
            s(b"\x04a"),
            Val::Float(-1.0),
            Val::Infinity,
        ];
        for pair in ordered.windows(2) {
            assert_eq!(compare(&pair[0], &pair[1]), Ordering::Less, "{pair:?}");
            assert_eq!(compare(&pair[1], &pair[0]), Ordering::Greater, "{pair:?}");
        }
    }

    #[test]
    fn ints_and_floats_are_different_types() {
        assert_eq!(compare(&Val::Int(100), &Val::Float(1.0)), Ordering::Less);
        assert_eq!(compare(&Val::Float(2.0), &Val::Float(2.5)), Ordering::Less);
    }

    #[test]
    fn strings_compare_bytewise_prefix_first() {
        assert_eq!(compare(&s(b"\x03ab"), &s(b"\x03b")), Ordering::Less);
        assert_eq!(compare(&s(b"\x03a"), &s(b"\x03ab")), Ordering::Less);
        assert!(equal(&s(b"\x03ab"), &s(b"\x03ab")));
    }

    #[test]
    fn lists_compare_elementwise_and_wildcard_matches_the_rest() {
        let list = |items: Vec<Val<'static>>| Val::List(List { flags: 0, items });
        let short = list(vec![Val::Int(1)]);
        let long = list(vec![Val::Int(1), Val::Int(0)]);
        assert_eq!(compare(&short, &long), Ordering::Less);
        assert_eq!(compare(&list(vec![Val::Int(2)]), &long), Ordering::Greater);
        let wild = list(vec![Val::Int(1), Val::Wildcard]);
        assert!(equal(&wild, &list(vec![Val::Int(1), Val::Int(5), Val::Int(9)])));
        assert!(!equal(&wild, &list(vec![Val::Int(2), Val::Int(5)])));
    }

    #[test]
    fn maps_compare_by_size_first() {
        let map = |pairs: Vec<(Val<'static>, Val<'static>)>| Val::Map(Map { flags: 0, pairs });
        let one = map(vec![(Val::Int(9), Val::Int(9))]);
        let two = map(vec![(Val::Int(1), Val::Int(1)), (Val::Int(2), Val::Int(2))]);
        assert_eq!(compare(&one, &two), Ordering::Less);
        let other = map(vec![(Val::Int(9), Val::Int(10))]);
        assert_eq!(compare(&one, &other), Ordering::Less);
    }
}
