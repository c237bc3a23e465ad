-- The stable views of the contract (docs/contract.md, "Warehouse"). Names and columns are
-- public interface.

CREATE VIEW current_assessments AS
SELECT * FROM assessments
QUALIFY row_number() OVER (PARTITION BY school_id, post_id ORDER BY assessment_id DESC) = 1;

CREATE VIEW mentions AS
SELECT p.school_id, p.post_id, p.source_id, p.url, p.author, p.title, p.text,
       p.published_at, p.first_seen_at, a.sentiment, a.categories, a.severity, a.rung
FROM posts p
JOIN current_assessments a USING (school_id, post_id)
WHERE a.mentions;

CREATE VIEW flagged AS
SELECT m.*, c.case_id, c.status AS case_status, c.respond_by, d.sent_at AS digested_at
FROM mentions m
LEFT JOIN case_posts cp USING (school_id, post_id)
LEFT JOIN cases c ON c.case_id = cp.case_id
LEFT JOIN deliveries d
       ON d.school_id = m.school_id AND d.post_id = m.post_id AND d.kind = 'digest'
WHERE m.severity <> 'none';

-- a UK school's day: the calendar date in Europe/London
CREATE VIEW daily_sentiment AS
SELECT school_id,
       timezone('Europe/London', coalesce(published_at, first_seen_at))::DATE AS day,
       count(*) AS mentions,
       avg(sentiment) AS mean_sentiment,
       avg(CASE WHEN sentiment <= -0.05 THEN 1.0 ELSE 0.0 END) AS negative_share,
       count_if(severity <> 'none') AS flagged
FROM mentions
GROUP BY ALL;

CREATE VIEW source_health AS
WITH ranked AS (
    SELECT *,
           row_number() OVER (PARTITION BY school_id, source_id
                              ORDER BY fetched_at DESC, fetch_id DESC) AS age,
           count(*) OVER (PARTITION BY school_id, source_id) AS runs
    FROM fetches
), last_success AS (
    SELECT school_id, source_id, min(age) AS age
    FROM ranked WHERE status <> 'failed'
    GROUP BY ALL
)
SELECT r.school_id, r.source_id,
       r.fetched_at AS last_run_at,
       r.status AS last_status,
       CASE WHEN r.status = 'failed' THEN r.error END AS last_error,
       coalesce(s.age - 1, r.runs) AS consecutive_failures,
       r.items AS items_last_run
FROM ranked r
LEFT JOIN last_success s USING (school_id, source_id)
WHERE r.age = 1;

CREATE VIEW post_versions AS
SELECT post_id, version, fetched_at, url, sha256, text
FROM post_contents;
