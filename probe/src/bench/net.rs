//! Throughput and latency between two hosts: `trainfit net serve` on one, `trainfit net test
//! HOST:PORT` on the other.
//!
//! One TCP connection carries a whole test. The client opens with the magic `TFN1` and the server
//! answers it, so a client pointed at some other service fails with a clear message. Then the
//! client sends commands, each a command byte and a big-endian u64 argument, until it closes:
//!
//! - `L` (latency), argument = round trips: the client sends 8-byte messages one at a time and
//!   the server echoes each.
//! - `U` (upload), argument unused: the client sends frames (a byte 1, then 1 MiB) and ends with a
//!   byte 0; the server answers two u64s, the bytes it received and the nanoseconds from the
//!   command to the end.
//! - `D` (download), argument = milliseconds: the server sends frames for that long, then a byte
//!   0; the client counts what arrives.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::thread;
use std::time::{Duration, Instant};

use trainfit_core::hardware::{NetworkBenchmark, Value};

use super::rate;
use crate::error::Error;

/// First bytes of a connection, both ways (trainfit net, protocol version 1).
const MAGIC: [u8; 4] = *b"TFN1";
/// Command: latency ping-pong.
const LATENCY: u8 = b'L';
/// Command: the client sends, the server counts.
const UPLOAD: u8 = b'U';
/// Command: the server sends, the client counts.
const DOWNLOAD: u8 = b'D';
/// Frame marker: a block of data follows.
const MORE: u8 = 1;
/// Frame marker: the stream of blocks ends.
const END: u8 = 0;
/// Bytes per frame and per send call: 1 MiB, so system-call overhead stays far below the time on
/// the wire even at 100 Gbit/s (about 84 µs per MiB).
const BLOCK: usize = 1 << 20;
/// Bytes of one latency message.
const PING: usize = 8;
/// Round trips timed for the latency; the median is reported.
const ROUND_TRIPS: u64 = 50;
/// Most round trips and longest download the server grants one command, so a stray client
/// cannot keep it busy (trainfit's own limits).
const MAX_ROUND_TRIPS: u64 = 10_000;
/// See [`MAX_ROUND_TRIPS`]: 60 s.
const MAX_DOWNLOAD: Duration = Duration::from_secs(60);
/// How long to wait for a connection to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long either side waits for a read or write before giving up on the other (trainfit's
/// choice: long enough for a congested link, short enough that a dead peer is noticed).
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// Bits per Gbit in the `*_gbps` fields (decimal).
const GBIT: f64 = 1e9;

/// Listens on `addr` (`HOST:PORT`; port 0 picks a free one), calls `ready` with the address it
/// listens on, and serves clients, each on its own thread, until the process ends. With `once`,
/// it serves one client (one `net test`) on this thread and returns that client's outcome.
///
/// # Errors
///
/// When the address cannot be listened on or a connection accepted; with `once`, also when the
/// client fails or speaks another protocol.
pub fn serve(addr: &str, once: bool, ready: impl FnOnce(SocketAddr)) -> Result<(), Error> {
    let cannot_listen = |e: io::Error| Error::Listen {
        address: addr.to_string(),
        cause: e.to_string(),
    };
    let listener = TcpListener::bind(addr).map_err(cannot_listen)?;
    let local = listener.local_addr().map_err(cannot_listen)?;
    ready(local);
    loop {
        let (stream, client) = listener.accept().map_err(|e| Error::Accept {
            address: local,
            cause: e.to_string(),
        })?;
        if once {
            return handle(stream).map_err(|e| Error::Client {
                client,
                cause: e.to_string(),
            });
        }
        let spawned = thread::Builder::new()
            .name(format!("trainfit-net-{client}"))
            .spawn(move || {
                if let Err(e) = handle(stream) {
                    eprintln!("trainfit net serve: client {client}: {e}");
                }
            });
        if let Err(e) = spawned {
            eprintln!("trainfit net serve: client {client}: cannot start a thread: {e}");
        }
    }
}

