//! The libp2p node in process: several nodes on 127.0.0.1 (tcp port 0) gated by a static
//! registry. Kademlia bootstrap from one node finds the others; a provider lookup finds
//! the holder of a code blob; gossip reaches subscribers and garbage gossip is rejected;
//! unregistered peers are disconnected; malformed request-response messages (wrong
//! shape, oversized, not CBOR at all) do not stop a node from answering valid requests; one
//! peer cannot hold more than four connections to a node; Kademlia keeps no provider record
//! from a peer that is not (yet) registered.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bls_worker::p2p::gate::{Lookup, PeerAuthority, Registered, StaticPeers};
use bls_worker::p2p::node::{self, Incoming, P2pHandle};
use bls_worker::p2p::protocol::*;
use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
use libp2p::request_response::{self, cbor, ProtocolSupport};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{identity, noise, tcp, yamux, Multiaddr, PeerId, StreamProtocol};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

const DEADLINE: Duration = Duration::from_secs(30);

/// A started node, the blob it serves and the prefetch notices it received.
struct TestNode {
    handle: P2pHandle,
    addr: Multiaddr,
    prefetches: mpsc::Receiver<(u64, [u8; 32])>,
}

/// Starts a node registered in `registry`; it answers code requests for `blob` (any other
/// hash: missing), refuses work orders and accepts every well-formed prefetch notice.
async fn start(registry: &Arc<StaticPeers>, blob: Vec<u8>, register: bool) -> TestNode {
    start_with(registry, registry.clone(), blob, register).await
}

/// Like [`start`], with `authority` deciding who may stay connected.
async fn start_with(
    registry: &Arc<StaticPeers>,
    authority: Arc<dyn PeerAuthority>,
    blob: Vec<u8>,
    register: bool,
) -> TestNode {
    let kp = identity::Keypair::generate_secp256k1();
    let (handle, mut incoming, addr) =
        node::start(kp, "/ip4/127.0.0.1/tcp/0".parse().unwrap(), authority)
            .await
            .unwrap();
    if register {
        registry.insert(
            handle.peer_id,
            Registered {
                addrs: vec![addr.clone()],
                head: false,
            },
        );
    }
    let (pf_tx, prefetches) = mpsc::channel(64);
    let h = handle.clone();
    let blob_hash: [u8; 32] = Sha256::digest(&blob).into();
    tokio::spawn(async move {
        while let Some(inc) = incoming.recv().await {
            match inc {
                Incoming::Code {
                    request, channel, ..
                } => {
                    let reply = if request.hash == blob_hash {
                        CodeReply::Found(blob.clone())
                    } else {
                        CodeReply::Missing("no such blob".into())
                    };
                    h.respond_code(channel, reply).await;
                }
                Incoming::Work { channel, .. } => {
                    h.respond_work(channel, WorkReply::Refused("test node".into()))
                        .await;
                }
                Incoming::Prefetch {
                    relayer,
                    id,
                    function_id,
                    code_hash,
                    ..
                } => {
                    h.validate(id, relayer, true).await;
                    let _ = pf_tx.send((function_id, code_hash)).await;
                }
            }
        }
    });
    TestNode {
        handle,
        addr,
        prefetches,
    }
}

/// A bare libp2p swarm (tcp, noise, yamux) with the behaviour `make` builds: the hostile or
/// minimal peers of these tests. `idle`: how long it keeps an unused connection (`None`:
/// libp2p's default).
fn raw_swarm<B: NetworkBehaviour>(
    kp: identity::Keypair,
    idle: Option<Duration>,
    make: impl FnOnce(&identity::Keypair) -> B,
) -> libp2p::Swarm<B> {
    libp2p::SwarmBuilder::with_existing_identity(kp)
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )
        .unwrap()
        .with_behaviour(make)
        .unwrap()
        .with_swarm_config(|c| match idle {
            Some(d) => c.with_idle_connection_timeout(d),
            None => c,
        })
        .build()
}

