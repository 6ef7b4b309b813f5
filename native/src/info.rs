//! Info protocol (proto type 1): the commands the client's tend loop and tools send.

use std::fmt::Write as _;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::clock::Clock;
use crate::sindex::Registry;
use crate::store::{Store, N_PARTITIONS};

/// Build string reported to clients (must be four dot-separated numbers).
pub const BUILD: &str = "8.1.0.3";
/// Commands after the reply reaches this many bytes are not answered (a request repeating
/// `replicas` could otherwise make a reply thousands of times its own size).
const MAX_REPLY_BYTES: usize = 1 << 20;
/// Reply to commands this server does not know, as a real server words it.
const UNRECOGNIZED: &str = "ERROR:4:unrecognized command";

/// What the info commands report about this server.
#[derive(Debug)]
pub struct InfoContext<'a> {
    /// Constant node id (15 upper-case hex digits).
    pub node_id: &'a str,
    /// Cluster name, or `None` (reported as `null`).
    pub cluster_name: Option<&'a str>,
    /// Listening port.
    pub port: u16,
    /// Records, for `truncate`.
    pub store: &'a Store,
    /// Time source, for truncate's last-update cut-off.
    pub clock: &'a Clock,
    /// Secondary-index definitions, for the `sindex-*` commands.
    pub sindexes: &'a Registry,
}

/// Answers an info request body: one `command\tvalue\n` line per command, in order.
#[must_use]
pub fn handle(ctx: &InfoContext<'_>, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for command in body.split(|b| *b == b'\n').filter(|c| !c.is_empty()) {
        if out.len() > MAX_REPLY_BYTES {
            break;
        }
        out.extend_from_slice(command);
        out.push(b'\t');
        let value = match std::str::from_utf8(command) {
            Ok(text) => answer(ctx, text),
            Err(_) => UNRECOGNIZED.to_owned(),
        };
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    }
    out
}

fn answer(ctx: &InfoContext<'_>, command: &str) -> String {
    let (name, params) = command.split_once(':').unwrap_or((command, ""));
    match name {
        "node" => ctx.node_id.to_owned(),
        "cluster-name" => ctx.cluster_name.unwrap_or("null").to_owned(),
        "build" => BUILD.to_owned(),
        "version" => format!("Aerospike Community Edition build {BUILD}"),
        "edition" => "Aerospike Community Edition".to_owned(),
        "service-clear-std" | "service" | "services" | "services-alumni" => String::new(),
        "peers-clear-std" => format!("0,{},[]", ctx.port),
        "partition-generation" => "1".to_owned(),
        "replicas" => replicas(ctx.store),
        "namespaces" => namespace_list(ctx.store),
        // Truncate removes records at once, so a truncate-undo has nothing to bring back.
        "status" | "user-agent-set" | "truncate-undo" => "ok".to_owned(),
        "truncate" => truncate(ctx, params, true),
        "truncate-namespace" => truncate(ctx, params, false),
        "aerorepo-clock" => clock_reading(ctx.clock),
        "aerorepo-clock-advance" => advance_clock(ctx.clock, params),
        "aerorepo-expire" => {
            format!("removed={}", ctx.store.sweep_expired(ctx.clock.now_citrusleaf_secs()))
        }
        _ => ctx.sindexes.info(ctx.store, name, params).unwrap_or_else(|| UNRECOGNIZED.to_owned()),
    }
}

fn namespace_list(store: &Store) -> String {
    let names: Vec<&str> = store.namespaces().iter().map(|ns| ns.name.as_str()).collect();
    names.join(";")
}

/// `<ns>:0,1,<bitmap>` per namespace: one node owning all 4096 partitions.
fn replicas(store: &Store) -> String {
    let bitmap = STANDARD.encode([0xffu8; N_PARTITIONS / 8]);
    let mut out = String::new();
    for (i, ns) in store.namespaces().iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        let _ = write!(out, "{}:0,1,{bitmap}", ns.name);
    }
    out
}