/// Serves one connection: checks and answers the magic, then runs commands until the client
/// closes the connection.
fn handle(mut stream: TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut magic = [0u8; 4];
    stream.read_exact(&mut magic)?;
    if magic != MAGIC {
        return Err(io::Error::other("not a trainfit net client"));
    }
    stream.write_all(&MAGIC)?;
    while let Some((command, argument)) = read_command(&mut stream)? {
        let start = Instant::now();
        match command {
            LATENCY => echo(&mut stream, argument.min(MAX_ROUND_TRIPS))?,
            UPLOAD => count(&mut stream, start)?,
            DOWNLOAD => {
                let duration = Duration::from_millis(argument).min(MAX_DOWNLOAD);
                send_for(&mut stream, duration)?;
            }
            other => {
                return Err(io::Error::other(format!(
                    "unknown command {:?}",
                    char::from(other)
                )))
            }
        }
    }
    Ok(())
}

/// The next command and its argument; `None` when the client closed the connection.
fn read_command(stream: &mut TcpStream) -> io::Result<Option<(u8, u64)>> {
    let mut command = [0u8; 1];
    if stream.read(&mut command)? == 0 {
        return Ok(None);
    }
    let mut argument = [0u8; 8];
    stream.read_exact(&mut argument)?;
    Ok(Some((command[0], u64::from_be_bytes(argument))))
}

/// Sends a command and its argument.
fn write_command(stream: &mut TcpStream, command: u8, argument: u64) -> io::Result<()> {
    let mut header = [0u8; 9];
    let (cmd, arg) = header.split_at_mut(1);
    cmd.copy_from_slice(&[command]);
    arg.copy_from_slice(&argument.to_be_bytes());
    stream.write_all(&header)
}

/// Server side of `L`: echoes `round_trips` messages.
fn echo(stream: &mut TcpStream, round_trips: u64) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut message = [0u8; PING];
    for _ in 0..round_trips {
        stream.read_exact(&mut message)?;
        stream.write_all(&message)?;
    }
    Ok(())
}

/// Server side of `U`: receives frames to the end marker, then answers bytes and nanoseconds
/// since `start`.
fn count(stream: &mut TcpStream, start: Instant) -> io::Result<()> {
    let bytes = receive_frames(stream)?;
    let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
    let mut answer = [0u8; 16];
    let (b, n) = answer.split_at_mut(8);
    b.copy_from_slice(&bytes.to_be_bytes());
    n.copy_from_slice(&nanos.to_be_bytes());
    stream.write_all(&answer)
}

/// Reads frames until the end marker; returns the data bytes received.
fn receive_frames(stream: &mut TcpStream) -> io::Result<u64> {
    let mut block = vec![0u8; BLOCK];
    let mut total = 0u64;
    loop {
        let mut marker = [0u8; 1];
        stream.read_exact(&mut marker)?;
        match marker[0] {
            END => return Ok(total),
            MORE => {
                stream.read_exact(&mut block)?;
                total += BLOCK as u64;
            }
            other => return Err(io::Error::other(format!("bad frame marker {other}"))),
        }
    }
}

/// Sends frames for `duration` (at least one), then the end marker.
fn send_for(stream: &mut TcpStream, duration: Duration) -> io::Result<()> {
    // The marker and the block in one buffer, so each frame is one send call. Any data will do:
    // TCP does not compress.
    let mut frame = vec![0x5au8; 1 + BLOCK];
    if let Some(marker) = frame.first_mut() {
        *marker = MORE;
    }
    let end = Instant::now() + duration;
    loop {
        stream.write_all(&frame)?;
        if Instant::now() >= end {
            break;
        }
    }
    stream.write_all(&[END])
}

