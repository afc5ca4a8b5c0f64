-- Account administration: disabled (soft-deleted) reviewers, admins and technicians, and each user's
-- interface language. Identical to sqlite/0002_account_admin.sql.

alter table app_user add column disabled_at bigint;
alter table app_user add column language text not null default 'en' check (language in ('en', 'zh'));
alter table technician add column disabled_at bigint;
