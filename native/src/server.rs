//! TCP listener and per-connection request loop (one OS thread per connection).

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use socket2::SockRef;

use crate::clock::Clock;
use crate::config::ServerConfig;
use crate::error::{OpResult, ResultCode, StartError};
use crate::fd_limit;
use crate::frame::{self, read_frame, Frame, ProtoHeader, PROTO_HEADER_LEN};
use crate::info::{self, InfoContext};
use crate::msg::{field, info1, needs_unsupported_feature, parse_message, put_header};
use crate::msg::{Message, MsgHeader};
use crate::persist::{self, DirLock};
use crate::record_ops::{execute, Limits, RecordRequest};
use crate::sindex::Registry;
use crate::store::{Digest, Namespace, Store};
use crate::stream::ReplyStream;
use crate::{batch, expr, scan};

/// Stack size of connection threads, in bytes (the handlers do not recurse).
const CONN_STACK_BYTES: usize = 512 * 1024;
/// Read buffer per connection, in bytes.
const READ_BUF_BYTES: usize = 64 * 1024;
/// Scratch buffers above this capacity are released after a request, in bytes.
const KEEP_BUF_BYTES: usize = 4 << 20;
/// Log target; Python sees it as the `aerorepo._native.server` logger. Never log bin values.
const LOG_TARGET: &str = "aerorepo::_native::server";
/// Result code a Community Edition server answers to login: security not enabled.
const SECURITY_NOT_ENABLED: u8 = 52;

/// Open connections by id: a handle to shut the socket down, and the handler thread.
type ConnRegistry = HashMap<u64, (Arc<TcpStream>, Option<JoinHandle<()>>)>;

/// State shared by the listener and every connection.
#[derive(Debug)]
struct Shared {
    config: ServerConfig,
    store: Store,
    /// Secondary-index definitions.
    sindexes: Registry,
    clock: Arc<Clock>,
    node_id: String,
    port: u16,
    /// `config.max_connections`, lowered if the open-file limit cannot fit it.
    max_connections: usize,
    stopping: AtomicBool,
    next_conn: AtomicU64,
    conns: Mutex<ConnRegistry>,
    /// The data directory's lock, released when the server stops.
    dir_lock: Mutex<Option<DirLock>>,
}

impl Shared {
    fn new(config: ServerConfig, port: u16, opened: OpenedStore) -> Self {
        Self {
            store: opened.store,
            sindexes: Registry::new(),
            node_id: format!("BB9{:08X}{:04X}", std::process::id(), port),
            port,
            clock: opened.clock,
            dir_lock: Mutex::new(opened.dir_lock),
            max_connections: config.max_connections,
            config,
            stopping: AtomicBool::new(false),
            next_conn: AtomicU64::new(0),
            conns: Mutex::new(HashMap::new()),
        }
    }
}

/// The records and clock a server starts with, loaded from its data directory if any.
struct OpenedStore {
    store: Store,
    clock: Arc<Clock>,
    dir_lock: Option<DirLock>,
}

/// Builds the namespaces and, with a data directory, locks it and replays its logs.
fn open_store(config: &ServerConfig) -> Result<OpenedStore, StartError> {
    let clock = Arc::new(Clock::with_offset_nanos(config.clock_offset_nanos));
    let namespaces = config.namespaces.iter().map(|n| {
        Namespace::new(n, config.default_ttl_for(n))
            .with_max_record_size(config.max_record_size_for(n))
    });
    let store = Store::new(namespaces.collect());
    let Some(dir) = &config.data_dir else {
        return Ok(OpenedStore { store, clock, dir_lock: None });
    };
    let dir_lock = persist::lock_dir(dir).map_err(StartError::Config)?;
    let now = clock.now_citrusleaf_secs();
    let options = persist::LogOptions { fsync: config.fsync, repair: config.repair_log };
    for ns in store.namespaces() {
        let journal =
            persist::open_namespace(dir, ns, now, options).map_err(StartError::Config)?;
        ns.attach_journal(journal);
    }
    Ok(OpenedStore { store, clock, dir_lock: Some(dir_lock) })
}

/// A running server; dropping it stops it.
#[derive(Debug)]
pub struct Server {
    shared: Arc<Shared>,
    listener: TcpListener,
    addr: SocketAddr,
    acceptor: Option<JoinHandle<()>>,
    sweeper: Option<Sweeper>,
}

