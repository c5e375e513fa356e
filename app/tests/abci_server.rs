//! The ABCI socket server over real loopback TCP: pipelined requests are answered in order,
//! a request without a value gets an exception (not a panic), and bad frames close only
//! their own connection.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use bls_app::abci::{AbciServer, BlsApp, OwnerThread};
use prost::Message;
use tendermint_proto::v0_38::abci::{
    request, response, Request, RequestEcho, RequestFlush, RequestInfo, RequestQuery, Response,
};

fn start() -> (SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = BlsApp::open(&dir.path().join("state.redb")).expect("open");
    let (_owner, handle) = OwnerThread::spawn(app);
    let server = AbciServer::bind("127.0.0.1:0").expect("bind");
    let addr = server.local_addr().expect("addr");
    std::thread::spawn(move || server.serve(handle));
    (addr, dir)
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    s
}

fn frame(v: request::Value) -> Vec<u8> {
    Request { value: Some(v) }.encode_length_delimited_to_vec()
}

/// Reads one response (or `None` when the server closed the connection).
fn read_response(s: &mut TcpStream) -> Option<Response> {
    let mut len: u64 = 0;
    let mut shift = 0;
    loop {
        let mut b = [0u8; 1];
        if s.read(&mut b).ok()? == 0 {
            return None;
        }
        len |= u64::from(b[0] & 0x7f) << shift;
        if b[0] & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let mut buf = vec![0u8; usize::try_from(len).ok()?];
    s.read_exact(&mut buf).ok()?;
    Response::decode(buf.as_slice()).ok()
}

fn info_request() -> request::Value {
    request::Value::Info(RequestInfo {
        version: "test".into(),
        ..Default::default()
    })
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let (addr, _dir) = start();
    let mut s = connect(addr);
    let mut bytes = frame(request::Value::Echo(RequestEcho {
        message: "ping".into(),
    }));
    bytes.extend(frame(info_request()));
    bytes.extend(frame(request::Value::Query(RequestQuery {
        path: "/no/such/path".into(),
        ..Default::default()
    })));
    bytes.extend(frame(request::Value::Flush(RequestFlush {})));
    s.write_all(&bytes).expect("write");
    match read_response(&mut s).and_then(|r| r.value) {
        Some(response::Value::Echo(e)) => assert_eq!(e.message, "ping"),
        other => panic!("expected echo, got {other:?}"),
    }
    match read_response(&mut s).and_then(|r| r.value) {
        Some(response::Value::Info(i)) => assert_eq!(i.last_block_height, 0),
        other => panic!("expected info, got {other:?}"),
    }
    match read_response(&mut s).and_then(|r| r.value) {
        Some(response::Value::Query(q)) => assert_ne!(q.code, 0, "unknown path is an error"),
        other => panic!("expected query, got {other:?}"),
    }
    assert!(matches!(
        read_response(&mut s).and_then(|r| r.value),
        Some(response::Value::Flush(_))
    ));
}

#[test]
fn a_request_without_a_value_gets_an_exception() {
    let (addr, _dir) = start();
    let mut s = connect(addr);
    s.write_all(&Request { value: None }.encode_length_delimited_to_vec())
        .expect("write");
    match read_response(&mut s).and_then(|r| r.value) {
        Some(response::Value::Exception(e)) => assert!(e.error.contains("no value"), "{e:?}"),
        other => panic!("expected an exception, got {other:?}"),
    }
    // The connection is still usable.
    s.write_all(&frame(info_request())).expect("write");
    assert!(matches!(
        read_response(&mut s).and_then(|r| r.value),
        Some(response::Value::Info(_))
    ));
}

#[test]
fn bad_frames_close_only_their_connection() {
    let (addr, _dir) = start();
    let bad: [&[u8]; 3] = [
        // A length prefix of 1 GiB.
        &[0x80, 0x80, 0x80, 0x80, 0x04],
        // A varint that never ends.
        &[0xff; 12],
        // Five bytes that are not a protobuf Request (field 0 is invalid).
        &[0x05, 0x00, 0x00, 0x00, 0x00, 0x00],
    ];
    for garbage in bad {
        let mut s = connect(addr);
        s.write_all(garbage).expect("write");
        assert!(
            read_response(&mut s).is_none(),
            "{garbage:?}: the server must close the connection"
        );
        // Others are unaffected.
        let mut ok = connect(addr);
        ok.write_all(&frame(info_request())).expect("write");
        assert!(matches!(
            read_response(&mut ok).and_then(|r| r.value),
            Some(response::Value::Info(_))
        ));
    }
}
