-- Evidence (issue #10): stored versions are hash-chained, and each fetch keeps the HTTP
-- response's Date header beside its status.
--
-- prev_hash:  the chain_hash of the post's previous version (NULL for version 1).
-- chain_hash: sha256 of this version's fields and prev_hash (warehouse/chain.py says exactly
--             which, and docs/evidence.md what it proves). Rows stored before this migration
--             are sealed by it, in version order (the migration runs warehouse.chain.seal).
ALTER TABLE post_contents ADD COLUMN prev_hash VARCHAR;
ALTER TABLE post_contents ADD COLUMN chain_hash VARCHAR;
ALTER TABLE fetches ADD COLUMN http_date VARCHAR;
