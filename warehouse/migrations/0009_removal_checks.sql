-- Removal tracking: after SLT record an action at rung 2 or higher on a case (report the post,
-- ask for its removal), each later run re-checks the case's posts and records what it found.
-- One row per post per check; checks stop once a post is `removed` or its case is closed.
CREATE SEQUENCE removal_check_seq START 1;
CREATE TABLE removal_checks (
    check_id       BIGINT PRIMARY KEY DEFAULT nextval('removal_check_seq'),
    school_id      VARCHAR NOT NULL,
    post_id        VARCHAR NOT NULL,
    case_id        VARCHAR NOT NULL,
    run_id         VARCHAR,
    url            VARCHAR NOT NULL,   -- the address fetched: the post's URL without #fragment
    checked_at     TIMESTAMPTZ NOT NULL,
    status         VARCHAR NOT NULL CHECK (status IN ('still_online', 'removed', 'unknown')),
    reason         VARCHAR NOT NULL,   -- what was seen: "HTTP 404 Not Found", "timed out ..."
    http_status    INTEGER,            -- null when no response came (timeout, refused, ...)
    etag           VARCHAR,            -- validators of the response, for the next conditional GET
    last_modified  VARCHAR
);

-- Each reported post with its report and its latest check, for analysts, the digest and the
-- case board. `reported_at`: the first action at rung 2 or higher recorded after the post
-- joined its case (null for a post that joined after the last such action).
CREATE VIEW post_removal AS
WITH reported AS (
    SELECT cp.school_id, cp.post_id, cp.case_id, c.status AS case_status,
           (SELECT arg_min(x.recorded_at, x.action_id) FROM case_actions x
            WHERE x.case_id = cp.case_id AND x.rung >= 2 AND x.recorded_at >= cp.added_at)
               AS reported_at,
           (SELECT arg_min(x.rung, x.action_id) FROM case_actions x
            WHERE x.case_id = cp.case_id AND x.rung >= 2 AND x.recorded_at >= cp.added_at)
               AS reported_rung
    FROM case_posts cp
    JOIN cases c ON c.case_id = cp.case_id
    WHERE EXISTS (SELECT 1 FROM case_actions x WHERE x.case_id = cp.case_id AND x.rung >= 2)
), latest AS (
    SELECT school_id, post_id, checked_at, status, reason, http_status
    FROM removal_checks
    QUALIFY row_number() OVER (PARTITION BY school_id, post_id
                               ORDER BY checked_at DESC, check_id DESC) = 1
)
SELECT r.school_id, r.post_id, r.case_id, r.case_status, p.url, r.reported_at, r.reported_rung,
       l.checked_at AS last_checked_at,
       l.status AS last_status,
       l.reason AS last_reason,
       l.http_status AS last_http_status,
       (SELECT max(k.checked_at) FROM removal_checks k WHERE k.school_id = r.school_id
            AND k.post_id = r.post_id AND k.status = 'still_online') AS seen_online_at,
       (SELECT min(k.checked_at) FROM removal_checks k WHERE k.school_id = r.school_id
            AND k.post_id = r.post_id AND k.status = 'removed') AS removed_at
FROM reported r
JOIN posts p USING (school_id, post_id)
LEFT JOIN latest l USING (school_id, post_id);