/// Measures latency, then throughput to and from `peer` (`HOST:PORT`, running `trainfit net
/// serve`), each direction for half of `duration`.
///
/// # Errors
///
/// When `peer` does not resolve, refuses the connection, is not `trainfit net serve`, or the
/// connection fails mid-test.
pub fn test(peer: &str, duration: Duration) -> Result<NetworkBenchmark, Error> {
    let mut stream = connect(peer)?;
    let failed = |e: io::Error| Error::Peer {
        peer: peer.to_string(),
        cause: e.to_string(),
    };
    let latency = latency_us(&mut stream).map_err(failed)?;
    let half = duration / 2;
    let send = upload(&mut stream, half).map_err(failed)?;
    let receive = download(&mut stream, half).map_err(failed)?;
    Ok(NetworkBenchmark {
        peer: peer.to_string(),
        send_gbps: send.map(Value::measured),
        receive_gbps: receive.map(Value::measured),
        latency_us: latency.map(Value::measured),
    })
}

/// Opens a connection to `peer` and exchanges the magic; errors name the peer.
fn connect(peer: &str) -> Result<TcpStream, Error> {
    let resolve_failed = |cause: String| Error::Resolve {
        peer: peer.to_string(),
        cause,
    };
    let addrs: Vec<SocketAddr> = peer
        .to_socket_addrs()
        .map_err(|e| resolve_failed(e.to_string()))?
        .collect();
    let mut last = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, CONNECT_TIMEOUT) {
            Ok(stream) => {
                return greet(stream).map_err(|e| Error::NotANetServer {
                    peer: peer.to_string(),
                    cause: e.to_string(),
                })
            }
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) => Error::Connect {
            peer: peer.to_string(),
            cause: describe(&e),
        },
        None => resolve_failed(String::from("no addresses")),
    })
}

/// A connection error in words, e.g. `connection refused`.
fn describe(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())
        }
        _ => e.to_string(),
    }
}

/// Sends the magic and checks the server's answer.
fn greet(mut stream: TcpStream) -> io::Result<TcpStream> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    stream.write_all(&MAGIC)?;
    let mut answer = [0u8; 4];
    stream.read_exact(&mut answer)?;
    if answer != MAGIC {
        return Err(io::Error::other("unexpected answer"));
    }
    Ok(stream)
}

/// Median round trip of [`ROUND_TRIPS`] small messages, in microseconds.
fn latency_us(stream: &mut TcpStream) -> io::Result<Option<f64>> {
    stream.set_nodelay(true)?;
    write_command(stream, LATENCY, ROUND_TRIPS)?;
    let mut times = Vec::new();
    let mut reply = [0u8; PING];
    for i in 0..ROUND_TRIPS {
        let message = i.to_be_bytes();
        let start = Instant::now();
        stream.write_all(&message)?;
        stream.read_exact(&mut reply)?;
        times.push(start.elapsed().as_secs_f64() * 1e6); // µs
        if reply != message {
            return Err(io::Error::other("the echo differs from the message"));
        }
    }
    Ok(median(&mut times))
}

/// The median; `None` for no values.
fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    match values.len() {
        0 => None,
        len if len % 2 == 0 => Some((values.get(mid - 1)? + values.get(mid)?) / 2.0),
        _ => values.get(mid).copied(),
    }
}

/// Sends for `duration` and returns the rate the server counted, Gbit/s.
fn upload(stream: &mut TcpStream, duration: Duration) -> io::Result<Option<f64>> {
    write_command(stream, UPLOAD, 0)?;
    send_for(stream, duration)?;
    let mut answer = [0u8; 16];
    stream.read_exact(&mut answer)?;
    let (bytes, nanos) = answer.split_at(8);
    let word = |b: &[u8]| {
        b.try_into()
            .map(u64::from_be_bytes)
            .map_err(io::Error::other)
    };
    let (bytes, nanos) = (word(bytes)?, word(nanos)?);
    Ok(rate(bytes as f64 * 8.0, Duration::from_nanos(nanos), GBIT))
}

/// Asks the server to send for `duration` and returns the rate received, Gbit/s.
fn download(stream: &mut TcpStream, duration: Duration) -> io::Result<Option<f64>> {
    let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    let start = Instant::now();
    write_command(stream, DOWNLOAD, millis)?;
    let bytes = receive_frames(stream)?;
    Ok(rate(bytes as f64 * 8.0, start.elapsed(), GBIT))
}
