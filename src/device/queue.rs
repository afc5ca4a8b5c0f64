//! The offline queue: a directory holding each finished report (`KEY.wav` + `KEY.json` with the fields, the
//! transcript and the idempotency key) until the service has it. The recorder writes `KEY.wav` first; the
//! JSON is written atomically once the technician confirms; both are removed only after the service
//! acknowledged the report. A WAV without JSON is an unfinished session (the process died before
//! confirmation): it is never sent and never deleted.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::store::write_durably;

/// One report waiting to be sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedReport {
    /// Sent as the `Idempotency-Key` header: the service makes one report per key.
    pub idempotency_key: String,
    /// Unix milliseconds when the technician confirmed it.
    pub created_at: i64,
    pub form: String,
    pub language: String,
    /// The transcript as the service's upload API takes it: text, language, model, segments.
    pub transcript: Value,
    /// Field name -> plain JSON value.
    pub fields: Value,
    /// Field name -> provenance.
    pub details: Value,
    /// Problem messages.
    pub problems: Value,
    /// Failed sending attempts so far and the last reason.
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub last_error: Option<String>,
}

/// Why the queue could not be used.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("queue directory {}: {reason}", dir.display())]
    Dir { dir: PathBuf, reason: String },
    #[error("queued report {}: {reason}", path.display())]
    Entry { path: PathBuf, reason: String },
}

/// The queue directory.
#[derive(Debug, Clone)]
pub struct Queue {
    dir: PathBuf,
}

impl Queue {
    /// Opens (creating it if needed) the queue directory.
    pub fn open(dir: &Path) -> Result<Self, QueueError> {
        std::fs::create_dir_all(dir).map_err(|e| QueueError::Dir { dir: dir.to_path_buf(), reason: e.to_string() })?;
        Ok(Self { dir: dir.to_path_buf() })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A fresh idempotency key: 32 hex characters from the time, a counter, the process id and the directory.
    pub fn new_key(&self) -> String {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let seed = format!("{nanos}:{n}:{}:{}", std::process::id(), self.dir.display());
        hex::encode(&Sha256::digest(seed.as_bytes())[..16])
    }

    /// Where the recording of report `key` is written.
    pub fn wav_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.wav"))
    }

    fn json_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    /// Adds (or rewrites) a report; its WAV must already be in the queue directory.
    pub fn put(&self, report: &QueuedReport) -> Result<(), QueueError> {
        let path = self.json_path(&report.idempotency_key);
        let entry_err = |reason: String| QueueError::Entry { path: path.clone(), reason };
        if !self.wav_path(&report.idempotency_key).is_file() {
            return Err(entry_err("its recording is missing".into()));
        }
        let text = serde_json::to_vec_pretty(report).map_err(|e| entry_err(e.to_string()))?;
        write_durably(&path, &text, true).map_err(|e| entry_err(e.to_string()))
    }

    /// Reports waiting to be sent, oldest first. Entries that cannot be read are returned as errors beside
    /// the good ones, so one damaged file does not hold up the rest.
    pub fn pending(&self) -> Result<(Vec<QueuedReport>, Vec<QueueError>), QueueError> {
        let mut good = Vec::new();
        let mut bad = Vec::new();
        for path in self.files("json")? {
            let read = std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice::<QueuedReport>(&b).map_err(|e| format!("not a queued report: {e}")));
            match read {
                Ok(r) if path.file_stem().is_some_and(|s| *s == *r.idempotency_key) => good.push(r),
                Ok(_) => bad.push(QueueError::Entry { path, reason: "file name and idempotency key differ".into() }),
                Err(reason) => bad.push(QueueError::Entry { path, reason }),
            }
        }
        good.sort_by(|a, b| (a.created_at, &a.idempotency_key).cmp(&(b.created_at, &b.idempotency_key)));
        Ok((good, bad))
    }

    /// Recordings with no report: sessions that ended before confirmation. Kept for a person to look at.
    pub fn unfinished(&self) -> Result<Vec<PathBuf>, QueueError> {
        Ok(self.files("wav")?.into_iter().filter(|p| !p.with_extension("json").exists()).collect())
    }

    /// Reads a queued report's recording.
    pub fn wav(&self, key: &str) -> Result<Vec<u8>, QueueError> {
        let path = self.wav_path(key);
        std::fs::read(&path).map_err(|e| QueueError::Entry { path, reason: e.to_string() })
    }

    /// Removes a report the service acknowledged: the JSON first (so a crash in between leaves an unfinished
    /// recording, never a report that would be sent without its audio), then the WAV.
    pub fn remove(&self, key: &str) -> Result<(), QueueError> {
        for path in [self.json_path(key), self.wav_path(key)] {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(QueueError::Entry { path, reason: e.to_string() }),
            }
        }
        Ok(())
    }

    /// Notes a failed attempt in the entry.
    pub fn record_failure(&self, report: &mut QueuedReport, error: &str) -> Result<(), QueueError> {
        report.attempts += 1;
        report.last_error = Some(error.to_string());
        self.put(report)
    }

    fn files(&self, ext: &str) -> Result<Vec<PathBuf>, QueueError> {
        let entries = std::fs::read_dir(&self.dir).map_err(|e| QueueError::Dir { dir: self.dir.clone(), reason: e.to_string() })?;
        let mut out: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == ext) && p.is_file())
            .collect();
        out.sort();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(q: &Queue, created_at: i64) -> QueuedReport {
        let key = q.new_key();
        std::fs::write(q.wav_path(&key), b"RIFF").unwrap();
        QueuedReport {
            idempotency_key: key,
            created_at,
            form: "service_report".into(),
            language: "en".into(),
            transcript: json!({"text": "asset 4471"}),
            fields: json!({"asset": "4471"}),
            details: json!({}),
            problems: json!([]),
            attempts: 0,
            last_error: None,
        }
    }

    #[test]
    fn put_pending_remove_round_trip_and_damaged_entries_do_not_block() {
        let dir = tempfile::tempdir().unwrap();
        let q = Queue::open(dir.path()).unwrap();
        let mut second = report(&q, 2);
        std::thread::sleep(std::time::Duration::from_millis(2));
        let first = report(&q, 1);
        q.put(&second).unwrap();
        q.put(&first).unwrap();
        std::fs::write(dir.path().join("broken.json"), b"{not json").unwrap();
        let (good, bad) = q.pending().unwrap();
        assert_eq!(good, vec![first.clone(), second.clone()]);
        assert_eq!(bad.len(), 1);
        assert!(bad[0].to_string().contains("broken.json"), "{}", bad[0]);
        q.record_failure(&mut second, "service unreachable").unwrap();
        assert_eq!(q.pending().unwrap().0[1].attempts, 1);
        q.remove(&first.idempotency_key).unwrap();
        assert_eq!(q.pending().unwrap().0, vec![second]);
        assert!(!q.wav_path(&first.idempotency_key).exists());
    }

    #[test]
    fn a_recording_without_a_report_is_unfinished_and_never_pending() {
        let dir = tempfile::tempdir().unwrap();
        let q = Queue::open(dir.path()).unwrap();
        let r = report(&q, 1);
        assert_eq!(q.unfinished().unwrap(), vec![q.wav_path(&r.idempotency_key)]);
        assert!(q.pending().unwrap().0.is_empty());
        assert!(q.put(&QueuedReport { idempotency_key: "gone".into(), ..r }).is_err());
    }
}
