-- Phone calls (IVR): one row per answered call, the turns of its dialog, and the call a report came from.
-- Identical to postgres/0004_phone_call.sql.

create table phone_call (
    phone_call_id integer primary key autoincrement,
    call_ref text not null,
    channel text not null check (channel in ('sip', 'twilio')),
    caller text not null,
    technician_id bigint references technician (technician_id),
    language text,
    audio_path text,
    message_path text,
    turn_latency_p50_ms bigint,
    turn_latency_max_ms bigint,
    started_at bigint not null,
    ended_at bigint,
    created_at bigint not null
);
create index phone_call_started_idx on phone_call (started_at);

create table call_turn (
    call_turn_id integer primary key autoincrement,
    phone_call_id bigint not null references phone_call (phone_call_id),
    seq bigint not null,
    at_ms bigint not null,
    speaker text not null check (speaker in ('system', 'caller')),
    kind text not null,
    text text not null,
    latency_ms bigint,
    created_at bigint not null
);
create index call_turn_call_idx on call_turn (phone_call_id, seq);

alter table report add column phone_call_id bigint references phone_call (phone_call_id);
