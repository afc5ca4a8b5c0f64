//! A small jitter buffer (sans-I/O): reorders decoded RTP packets by sequence number, fills gaps from lost
//! packets with silence, holds at most a bounded number of packets, and hands out one 20 ms frame per tick
//! so the call's time stays continuous. Must not depend on sockets or the clock.

use std::collections::VecDeque;

use crate::telephony::FRAME_SAMPLES;

/// Counters of what the buffer had to discard or invent.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct JitterStats {
    /// Packets that arrived after their turn had passed.
    pub late: u64,
    /// Packets dropped because the buffer was full.
    pub overflow: u64,
    /// Packets never received, replaced with silence.
    pub lost: u64,
    /// Duplicate packets ignored.
    pub duplicate: u64,
}

/// Reorders packets and paces them out as [`FRAME_SAMPLES`]-sample frames.
#[derive(Debug)]
pub struct JitterBuffer {
    /// Sequence number of `slots[0]`; `None` until the first packet or after a long pause (resync).
    next: Option<u16>,
    slots: VecDeque<Option<Vec<i16>>>,
    /// Samples of played packets not yet handed out as a whole frame.
    pending: VecDeque<i16>,
    capacity: usize,
    depth: usize,
    playing: bool,
    idle_ticks: u32,
    last_len: usize,
    pub stats: JitterStats,
}

impl JitterBuffer {
    /// `depth` packets are held before playout starts (the added delay); at most `capacity` are held.
    pub fn new(depth: usize, capacity: usize) -> JitterBuffer {
        let capacity = capacity.max(depth + 1).min(i16::MAX as usize / 4);
        JitterBuffer {
            next: None,
            slots: VecDeque::new(),
            pending: VecDeque::new(),
            capacity,
            depth: depth.max(1),
            playing: false,
            idle_ticks: 0,
            last_len: FRAME_SAMPLES,
            stats: JitterStats::default(),
        }
    }

