//! SDP offer/answer for one audio stream (sans-I/O, on the `sdp` crate): picks PCMU or PCMA at 8 kHz and
//! telephone-event from the caller's offer and writes our answer. Must not depend on sockets or the clock.

use std::io::Cursor;
use std::net::{IpAddr, SocketAddr};

use sdp::SessionDescription;
use sdp::description::common::{Address, Attribute, ConnectionInformation};
use sdp::description::media::{MediaDescription, MediaName, RangedPort};
use sdp::description::session::{Origin, TimeDescription, Timing};

/// The G.711 variant of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// Mu-law, static payload type 0.
    Pcmu,
    /// A-law, static payload type 8.
    Pcma,
}

impl Codec {
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }
}

/// What the offer and our capabilities agree on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    pub codec: Codec,
    /// Payload type of telephone-event/8000 in the offer, when offered.
    pub dtmf_pt: Option<u8>,
    /// Where the caller wants RTP.
    pub remote: SocketAddr,
}

/// Why an offer cannot be answered (the INVITE gets 488 or 400).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SdpError {
    #[error("SDP offer does not parse: {0}")]
    Parse(String),
    #[error("SDP offer has no active audio stream")]
    NoAudio,
    #[error("SDP offer has no connection address for audio")]
    NoAddress,
    #[error("SDP offer has no common codec (we take PCMU or PCMA at 8000 Hz); offered {0}")]
    NoCommonCodec(String),
}

/// Reads an offer and chooses the first of the caller's formats we support.
pub fn negotiate(offer: &[u8]) -> Result<Negotiated, SdpError> {
    let text = std::str::from_utf8(offer).map_err(|_| SdpError::Parse("not UTF-8".into()))?;
    let sd = SessionDescription::unmarshal(&mut Cursor::new(text.as_bytes())).map_err(|e| SdpError::Parse(e.to_string()))?;
    let media = sd
        .media_descriptions
        .iter()
        .find(|m| m.media_name.media == "audio" && m.media_name.port.value > 0)
        .ok_or(SdpError::NoAudio)?;
    let rtpmap = |pt: u8| -> Option<(String, u32)> {
        media.attributes.iter().filter(|a| a.key == "rtpmap").find_map(|a| {
            let v = a.value.as_deref()?;
            let (num, enc) = v.split_once(' ')?;
            if num.trim().parse::<u8>().ok()? != pt {
                return None;
            }
            let mut parts = enc.trim().split('/');
            let name = parts.next()?.to_ascii_uppercase();
            let rate = parts.next()?.parse().ok()?;
            Some((name, rate))
        })
    };
    let mut codec = None;
    let mut dtmf_pt = None;
    for f in &media.media_name.formats {
        let Ok(pt) = f.parse::<u8>() else { continue };
        let mapped = rtpmap(pt);
        let found = match (pt, mapped.as_ref()) {
            (_, Some((name, 8000))) if name == "PCMU" => Some(Codec::Pcmu),
            (_, Some((name, 8000))) if name == "PCMA" => Some(Codec::Pcma),
            (0, None) => Some(Codec::Pcmu),
            (8, None) => Some(Codec::Pcma),
            _ => None,
        };
        if let (Some(c), None) = (found, codec) {
            codec = Some(c);
        }
        if matches!(&mapped, Some((name, 8000)) if name == "TELEPHONE-EVENT") && dtmf_pt.is_none() {
            dtmf_pt = Some(pt);
        }
    }
    let codec = codec.ok_or_else(|| SdpError::NoCommonCodec(media.media_name.formats.join(" ")))?;
    let conn = media.connection_information.as_ref().or(sd.connection_information.as_ref());
    let ip: IpAddr = conn
        .and_then(|c| c.address.as_ref())
        .and_then(|a| a.address.parse().ok())
        .ok_or(SdpError::NoAddress)?;
    let port = u16::try_from(media.media_name.port.value).map_err(|_| SdpError::NoAudio)?;
    Ok(Negotiated { codec, dtmf_pt, remote: SocketAddr::new(ip, port) })
}