/// Extension `aerorepo-clock`: `now=<Unix seconds>;offset=<seconds>` of the server clock.
fn clock_reading(clock: &Clock) -> String {
    let now = clock.now_unix_nanos() / 1_000_000_000;
    let offset = clock.offset_nanos() / 1_000_000_000;
    format!("now={now};offset={offset}")
}

/// Extension `aerorepo-clock-advance:seconds=<N>`: moves the server clock by N whole
/// seconds (negative moves it back); answers the new reading.
fn advance_clock(clock: &Clock, params: &str) -> String {
    match params.strip_prefix("seconds=").map(str::parse::<i64>) {
        Some(Ok(secs)) if secs < 0 && secs.checked_mul(1_000_000_000).is_none() => {
            format!("ERROR:4:moving the clock by {secs} s would put it before 2010-01-01")
        }
        Some(Ok(secs)) => match clock.try_advance_nanos(secs.saturating_mul(1_000_000_000)) {
            Ok(()) => clock_reading(clock),
            Err(msg) => format!("ERROR:4:{msg}"),
        },
        _ => "ERROR:4:expected seconds=<whole number>".to_owned(),
    }
}

/// `truncate:namespace=<ns>;set=<set>[;lut=<ns since epoch>]` and the namespace form.
fn truncate(ctx: &InfoContext<'_>, params: &str, needs_set: bool) -> String {
    let mut namespace = None;
    let mut set = None;
    let mut lut = None;
    for pair in params.split(';').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("namespace", v)) => namespace = Some(v),
            Some(("set", v)) => set = Some(v),
            Some(("lut", v)) => lut = Some(v),
            _ => return "ERROR:4:bad truncate parameter".to_owned(),
        }
    }
    if needs_set && set.is_none() {
        return "ERROR:4:missing 'set'".to_owned();
    }
    if !needs_set && set.is_some() {
        return "ERROR:4:unexpected set name".to_owned();
    }
    let cutoff = match truncate_cutoff(ctx, lut) {
        Ok(nanos) => nanos,
        Err(reply) => return reply.to_owned(),
    };

    // A real server answers ok for a namespace it does not have, and truncates nothing.
    if let Some(ns) = namespace.and_then(|n| ctx.store.namespace(n.as_bytes())) {
        ns.truncate(set.map(str::as_bytes), Some(cutoff));
    }
    "ok".to_owned()
}

