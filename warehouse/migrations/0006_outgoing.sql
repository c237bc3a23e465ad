-- A digest message recorded just before it is handed to SMTP (or written to the outbox), with
-- the posts it carries; removed once those posts are marked digested. A row left over means the
-- run stopped between sending and marking: the next run finishes it (the outbox already holds
-- the message: mark it; SMTP: send the same bytes, same Message-ID, again, then mark) instead
-- of sending those posts in a new message.
CREATE TABLE outgoing (
    message_id  VARCHAR PRIMARY KEY,
    school_id   VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL CHECK (kind IN ('alert', 'digest')),
    post_ids    VARCHAR[] NOT NULL,
    recipients  VARCHAR[] NOT NULL,
    message     BLOB NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);