/// Polls `check` every 100 ms until it yields `Some`, failing after [`DEADLINE`].
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let end = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < end, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Node 0 is the bootstrap node; the others know only it.
async fn network(n: usize, blobs: &[Vec<u8>]) -> (Arc<StaticPeers>, Vec<TestNode>) {
    let registry = Arc::new(StaticPeers::default());
    let mut nodes = Vec::new();
    for i in 0..n {
        let blob = blobs.get(i).cloned().unwrap_or_default();
        nodes.push(start(&registry, blob, true).await);
    }
    let (boot, boot_addr) = (nodes[0].handle.peer_id, nodes[0].addr.clone());
    for n in &nodes[1..] {
        n.handle.add_bootstrap(boot, vec![boot_addr.clone()]).await;
    }
    (registry, nodes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kad_bootstrap_finds_every_peer_and_a_blob_provider() {
    let blob = b"\0asm fake module bytes".to_vec();
    let hash: [u8; 32] = Sha256::digest(&blob).into();
    let blobs = vec![Vec::new(), Vec::new(), Vec::new(), blob.clone()];
    let (_reg, nodes) = network(4, &blobs).await;
    let ids: Vec<PeerId> = nodes.iter().map(|n| n.handle.peer_id).collect();

    // Each non-bootstrap node knew only node 0; after bootstrap walks every node has
    // every other one in its routing table.
    eventually("every routing table holds every other node", || {
        let nodes = &nodes;
        let ids = &ids;
        async move {
            for n in &nodes[1..] {
                n.handle.bootstrap().await;
            }
            for n in nodes {
                let known: BTreeSet<PeerId> = n.handle.routing_peers().await.into_iter().collect();
                let others: BTreeSet<PeerId> = ids
                    .iter()
                    .copied()
                    .filter(|p| *p != n.handle.peer_id)
                    .collect();
                if !others.is_subset(&known) {
                    return None;
                }
            }
            Some(())
        }
    })
    .await;
    for n in &nodes {
        assert_eq!(
            n.handle.peer_count(),
            3,
            "all peers registered and connected"
        );
    }

    // Node 3 announces the blob; node 1 finds it through Kademlia and fetches it.
    nodes[3].handle.provide(hash).await;
    let providers = eventually("node 1 finds the provider", || {
        let h = nodes[1].handle.clone();
        async move {
            let p = h.providers(hash, &[], Duration::from_secs(2)).await;
            (!p.is_empty()).then_some(p)
        }
    })
    .await;
    assert_eq!(providers, vec![ids[3]]);
    // Excluding the only provider (as a worker spares the requesting head) finds none.
    let spared = nodes[1]
        .handle
        .providers(hash, &[ids[3]], Duration::from_secs(3))
        .await;
    assert!(spared.is_empty(), "{spared:?}");
    let got = nodes[1]
        .handle
        .code(
            ids[3],
            vec![],
            CodeRequest {
                hash: hash.to_vec(),
            },
        )
        .await
        .unwrap();
    assert_eq!(got, CodeReply::Found(blob));
    // A hash nobody provides: no providers, within the timeout.
    let none = nodes[2]
        .handle
        .providers([7u8; 32], &[], Duration::from_secs(3))
        .await;
    assert!(none.is_empty(), "{none:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gossip_reaches_subscribers_and_garbage_is_rejected() {
    let (_reg, mut nodes) = network(3, &[]).await;
    let topic = subnet_topic(5);
    for n in &nodes[1..] {
        n.handle.subscribe(&topic).await;
    }
    // The publisher must know both subscriptions, or it floods only the one it knows.
    eventually("node 0 sees both subscribers", || {
        let (h, topic) = (nodes[0].handle.clone(), topic.clone());
        let others: Vec<P2pHandle> = nodes[1..].iter().map(|n| n.handle.clone()).collect();
        async move {
            for o in others {
                o.bootstrap().await;
            }
            (h.topic_peers(&topic).await.len() >= 2).then_some(())
        }
    })
    .await;

    // Garbage on the topic: not JSON, wrong function for the topic, a short hash.
    let garbage: [&[u8]; 3] = [
        b"\xff\xfe not a notice",
        br#"{"function_id":6,"code_hash":"0000000000000000000000000000000000000000000000000000000000000000"}"#,
        br#"{"function_id":5,"code_hash":"abcd"}"#,
    ];
    for g in garbage {
        eventually("garbage published (subscribers known)", || {
            let h = nodes[0].handle.clone();
            let topic = topic.clone();
            async move { h.publish(&topic, g.to_vec()).await.ok() }
        })
        .await;
    }
    eventually("subscribers rejected the garbage", || {
        let (a, b) = (nodes[1].handle.clone(), nodes[2].handle.clone());
        async move {
            let r = |h: &P2pHandle| h.stats.gossip_rejected.load(Ordering::Relaxed);
            (r(&a) >= 3 && r(&b) >= 3).then_some(())
        }
    })
    .await;
    // Oversized: refused by the publisher itself.
    let big = vec![b'x'; MAX_GOSSIP_BYTES + 1];
    assert!(nodes[0].handle.publish(&topic, big).await.is_err());

    // A valid notice reaches both subscribers, and only it (the garbage never got through).
    let notice = Prefetch {
        function_id: 5,
        code_hash: hex::encode([3u8; 32]),
    };
    nodes[0]
        .handle
        .publish(&topic, notice.encode())
        .await
        .unwrap();
    for n in &mut nodes[1..] {
        let got = tokio::time::timeout(DEADLINE, n.prefetches.recv())
            .await
            .expect("notice delivered")
            .unwrap();
        assert_eq!(got, (5, [3u8; 32]));
        assert!(n.prefetches.try_recv().is_err(), "nothing else delivered");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unregistered_peer_is_disconnected_and_not_routed() {
    let (registry, nodes) = network(2, &[]).await;
    let stranger = start(&registry, Vec::new(), false).await;
    // The stranger dials node 0 (its request may or may not get through before the gate).
    let _ = stranger
        .handle
        .code(
            nodes[0].handle.peer_id,
            vec![nodes[0].addr.clone()],
            CodeRequest { hash: vec![0; 32] },
        )
        .await;
    eventually("node 0 dropped the stranger", || {
        let h = nodes[0].handle.clone();
        async move { (h.stats.rejected_peers.load(Ordering::Relaxed) >= 1).then_some(()) }
    })
    .await;
    assert!(!nodes[0]
        .handle
        .routing_peers()
        .await
        .contains(&stranger.handle.peer_id));
    // A registered peer is still served.
    eventually("node 1 in node 0's routing table", || {
        let h = nodes[0].handle.clone();
        let p = nodes[1].handle.peer_id;
        async move {
            h.bootstrap().await;
            h.routing_peers().await.contains(&p).then_some(())
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_deregistered_after_connecting_is_dropped_on_recheck() {
    let (registry, nodes) = network(2, &[]).await;
    let (a, b) = (&nodes[0].handle, &nodes[1].handle);
    eventually("node 1 admitted by node 0", || {
        let (h, p) = (a.clone(), b.peer_id);
        async move {
            h.bootstrap().await;
            h.routing_peers().await.contains(&p).then_some(())
        }
    })
    .await;
    let before = a.stats.rejected_peers.load(Ordering::Relaxed);
    registry.remove(&b.peer_id);
    a.recheck_peers().await;
    eventually("node 0 dropped the deregistered peer", || {
        let h = a.clone();
        async move { (h.stats.rejected_peers.load(Ordering::Relaxed) > before).then_some(()) }
    })
    .await;
    assert!(!a.routing_peers().await.contains(&b.peer_id));
}

// ---- a hostile peer speaking the node's protocol names with the wrong messages ----

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Junk {
    nonsense: String,
    numbers: Vec<u64>,
    #[serde(with = "serde_bytes")]
    blob: Vec<u8>,
}

/// Writes the request bytes as they are (no CBOR at all).
#[derive(Debug, Clone, Default)]
struct RawCodec;

impl request_response::Codec for RawCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> std::io::Result<Vec<u8>>
    where
        T: futures::AsyncRead + Unpin + Send,
    {
        let mut v = Vec::new();
        io.take(1 << 20).read_to_end(&mut v).await?;
        Ok(v)
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> std::io::Result<Vec<u8>>
    where
        T: futures::AsyncRead + Unpin + Send,
    {
        let mut v = Vec::new();
        io.take(1 << 20).read_to_end(&mut v).await?;
        Ok(v)
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Vec<u8>,
    ) -> std::io::Result<()>
    where
        T: futures::AsyncWrite + Unpin + Send,
    {
        io.write_all(&req).await?;
        io.close().await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Vec<u8>,
    ) -> std::io::Result<()>
    where
        T: futures::AsyncWrite + Unpin + Send,
    {
        io.write_all(&res).await?;
        io.close().await
    }
}

#[derive(NetworkBehaviour)]
struct Attacker {
    work_junk: cbor::Behaviour<Junk, Junk>,
    code_junk: cbor::Behaviour<Junk, Junk>,
    work_raw: request_response::Behaviour<RawCodec>,
    code_raw: request_response::Behaviour<RawCodec>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_do_not_stop_the_node() {
    let blob = b"the real blob".to_vec();
    let hash: [u8; 32] = Sha256::digest(&blob).into();
    let (registry, nodes) = network(2, std::slice::from_ref(&blob)).await;
    let target = nodes[0].handle.peer_id;

    // The attacker is registered, so the gate lets it in and the codecs meet its bytes.
    let kp = identity::Keypair::generate_secp256k1();
    let cfg = request_response::Config::default().with_request_timeout(Duration::from_secs(10));
    let full = |p: StreamProtocol| [(p, ProtocolSupport::Full)];
    let mut swarm = raw_swarm(kp, None, |_| Attacker {
        work_junk: cbor::Behaviour::new(full(WORK_PROTOCOL), cfg.clone()),
        code_junk: cbor::Behaviour::new(full(CODE_PROTOCOL), cfg.clone()),
        work_raw: request_response::Behaviour::new(full(WORK_PROTOCOL), cfg.clone()),
        code_raw: request_response::Behaviour::new(full(CODE_PROTOCOL), cfg.clone()),
    });
    registry.insert(
        *swarm.local_peer_id(),
        Registered {
            addrs: vec![],
            head: false,
        },
    );
    swarm.add_peer_address(target, nodes[0].addr.clone());
    let junk = |size: usize| Junk {
        nonsense: "not a work order".into(),
        numbers: vec![1, 2, 3],
        blob: vec![0xAB; size],
    };
    let b = swarm.behaviour_mut();
    b.work_junk.send_request(&target, junk(10));
    b.code_junk.send_request(&target, junk(10));
    // Over the node's 1 MiB request limit.
    b.work_junk.send_request(&target, junk(2 << 20));
    b.code_junk.send_request(&target, junk(2 << 20));
    b.work_raw
        .send_request(&target, b"\xff\xff\xff\xff\x00garbage".to_vec());
    b.code_raw.send_request(&target, vec![0x9f; 4096]); // indefinite arrays, never closed
    b.work_raw.send_request(&target, Vec::new());
    let mut failed = 0;
    let end = tokio::time::Instant::now() + DEADLINE;
    while failed < 7 {
        let ev = tokio::time::timeout_at(end, swarm.select_next_some())
            .await
            .expect("every malformed request ends (with a failure)");
        match ev {
            SwarmEvent::Behaviour(AttackerEvent::WorkJunk(e))
            | SwarmEvent::Behaviour(AttackerEvent::CodeJunk(e)) => match e {
                request_response::Event::OutboundFailure { .. } => failed += 1,
                request_response::Event::Message { .. } => panic!("junk was answered: {e:?}"),
                _ => {}
            },
            SwarmEvent::Behaviour(AttackerEvent::WorkRaw(e))
            | SwarmEvent::Behaviour(AttackerEvent::CodeRaw(e)) => match e {
                request_response::Event::OutboundFailure { .. } => failed += 1,
                // An empty stream is read as no request; the node drops it.
                request_response::Event::Message {
                    message: request_response::Message::Response { response, .. },
                    ..
                } => {
                    assert!(
                        response.is_empty(),
                        "raw garbage was answered: {response:?}"
                    );
                    failed += 1;
                }
                _ => {}
            },
            _ => {}
        }
    }

    // The node still answers a valid request, from the attacker's own connection's
    // neighbour and from a fresh request.
    let got = nodes[1]
        .handle
        .code(
            target,
            vec![nodes[0].addr.clone()],
            CodeRequest {
                hash: hash.to_vec(),
            },
        )
        .await
        .unwrap();
    assert_eq!(got, CodeReply::Found(blob));
    let wrong_len = nodes[1]
        .handle
        .code(
            target,
            vec![],
            CodeRequest {
                hash: vec![1, 2, 3],
            },
        )
        .await
        .unwrap();
    assert!(matches!(wrong_len, CodeReply::Missing(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gossip_from_an_unregistered_author_is_rejected() {
    // Node A knows B and the stranger S; B knows only A. So A relays S's notice to B, and B
    // must reject it because the author is not registered in B's view.
    let (reg_a, reg_b, reg_s) = (
        Arc::new(StaticPeers::default()),
        Arc::new(StaticPeers::default()),
        Arc::new(StaticPeers::default()),
    );
    let mut a = start(&reg_a, Vec::new(), false).await;
    let mut b = start(&reg_b, Vec::new(), false).await;
    let s = start(&reg_s, Vec::new(), false).await;
    let reg = |addr: &Multiaddr| Registered {
        addrs: vec![addr.clone()],
        head: false,
    };
    reg_a.insert(b.handle.peer_id, reg(&b.addr));
    reg_a.insert(s.handle.peer_id, reg(&s.addr));
    reg_b.insert(a.handle.peer_id, reg(&a.addr));
    reg_s.insert(a.handle.peer_id, reg(&a.addr));
    let topic = subnet_topic(9);
    a.handle.subscribe(&topic).await;
    b.handle.subscribe(&topic).await;
    b.handle
        .add_bootstrap(a.handle.peer_id, vec![a.addr.clone()])
        .await;
    s.handle
        .add_bootstrap(a.handle.peer_id, vec![a.addr.clone()])
        .await;
    b.handle.bootstrap().await;
    s.handle.bootstrap().await;

    // Positive control: A's own notice reaches B.
    let notice = |h: u8| Prefetch {
        function_id: 9,
        code_hash: hex::encode([h; 32]),
    };
    eventually("B receives A's notice", || {
        let (h, data) = (a.handle.clone(), notice(1).encode());
        let (topic, got) = (topic.clone(), b.prefetches.try_recv().ok());
        async move {
            if got.is_some() {
                return got;
            }
            let _ = h.publish(&topic, data).await;
            None
        }
    })
    .await;
    let rejected_before = b.handle.stats.gossip_rejected.load(Ordering::Relaxed);

    // S's notice: accepted by A (S is registered there), rejected by B.
    eventually("A receives S's notice", || {
        let (h, data) = (s.handle.clone(), notice(2).encode());
        let (topic, got) = (topic.clone(), a.prefetches.try_recv().ok());
        async move {
            if got.is_some_and(|(_, hash)| hash == [2; 32]) {
                return Some(());
            }
            let _ = h.publish(&topic, data).await;
            None
        }
    })
    .await;
    eventually("B rejects S's notice", || {
        let h = b.handle.clone();
        async move {
            (h.stats.gossip_rejected.load(Ordering::Relaxed) > rejected_before).then_some(())
        }
    })
    .await;
    // A marker from A after the rejection: everything B's application gets up to the marker
    // is the control notice (several copies may have been published) or the marker itself,
    // never S's notice.
    eventually("B receives A's marker", || {
        let (h, data) = (a.handle.clone(), notice(3).encode());
        let topic = topic.clone();
        let mut got = Vec::new();
        while let Ok((_, hash)) = b.prefetches.try_recv() {
            got.push(hash);
        }
        async move {
            for hash in got {
                assert_ne!(
                    hash, [2; 32],
                    "B's application saw the unregistered author's notice"
                );
                if hash == [3; 32] {
                    return Some(());
                }
                assert_eq!(hash, [1; 32], "only the control notice precedes the marker");
            }
            let _ = h.publish(&topic, data).await;
            None
        }
    })
    .await;
}

/// A registered peer opening connection after connection to one node gets at most
/// `MAX_CONNECTIONS_PER_PEER` (4) of them: the rest are refused, and the node keeps serving
/// others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_peer_cannot_open_more_than_four_connections() {
    use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
    let blob = b"still served".to_vec();
    let hash: [u8; 32] = Sha256::digest(&blob).into();
    let (registry, nodes) = network(2, std::slice::from_ref(&blob)).await;
    let target = nodes[0].handle.peer_id;

    let kp = identity::Keypair::generate_secp256k1();
    // Keep every connection it gets open: only the node's limit may close them.
    let mut swarm = raw_swarm(kp, Some(Duration::from_secs(300)), |_| {
        libp2p::swarm::dummy::Behaviour
    });
    // Registered: the connection gate lets it in, so only the connection limit stands.
    registry.insert(
        *swarm.local_peer_id(),
        Registered {
            addrs: vec![],
            head: false,
        },
    );
    const DIALS: usize = 10;
    for _ in 0..DIALS {
        swarm
            .dial(
                DialOpts::peer_id(target)
                    .addresses(vec![nodes[0].addr.clone()])
                    .condition(PeerCondition::Always)
                    .build(),
            )
            .unwrap();
    }
    // Every dial ends established or refused; the refused ones close (or fail) from the
    // node's side.
    let (mut established, mut refused) = (0usize, 0usize);
    let end = tokio::time::Instant::now() + DEADLINE;
    while refused < DIALS - 4 {
        let ev = tokio::time::timeout_at(end, swarm.select_next_some())
            .await
            .unwrap_or_else(|_| {
                panic!("{established} connections established, {refused} refused: the limit did not hold")
            });
        match ev {
            SwarmEvent::ConnectionEstablished { .. } => established += 1,
            SwarmEvent::ConnectionClosed { .. } | SwarmEvent::OutgoingConnectionError { .. } => {
                refused += 1
            }
            _ => {}
        }
    }
    // Let any straggler settle, then count what is open.
    let settle = tokio::time::Instant::now() + Duration::from_millis(500);
    while let Ok(ev) = tokio::time::timeout_at(settle, swarm.select_next_some()).await {
        if let SwarmEvent::ConnectionClosed { .. } = ev {
            refused += 1;
        }
    }
    let open = swarm.network_info().connection_counters().num_established();
    assert!(
        (1..=4).contains(&open),
        "{open} connections open from one peer ({established} established, {refused} refused)"
    );

    // The node still serves another registered peer.
    let got = nodes[1]
        .handle
        .code(
            target,
            vec![nodes[0].addr.clone()],
            CodeRequest {
                hash: hash.to_vec(),
            },
        )
        .await
        .unwrap();
    assert_eq!(got, CodeReply::Found(blob));
}

/// A bare libp2p peer speaking Kademlia (and identify, which tells its Kademlia that the node
/// speaks it too) and nothing else.
#[derive(NetworkBehaviour)]
struct Announcer {
    kad: libp2p::kad::Behaviour<libp2p::kad::store::MemoryStore>,
    identify: libp2p::identify::Behaviour,
}

/// A raw Kademlia peer announcing itself as the provider of `hash` to `target` and driving
/// the announcement until it ends (or the connection is dropped); returns its peer id.
async fn announce_provider(
    registry: &Arc<StaticPeers>,
    register: bool,
    target: PeerId,
    addr: Multiaddr,
    hash: [u8; 32],
) -> PeerId {
    use libp2p::kad::{self, store::MemoryStore};
    let kp = identity::Keypair::generate_secp256k1();
    let me = kp.public().to_peer_id();
    if register {
        registry.insert(
            me,
            Registered {
                addrs: vec![],
                head: false,
            },
        );
    }
    let mut swarm = raw_swarm(kp, Some(Duration::from_secs(30)), |key| {
        let mut kad =
            kad::Behaviour::with_config(me, MemoryStore::new(me), kad::Config::new(KAD_PROTOCOL));
        kad.set_mode(Some(kad::Mode::Server));
        let identify = libp2p::identify::Behaviour::new(libp2p::identify::Config::new(
            IDENTIFY_PROTOCOL.to_string(),
            key.public(),
        ));
        Announcer { kad, identify }
    });
    // Listening, with its address announced, as a worker's node is.
    swarm
        .listen_on("/ip4/127.0.0.1/tcp/0".parse().unwrap())
        .unwrap();
    let end = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Ok(SwarmEvent::NewListenAddr { address, .. }) =
            tokio::time::timeout_at(end, swarm.select_next_some()).await
        {
            swarm.add_external_address(address);
            break;
        }
    }
    swarm.behaviour_mut().kad.add_address(&target, addr);
    swarm.dial(target).unwrap();
    let end = tokio::time::Instant::now() + DEADLINE;
    // Announce as soon as the node's identify says it speaks Kademlia: for an unregistered
    // peer that is before (or as) the node's registration check ends.
    loop {
        match tokio::time::timeout_at(end, swarm.select_next_some()).await {
            Ok(SwarmEvent::Behaviour(AnnouncerEvent::Identify(
                libp2p::identify::Event::Received { .. },
            ))) => break,
            Ok(SwarmEvent::ConnectionClosed { .. }) if !register => break,
            Ok(_) => {}
            Err(_) => panic!("never identified the node"),
        }
    }
    if register {
        // A registered announcer also waits until the node admitted it (as a worker's
        // announcements come well after it connected).
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    swarm
        .behaviour_mut()
        .kad
        .start_providing(kad::RecordKey::new(&hash))
        .unwrap();
    loop {
        match tokio::time::timeout_at(end, swarm.select_next_some()).await {
            Ok(SwarmEvent::Behaviour(AnnouncerEvent::Kad(
                kad::Event::OutboundQueryProgressed {
                    result: kad::QueryResult::StartProviding(_),
                    step,
                    ..
                },
            ))) if step.last => break,
            Ok(_) => {}
            Err(_) => panic!("the announcement never ended"),
        }
    }
    // The query ends before the records are written to the wire: keep driving the swarm a
    // while so they go out (and the node handles them).
    let drain = tokio::time::Instant::now() + Duration::from_secs(1);
    while tokio::time::timeout_at(drain, swarm.select_next_some())
        .await
        .is_ok()
    {}
    me
}

/// A registry that answers "not registered" only after a delay: an unregistered peer stays
/// connected that long, so what it sends meanwhile meets the node's own rules rather than
/// the connection gate (a slow chain query does the same in production).
struct SlowToRefuse {
    inner: Arc<StaticPeers>,
    delay: Duration,
}

impl PeerAuthority for SlowToRefuse {
    fn registered<'a>(&'a self, peer: &'a PeerId) -> Lookup<'a> {
        Box::pin(async move {
            let found = self.inner.registered(peer).await;
            if found.is_none() {
                tokio::time::sleep(self.delay).await;
            }
            found
        })
    }
}

/// Kademlia keeps provider records only from registered peers: an unregistered peer that
/// announces itself as the provider of a blob while its registration check is still
/// running is never returned to lookups (checked to fail with the filter off), while a
/// registered peer's announcement is (so the lookup path works and the refusal is the
/// filter's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_records_from_unregistered_peers_are_not_kept() {
    let registry = Arc::new(StaticPeers::default());
    let slow = Arc::new(SlowToRefuse {
        inner: registry.clone(),
        delay: Duration::from_secs(3),
    });
    let node0 = start_with(&registry, slow, Vec::new(), true).await;
    let node1 = start(&registry, Vec::new(), true).await;
    let (target, addr) = (node0.handle.peer_id, node0.addr.clone());
    node1.handle.add_bootstrap(target, vec![addr.clone()]).await;
    eventually("node 0 in node 1's routing table", || {
        let h = node1.handle.clone();
        async move {
            h.bootstrap().await;
            h.routing_peers().await.contains(&target).then_some(())
        }
    })
    .await;

    let bad_hash = [0xbd; 32];
    let stranger = announce_provider(&registry, false, target, addr.clone(), bad_hash).await;
    let found = node1
        .handle
        .providers(bad_hash, &[], Duration::from_secs(3))
        .await;
    assert!(
        !found.contains(&stranger),
        "an unregistered peer's provider record was kept: {found:?}"
    );

    let good_hash = [0x60; 32];
    let member = announce_provider(&registry, true, target, addr, good_hash).await;
    let found = eventually("the registered peer's record", || {
        let h = node1.handle.clone();
        async move {
            let p = h.providers(good_hash, &[], Duration::from_secs(2)).await;
            (!p.is_empty()).then_some(p)
        }
    })
    .await;
    assert_eq!(found, vec![member]);
}
