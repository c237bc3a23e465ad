-- The case board (`schoolwatch web`): one-time sign-in links, sessions and the audit log.
-- Links and sessions are stored only as the sha256 of their secret, so a copy of this file
-- cannot be used to sign in.
CREATE TABLE board_sign_in_links (
    token_sha256 VARCHAR PRIMARY KEY,
    email        VARCHAR NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    used_at      TIMESTAMPTZ
);

CREATE TABLE board_sessions (
    session_sha256 VARCHAR PRIMARY KEY,
    email          VARCHAR NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    ended_at       TIMESTAMPTZ
);

-- Who did what on the board: sign-ins, every view of a safeguarding case (and every refusal),
-- every action recorded, case closed and evidence bundle downloaded.
CREATE SEQUENCE board_audit_seq START 1;
CREATE TABLE board_audit (
    audit_id    BIGINT PRIMARY KEY DEFAULT nextval('board_audit_seq'),
    recorded_at TIMESTAMPTZ NOT NULL,
    email       VARCHAR NOT NULL,
    role        VARCHAR NOT NULL,
    event       VARCHAR NOT NULL,
    case_id     VARCHAR,
    detail      VARCHAR NOT NULL DEFAULT ''
);
