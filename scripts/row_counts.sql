-- Exact row count of every table in the connected database, one "schema.table count" line each,
-- sorted, so that the old and the new database's outputs can be compared with `diff`:
--   psql "<connection>" -At -F ' ' -f scripts/row_counts.sql > counts.txt
-- count(*) per table, not the planner's estimates: an estimate would hide a lost row.
SELECT t.table_schema || '.' || t.table_name,
       (xpath('/row/n/text()',
              query_to_xml(format('SELECT count(*) AS n FROM %I.%I', t.table_schema, t.table_name),
                           false, true, '')))[1]::text::bigint
FROM information_schema.tables AS t
WHERE t.table_type = 'BASE TABLE'
  AND t.table_schema NOT IN ('pg_catalog', 'information_schema')
ORDER BY 1;
