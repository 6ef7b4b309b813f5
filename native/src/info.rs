//! Info protocol (proto type 1): the commands the client's tend loop and tools send.

use std::fmt::Write as _;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::clock::Clock;
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
        "build" | "version" => BUILD.to_owned(),
        "edition" => "Aerospike Community Edition".to_owned(),
        "service-clear-std" | "service" | "services" | "services-alumni" => String::new(),
        "peers-clear-std" => format!("0,{},[]", ctx.port),
        "partition-generation" => "1".to_owned(),
        "replicas" => replicas(ctx.store),
        "namespaces" => namespace_list(ctx.store),
        "status" | "user-agent-set" => "ok".to_owned(),
        "truncate" => truncate(ctx, params, true),
        "truncate-namespace" => truncate(ctx, params, false),
        _ => UNRECOGNIZED.to_owned(),
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
    let Some(ns) = namespace.and_then(|n| ctx.store.namespace(n.as_bytes())) else {
        return "ERROR:4:namespace not found".to_owned();
    };
    if needs_set && set.is_none() {
        return "ERROR:4:set required".to_owned();
    }
    let before = match lut.map(str::parse::<u64>) {
        None => None,
        Some(Ok(nanos)) if nanos <= ctx.clock.now_unix_nanos() => Some(nanos),
        Some(Ok(_)) => return "ERROR:4:lut is in the future".to_owned(),
        Some(Err(_)) => return "ERROR:4:bad lut".to_owned(),
    };
    ns.truncate(set.map(str::as_bytes), before);
    "ok".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Namespace;

    fn with_ctx(f: impl FnOnce(&InfoContext<'_>)) {
        let store = Store::new(vec![Namespace::new("test", 0), Namespace::new("bar", 0)]);
        let clock = Clock::new();
        let ctx = InfoContext {
            node_id: "BB9020011AC4202",
            cluster_name: Some("docker"),
            port: 3995,
            store: &store,
            clock: &clock,
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
            assert!(reply.contains("truncate:namespace=nope;set=x\tERROR:4:"));
            let future = format!("truncate-namespace:namespace=test;lut={}\n", u64::MAX);
            let reply = String::from_utf8(handle(ctx, future.as_bytes())).unwrap();
            assert!(reply.contains("ERROR:4:lut is in the future"));
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
    fn truncate_is_echoed_verbatim() {
        with_ctx(|ctx| {
            let reply = handle(ctx, b"truncate:namespace=test;set=demo\n");
            assert_eq!(reply, b"truncate:namespace=test;set=demo\tok\n");
        });
    }
}
