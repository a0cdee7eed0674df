// Package pgwriter writes Arrow record batches into a PostgreSQL table with
// `COPY ... FROM STDIN (FORMAT binary)`, encoded straight from the Arrow
// arrays (internal/pgcopy).
//
// # URL
//
//	postgres://user[:password]@host[:port]/database?table=schema.orders&mode=upsert&key=id
//
// postgresql:// is the same. Parameters:
//
//   - table: the destination table, "name" or "schema.name" (required).
//   - mode: insert (default, also "append"), overwrite ("truncate"), upsert,
//     replace, partition-overwrite.
//   - key: comma-separated key columns for upsert/replace (default the
//     primary key).
//   - partition: the SQL predicate of partition-overwrite, e.g.
//     biz_date = '20250726'.
//   - preSql, postSql: statements (repeat the parameter or separate with
//     ";"). preSql runs in Prepare (after the reader produced its schema);
//     postSql runs at Commit, inside the commit transaction (after the
//     workers' commit for insert).
//   - create: true creates the table from the Arrow schema when missing
//     (key becomes the primary key).
//   - conns: the most write connections (default 0: one per worker); workers
//     beyond it share connections, taking turns. On a small machine one
//     connection writes as fast as several, which only contend for the
//     table's relation extension lock.
//   - batchRows: accepted and ignored (the Pipeline sizes batches).
//   - libpq parameters passed through to pgx: sslmode, connect_timeout,
//     application_name, options, search_path, ... (as pgreader).
//
// # Write modes and atomicity
//
// Every mode is all-or-nothing, and Abort (a failed, cancelled or killed
// run) leaves the target exactly as it was:
//
//   - insert: each worker COPYs straight into the target inside its own
//     transaction, which stays open until Commit commits them one after the
//     other (the only non-atomic window is a COMMIT failing between two
//     workers' commits). No rows are copied twice, so insert runs at the
//     speed of the COPY pipe. A killed process or connection rolls back.
//   - overwrite: rows go into an UNLOGGED staging table
//     (CREATE TABLE ... (LIKE target INCLUDING ALL), so constraints and
//     unique indexes reject bad rows at load time); Commit runs
//     BEGIN; TRUNCATE target; INSERT INTO target SELECT ... FROM stage;
//     postSql; DROP stage; COMMIT. TRUNCATE+INSERT rather than a rename swap
//     because it keeps the target's OID, grants, views, foreign keys,
//     triggers and dependent objects intact; its ACCESS EXCLUSIVE lock is
//     held only for the commit transaction, and readers see the old rows
//     until it commits. The price is writing the rows twice (staging is
//     unlogged, so only once to the WAL).
//   - upsert: staging (with a load-order column), then INSERT ... SELECT
//     DISTINCT ON (key) ... ORDER BY key, load order DESC ON CONFLICT (key)
//     DO UPDATE: the last row for a key within a run wins.
//   - replace: like upsert, but the conflicting rows are deleted and the new
//     ones inserted (columns not written get their defaults).
//   - partition-overwrite: staging, then in one transaction DELETE FROM
//     target WHERE partition; INSERT the new rows. New rows that do not match
//     the predicate fail the run (a rerun would not replace them), so
//     rerunning a day is idempotent.
//
// # Dirty rows and retries
//
// Each batch is one COPY inside a SAVEPOINT. A batch rejected for bad data
// (SQLSTATE classes 22 and 23, or a value the encoder cannot convert, such
// as an int64 beyond a smallint column) is bisected (internal/bisect) until
// the bad rows are isolated: the good rows are written, the bad ones are
// returned as *dirty.RowErrors with the server's message and column.
// Serialization failures and deadlocks (40001, 40P01) roll back to the
// savepoint and are returned as retryable. A lost connection is fatal in
// insert mode (the worker's earlier batches went with its transaction); in
// the staged modes, where each batch is its own autocommitted COPY into the
// staging table, a batch lost with its connection before completing is
// retryable and the next Write reconnects.
//
// # Types
//
// Columns are matched by name (a batch column the table lacks is an error
// naming it; table columns the batch lacks get their defaults). Destination
// types are looked up in the catalog and each Arrow type is encoded into the
// column's binary format: integers into smallint/integer/bigint (range
// checked per value) or numeric, uint64 into numeric; float32/64 into
// real/double; decimal128/256 into numeric; utf8 into
// text/varchar/char/name/json/xml/enum as is, into jsonb, uuid and numeric
// by parsing; binary into bytea; bool; date32 into date; time64 into time;
// timestamps of any unit into timestamp/timestamptz (sub-microsecond
// digits are an error, never silently dropped); month_day_nano_interval into
// interval; arrow.uuid into uuid or text; arrow.json into json/jsonb/text;
// list<T> and fixed_size_list<T> into T[]. Anything else is an error naming
// the column, raised in Prepare.
package pgwriter