    /// Packets held now.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn resync(&mut self, seq: u16) {
        self.stats.overflow += self.len() as u64;
        self.slots.clear();
        self.next = Some(seq);
        self.playing = false;
    }

    /// Adds one decoded packet.
    pub fn push(&mut self, seq: u16, samples: Vec<i16>) {
        if samples.is_empty() {
            return;
        }
        let next = match self.next {
            Some(n) => n,
            None => {
                self.resync(seq);
                seq
            }
        };
        let cap = self.capacity as i32;
        let diff = i32::from(seq.wrapping_sub(next) as i16);
        if diff < -cap || diff >= 3 * cap {
            // Far outside the window: the sender restarted its sequence; follow it.
            self.resync(seq);
            return self.push(seq, samples);
        }
        if diff < 0 {
            self.stats.late += 1;
            return;
        }
        let mut diff = diff as usize;
        while diff >= self.capacity {
            // No room: give up the oldest slot.
            if let Some(Some(_)) = self.slots.pop_front() {
                self.stats.overflow += 1;
            }
            self.next = Some(self.next.unwrap_or(seq).wrapping_add(1));
            diff -= 1;
        }
        while self.slots.len() <= diff {
            self.slots.push_back(None);
        }
        if self.slots[diff].is_some() {
            self.stats.duplicate += 1;
        } else {
            self.slots[diff] = Some(samples);
        }
    }

    /// One frame for this 20 ms tick: caller audio, or silence while buffering, after a loss or when the
    /// caller sends nothing.
    pub fn pop(&mut self) -> Vec<i16> {
        while self.pending.len() < FRAME_SAMPLES {
            match self.next_packet() {
                Some(samples) => self.pending.extend(samples),
                None => break,
            }
        }
        if self.pending.is_empty() {
            return vec![0; FRAME_SAMPLES];
        }
        let mut frame: Vec<i16> = self.pending.drain(..FRAME_SAMPLES.min(self.pending.len())).collect();
        frame.resize(FRAME_SAMPLES, 0);
        frame
    }

    fn next_packet(&mut self) -> Option<Vec<i16>> {
        if !self.playing {
            if self.slots.len() < self.depth {
                return None;
            }
            self.playing = true;
        }
        if self.slots.is_empty() {
            // Underrun: wait for `depth` packets again; after a long pause follow whatever comes next.
            self.playing = false;
            self.idle_ticks += 1;
            if self.idle_ticks > 25 {
                self.next = None;
            }
            return None;
        }
        self.idle_ticks = 0;
        let slot = self.slots.pop_front().flatten();
        self.next = self.next.map(|n| n.wrapping_add(1));
        Some(match slot {
            Some(s) => {
                self.last_len = s.len();
                s
            }
            None => {
                self.stats.lost += 1;
                vec![0; self.last_len]
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pkt(v: i16) -> Vec<i16> {
        vec![v; FRAME_SAMPLES]
    }

    #[test]
    fn reorders_and_fills_gaps_with_silence() {
        let mut jb = JitterBuffer::new(2, 10);
        for seq in [65_534u16, 0, 65_535, 2] {
            jb.push(seq, pkt(seq as i16 | 1));
        }
        let firsts: Vec<i16> = (0..5).map(|_| jb.pop()[0]).collect();
        // 65534, 65535, 0, (1 lost), 2, then nothing: silence.
        assert_eq!(firsts, vec![-1, -1, 1, 0, 3]);
        assert_eq!(jb.stats.lost, 1);
        assert_eq!(jb.pop(), vec![0; FRAME_SAMPLES]);
    }

    #[test]
    fn holds_depth_packets_before_playing_and_drops_late_ones() {
        let mut jb = JitterBuffer::new(3, 10);
        jb.push(10, pkt(10));
        jb.push(11, pkt(11));
        assert_eq!(jb.pop()[0], 0, "still buffering");
        jb.push(12, pkt(12));
        assert_eq!(jb.pop()[0], 10);
        jb.push(10, pkt(10));
        jb.push(12, pkt(12));
        assert_eq!((jb.stats.late, jb.stats.duplicate), (1, 1));
        assert_eq!((jb.pop()[0], jb.pop()[0]), (11, 12));
    }

    #[test]
    fn is_bounded_and_follows_a_restarted_sequence() {
        let mut jb = JitterBuffer::new(1, 8);
        for seq in 0..20u16 {
            jb.push(seq, pkt(seq as i16));
        }
        assert!(jb.len() <= 8);
        assert_eq!(jb.stats.overflow, 12);
        assert_eq!(jb.pop()[0], 12);
        jb.push(40_000, pkt(7));
        assert_eq!(jb.len(), 1);
        assert_eq!(jb.pop()[0], 7);
    }

    #[test]
    fn resumes_after_a_pause() {
        let mut jb = JitterBuffer::new(1, 8);
        jb.push(1, pkt(1));
        assert_eq!(jb.pop()[0], 1);
        for _ in 0..100 {
            assert_eq!(jb.pop()[0], 0);
        }
        jb.push(2, pkt(2));
        assert_eq!(jb.pop()[0], 2);
    }

    #[test]
    fn rechunks_other_packet_sizes_into_frames() {
        let mut jb = JitterBuffer::new(1, 8);
        jb.push(1, vec![5; 240]);
        jb.push(2, vec![6; 240]);
        let (a, b, c) = (jb.pop(), jb.pop(), jb.pop());
        assert_eq!((a.len(), b.len(), c.len()), (FRAME_SAMPLES, FRAME_SAMPLES, FRAME_SAMPLES));
        assert_eq!((b[79], b[80], c[159]), (5, 6, 6));
    }

    proptest! {
        #[test]
        fn any_arrival_order_stays_bounded(seqs in proptest::collection::vec(any::<u16>(), 0..200), pops in 0usize..50) {
            let mut jb = JitterBuffer::new(2, 16);
            for s in seqs {
                jb.push(s, pkt(1));
                prop_assert!(jb.slots.len() <= 16);
            }
            for _ in 0..pops {
                prop_assert_eq!(jb.pop().len(), FRAME_SAMPLES);
            }
        }
    }
}
