//! Fills the sipp scenario template tests/sipp/report_call.xml (a technician phones in a report) for the
//! end-to-end test and the concurrent-call benchmark: key presses become RFC 4733 recordings played by
//! sipp. The caller types ahead (the IVR keeps keys pressed while it is busy), so the only waits are for the PIN
//! check before the dictation starts and, at the end, for the IVR's BYE. Text in, text out.

/// The caller's dictation, shared by the end-to-end test and the benchmark: every required field but the asset
/// (typed when the IVR asks). Worded for tiny.en on telephone-band espeak-ng speech at [`REPORT_WPM`]: at
/// espeak-ng's default rate it wrote "the knob is closed" and "Labour one two" for "The job is closed" and
/// "Labour was two and a half hours".
pub const REPORT: &str = "Customer Acme Foods. The condenser fan motor was not spinning. I replaced the condenser fan motor. \
Labour, two and a half hours. Job status, closed.";

/// espeak-ng's speaking rate (words a minute, its `-s`) for [`REPORT`].
pub const REPORT_WPM: &str = "140";

/// What the caller does and how long it waits for the service.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportCall {
    pub technician: String,
    pub pin: String,
    /// Typed when the service asks for the field left out of the dictation.
    pub answer: String,
    /// Length of the dictation WAV (report.wav next to the scenario).
    pub report_ms: u64,
    /// Time between the menu choice and the start of the dictation (the PIN check, the dictation prompt).
    pub login_wait_ms: u64,
    /// How long the caller waits, after the dictation, for the IVR to hang up (transcription, read-back, the
    /// ticket number, goodbye).
    pub bye_wait_ms: u64,
}

/// The sipp lines that press `keys` (0-9, *, #) with the Debian sip-tester recordings under `pcap/`.
pub fn key_presses(keys: &str) -> String {
    keys.chars()
        .filter_map(|k| {
            let name = match k {
                '0'..='9' => k.to_string(),
                '*' => "star".into(),
                '#' => "pound".into(),
                _ => return None,
            };
            Some(format!(
                "  <nop><action><exec play_pcap_audio=\"pcap/dtmf_2833_{name}.pcap\"/></action></nop>\n  <pause milliseconds=\"300\"/>\n"
            ))
        })
        .collect()
}

/// The template with every `@...@` marker filled.
pub fn fill(template: &str, call: &ReportCall) -> String {
    let mut s = template.to_string();
    for (marker, keys) in [
        ("@KEYS 1@", "1".to_string()),
        ("@KEYS TECH#@", format!("{}#", call.technician)),
        ("@KEYS PIN#@", format!("{}#", call.pin)),
        ("@KEYS #@", "#".to_string()),
        ("@KEYS ASSET#@", format!("{}#", call.answer)),
        ("@KEYS 9@", "9".to_string()),
    ] {
        s = s.replace(marker, key_presses(&keys).trim_end_matches('\n'));
    }
    s.replace("@LOGIN_WAIT@", &call.login_wait_ms.to_string())
        .replace("@REPORT_MS@", &(call.report_ms + 500).to_string())
        .replace("@BYE_WAIT@", &call.bye_wait_ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_every_marker() {
        let template = include_str!("../../../tests/sipp/report_call.xml");
        let call = ReportCall {
            technician: "7".into(),
            pin: "4821".into(),
            answer: "4471".into(),
            report_ms: 9600,
            login_wait_ms: 2500,
            bye_wait_ms: 90_000,
        };
        let s = fill(template, &call);
        assert!(!s.contains("@KEYS") && !s.contains("_WAIT@") && !s.contains("@REPORT"), "every marker filled: {s}");
        assert_eq!(s.matches("dtmf_2833_").count(), 1 + 2 + 5 + 1 + 1 + 5 + 1 + 1);
        assert!(s.contains("<pause milliseconds=\"2500\"/>") && s.contains("<recv request=\"BYE\" timeout=\"90000\"/>"));
        assert!(s.contains("<pause milliseconds=\"10100\"/>") && s.contains("dtmf_2833_pound.pcap"));
        assert_eq!(key_presses("x"), "");
    }
}