/// Writes our answer: one audio stream at `local_ip:port` with the chosen codec and telephone-event.
pub fn answer(neg: &Negotiated, local_ip: IpAddr, port: u16, session_id: u64) -> String {
    let addr_type = if local_ip.is_ipv4() { "IP4" } else { "IP6" };
    let conn = ConnectionInformation {
        network_type: "IN".into(),
        address_type: addr_type.into(),
        address: Some(Address { address: local_ip.to_string(), ttl: None, range: None }),
    };
    let attr = |k: &str, v: Option<String>| Attribute::new(k.into(), v);
    let pt = neg.codec.payload_type();
    let mut formats = vec![pt.to_string()];
    let mut attributes = vec![attr("rtpmap", Some(format!("{pt} {}/8000", neg.codec.name())))];
    if let Some(ev) = neg.dtmf_pt {
        formats.push(ev.to_string());
        attributes.push(attr("rtpmap", Some(format!("{ev} telephone-event/8000"))));
        attributes.push(attr("fmtp", Some(format!("{ev} 0-16"))));
    }
    attributes.push(attr("ptime", Some("20".into())));
    attributes.push(attr("sendrecv", None));
    let sd = SessionDescription {
        version: 0,
        origin: Origin {
            username: "fieldvoice".into(),
            session_id,
            session_version: session_id,
            network_type: "IN".into(),
            address_type: addr_type.into(),
            unicast_address: local_ip.to_string(),
        },
        session_name: "fieldvoice".into(),
        connection_information: Some(conn),
        time_descriptions: vec![TimeDescription { timing: Timing { start_time: 0, stop_time: 0 }, repeat_times: vec![] }],
        media_descriptions: vec![MediaDescription {
            media_name: MediaName {
                media: "audio".into(),
                port: RangedPort { value: port as isize, range: None },
                protos: vec!["RTP".into(), "AVP".into()],
                formats,
            },
            media_title: None,
            connection_information: None,
            bandwidth: vec![],
            encryption_key: None,
            attributes,
        }],
        ..Default::default()
    };
    sd.marshal()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SIPP_OFFER: &str = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
m=audio 6000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-11,16\r\n";

    #[test]
    fn picks_the_callers_first_supported_codec_and_dtmf() {
        let n = negotiate(SIPP_OFFER.as_bytes()).unwrap();
        assert_eq!(n, Negotiated { codec: Codec::Pcma, dtmf_pt: Some(101), remote: "127.0.0.1:6000".parse().unwrap() });
        let ans = answer(&n, "10.0.0.5".parse().unwrap(), 20_000, 7);
        assert!(ans.contains("m=audio 20000 RTP/AVP 8 101\r\n"), "{ans}");
        assert!(ans.contains("c=IN IP4 10.0.0.5\r\n") && ans.contains("a=rtpmap:101 telephone-event/8000"), "{ans}");
        // Our answer is itself a valid offer we would accept.
        let back = negotiate(ans.as_bytes()).unwrap();
        assert_eq!((back.codec, back.dtmf_pt, back.remote.port()), (Codec::Pcma, Some(101), 20_000));
    }

    #[test]
    fn static_pcmu_without_rtpmap_is_accepted() {
        let offer = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18 0\r\nc=IN IP4 192.0.2.9\r\n";
        let n = negotiate(offer.as_bytes()).unwrap();
        assert_eq!((n.codec, n.dtmf_pt, n.remote), (Codec::Pcmu, None, "192.0.2.9:4000".parse().unwrap()));
        assert!(!answer(&n, "192.0.2.1".parse().unwrap(), 4002, 1).contains("telephone-event"));
    }

    #[test]
    fn offers_we_cannot_take_are_named() {
        let g729 = SIPP_OFFER.replace("RTP/AVP 8 0 101", "RTP/AVP 18 101").replace("a=rtpmap:8 PCMA/8000\r\n", "");
        assert_eq!(negotiate(g729.as_bytes()), Err(SdpError::NoCommonCodec("18 101".into())));
        let wideband = SIPP_OFFER.replace("RTP/AVP 8 0 101", "RTP/AVP 96").replace("PCMA/8000", "PCMA/16000").replace(":8 ", ":96 ");
        assert!(matches!(negotiate(wideband.as_bytes()), Err(SdpError::NoCommonCodec(_))));
        let no_audio = SIPP_OFFER.replace("m=audio 6000", "m=audio 0");
        assert_eq!(negotiate(no_audio.as_bytes()), Err(SdpError::NoAudio));
        let no_conn = SIPP_OFFER.replace("c=IN IP4 127.0.0.1\r\n", "");
        assert_eq!(negotiate(no_conn.as_bytes()), Err(SdpError::NoAddress));
        assert!(matches!(negotiate(b"\xff\xfe"), Err(SdpError::Parse(_))));
        assert!(matches!(negotiate(b"hello"), Err(SdpError::Parse(_)) | Err(SdpError::NoAudio)));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = negotiate(&bytes);
        }

        #[test]
        fn mutated_offers_never_panic(cut in 0usize..200, junk in "[ -~\r\n]{0,40}") {
            let mut s = SIPP_OFFER.to_string();
            let at = cut.min(s.len());
            s.insert_str(at, &junk);
            let _ = negotiate(s.as_bytes());
        }
    }
}