/// The background expiry sweep: a thread woken every `nsup_period` and stopped by
/// dropping `stop`.
#[derive(Debug)]
struct Sweeper {
    stop: std::sync::mpsc::Sender<()>,
    handle: JoinHandle<()>,
}

/// Starts the sweeper thread, unless the period is zero.
fn start_sweeper(shared: &Arc<Shared>) -> Result<Option<Sweeper>, StartError> {
    let period = shared.config.nsup_period;
    if period.is_zero() {
        return Ok(None);
    }
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let shared = Arc::clone(shared);
    let handle = thread::Builder::new()
        .name("aerorepo-nsup".to_owned())
        .spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(period)
            {
                shared.store.sweep_expired(shared.clock.now_citrusleaf_secs());
            }
        })
        .map_err(|e| StartError::Bind(format!("cannot start the expiry thread: {e}")))?;
    Ok(Some(Sweeper { stop, handle }))
}

impl Server {
    /// Validates `config`, binds, and starts accepting connections on a background thread.
    ///
    /// # Errors
    /// `StartError::Config` for invalid settings, `StartError::Bind` if the address cannot
    /// be bound (e.g. the port is taken).
    pub fn start(config: ServerConfig) -> Result<Self, StartError> {
        let ip = config.validate()?;
        let opened = open_store(&config)?;
        let listener = TcpListener::bind((ip, config.port)).map_err(|e| {
            StartError::Bind(format!(
                "cannot listen on {ip}:{}: {e}; choose another port or pass port=0",
                config.port
            ))
        })?;
        let addr = listener.local_addr().map_err(|e| StartError::Bind(e.to_string()))?;
        let mut shared = Shared::new(config, addr.port(), opened);
        shared.max_connections = connection_cap(shared.config.max_connections);
        let shared = Arc::new(shared);
        let accept_listener = listener.try_clone().map_err(|e| StartError::Bind(e.to_string()))?;
        let accept_shared = Arc::clone(&shared);
        let acceptor = thread::Builder::new()
            .name("aerorepo-accept".to_owned())
            .spawn(move || accept_loop(&accept_shared, &accept_listener))
            .map_err(|e| StartError::Bind(format!("cannot start the accept thread: {e}")))?;
        let sweeper = start_sweeper(&shared)?;
        log::debug!(target: LOG_TARGET, "embedded server listening on {addr}");
        Ok(Self { shared, listener, addr, acceptor: Some(acceptor), sweeper })
    }

    /// The bound address (with the OS-chosen port when port 0 was requested).
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server clock (shift it to make records expire).
    #[must_use]
    pub fn clock(&self) -> &Arc<Clock> {
        &self.shared.clock
    }

    /// The records served.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.shared.store
    }

    /// Removes every record expired by the server clock now; returns how many.
    #[allow(clippy::must_use_candidate)] // callers often only want the side effect
    pub fn sweep_expired(&self) -> usize {
        self.shared.store.sweep_expired(self.shared.clock.now_citrusleaf_secs())
    }

    /// Whether the server is accepting connections.
    #[must_use]
    pub fn is_running(&self) -> bool {
        !self.shared.stopping.load(Ordering::SeqCst)
    }

    /// Stops accepting, closes every connection and waits for their threads; idempotent.
    pub fn stop(&mut self) {
        if self.is_running() {
            self.shut_down(true);
            log::debug!(target: LOG_TARGET, "embedded server on {} stopped", self.addr);
        }
    }

    /// Signals every thread to stop; with `join`, also waits for them.
    fn shut_down(&mut self, join: bool) {
        if self.shared.stopping.swap(true, Ordering::SeqCst) {
            return;
        }
        // Shutting a listening socket down wakes a thread blocked in accept().
        let _ = SockRef::from(&self.listener).shutdown(Shutdown::Both);
        let acceptor = self.acceptor.take();
        if let (true, Some(handle)) = (join, acceptor) {
            let _ = handle.join();
        }
        let conns: Vec<_> = lock(&self.shared.conns).drain().map(|(_, c)| c).collect();
        for (stream, _) in &conns {
            let _ = stream.shutdown(Shutdown::Both);
        }
        if let Some(sweeper) = self.sweeper.take() {
            drop(sweeper.stop);
            if join {
                let _ = sweeper.handle.join();
            }
        }
        if join {
            for handle in conns.into_iter().filter_map(|(_, handle)| handle) {
                let _ = handle.join();
            }
            // Every writer has finished: another server may now use the data directory.
            lock(&self.shared.dir_lock).take();
        }
    }
}

