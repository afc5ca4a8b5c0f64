-- Review pages: server-side sessions of reviewers and admins. Only the SHA-256 of the cookie token is
-- stored; a session ends at expires_at or when revoked (logout). Identical to postgres/0003_web_session.sql
-- apart from the identity column.

create table web_session (
    web_session_id integer primary key autoincrement,
    token_hash text not null unique,
    app_user_id bigint not null references app_user (app_user_id),
    csrf_token text not null,
    created_at bigint not null,
    expires_at bigint not null,
    revoked_at bigint
);
create index web_session_user_idx on web_session (app_user_id);
