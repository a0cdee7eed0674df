// Package pgreader reads PostgreSQL tables and queries as Arrow record
// batches, through `COPY (SELECT ...) TO STDOUT (FORMAT binary)` decoded
// straight into Arrow builders (internal/pgcopy): no per-row []any, no text
// parsing.
//
// # URL
//
//	postgres://user[:password]@host[:port]/database?table=schema.orders&splitPk=id&where=...
//
// postgresql:// is the same. Parameters:
//
//   - table: the table to read, "name" or "schema.name".
//   - columns: comma-separated columns to read (default all, in table order).
//   - where: an SQL condition on table.
//   - querySql: a query to read instead of table (not with where/columns;
//     splitPk then names a column of its output).
//   - splitPk: the column to cut splits on (default: the table's first
//     primary key column; without one, ctid block ranges).
//   - splits: the number of splits wanted (default: the Pipeline's
//     concurrency).
//   - batchRows: the most rows per batch (default 65536; a batch is also cut
//     at 4 MiB of wire data).
//   - readTimeout: fail a connection on which nothing arrived for this long
//     (default none). The connect timeout is libpq's connect_timeout, 30 s
//     by default; TCP keepalives are on.
//   - libpq parameters passed through to pgx: sslmode, sslcert, sslkey,
//     sslrootcert, sslpassword, sslsni, connect_timeout, application_name,
//     target_session_attrs, options, search_path, statement_timeout,
//     TimeZone, passfile, service, ...
//
// Any other parameter, or a malformed query pair, is an error naming it.
// Passwords never appear in errors. Names are parsed with
// internal/sqlident ("My.Schema"."Table" has quoted parts) and quoted.
//
// # Splits and snapshot
//
// Open starts a REPEATABLE READ transaction and exports its snapshot
// (pg_export_snapshot), held until Close. Every split reads on its own
// connection inside that snapshot (SET TRANSACTION SNAPSHOT), so a parallel
// read is one consistent image of the source even while it is being
// written. Integer keys are cut into even ranges between min and max, other
// keys at sampled quantiles (percentile_disc), rows whose key is NULL form a
// split of their own, and a table with no usable key is cut into ctid block
// ranges. A split's Spec is JSON (bounds as text), so a plan can be shipped.
// A table smaller than SmallTable is one split unless splits= asks for
// more, and a split of the whole source reads on the Reader's own
// connection, inside the exporting transaction (one connection, no SET
// TRANSACTION SNAPSHOT); should that read fail, its retry reads on a
// connection and snapshot of its own.
//
// As a ferry.StatefulReader, ExportState returns the snapshot id and the
// split key; a Reader opened from the same configuration in another process
// ImportState-s it and reads the shipped splits on the planner's snapshot.
// When the planner's Reader is gone its snapshot is too: the importing
// Reader then reads every split on its own snapshot (taken at its Open) and
// says so in the note: consistent within that process, not across
// processes.
//
// # Types
//
// smallint/integer/bigint → int16/int32/int64; oid → uint32;
// numeric(p,s) → decimal128(p,s) for p ≤ 38, decimal256(p,s) for p ≤ 76;
// unconstrained numeric (and NaN/±Infinity) → utf8 with field metadata
// ferry.encoding=text; real/double → float32/float64 (NaN, ±Inf kept);
// text/varchar/char/name/"char"/xml and enums → utf8; bytea → binary;
// boolean → bool; date → date32; time → time64[us];
// timestamp → timestamp[us]; timestamptz → timestamp[us, UTC];
// interval → month_day_nano_interval; uuid → arrow.uuid; json/jsonb →
// arrow.json (jsonb in its normalised text); one-dimensional arrays of any of
// these → list<T>; domains → their base type. Every field carries
// ferry.source_type (format_type, e.g. "numeric(12,2)") and
// ferry.source_engine; table columns also ferry.not_null, ferry.primary_key
// (position in the key) and ferry.char_length (varchar/char). Other types
// (point, money, ranges, composites, multi-dimensional arrays) are an error
// naming the column: cast them in querySql.
//
// PostgreSQL's infinite dates and timestamps ('infinity', '-infinity') have
// no Arrow value: reading one fails with an error naming the column and
// row (pgcopy.ErrInfinity) rather than inventing a sentinel. Filter them
// with where or map them in querySql.
//
// # Passthrough
//
// When the run's writer is a pgwriter whose target columns have the same
// built-in types (ferry.PassthroughWriter, Reader.Passthrough), the splits
// hand out their rows as binary COPY tuples (pgcopy.RawBatch) instead of
// decoding them: the writer copies them as they are, and a batch whose
// columns are asked for decodes itself. Infinite timestamps and numeric NaN
// then pass through exactly.
package pgreader