impl Drop for Server {
    /// Closes everything without waiting: threads may need the Python GIL to log, and a
    /// drop can run while the GIL is held.
    fn drop(&mut self) {
        self.shut_down(false);
    }
}

/// The connection cap that the open-file limit allows; warns once per process when it
/// is below `wanted`.
fn connection_cap(wanted: usize) -> usize {
    static WARNED: AtomicBool = AtomicBool::new(false);
    let fits = fd_limit::fit_connections(wanted);
    if fits < wanted && !WARNED.swap(true, Ordering::Relaxed) {
        log::warn!(
            target: LOG_TARGET,
            "max_connections {wanted} does not fit the open-file limit; serving at most \
             {fits} connections (raise `ulimit -n` to allow more)"
        );
    }
    fits
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn accept_loop(shared: &Arc<Shared>, listener: &TcpListener) {
    for incoming in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        match incoming {
            Ok(stream) => admit(shared, stream),
            Err(e) => {
                log::warn!(target: LOG_TARGET, "accept failed: {e}");
                // Out of descriptors and similar: back off instead of spinning.
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Registers and starts a handler for `stream`, or closes it when at the limit.
fn admit(shared: &Arc<Shared>, stream: TcpStream) {
    let mut conns = lock(&shared.conns);
    // Checked under the registry lock, so no connection is added after `stop` drained it.
    if shared.stopping.load(Ordering::SeqCst) {
        return;
    }
    if conns.len() >= shared.max_connections {
        log::warn!(target: LOG_TARGET, "refusing connection: {} already open", conns.len());
        return;
    }
    let peer = stream.peer_addr().map_or_else(|_| "an unknown peer".to_owned(), |a| a.to_string());
    let stream = Arc::new(stream);
    let registered = Arc::clone(&stream);
    let id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
    let conn_shared = Arc::clone(shared);
    let spawned = thread::Builder::new()
        .name("aerorepo-conn".to_owned())
        .stack_size(CONN_STACK_BYTES)
        .spawn(move || {
            // One DEBUG line at open and one at close; never keys or bin values.
            log::debug!(target: LOG_TARGET, "connection {id} from {peer} opened");
            let outcome = catch_unwind(AssertUnwindSafe(|| serve(&conn_shared, &stream)));
            if outcome.is_err() {
                log::error!(target: LOG_TARGET, "connection {id}: handler panicked; closed");
            }
            lock(&conn_shared.conns).remove(&id);
            log::debug!(target: LOG_TARGET, "connection {id} from {peer} closed");
        });
    match spawned {
        Ok(handle) => {
            conns.insert(id, (registered, Some(handle)));
        }
        Err(e) => log::warn!(target: LOG_TARGET, "cannot start a connection thread: {e}"),
    }
}

/// Per-connection scratch buffers, reused across requests.
struct Buffers {
    body: Vec<u8>,
    out: Vec<u8>,
}

/// Serves one connection until the peer closes it, a frame is unusable, or the server stops.
fn serve(shared: &Shared, stream: &TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::with_capacity(READ_BUF_BYTES, stream);
    let mut writer = stream;
    let mut bufs = Buffers { body: Vec::new(), out: Vec::new() };
    while !shared.stopping.load(Ordering::Relaxed) {
        let frame = next_frame(shared, &mut reader, &mut bufs.body).ok();
        if !answer_frame(shared, frame, &mut bufs, &mut writer) {
            break;
        }
        release_large(&mut bufs.body);
        release_large(&mut bufs.out);
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// Answers one frame read from a connection (its body is in `bufs.body`; `None` when
/// reading failed); returns whether the connection stays open.
fn answer_frame(
    shared: &Shared,
    frame: Option<Frame>,
    bufs: &mut Buffers,
    writer: &mut impl Write,
) -> bool {
    let keep_open = match frame {
        Some(Frame::Message(header)) => dispatch(shared, header, bufs, writer),
        Some(Frame::TooLarge(header)) => {
            let (len, limit) = (header.len, shared.config.max_frame_bytes);
            log::warn!(target: LOG_TARGET, "refusing a {len}-byte frame (limit {limit})");
            let _ = send_error(writer, &mut bufs.out, ResultCode::ParameterError);
            Ok(false)
        }
        Some(Frame::Closed) | None => Ok(false),
    };
    matches!(keep_open, Ok(true))
}

/// Reads the next frame.
///
/// Waiting for a frame to start has no time limit unless `idle_timeout` is set, so idle
/// connections stay open by default. Once its first byte has arrived, the whole frame
/// (header and body) must arrive within `frame_timeout` in total, however the peer
/// paces its bytes, or the read fails with `TimedOut` and the connection is closed.
fn next_frame(
    shared: &Shared,
    reader: &mut BufReader<&TcpStream>,
    body: &mut Vec<u8>,
) -> io::Result<Frame> {
    let stream = *reader.get_ref();
    if reader.buffer().is_empty() {
        stream.set_read_timeout(shared.config.idle_timeout)?;
        let started = reader.fill_buf().map(<[u8]>::is_empty);
        stream.set_read_timeout(None)?;
        if started? {
            return Ok(Frame::Closed);
        }
    }
    let limit = shared.config.max_frame_bytes;
    if is_whole_frame(reader.buffer()) {
        return read_frame(reader, body, limit);
    }
    let Some(deadline) = Instant::now().checked_add(shared.config.frame_timeout) else {
        return read_frame(reader, body, limit);
    };
    let frame = read_frame(&mut DeadlineReader { inner: reader, deadline }, body, limit);
    stream.set_read_timeout(None)?;
    frame
}

/// Reads from a connection until a fixed instant, then fails with `TimedOut`.
struct DeadlineReader<'r, 's> {
    inner: &'r mut BufReader<&'s TcpStream>,
    deadline: Instant,
}

impl Read for DeadlineReader<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.inner.buffer().is_empty() {
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::ErrorKind::TimedOut.into());
            }
            self.inner.get_ref().set_read_timeout(Some(left))?;
        }
        self.inner.read(buf)
    }
}

/// Whether `buf` starts with a complete frame (header and body).
fn is_whole_frame(buf: &[u8]) -> bool {
    let Some(head) = buf.first_chunk::<PROTO_HEADER_LEN>() else { return false };
    let have = buf.len() - PROTO_HEADER_LEN;
    u64::try_from(have).is_ok_and(|have| have >= ProtoHeader::parse(*head).len)
}

fn release_large(buf: &mut Vec<u8>) {
    if buf.capacity() > KEEP_BUF_BYTES {
        *buf = Vec::new();
    }
}

/// Handles one frame; `Ok(false)` closes the connection.
fn dispatch(
    shared: &Shared,
    header: ProtoHeader,
    bufs: &mut Buffers,
    writer: &mut impl Write,
) -> io::Result<bool> {
    if header.version != frame::PROTO_VERSION {
        let version = header.version;
        log::warn!(target: LOG_TARGET, "closing a connection that sent version {version}");
        return Ok(false);
    }
    match header.kind {
        frame::TYPE_INFO => send_info(shared, &bufs.body, &mut bufs.out, writer)?,
        frame::TYPE_ADMIN => send_admin_refusal(writer)?,
        frame::TYPE_MSG => handle_msg(shared, &bufs.body, &mut bufs.out, writer)?,
        #[cfg(test)]
        tests::PANIC_TYPE => panic!("test-only proto type"),
        other => {
            log::warn!(target: LOG_TARGET, "unsupported proto type {other}");
            send_error(writer, &mut bufs.out, ResultCode::ParameterError)?;
        }
    }
    Ok(true)
}

fn send_info(
    shared: &Shared,
    body: &[u8],
    out: &mut Vec<u8>,
    w: &mut impl Write,
) -> io::Result<()> {
    let ctx = InfoContext {
        node_id: &shared.node_id,
        cluster_name: shared.config.cluster_name.as_deref(),
        port: shared.port,
        store: &shared.store,
        clock: &shared.clock,
        sindexes: &shared.sindexes,
    };
    let reply = info::handle(&ctx, body);
    out.clear();
    out.extend_from_slice(&frame::encode_header(frame::TYPE_INFO, reply.len()));
    out.extend_from_slice(&reply);
    w.write_all(out)
}

/// Answers any security command as a Community Edition server does (52).
fn send_admin_refusal(w: &mut impl Write) -> io::Result<()> {
    let mut reply = [0u8; PROTO_HEADER_LEN + 16];
    reply[..PROTO_HEADER_LEN].copy_from_slice(&frame::encode_header(frame::TYPE_ADMIN, 16));
    reply[PROTO_HEADER_LEN + 1] = SECURITY_NOT_ENABLED;
    w.write_all(&reply)
}

/// Sends a header-only AS_MSG reply carrying `rc`.
fn send_error(w: &mut impl Write, out: &mut Vec<u8>, rc: ResultCode) -> io::Result<()> {
    out.clear();
    out.resize(PROTO_HEADER_LEN, 0);
    put_header(out, &MsgHeader { result_code: rc.code(), ..MsgHeader::default() });
    frame::patch_header(out, 0, frame::TYPE_MSG);
    w.write_all(out)
}

fn handle_msg(
    shared: &Shared,
    body: &[u8],
    out: &mut Vec<u8>,
    w: &mut impl Write,
) -> io::Result<()> {
    let msg = match parse_message(body) {
        Ok(msg) => msg,
        Err(rc) => return send_error(w, out, rc),
    };
    // Each namespace carries its own record size limit.
    let limits = Limits { clock: &shared.clock, max_record_size: usize::MAX };
    if msg.header.info1 & info1::BATCH != 0 {
        let max_keys = shared.config.max_batch_keys;
        let stream = ReplyStream::new(w, out);
        return batch::handle(&shared.store, &limits, &msg, max_keys, stream);
    }
    if msg.field(field::DIGEST).is_none() {
        let stream = ReplyStream::new(w, out);
        return scan::handle(&shared.store, &shared.clock, &shared.sindexes, &msg, stream);
    }
    single_record(shared, &msg, &limits, out);
    w.write_all(out)
}

/// Runs a single-record command and leaves the complete reply frame in `out`.
fn single_record(shared: &Shared, msg: &Message<'_>, limits: &Limits<'_>, out: &mut Vec<u8>) {
    out.clear();
    out.resize(PROTO_HEADER_LEN, 0);
    let filter = expr::parse_field(msg.field(field::FILTER_EXP));
    match target(&shared.store, msg).and_then(|t| Ok((t, filter?))) {
        Ok(((ns, digest), filter)) => {
            let req =
                RecordRequest { filter: filter.as_ref(), ..RecordRequest::from_message(msg) };
            execute(ns, &digest, &req, limits, out, 0);
        }
        Err(rc) => put_header(out, &MsgHeader { result_code: rc.code(), ..MsgHeader::default() }),
    }
    frame::patch_header(out, 0, frame::TYPE_MSG);
}

/// The namespace and digest a single-record message addresses.
fn target<'s>(store: &'s Store, msg: &Message<'_>) -> OpResult<(&'s Namespace, Digest)> {
    let digest = msg.field(field::DIGEST).and_then(|d| d.try_into().ok());
    let digest: Digest = digest.ok_or(ResultCode::ParameterError)?;
    let ns = msg.field(field::NAMESPACE).and_then(|name| store.namespace(name));
    let ns = ns.ok_or(ResultCode::InvalidNamespace)?;
    if needs_unsupported_feature(&msg.fields) {
        return Err(ResultCode::UnsupportedFeature);
    }
    Ok((ns, digest))
}

#[cfg(test)]
#[path = "server_fuzz.rs"]
mod fuzz;

#[cfg(test)]
mod tests {
    use super::*;

    /// Proto type that makes a handler panic, compiled into tests only.
    pub(super) const PANIC_TYPE: u8 = 0xee;

    fn info_round_trip(addr: SocketAddr) -> Vec<u8> {
        let mut conn = TcpStream::connect(addr).unwrap();
        conn.write_all(&frame::encode_header(frame::TYPE_INFO, 6)).unwrap();
        conn.write_all(b"build\n").unwrap();
        let mut head = [0u8; 8];
        conn.read_exact(&mut head).unwrap();
        let mut body = vec![0u8; usize::from(head[7])];
        conn.read_exact(&mut body).unwrap();
        body
    }

    #[test]
    fn a_panicking_handler_closes_only_its_connection() {
        let mut server = Server::start(ServerConfig::default()).unwrap();
        let addr = server.local_addr();
        let mut victim = TcpStream::connect(addr).unwrap();
        victim.write_all(&frame::encode_header(PANIC_TYPE, 0)).unwrap();
        let mut buf = [0u8; 1];
        assert_eq!(victim.read(&mut buf).unwrap_or(0), 0);
        assert_eq!(info_round_trip(addr), b"build\t8.1.0.3\n");
        assert!(server.is_running());
        server.stop();
        assert!(!server.is_running());
        assert!(TcpStream::connect(addr).is_err());
    }

    #[test]
    fn a_stalled_frame_times_out_but_idle_connections_stay() {
        let config =
            ServerConfig { frame_timeout: Duration::from_millis(200), ..ServerConfig::default() };
        let server = Server::start(config).unwrap();
        let mut idle = TcpStream::connect(server.local_addr()).unwrap();
        let mut stalled = TcpStream::connect(server.local_addr()).unwrap();
        stalled.write_all(&[2, 1, 0]).unwrap();
        thread::sleep(Duration::from_millis(600));
        stalled.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 1];
        assert_eq!(stalled.read(&mut buf).unwrap_or(0), 0, "stalled frame closed");
        idle.write_all(&frame::encode_header(frame::TYPE_INFO, 6)).unwrap();
        idle.write_all(b"build\n").unwrap();
        let mut head = [0u8; 8];
        idle.read_exact(&mut head).unwrap();
        assert_eq!(head[1], frame::TYPE_INFO);
    }

    /// A peer trickling one byte at a time, each within the per-read limit that the
    /// old code used, is still cut off once the whole frame is overdue.
    #[test]
    fn a_trickled_frame_is_closed_at_the_total_deadline() {
        let config =
            ServerConfig { frame_timeout: Duration::from_millis(400), ..ServerConfig::default() };
        let server = Server::start(config).unwrap();
        let mut slow = TcpStream::connect(server.local_addr()).unwrap();
        slow.write_all(&frame::encode_header(frame::TYPE_INFO, 256)).unwrap();
        let started = Instant::now();
        let closed = (0..40).any(|_| {
            thread::sleep(Duration::from_millis(100));
            slow.write_all(b"x").is_err()
        });
        slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 1];
        let eof = slow.read(&mut buf).map_or(true, |n| n == 0);
        assert!(closed || eof, "connection still open");
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn idle_timeout_closes_silent_connections_only_when_set() {
        let config = ServerConfig {
            idle_timeout: Some(Duration::from_millis(200)),
            ..ServerConfig::default()
        };
        let server = Server::start(config).unwrap();
        let mut idle = TcpStream::connect(server.local_addr()).unwrap();
        idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 1];
        assert_eq!(idle.read(&mut buf).unwrap_or(0), 0, "idle connection closed");
        assert!(ServerConfig { idle_timeout: Some(Duration::ZERO), ..ServerConfig::default() }
            .validate()
            .is_err());
    }

    #[test]
    fn a_frame_split_across_writes_is_reassembled() {
        let server = Server::start(ServerConfig::default()).unwrap();
        let mut conn = TcpStream::connect(server.local_addr()).unwrap();
        let mut request = frame::encode_header(frame::TYPE_INFO, 6).to_vec();
        request.extend(b"build\n");
        for byte in request {
            conn.write_all(&[byte]).unwrap();
            thread::sleep(Duration::from_millis(2));
        }
        let mut reply = [0u8; 8 + 14];
        conn.read_exact(&mut reply).unwrap();
        assert_eq!(&reply[8..], b"build\t8.1.0.3\n");
    }

    #[test]
    fn stop_wakes_blocked_readers_and_is_idempotent() {
        let mut server = Server::start(ServerConfig::default()).unwrap();
        let mut idle = TcpStream::connect(server.local_addr()).unwrap();
        assert_eq!(info_round_trip(server.local_addr()), b"build\t8.1.0.3\n");
        server.stop();
        server.stop();
        let mut buf = [0u8; 1];
        assert_eq!(idle.read(&mut buf).unwrap_or(0), 0);
    }
}
