//! Dialog tests: the clock is driven by hand, the runner is played by the test (it acknowledges plays and
//! answers transcriptions, PIN checks and saves), and no socket or audio is involved.

use std::time::{Duration, Instant};

use super::*;
use crate::extract::InMemoryDirectory;
use crate::extract::form::find_form;

const CUSTOMERS: &str = "name\nAcme Foods\nBellview Hospital\n华联超市\n";
const ASSETS: &str = "tag,customer,description\n4471,Acme Foods,condenser\n6601,华联超市,冷柜\n";

struct Call {
    d: Dialog,
    now: Instant,
    last_play: Option<u64>,
    log: Vec<Action>,
}

impl Call {
    fn new() -> Call {
        let dir = InMemoryDirectory::from_csv(CUSTOMERS.as_bytes(), ASSETS.as_bytes()).unwrap();
        let form = Arc::new(find_form("service_report", None).unwrap());
        let d = Dialog::new(Arc::new(Ivr::builtin()), form, Some(Arc::new(dir)), NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        Call { d, now: Instant::now(), last_play: None, log: Vec::new() }
    }

    fn ev(&mut self, e: Event) -> Vec<Action> {
        let acts = self.d.on_event(e, self.now);
        for a in &acts {
            if let Action::Play { id, .. } = a {
                self.last_play = Some(*id);
            }
        }
        self.log.extend(acts.clone());
        acts
    }

    /// Lets time pass in 100 ms ticks; returns every action on the way.
    fn wait(&mut self, ms: u64) -> Vec<Action> {
        let mut out = Vec::new();
        for _ in 0..ms / 100 {
            self.now += Duration::from_millis(100);
            out.extend(self.ev(Event::Tick));
        }
        out
    }

    /// The caller hears everything queued.
    fn heard(&mut self) -> Vec<Action> {
        match self.last_play.take() {
            Some(id) => self.ev(Event::PlayDone(id)),
            None => Vec::new(),
        }
    }

    fn keys(&mut self, keys: &str) -> Vec<Action> {
        keys.chars().flat_map(|k| self.ev(Event::Dtmf(k))).collect()
    }

    /// The caller speaks for `ms`; returns what happened after the speech ended.
    fn speak(&mut self, ms: u64) -> Vec<Action> {
        self.ev(Event::SpeechStart);
        self.now += Duration::from_millis(ms);
        self.ev(Event::SpeechEnd)
    }

    fn login(&mut self) {
        self.ev(Event::Start);
        self.heard();
        self.keys("1");
        self.keys("7#");
        let acts = self.keys("4821#");
        assert!(acts.contains(&Action::CheckPin { technician_id: 7, pin: "4821".into() }), "{acts:?}");
        self.ev(Event::PinChecked(Some("Tess".into())));
        self.heard();
    }

    /// Dictates `transcript` and returns what the dialog did with it.
    fn dictate(&mut self, transcript: &str) -> Vec<Action> {
        self.keys("1");
        self.heard();
        self.speak(5000);
        let acts = self.wait(2500);
        assert!(acts.iter().any(|a| matches!(a, Action::Transcribe { .. })), "{acts:?}");
        self.ev(Event::Transcript(Some(transcript.into())))
    }
}

fn ids(acts: &[Action]) -> Vec<String> {
    acts.iter()
        .filter_map(|a| match a {
            Action::Play { say: Say::Prompt { id, .. }, .. } => Some(id.clone()),
            Action::Play { say: Say::Tone { .. }, .. } => Some("tone".into()),
            _ => None,
        })
        .collect()
}

fn texts(acts: &[Action]) -> Vec<String> {
    acts.iter()
        .filter_map(|a| match a {
            Action::Play { say: Say::Prompt { text, .. }, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn report_by_phone_from_welcome_to_ticket_number() {
    let mut c = Call::new();
    let acts = c.ev(Event::Start);
    assert_eq!(ids(&acts), ["welcome", "language", "language"]);
    c.heard();
    assert_eq!(ids(&c.keys("1")), ["technician_id"]);
    assert_eq!(ids(&c.keys("7#")), ["pin"]);
    c.keys("4821#");
    let acts = c.ev(Event::PinChecked(Some("Tess".into())));
    assert_eq!(texts(&acts)[0], "Hello Tess. To report a job, press 1 or say report. To hear the state of a ticket, press 2. To leave a message for the office, press 0. To end the call, press 9.");
    let acts = c.keys("1");
    assert_eq!(acts[0], Action::Clear, "a key stops the menu prompt");
    assert!(acts.contains(&Action::Capture));
    assert_eq!(ids(&acts), ["dictate", "tone"]);
    c.heard();
    c.speak(4000);
    c.wait(1000);
    c.speak(3000);
    // 2.5 s of silence after the last speech ends the dictation; a shorter pause does not.
    assert!(c.wait(2400).is_empty());
    let acts = c.wait(100);
    assert_eq!(acts, [Action::Transcribe { lang: "en".into() }]);
    let acts = c.ev(Event::Transcript(Some(
        "Asset 4471. Replaced the condenser fan motor. Two and a half hours. Status closed.".into(),
    )));
    assert_eq!(ids(&acts), ["question.fault"]);
    assert_eq!(texts(&acts), ["What was the fault?"]);
    let acts = c.ev(Event::SpeechStart);
    assert_eq!(acts, [Action::Clear], "speech stops the question");
    c.now += Duration::from_millis(1500);
    assert_eq!(c.ev(Event::SpeechEnd), [Action::Transcribe { lang: "en".into() }]);
    let acts = c.ev(Event::Transcript(Some("The fan motor was seized.".into())));
    assert_eq!(ids(&acts), ["read_back", "confirm_menu"]);
    assert_eq!(texts(&acts)[0], "I have: Asset 4471, Acme Foods, replaced the condenser fan motor, two and a half hours, closed.");
    c.heard();
    let acts = c.keys("1");
    let Some(Action::SaveReport { technician_id, extraction, transcript, confirmed }) = acts.last() else { panic!("{acts:?}") };
    assert_eq!((*technician_id, *confirmed), (7, true));
    assert_eq!(extraction.fields["fault"].value.to_string(), "The fan motor was seized");
    assert_eq!(extraction.fields["customer"].value.to_string(), "Acme Foods");
    assert!(transcript.starts_with("Asset 4471."));
    let acts = c.ev(Event::ReportSaved(Some("FV-000042".into())));
    assert_eq!(ids(&acts), ["saved", "anything_else", "main_menu"]);
    assert!(texts(&acts)[0].ends_with("Your ticket number is 4 2."));
    let kinds: Vec<&str> = c.d.turns().iter().map(|t| t.kind.as_str()).collect();
    assert!(kinds.contains(&"speech") && kinds.contains(&"dtmf") && kinds.contains(&"prompt"));
    assert!(!c.d.turns().iter().any(|t| t.text.contains("4821") || t.text == "4"), "the PIN is not kept");
}

#[test]
fn silent_caller_is_reprompted_then_taken_to_the_message_box_then_goodbye() {
    let mut c = Call::new();
    c.ev(Event::Start);
    c.heard();
    assert!(c.wait(5900).is_empty());
    let acts = c.wait(100);
    assert_eq!(ids(&acts), ["no_input", "language", "language"]);
    c.heard();
    assert_eq!(ids(&c.wait(6000)), ["no_input", "language", "language"]);
    c.heard();
    let acts = c.wait(6000);
    assert_eq!(ids(&acts), ["to_message", "message", "tone"]);
    c.heard();
    let mut all = Vec::new();
    for _ in 0..3 {
        let acts = c.wait(6000);
        all.extend(acts.clone());
        c.heard();
    }
    assert_eq!(ids(&all), ["message", "tone", "message", "tone", "goodbye"]);
    assert_eq!(all.last(), Some(&Action::Hangup));
    assert!(c.d.ended());
    assert!(c.ev(Event::Dtmf('1')).is_empty(), "nothing happens after the goodbye");
}

#[test]
fn three_wrong_pins_end_the_call_politely() {
    let mut c = Call::new();
    c.ev(Event::Start);
    c.keys("1");
    for attempt in 1..=3 {
        c.keys("12#");
        let acts = c.keys("0000#");
        assert_eq!(acts.last(), Some(&Action::CheckPin { technician_id: 12, pin: "0000".into() }));
        let acts = c.ev(Event::PinChecked(None));
        if attempt < 3 {
            assert_eq!(ids(&acts), ["wrong_pin", "technician_id"]);
        } else {
            assert_eq!(ids(&acts), ["pin_locked"]);
            assert_eq!(acts.last(), Some(&Action::Hangup));
        }
    }
    assert!(c.d.ended());
    assert_eq!(c.d.technician_id(), None);
}

#[test]
fn digits_end_with_hash_or_a_pause() {
    let mut c = Call::new();
    c.ev(Event::Start);
    c.keys("1");
    c.keys("31");
    assert!(c.wait(3900).is_empty());
    assert_eq!(ids(&c.wait(100)), ["pin"]);
    c.keys("4821");
    let acts = c.wait(4000);
    assert_eq!(acts, [Action::CheckPin { technician_id: 31, pin: "4821".into() }]);
}

#[test]
fn wrong_keys_reprompt_up_to_the_limit_then_the_message_box() {
    let mut c = Call::new();
    c.login();
    assert_eq!(ids(&c.keys("5")), ["no_match", "main_menu"]);
    assert_eq!(ids(&c.keys("8")), ["no_match", "main_menu"]);
    let acts = c.keys("7");
    assert_eq!(ids(&acts), ["to_message", "message", "tone"]);
    c.heard();
    c.speak(3000);
    let acts = c.wait(2500);
    assert_eq!(acts, [Action::SaveMessage { technician_id: Some(7) }]);
    let acts = c.ev(Event::MessageSaved(true));
    assert_eq!(ids(&acts), ["message_saved", "goodbye"]);
    assert_eq!(acts.last(), Some(&Action::Hangup));
}

#[test]
fn spoken_menu_choices_and_language() {
    let mut c = Call::new();
    c.ev(Event::Start);
    let acts = c.speak(800);
    assert_eq!(acts, [Action::Transcribe { lang: "auto".into() }]);
    let acts = c.ev(Event::Transcript(Some("中文".into())));
    assert_eq!(ids(&acts), ["technician_id"]);
    assert_eq!(texts(&acts), ["请输入您的技术员编号，然后按井号键。"]);
    assert_eq!(c.d.language(), "zh");
}

#[test]
fn mandarin_report_with_a_missing_field_answered_by_voice() {
    let mut c = Call::new();
    c.ev(Event::Start);
    c.heard();
    c.keys("2");
    c.keys("7#4821#");
    c.ev(Event::PinChecked(Some("小王".into())));
    c.heard();
    let acts = c.keys("1");
    assert!(texts(&acts)[0].starts_with("请在提示音后描述"));
    c.heard();
    c.speak(4000);
    let acts = c.wait(2500);
    assert_eq!(acts, [Action::Transcribe { lang: "zh".into() }]);
    let acts = c.ev(Event::Transcript(Some("设备编号6601，更换了加热管，工时两个半小时，状态已完成。".into())));
    assert_eq!(texts(&acts), ["故障是什么？"]);
    c.heard();
    c.speak(1500);
    let acts = c.ev(Event::Transcript(Some("加热管烧了".into())));
    assert_eq!(texts(&acts)[0], "您的报告是：设备6601，华联超市，更换了加热管，两个半小时，已完成。");
    c.heard();
    c.speak(600);
    let acts = c.ev(Event::Transcript(Some("确认".into())));
    assert!(matches!(acts.last(), Some(Action::SaveReport { confirmed: true, .. })), "{acts:?}");
}

#[test]
fn record_again_and_correct_a_field_by_keypad() {
    let mut c = Call::new();
    c.login();
    let full = "Asset 4471. The fan was seized. Replaced the fan motor. Two hours. Status closed.";
    let acts = c.dictate(full);
    assert_eq!(ids(&acts), ["read_back", "confirm_menu"]);
    c.heard();
    assert_eq!(ids(&c.keys("2")), ["dictate", "tone"]);
    c.heard();
    c.speak(3000);
    c.wait(2500);
    let acts = c.ev(Event::Transcript(Some(full.into())));
    assert!(texts(&acts)[0].contains("two hours"));
    let acts = c.keys("3");
    assert_eq!(texts(&acts), ["Which field? for asset, press 1, for customer, press 2, for fault, press 3, for action, press 4, for parts, press 5, for labour hours, press 6, for status, press 7, for follow-up date, press 8."]);
    assert_eq!(texts(&c.keys("6")), ["How many hours of labour?"]);
    let acts = c.keys("3#");
    assert!(texts(&acts)[0].contains("three hours"), "{acts:?}");
    c.keys("1");
    let Some(Action::SaveReport { extraction, .. }) = c.log.iter().rev().find(|a| matches!(a, Action::SaveReport { .. })) else { panic!() };
    assert_eq!(extraction.fields["labor_hours"].value, crate::extract::Value::Number(3.0));
    assert_eq!(extraction.fields["labor_hours"].source, "keypad");
}

#[test]
fn a_field_that_keeps_failing_is_left_for_the_office() {
    let mut c = Call::new();
    c.login();
    let acts = c.dictate("Asset 4471. The fan was seized. Replaced the fan motor. Status closed.");
    assert_eq!(ids(&acts), ["question.labor_hours"]);
    c.speak(1000);
    let acts = c.ev(Event::Transcript(Some("banana".into())));
    assert_eq!(ids(&acts), ["no_match", "question.labor_hours"]);
    c.speak(1000);
    let acts = c.ev(Event::Transcript(Some("pineapple".into())));
    assert_eq!(ids(&acts), ["field_skipped", "read_back", "confirm_menu"]);
}

#[test]
fn one_moment_then_tones_while_transcribing() {
    let mut c = Call::new();
    c.login();
    c.keys("1");
    c.heard();
    c.speak(5000);
    c.wait(2500);
    assert!(c.wait(500).is_empty());
    let acts = c.wait(100);
    assert_eq!(ids(&acts), ["one_moment"]);
    assert!(c.wait(2000).is_empty(), "nothing new while the filler plays");
    c.heard();
    assert!(c.wait(700).is_empty());
    assert_eq!(ids(&c.wait(100)), ["tone"]);
    c.heard();
    let acts = c.wait(800);
    assert_eq!(ids(&acts), ["tone"]);
    let acts = c.ev(Event::Transcript(Some("Asset 4471. The fan was seized. Replaced the fan motor. Two hours. Closed.".into())));
    assert_eq!(acts[0], Action::Clear, "the filler stops for the reply");
    assert_eq!(ids(&acts), ["read_back", "confirm_menu"]);
}

#[test]
fn hanging_up_at_the_read_back_keeps_an_unconfirmed_draft() {
    let mut c = Call::new();
    c.login();
    c.dictate("Asset 4471. The fan was seized. Replaced the fan motor. Two hours. Closed.");
    let acts = c.ev(Event::Hangup);
    assert!(matches!(acts.as_slice(), [Action::SaveReport { confirmed: false, technician_id: 7, .. }]), "{acts:?}");
    assert!(c.d.ended());
}

#[test]
fn ticket_state_by_number() {
    let mut c = Call::new();
    c.login();
    assert_eq!(ids(&c.keys("2")), ["ticket_number"]);
    let acts = c.keys("42#");
    assert_eq!(acts.last(), Some(&Action::LookupTicket { technician_id: 7, number: "42".into() }));
    let acts = c.ev(Event::TicketState(Some("posted".into())));
    assert_eq!(texts(&acts)[0], "Ticket 4 2 is posted to the customer record.");
    c.keys("2");
    c.keys("9#");
    let acts = c.ev(Event::TicketState(None));
    assert_eq!(texts(&acts)[0], "I could not find ticket 9.");
}

#[test]
fn empty_dictation_is_reprompted() {
    let mut c = Call::new();
    c.login();
    c.keys("1");
    c.heard();
    let acts = c.keys("#");
    assert_eq!(ids(&acts), ["nothing_heard", "dictate", "tone"]);
    c.heard();
    c.speak(2000);
    c.wait(2500);
    let acts = c.ev(Event::Transcript(Some(String::new())));
    assert_eq!(ids(&acts), ["nothing_heard", "dictate", "tone"]);
}

#[test]
fn keys_typed_ahead_while_busy_answer_the_next_questions() {
    let mut c = Call::new();
    c.ev(Event::Start);
    c.heard();
    c.keys("1");
    c.keys("7#");
    // 1 for a new report, typed while the PIN is being checked: kept, not lost.
    c.keys("4821#1");
    let typed: String = c.d.turns().iter().filter(|t| t.kind == "dtmf").map(|t| t.text.as_str()).collect();
    assert_eq!(typed, "17#****#*", "digits typed during the PIN check are masked like the PIN");
    let acts = c.ev(Event::PinChecked(Some("Tess".into())));
    assert_eq!(ids(&acts), ["main_menu", "dictate", "tone"], "the menu choice was taken at once");
    assert!(acts.contains(&Action::Clear), "the typed-ahead key barges in on the menu: {acts:?}");
    c.speak(5000);
    let acts = c.keys("#");
    assert!(acts.iter().any(|a| matches!(a, Action::Transcribe { .. })), "{acts:?}");
    // While Whisper runs: the asset, 1 to confirm, 9 to end the call.
    assert!(ids(&c.keys("4471#19")).is_empty(), "nothing is said while the keys are only kept");
    let acts = c.ev(Event::Transcript(Some(
        "Customer Acme Foods. The fan was not spinning. I replaced the fan motor. Two hours. Job closed.".into(),
    )));
    assert_eq!(ids(&acts), ["question.asset", "read_back", "confirm_menu"], "{acts:?}");
    let save = acts.iter().find_map(|a| match a {
        Action::SaveReport { extraction, confirmed, .. } => Some((extraction.clone(), *confirmed)),
        _ => None,
    });
    let (x, confirmed) = save.expect("1 confirmed the read-back");
    assert!(confirmed);
    assert_eq!(x.fields["asset"].value.to_string(), "4471");
    // 9 waits for the save, then ends the call after the ticket number has been said whole.
    let acts = c.ev(Event::ReportSaved(Some("FV-000042".into())));
    assert_eq!(ids(&acts), ["saved", "anything_else", "main_menu", "goodbye"], "{acts:?}");
    assert!(!acts.contains(&Action::Clear), "the ticket number is not cut off: {acts:?}");
    assert_eq!(acts.last(), Some(&Action::Hangup));
    assert!(c.d.ended());
}

#[test]
fn a_key_during_the_ticket_number_does_not_cut_it_off() {
    let mut c = Call::new();
    c.login();
    c.dictate("Asset 4471, Acme Foods. The fan was not spinning. I replaced the fan motor. Two hours. Job closed.");
    c.keys("1");
    let acts = c.ev(Event::ReportSaved(Some("FV-000042".into())));
    let saved = acts.iter().find_map(|a| match a {
        Action::Play { id, say: Say::Prompt { id: p, .. } } if p == "saved" => Some(*id),
        _ => None,
    });
    let saved = saved.expect("the ticket number is said");
    let acts = c.keys("2");
    assert!(!acts.contains(&Action::Clear), "{acts:?}");
    assert_eq!(ids(&acts), ["ticket_number"], "the key still chooses from the menu");
    // Once the ticket number has been heard, barge-in clears the queue again.
    c.ev(Event::PlayDone(saved));
    let acts = c.keys("5");
    assert!(acts.contains(&Action::Clear), "{acts:?}");
}

#[test]
fn nine_or_goodbye_in_the_menu_ends_the_call() {
    let mut c = Call::new();
    c.login();
    let acts = c.keys("9");
    assert_eq!(ids(&acts), ["goodbye"]);
    assert_eq!(acts.last(), Some(&Action::Hangup));
    let mut c = Call::new();
    c.login();
    c.speak(800);
    let acts = c.wait(100);
    assert!(acts.iter().any(|a| matches!(a, Action::Transcribe { .. })) || c.log.iter().any(|a| matches!(a, Action::Transcribe { .. })));
    let acts = c.ev(Event::Transcript(Some("No thanks, goodbye.".into())));
    assert_eq!(ids(&acts), ["goodbye"]);
    assert!(c.d.ended());
}
