//! Node-RED's UDP nodes: `udp in` (datagrams on a port, multicast group
//! membership) and `udp out` (unicast, broadcast or multicast datagrams).

pub mod udp_in;
pub mod udp_out;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use flowgate_runtime::registry::NodeType;

/// Every UDP node type.
pub fn node_types() -> Vec<NodeType> {
    vec![udp_in::node_type(), udp_out::node_type()]
}

crate::choices! {
    /// The address family (Node-RED's `dgram` socket type).
    pub enum Ipv ("ip version") {
        Udp4 = "udp4" ("ipv4"),
        Udp6 = "udp6" ("ipv6"),
    }
}

impl Ipv {
    /// The wildcard address a socket of this family binds.
    pub fn any(self) -> IpAddr {
        match self {
            Ipv::Udp4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            Ipv::Udp6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        }
    }
}

/// Join multicast `group` on the interface with address `iface` (any when
/// `None`), with Node-RED's error texts: a group that is no multicast
/// address is "Bad Multicast Address", an interface that is not one of the
/// host's addresses "Must be ip address of the required interface".
pub fn join(
    socket: &tokio::net::UdpSocket,
    group: &str,
    iface: Option<&str>,
) -> Result<(), String> {
    let bad = || "Bad Multicast Address".to_owned();
    let group: IpAddr = group.trim().parse().map_err(|_| bad())?;
    if !group.is_multicast() {
        return Err(bad());
    }
    let result = match group {
        IpAddr::V4(g) => {
            let iface = match iface {
                Some(i) => i
                    .parse::<Ipv4Addr>()
                    .map_err(|_| "Must be ip address of the required interface".to_owned())?,
                None => Ipv4Addr::UNSPECIFIED,
            };
            socket.join_multicast_v4(g, iface)
        }
        IpAddr::V6(g) => socket.join_multicast_v6(&g, 0),
    };
    result.map_err(|e| match e.raw_os_error() {
        Some(libc::EINVAL) => bad(),
        Some(libc::ENODEV | libc::EADDRNOTAVAIL) => {
            "Must be ip address of the required interface".to_owned()
        }
        _ => format!("error: {e}"),
    })
}

/// The `iface` field: an address to use, or nothing. Node-RED also takes
/// an interface name and looks its address up; a name is reported and
/// ignored here, as Node-RED does with a name it cannot find.
pub fn iface(node_id: &str, text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if text.parse::<IpAddr>().is_ok() {
        return Some(text.to_owned());
    }
    tracing::warn!(
        node = node_id,
        "udp: interface {text} not found (give its address)"
    );
    None
}
