use super::*;
use crate::store::Namespace;
use crate::value::{Bin, BinName};

fn store() -> Store {
    Store::new(vec![Namespace::new("test", 0)])
}

fn field22(bin: &[u8], kind: u8, begin: &[u8], end: &[u8]) -> Vec<u8> {
    let mut out = vec![1, u8::try_from(bin.len()).unwrap()];
    out.extend_from_slice(bin);
    out.push(kind);
    for part in [begin, end] {
        out.extend_from_slice(&u32::try_from(part.len()).unwrap().to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

#[test]
fn create_is_idempotent_and_conflicting_names_give_200() {
    let reg = Registry::new();
    let s = store();
    let create = "namespace=test;set=s;indexname=i;bin=a;type=NUMERIC";
    assert_eq!(reg.info(&s, "sindex-create", create).unwrap(), "ok");
    assert_eq!(reg.info(&s, "sindex-create", create).unwrap(), "ok");
    let other = "namespace=test;set=s;indexname=i;bin=b;type=NUMERIC";
    assert!(reg.info(&s, "sindex-create", other).unwrap().starts_with("ERROR:200:"));
    let stat = reg.info(&s, "sindex-stat", "namespace=test;indexname=i").unwrap();
    assert!(stat.contains("load_pct=100;"));
    assert_eq!(reg.info(&s, "sindex-exists", "namespace=test;indexname=i").unwrap(), "true");
    assert_eq!(reg.info(&s, "sindex-delete", "namespace=test;indexname=i").unwrap(), "ok");
    assert_eq!(reg.info(&s, "sindex-delete", "namespace=test;indexname=i").unwrap(), "ok");
    assert_eq!(reg.info(&s, "sindex-exists", "namespace=test;indexname=i").unwrap(), "false");
    let gone = reg.info(&s, "sindex-stat", "namespace=test;indexname=i").unwrap();
    assert_eq!(gone, "ERROR:201:no index");
    assert!(reg
        .info(&s, "sindex-create", "namespace=nope;indexname=i;bin=a;type=NUMERIC")
        .unwrap()
        .starts_with("ERROR:4:"));
    assert_eq!(reg.info(&s, "status", ""), None);
}

#[test]
fn predicates_parse_and_match_only_their_type() {
    let data = field22(b"a", 1, &5i64.to_be_bytes(), &9i64.to_be_bytes());
    let pred = Predicate::parse(&data).unwrap();
    assert_eq!(pred.value, Match::IntRange(5, 9));
    let rec = |v| Record {
        bins: vec![Bin { name: BinName::new(b"a").unwrap(), value: v }],
        ..Record::default()
    };
    assert!(pred.matches(&rec(Value::Int(5))));
    assert!(!pred.matches(&rec(Value::Int(10))));
    assert!(!pred.matches(&rec(Value::Str(b"7"[..].into()))));
    let s = field22(b"a", 3, b"xy", b"xy");
    assert!(Predicate::parse(&s).unwrap().matches(&rec(Value::Str(b"xy"[..].into()))));
    assert_eq!(Predicate::parse(&field22(b"a", 3, b"a", b"b")), Err(ResultCode::ParameterError));
    assert_eq!(Predicate::parse(&field22(b"a", 2, b"", b"")), Err(ResultCode::IndexNotFound));
    assert_eq!(Predicate::parse(&data[..data.len() - 1]), Err(ResultCode::ParameterError));
}

#[test]
fn coverage_needs_same_set_bin_and_type() {
    let reg = Registry::new();
    let s = store();
    let created =
        reg.info(&s, "sindex-create", "namespace=test;set=s;indexname=i;bin=a;type=NUMERIC");
    assert_eq!(created.as_deref(), Some("ok"));
    let int = Predicate { bin: b"a", value: Match::IntRange(0, 1) };
    let text = Predicate { bin: b"a", value: Match::Str(b"x") };
    assert!(reg.covers(b"test", b"s", &int));
    assert!(!reg.covers(b"test", b"t", &int));
    assert!(!reg.covers(b"test", b"s", &text));
}
