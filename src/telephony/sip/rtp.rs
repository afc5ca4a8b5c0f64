//! RTP packets in and out (sans-I/O, on the `rtp` crate): parsing what the caller sends and numbering what
//! we send (sequence, timestamp, SSRC, marker bit at the start of each talkspurt). Must not touch sockets.

use bytes::Bytes;
use rtp::header::Header;
use rtp::packet::Packet;
use webrtc_util::marshal::{Marshal, Unmarshal};

use crate::audio::g711;
use crate::telephony::sip::sdp::Codec;

/// One received packet's fields we use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub payload_type: u8,
    pub seq: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    pub payload: Bytes,
}

/// Why a datagram is not an RTP packet we take.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RtpError {
    #[error("not an RTP packet: {0}")]
    Parse(String),
    #[error("RTP version {0}, expected 2")]
    Version(u8),
}

/// Parses one datagram.
pub fn parse(datagram: &[u8]) -> Result<Received, RtpError> {
    let mut buf = datagram;
    let p = Packet::unmarshal(&mut buf).map_err(|e| RtpError::Parse(e.to_string()))?;
    if p.header.version != 2 {
        return Err(RtpError::Version(p.header.version));
    }
    Ok(Received {
        payload_type: p.header.payload_type,
        seq: p.header.sequence_number,
        timestamp: p.header.timestamp,
        ssrc: p.header.ssrc,
        payload: p.payload,
    })
}

/// Decodes a G.711 payload to linear samples.
pub fn decode(codec: Codec, payload: &[u8]) -> Vec<i16> {
    match codec {
        Codec::Pcmu => g711::decode_mulaw(payload),
        Codec::Pcma => g711::decode_alaw(payload),
    }
}

/// Numbers and encodes our outgoing audio.
#[derive(Debug)]
pub struct Sender {
    codec: Codec,
    ssrc: u32,
    seq: u16,
    timestamp: u32,
}

impl Sender {
    /// `seed` gives the random SSRC, first sequence number and timestamp (RFC 3550 section 5.1).
    pub fn new(codec: Codec, seed: u64) -> Sender {
        Sender { codec, ssrc: seed as u32, seq: (seed >> 32) as u16, timestamp: (seed >> 16) as u32 }
    }

    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// One packet for a frame of audio; `talkspurt_start` sets the marker bit (first frame of a prompt).
    pub fn packet(&mut self, frame: &[i16], talkspurt_start: bool) -> Vec<u8> {
        let payload = match self.codec {
            Codec::Pcmu => g711::encode_mulaw(frame),
            Codec::Pcma => g711::encode_alaw(frame),
        };
        let p = Packet {
            header: Header {
                version: 2,
                marker: talkspurt_start,
                payload_type: self.codec.payload_type(),
                sequence_number: self.seq,
                timestamp: self.timestamp,
                ssrc: self.ssrc,
                ..Default::default()
            },
            payload: Bytes::from(payload),
        };
        self.seq = self.seq.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(frame.len() as u32);
        // Marshalling a header we built cannot fail; an empty datagram would only be skipped.
        p.marshal().map(|b| b.to_vec()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sent_packets_parse_back_with_sequence_timestamp_and_marker() {
        let mut s = Sender::new(Codec::Pcmu, 0x0001_0002_0003_0004);
        let frame = vec![1000i16; 160];
        let a = parse(&s.packet(&frame, false)).unwrap();
        let b_raw = s.packet(&frame, false);
        let b = parse(&b_raw).unwrap();
        let c_raw = s.packet(&frame[..80], true);
        let c = parse(&c_raw).unwrap();
        let d = parse(&s.packet(&frame, false)).unwrap();
        assert_eq!((a.payload_type, a.ssrc, a.payload.len()), (0, s.ssrc(), 160));
        assert_eq!((b.seq, b.timestamp), (a.seq.wrapping_add(1), a.timestamp.wrapping_add(160)));
        assert_eq!((c.seq, c.timestamp), (a.seq.wrapping_add(2), a.timestamp.wrapping_add(320)));
        assert_eq!(d.timestamp, a.timestamp.wrapping_add(400));
        let marker = |raw: &[u8]| raw[1] & 0x80 != 0;
        assert!(marker(&c_raw) && !marker(&b_raw), "only a talkspurt start is marked");
        let back = decode(Codec::Pcmu, &a.payload);
        assert!(back.iter().all(|v| (v - 1000).abs() < 40), "{back:?}");
        let mut alaw = Sender::new(Codec::Pcma, 9);
        assert_eq!(parse(&alaw.packet(&frame, true)).unwrap().payload_type, 8);
    }

    #[test]
    fn garbage_is_refused() {
        assert!(parse(b"").is_err());
        assert!(parse(b"hello world, not rtp").is_err());
        let mut v1 = Sender::new(Codec::Pcmu, 1).packet(&[0; 160], false);
        v1[0] = (v1[0] & 0x3f) | 0x40;
        assert_eq!(parse(&v1), Err(RtpError::Version(1)));
    }

    proptest! {
        #[test]
        fn arbitrary_datagrams_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn mutated_packets_never_panic(at in 0usize..172, byte in any::<u8>(), cut in 0usize..172) {
            let mut p = Sender::new(Codec::Pcma, 5).packet(&[3; 160], false);
            let i = at % p.len();
            p[i] = byte;
            p.truncate(cut);
            let _ = parse(&p);
        }
    }
}
