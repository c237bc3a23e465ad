-- Posts erased on request (`schoolwatch forget`, UK GDPR erasure): only the id, a hash of the
-- post's URL and guid, so the next run does not store the same post again from the web.
CREATE TABLE erased_posts (
    school_id  VARCHAR NOT NULL,
    post_id    VARCHAR NOT NULL,
    erased_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (school_id, post_id)
);
