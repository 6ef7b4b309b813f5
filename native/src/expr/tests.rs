use super::*;
use crate::store::Record;
use crate::value::{Bin, BinName, Value};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn record() -> Record {
    let bin = |n: &[u8], v| Bin { name: BinName::new(n).unwrap(), value: v };
    Record {
        bins: vec![
            bin(b"a", Value::Int(1)),
            bin(b"s", Value::Str(b"ab"[..].into())),
            bin(b"f", Value::Float(1.5)),
            bin(b"l", Value::List(hex("9201a20378")[..].into())),
        ],
        generation: 1,
        void_time: 0,
        last_update_nanos: 5,
        set: b"s"[..].into(),
        key: Some(vec![1, 0, 0, 0, 0, 0, 0, 0, 1].into()),
    }
}

fn eval_hex(s: &str) -> OpResult<bool> {
    let bytes = hex(s);
    let filter = Filter::parse(&bytes)?;
    let rec = record();
    let digest = [0u8; 20];
    let view = RecordView { record: &rec, digest: &digest, now_secs: 100, now_nanos: 10 };
    Ok(filter.matches(&view))
}

#[test]
fn captured_client_expressions_evaluate() {
    // Captured from aerospike-py 0.14.4's `exp` builders.
    assert_eq!(eval_hex("9301935102a16101"), Ok(true)); // int_bin a == 1
    assert_eq!(eval_hex("9301935102a161fb"), Ok(false)); // int_bin a == -5
    assert_eq!(eval_hex("9301935103a173a3036162"), Ok(true)); // string_bin s == "ab"
    assert_eq!(eval_hex("9301935107a166cb3ff8000000000000"), Ok(true)); // float f == 1.5
    assert_eq!(eval_hex("93029252a16100"), Ok(true)); // bin_exists a
    assert_eq!(eval_hex("93019252a16101"), Ok(true)); // bin_type a == 1
    assert_eq!(eval_hex("94109311c3c29212c29313c3c2"), Ok(true)); // and/or/not/xor
    assert_eq!(eval_hex("9301935104a16c927e9201a20378"), Ok(true)); // list == [1, "x"]
    assert_eq!(eval_hex("947bc30102").map(|_| ()), Err(ResultCode::ParameterError));
    // int cond
}

#[test]
fn metadata_and_arithmetic() {
    // and(key_exists, set_name == "s", digest_modulo(3) == 0)
    assert_eq!(eval_hex("9410914793019146a20373930192400300"), Ok(true));
    assert_eq!(eval_hex("930192500201"), Ok(true)); // key(int) == 1
    assert_eq!(eval_hex("93019145ff"), Ok(true)); // ttl == -1 (never expires)
    assert_eq!(eval_hex("930191420a"), Ok(false)); // since_update == 10 ms (it is 0)
                                                   // (a + 1 + 2) == (2 * 3) - (4 / 2)  ->  4 == 4
    assert_eq!(eval_hex("93019414935102a161010293159316020393170402"), Ok(true));
    assert_eq!(eval_hex("930192500201ff"), Err(ResultCode::ParameterError)); // trailing byte
}

#[test]
fn absent_or_mistyped_bins_are_unknown_and_filter_out() {
    assert_eq!(eval_hex("9301935102a17a01"), Ok(false)); // int_bin z == 1 (absent)
    assert_eq!(eval_hex("9302935102a17a01"), Ok(false)); // ne is unknown too
    assert_eq!(eval_hex("92129301935102a17a01"), Ok(false)); // not(unknown)
    assert_eq!(eval_hex("9301935102a17301"), Ok(false)); // int_bin s (a string)
                                                         // or(unknown, true) is true
    assert_eq!(eval_hex("93119301935102a17a01c3"), Ok(true));
}

#[test]
fn type_errors_and_unknown_ops_are_parameter_errors() {
    let bad = Err(ResultCode::ParameterError);
    assert_eq!(eval_hex("9301935102a161a3036162"), bad); // int_bin == string_val
    assert_eq!(eval_hex("9301935102a161c0"), bad); // int_bin == nil
    assert_eq!(eval_hex("935102a161"), bad); // not a boolean
    assert_eq!(eval_hex("93630101"), bad); // unknown op 99
    assert_eq!(eval_hex("9303935102a161d4ff01"), bad); // infinity
    assert_eq!(eval_hex("9110"), bad); // and() with no args
    assert_eq!(eval_hex(""), bad);
    assert_eq!(eval_hex("93"), bad);
    assert_eq!(eval_hex("c3c3"), bad);
}

#[test]
fn deep_or_random_input_never_panics() {
    let mut deep = [0x92, 0x12].repeat(5000);
    deep.push(0xc3);
    assert_eq!(Filter::parse(&deep).map(|_| ()), Err(ResultCode::ParameterError));
    let mut state = 0x1234_5678_9abc_def0u64;
    for _ in 0..20_000 {
        let len = usize::try_from(state % 24).unwrap();
        let mut bytes = Vec::with_capacity(len);
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes.push(u8::try_from(state & 0xff).unwrap());
        }
        if let Ok(filter) = Filter::parse(&bytes) {
            let rec = record();
            let digest = [0u8; 20];
            let view = RecordView { record: &rec, digest: &digest, now_secs: 0, now_nanos: 0 };
            let _ = filter.matches(&view);
        }
    }
}

#[test]
fn let_cond_and_integer_ops() {
    // let x = 1 in x == 1
    assert_eq!(eval_hex("947da178019301927ca17801"), Ok(true));
    // int_count(int_not(1 << 2)) == 1 & 3  ->  63 == 1 is false
    assert_eq!(eval_hex("9301932001039227922393240102"), Ok(false));
    assert_eq!(eval_num::apply(NumOp::Div, &[eval_num::Num::Int(1), eval_num::Num::Int(0)]), None);
}