/// The truncate cut-off in nanoseconds since the Unix epoch, floored to a whole
/// millisecond as a real server keeps last-update times: records last updated in an
/// earlier millisecond go, those of the cut-off's own millisecond stay. No `lut`
/// means now; a `lut` of less than 1 ms or in the future is refused.
fn truncate_cutoff(ctx: &InfoContext<'_>, lut: Option<&str>) -> Result<u64, &'static str> {
    const NANOS_PER_MILLI: u64 = 1_000_000;

    let now_millis = ctx.clock.now_unix_nanos() / NANOS_PER_MILLI;
    let millis = match lut.map(str::parse::<u64>) {
        None => now_millis,
        Some(Ok(nanos)) => nanos / NANOS_PER_MILLI,
        Some(Err(_)) => return Err("ERROR:4:bad lut"),
    };
    if millis == 0 {
        return Err("ERROR:4:would truncate to 0");
    }
    if millis > now_millis {
        return Err("ERROR:4:would truncate in the future");
    }
    Ok(millis * NANOS_PER_MILLI)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Namespace, Record};

    fn with_ctx(f: impl FnOnce(&InfoContext<'_>)) {
        let store = Store::new(vec![Namespace::new("test", 0), Namespace::new("bar", 0)]);
        let clock = Clock::new();
        let ctx = InfoContext {
            node_id: "BB9020011AC4202",
            cluster_name: Some("docker"),
            port: 3995,
            store: &store,
            clock: &clock,
            sindexes: &Registry::new(),
        };
        f(&ctx);
    }

    #[test]
    fn answers_captured_seed_validation() {
        with_ctx(|ctx| {
            let reply = handle(ctx, b"node\ncluster-name\nbuild\nservice-clear-std\n");
            let want = "node\tBB9020011AC4202\ncluster-name\tdocker\nbuild\t8.1.0.3\n\
                        service-clear-std\t\n";
            assert_eq!(String::from_utf8(reply).unwrap(), want);
        });
    }

    #[test]
    fn replicas_bitmap_covers_every_partition() {
        with_ctx(|ctx| {
            let reply = String::from_utf8(handle(ctx, b"replicas\n")).unwrap();
            let value = reply.trim_end().strip_prefix("replicas\t").unwrap();
            let first = value.split(';').next().unwrap();
            let bitmap = first.strip_prefix("test:0,1,").unwrap();
            assert_eq!(bitmap.len(), 684);
            assert!(bitmap.ends_with("8="));
            assert!(value.contains(";bar:0,1,"));
        });
    }

    #[test]
    fn unknown_and_bad_commands() {
        with_ctx(|ctx| {
            let reply = String::from_utf8(handle(ctx, b"bogus\ntruncate:namespace=nope;set=x\n"));
            let reply = reply.unwrap();
            assert!(reply.starts_with("bogus\tERROR:4:unrecognized command\n"));
            assert!(reply.contains("truncate:namespace=nope;set=x\tok\n"));
        });
    }

    #[test]
    fn truncate_refuses_what_a_real_server_refuses() {
        with_ctx(|ctx| {
            for (request, answer) in [
                (
                    format!("truncate-namespace:namespace=test;lut={}", u64::MAX),
                    "would truncate in the future",
                ),
                ("truncate:namespace=test;set=a;lut=1000".to_owned(), "would truncate to 0"),
                ("truncate:namespace=test;set=a;lut=x".to_owned(), "bad lut"),
                ("truncate:namespace=test".to_owned(), "missing 'set'"),
                ("truncate-namespace:namespace=test;set=a".to_owned(), "unexpected set name"),
            ] {
                let reply = String::from_utf8(handle(ctx, format!("{request}\n").as_bytes()));
                let reply = reply.unwrap();
                assert!(reply.contains(&format!("\tERROR:4:{answer}")), "{request}: {reply}");
            }
        });
    }

    #[test]
    fn truncate_keeps_records_of_the_cut_off_millisecond() {
        with_ctx(|ctx| {
            let now = ctx.clock.now_unix_nanos();
            let ns = ctx.store.namespace(b"test").unwrap();
            let cutoff_millis = now / 1_000_000;
            let lut = cutoff_millis * 1_000_000 + 999_999;
            for (i, updated) in [(1u8, cutoff_millis * 1_000_000 - 1), (2, lut - 5)] {
                let rec = Record {
                    set: b"a".as_slice().into(),
                    last_update_nanos: updated,
                    ..Record::default()
                };
                ns.lock_digest(&[i; 20]).insert([i; 20], rec);
            }
            let request = format!("truncate:namespace=test;set=a;lut={}\n", lut.min(now));
            let _ = handle(ctx, request.as_bytes());
            assert_eq!(ns.len(), 1);
        });
    }

    #[test]
    fn reply_size_is_bounded() {
        with_ctx(|ctx| {
            let request = b"replicas\n".repeat(10_000);
            let reply = handle(ctx, &request);
            assert!(reply.len() < MAX_REPLY_BYTES + 4096);
            assert!(reply.ends_with(b"\n"));
        });
    }

    #[test]
    fn clock_extension_commands_move_the_clock() {
        with_ctx(|ctx| {
            let reply = String::from_utf8(handle(ctx, b"aerorepo-clock-advance:seconds=90\n"));
            assert!(reply.unwrap().ends_with(";offset=90\n"));
            let reply = String::from_utf8(handle(ctx, b"aerorepo-clock-advance:seconds=x\n"));
            assert!(reply.unwrap().contains("ERROR:4:"));
            let reply = String::from_utf8(handle(ctx, b"aerorepo-expire\n")).unwrap();
            assert_eq!(reply, "aerorepo-expire\tremoved=0\n");
        });
    }

    #[test]
    fn truncate_is_echoed_verbatim() {
        with_ctx(|ctx| {
            let reply = handle(ctx, b"truncate:namespace=test;set=demo\n");
            assert_eq!(reply, b"truncate:namespace=test;set=demo\tok\n");
        });
    }
}
