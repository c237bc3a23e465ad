-- Internal tables. Analysts should use the views (0002); these may change.
-- Every time is TIMESTAMPTZ (an instant); sessions run with TimeZone = 'UTC'.

CREATE TABLE runs (
    run_id      VARCHAR PRIMARY KEY,
    started_at  TIMESTAMPTZ NOT NULL,
    stored_at   TIMESTAMPTZ NOT NULL,
    sources     INTEGER NOT NULL,
    posts_seen  INTEGER NOT NULL
);

-- one row per source per run
CREATE SEQUENCE fetch_seq START 1;
CREATE TABLE fetches (
    fetch_id       BIGINT PRIMARY KEY DEFAULT nextval('fetch_seq'),
    run_id         VARCHAR NOT NULL,
    school_id      VARCHAR NOT NULL,
    source_id      VARCHAR NOT NULL,
    url            VARCHAR NOT NULL,
    fetched_at     TIMESTAMPTZ NOT NULL,
    status         VARCHAR NOT NULL CHECK (status IN ('ok', 'not_modified', 'failed')),
    error          VARCHAR,
    http_status    INTEGER,
    items          INTEGER NOT NULL,
    etag           VARCHAR,
    last_modified  VARCHAR,
    UNIQUE (run_id, school_id, source_id)
);

-- A post is keyed by (school_id, post_id): two schools watching the same feed each keep it.
CREATE TABLE posts (
    school_id       VARCHAR NOT NULL,
    post_id         VARCHAR NOT NULL,
    source_id       VARCHAR NOT NULL,
    url             VARCHAR NOT NULL,
    guid            VARCHAR NOT NULL,
    author          VARCHAR NOT NULL,
    site            VARCHAR NOT NULL,   -- host of url: with author, identifies a poster
    title           VARCHAR NOT NULL,   -- of the latest version
    text            VARCHAR NOT NULL,   -- of the latest version
    published_at    TIMESTAMPTZ,
    first_seen_at   TIMESTAMPTZ NOT NULL,
    local           BOOLEAN NOT NULL,
    latest_version  INTEGER NOT NULL,
    PRIMARY KEY (school_id, post_id)
);

-- every distinct content of a post as fetched: the evidence (the `post_versions` view shows it)
CREATE TABLE post_contents (
    school_id   VARCHAR NOT NULL,
    post_id     VARCHAR NOT NULL,
    version     INTEGER NOT NULL,
    fetched_at  TIMESTAMPTZ NOT NULL,
    run_id      VARCHAR,
    url         VARCHAR NOT NULL,
    sha256      VARCHAR NOT NULL,   -- hex digest of raw
    raw         BLOB NOT NULL,
    title       VARCHAR NOT NULL,
    text        VARCHAR NOT NULL,
    PRIMARY KEY (school_id, post_id, version)
);

-- earlier assessments are kept; the one with the highest assessment_id is current
CREATE SEQUENCE assessment_seq START 1;
CREATE TABLE assessments (
    assessment_id       BIGINT PRIMARY KEY DEFAULT nextval('assessment_seq'),
    school_id           VARCHAR NOT NULL,
    post_id             VARCHAR NOT NULL,
    version             INTEGER NOT NULL,
    classifier_version  VARCHAR NOT NULL,
    assessed_at         TIMESTAMPTZ NOT NULL,
    run_id              VARCHAR,
    mentions            BOOLEAN NOT NULL,
    categories          VARCHAR[] NOT NULL,
    severity            VARCHAR NOT NULL
        CHECK (severity IN ('none', 'low', 'medium', 'high', 'critical')),
    rung                INTEGER NOT NULL CHECK (rung BETWEEN 0 AND 6),
    rung_reason         VARCHAR NOT NULL,
    sentiment           DOUBLE NOT NULL,
    evidence            JSON NOT NULL,
    matched             JSON NOT NULL
);

CREATE SEQUENCE case_seq START 1;
CREATE TABLE cases (
    case_id     VARCHAR PRIMARY KEY,   -- C-000001
    school_id   VARCHAR NOT NULL,
    site        VARCHAR NOT NULL,
    author      VARCHAR NOT NULL,
    status      VARCHAR NOT NULL CHECK (status IN ('open', 'closed')),
    opened_at   TIMESTAMPTZ NOT NULL,
    respond_by  TIMESTAMPTZ NOT NULL,
    closed_at   TIMESTAMPTZ,
    closed_by   VARCHAR,
    close_note  VARCHAR
);

-- a post belongs to at most one case
CREATE TABLE case_posts (
    school_id  VARCHAR NOT NULL,
    post_id    VARCHAR NOT NULL,
    case_id    VARCHAR NOT NULL,
    added_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (school_id, post_id)
);

CREATE SEQUENCE action_seq START 1;
CREATE TABLE case_actions (
    action_id    BIGINT PRIMARY KEY DEFAULT nextval('action_seq'),
    case_id      VARCHAR NOT NULL,
    rung         INTEGER NOT NULL CHECK (rung BETWEEN 0 AND 6),
    note         VARCHAR NOT NULL,
    recorded_by  VARCHAR NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL
);

-- what was alerted or digested, when and to whom; once per post and kind
CREATE TABLE deliveries (
    school_id   VARCHAR NOT NULL,
    post_id     VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL CHECK (kind IN ('alert', 'digest')),
    sent_at     TIMESTAMPTZ NOT NULL,
    recipients  VARCHAR[] NOT NULL,
    PRIMARY KEY (school_id, post_id, kind)
);

-- one row per digest sent (also empty ones), so "new since the last digest" has a start
CREATE TABLE digests (
    school_id   VARCHAR NOT NULL,
    sent_at     TIMESTAMPTZ NOT NULL,
    items       INTEGER NOT NULL,
    recipients  VARCHAR[] NOT NULL
);
