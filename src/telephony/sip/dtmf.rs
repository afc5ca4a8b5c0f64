//! Key presses from the caller (sans-I/O): RFC 4733 telephone-event payloads, reported once per press
//! however many packets carry it, and SIP INFO bodies (application/dtmf-relay, application/dtmf).

/// One telephone-event payload (RFC 4733 section 2.3: event, E bit, volume, duration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    pub event: u8,
    pub end: bool,
    pub volume: u8,
    pub duration: u16,
}

/// Why a telephone-event payload was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DtmfError {
    #[error("telephone-event payload is {0} bytes, needs at least 4")]
    Short(usize),
    #[error("telephone-event {0} is not a DTMF key")]
    NotAKey(u8),
}

/// Parses the 4-byte payload (more bytes are redundant blocks and ignored).
pub fn parse_event(payload: &[u8]) -> Result<TelephoneEvent, DtmfError> {
    let [event, flags, d0, d1, ..] = *payload else { return Err(DtmfError::Short(payload.len())) };
    Ok(TelephoneEvent { event, end: flags & 0x80 != 0, volume: flags & 0x3f, duration: u16::from_be_bytes([d0, d1]) })
}

/// The key of a DTMF event code (0-9, *, #, A-D are events 0-15).
pub fn event_key(event: u8) -> Result<char, DtmfError> {
    Ok(match event {
        0..=9 => char::from(b'0' + event),
        10 => '*',
        11 => '#',
        12..=15 => char::from(b'A' + event - 12),
        _ => return Err(DtmfError::NotAKey(event)),
    })
}

/// Turns the stream of telephone-event packets of one call into key presses. A press is one RTP
/// timestamp; its retransmitted and end packets repeat it and are not reported again. A press of the same
/// key with the same timestamp after the end packets (a sender replaying a recording) is a new press.
#[derive(Debug, Default)]
pub struct DtmfDetector {
    current: Option<(u32, u8, bool)>,
}

impl DtmfDetector {
    /// Feeds one packet (RTP timestamp and payload); returns the key when a new press starts.
    pub fn on_packet(&mut self, timestamp: u32, payload: &[u8]) -> Option<char> {
        let ev = parse_event(payload).ok()?;
        let key = event_key(ev.event).ok()?;
        match &mut self.current {
            Some((ts, code, ended)) if *ts == timestamp && *code == ev.event => {
                if *ended && !ev.end {
                    *ended = false;
                    return Some(key);
                }
                *ended |= ev.end;
                None
            }
            _ => {
                self.current = Some((timestamp, ev.event, ev.end));
                Some(key)
            }
        }
    }
}

/// Reads the key from a SIP INFO body: `Signal=5` lines (application/dtmf-relay) or a bare key
/// (application/dtmf). `None` when the body carries no key.
pub fn parse_info_body(content_type: &str, body: &[u8]) -> Option<char> {
    let text = std::str::from_utf8(body).ok()?;
    let ct = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let raw = match ct.as_str() {
        "application/dtmf-relay" => text.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            k.trim().eq_ignore_ascii_case("signal").then(|| v.trim())
        })?,
        "application/dtmf" => text.trim(),
        _ => return None,
    };
    let mut chars = raw.chars();
    let c = chars.next()?.to_ascii_uppercase();
    if chars.next().is_some() {
        // Some senders give the event number ("10" for *).
        return raw.parse::<u8>().ok().and_then(|n| event_key(n).ok());
    }
    matches!(c, '0'..='9' | '*' | '#' | 'A'..='D').then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pkt(event: u8, end: bool, duration: u16) -> [u8; 4] {
        let d = duration.to_be_bytes();
        [event, if end { 0x8a } else { 0x0a }, d[0], d[1]]
    }

    #[test]
    fn one_press_is_reported_once() {
        let mut d = DtmfDetector::default();
        let mut keys = Vec::new();
        for dur in [0u16, 160, 320, 480] {
            keys.extend(d.on_packet(13_280, &pkt(1, false, dur)));
        }
        for _ in 0..3 {
            keys.extend(d.on_packet(13_280, &pkt(1, true, 640)));
        }
        keys.extend(d.on_packet(20_000, &pkt(11, false, 0)));
        keys.extend(d.on_packet(20_000, &pkt(11, true, 800)));
        assert_eq!(keys, vec!['1', '#']);
    }

    #[test]
    fn a_replayed_press_with_the_same_timestamp_counts_again() {
        let mut d = DtmfDetector::default();
        let press = |d: &mut DtmfDetector| {
            let mut k = Vec::new();
            k.extend(d.on_packet(13_280, &pkt(4, false, 0)));
            k.extend(d.on_packet(13_280, &pkt(4, true, 400)));
            k.extend(d.on_packet(13_280, &pkt(4, true, 400)));
            k
        };
        assert_eq!(press(&mut d), vec!['4']);
        assert_eq!(press(&mut d), vec!['4']);
        // A different key with the same timestamp (recordings of several keys) is its own press.
        assert_eq!(d.on_packet(13_280, &pkt(8, false, 0)), Some('8'));
    }

    #[test]
    fn payloads_are_checked() {
        assert_eq!(parse_event(&[1, 2, 3]), Err(DtmfError::Short(3)));
        assert_eq!(parse_event(&pkt(5, true, 800)).unwrap(), TelephoneEvent { event: 5, end: true, volume: 10, duration: 800 });
        assert_eq!(event_key(16), Err(DtmfError::NotAKey(16)));
        assert_eq!((event_key(10), event_key(15)), (Ok('*'), Ok('D')));
        assert_eq!(DtmfDetector::default().on_packet(1, &[200, 0, 0, 0]), None, "flash/tones are not keys");
    }

    #[test]
    fn info_bodies() {
        assert_eq!(parse_info_body("application/dtmf-relay", b"Signal=5\r\nDuration=160\r\n"), Some('5'));
        assert_eq!(parse_info_body("Application/DTMF-Relay; x=y", b"signal = #\r\n"), Some('#'));
        assert_eq!(parse_info_body("application/dtmf", b"*"), Some('*'));
        assert_eq!(parse_info_body("application/dtmf", b"11"), Some('#'));
        assert_eq!(parse_info_body("application/dtmf", b"x"), None);
        assert_eq!(parse_info_body("text/plain", b"Signal=5"), None);
        assert_eq!(parse_info_body("application/dtmf-relay", b"Duration=160"), None);
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(ts in any::<u32>(), bytes in proptest::collection::vec(any::<u8>(), 0..12),
                                         ct in "[a-z/;= -]{0,30}") {
            let mut d = DtmfDetector::default();
            let _ = d.on_packet(ts, &bytes);
            let _ = parse_info_body(&ct, &bytes);
            let _ = parse_info_body("application/dtmf-relay", &bytes);
        }
    }
}
