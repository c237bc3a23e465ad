-- `daily_sentiment.flagged` came out as HUGEINT (count_if), which Parquet cannot hold: the
-- snapshot said DOUBLE. A count is a BIGINT, like `mentions`, in the view and in its snapshot.
CREATE OR REPLACE VIEW daily_sentiment AS
SELECT school_id,
       timezone('Europe/London', coalesce(published_at, first_seen_at))::DATE AS day,
       count(*) AS mentions,
       avg(sentiment) AS mean_sentiment,
       avg(CASE WHEN sentiment <= -0.05 THEN 1.0 ELSE 0.0 END) AS negative_share,
       count_if(severity <> 'none')::BIGINT AS flagged
FROM mentions
GROUP BY ALL;
