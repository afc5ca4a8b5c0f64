-- Idempotency keys of accepted uploads: a retried submission (a device's offline queue flushing after a lost
-- reply) finds the report it already made instead of making a second one. Keys are per technician.
-- Identical in meaning to postgres/0005_upload_key.sql.

create table upload_key (
    upload_key_id integer primary key autoincrement,
    technician_id bigint not null references technician (technician_id),
    idempotency_key text not null,
    report_id bigint not null references report (report_id),
    created_at bigint not null,
    unique (technician_id, idempotency_key)
);
