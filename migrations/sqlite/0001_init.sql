-- fieldvoice schema, SQLite dialect. Times are unix milliseconds; JSON documents are text.
-- Kept column-for-column identical to postgres/0001_init.sql so the store writes its SQL once.

create table customer (
    customer_id integer primary key autoincrement,
    name text not null unique,
    contact text,
    created_at bigint not null
);

create table asset (
    asset_id integer primary key autoincrement,
    tag text not null unique,
    customer_id bigint not null references customer (customer_id),
    description text not null default '',
    created_at bigint not null
);
create index asset_customer_idx on asset (customer_id);

create table technician (
    technician_id integer primary key autoincrement,
    login text not null unique,
    name text not null,
    pin_hash text not null,
    created_at bigint not null
);

create table app_user (
    app_user_id integer primary key autoincrement,
    login text not null unique,
    name text not null,
    password_hash text not null,
    role text not null check (role in ('reviewer', 'admin')),
    created_at bigint not null
);

create table api_token (
    api_token_id integer primary key autoincrement,
    token_hash text not null unique,
    role text not null check (role in ('technician', 'reviewer', 'admin')),
    app_user_id bigint references app_user (app_user_id),
    technician_id bigint references technician (technician_id),
    label text not null default '',
    created_at bigint not null,
    revoked_at bigint,
    check ((app_user_id is null) <> (technician_id is null))
);

create table recording (
    recording_id integer primary key autoincrement,
    path text not null,
    sha256 text not null,
    bytes bigint not null,
    duration_ms bigint not null,
    source text not null check (source in ('upload', 'phone', 'device')),
    technician_id bigint not null references technician (technician_id),
    created_at bigint not null
);

create table transcript (
    transcript_id integer primary key autoincrement,
    recording_id bigint not null unique references recording (recording_id),
    text text not null,
    segments text not null,
    language text not null,
    model text not null,
    real_time_factor double precision not null,
    created_at bigint not null
);

create table report (
    report_id integer primary key autoincrement,
    recording_id bigint not null unique references recording (recording_id),
    technician_id bigint not null references technician (technician_id),
    form text not null,
    language text,
    state text not null check (state in ('processing', 'draft', 'verified', 'posted', 'rejected', 'failed')),
    fields text not null default '{}',
    details text not null default '{}',
    problems text not null default '[]',
    customer_id bigint references customer (customer_id),
    asset_id bigint references asset (asset_id),
    reason text,
    created_at bigint not null,
    updated_at bigint not null
);
create index report_state_idx on report (state, created_at);
create index report_technician_idx on report (technician_id, created_at);

create table audit_event (
    audit_event_id integer primary key autoincrement,
    report_id bigint not null references report (report_id),
    actor text not null,
    action text not null,
    field text,
    old_value text,
    new_value text,
    created_at bigint not null
);
create index audit_event_report_idx on audit_event (report_id, audit_event_id);

create table job (
    job_id integer primary key autoincrement,
    kind text not null,
    payload text not null,
    state text not null check (state in ('queued', 'running', 'done', 'dead')),
    attempts bigint not null default 0,
    max_attempts bigint not null,
    run_after bigint not null,
    locked_by text,
    locked_at bigint,
    last_error text,
    created_at bigint not null,
    updated_at bigint not null
);
create index job_claim_idx on job (state, run_after);

create table ticket (
    ticket_id integer primary key autoincrement,
    number text not null unique,
    report_id bigint not null unique references report (report_id),
    customer_id bigint references customer (customer_id),
    asset_id bigint references asset (asset_id),
    created_at bigint not null
);

create table outbox (
    outbox_id integer primary key autoincrement,
    event text not null,
    report_id bigint not null references report (report_id),
    target_url text not null,
    payload text not null,
    idempotency_key text not null unique,
    state text not null check (state in ('pending', 'sent', 'dead')),
    attempts bigint not null default 0,
    next_attempt_at bigint not null,
    last_error text,
    created_at bigint not null,
    sent_at bigint
);
create index outbox_due_idx on outbox (state, next_attempt_at);
