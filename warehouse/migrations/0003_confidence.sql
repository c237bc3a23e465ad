-- How sure the classifier is of each category: a JSON object of calibrated probabilities,
-- {"threat": 0.93, "harassment": 0.61}. NULL for assessments made before this column existed;
-- the digest treats those as certain (they were alerted under the old rule).
ALTER TABLE assessments ADD COLUMN confidence JSON;

-- `flagged` gains `confidence` (MAP(VARCHAR, DOUBLE): confidence['threat']) after the columns
-- it already had; every other column keeps its name, type and place.
CREATE OR REPLACE VIEW flagged AS
SELECT m.*, c.case_id, c.status AS case_status, c.respond_by, d.sent_at AS digested_at,
       CAST(a.confidence AS MAP(VARCHAR, DOUBLE)) AS confidence
FROM mentions m
JOIN current_assessments a USING (school_id, post_id)
LEFT JOIN case_posts cp USING (school_id, post_id)
LEFT JOIN cases c ON c.case_id = cp.case_id
LEFT JOIN deliveries d
       ON d.school_id = m.school_id AND d.post_id = m.post_id AND d.kind = 'digest'
WHERE m.severity <> 'none';
