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
//     %3B). preSql runs once when the run starts (Prepare, or the first
//     PrepareStage of a run); postSql runs at Commit, inside the commit
//     transaction (for the one-process insert, after the workers' commits).
//   - create: true creates the table when missing, keeping what the source
//     declared (field metadata ferry.source_type and friends): varchar(n),
//     numeric(p,s), jsonb vs json, char(n), fractional-second precision,
//     NOT NULL and the primary key (key, else the source's).
//   - conns: the most write connections (default 0: one per worker); workers
//     beyond it share connections, taking turns (staged: OpenSplit waits).
//   - readTimeout: fail a connection on which nothing arrived for this long
//     (e.g. 10m; default none). The connect timeout is libpq's
//     connect_timeout, 30 s by default; TCP keepalives are on.
//   - staleAfter: age after which another run's stage that no live run
//     holds is dropped when a run starts (default 24h; negative: never).
//   - batchRows: accepted and ignored (the Pipeline sizes batches).
//   - libpq parameters passed through to pgx: sslmode, connect_timeout,
//     application_name, options, search_path, ... (as pgreader).
//
// Every name (table, columns, key) is quoted with internal/sqlident, and
// every statement built from names runs over the extended protocol, which
// refuses a second statement stacked behind it.
//
// # The staged protocol (ferry.StageWriter)
//
// PrepareStage(runID) creates the run's stage in the target's schema: the
// rows table <table>_ferry_<runid> and the marker table <...>_m, whose
// comment is the run's record (run, target, mode, state, times). Each
// OpenSplit is one transaction on its own connection that COPYs the split's
// batches into the stage (each batch in a SAVEPOINT) and, at Close, writes
// the split's marker in the same transaction; an earlier attempt at the
// split is removed in that transaction too, so a split copied again counts
// once. An attempt that is discarded, or whose connection or process dies,
// rolls back and leaves nothing. Status reads the markers and the record.
// Commit (idempotent, from any process that attached) moves the stage into
// the target, runs postSql, drops the rows table and records the commit in
// one transaction, so that a commit whose connection died (an error marked
// ferry.OutcomeUnknown) is resolved by Status. Abort (from any process)
// drops the stage and records the abort.
//
// Two plans:
//
//   - swap, for overwrite, and for insert into a table that is empty when
//     the run starts: the stage is a LOGGED copy of the target (LIKE ...
//     INCLUDING ALL, its markers logged too) and Commit renames it into the
//     target's place, carrying grants, owner, comment, dependent views,
//     foreign keys both ways, owned and identity sequences and index names
//     (see swap.go for what is not carried). The rows are written once.
//     Tables with triggers, policies, rules, publications, inheritance or
//     users of their row type are not swapped.
//   - move, for everything else: the stage is UNLOGGED (its markers too, so
//     a server crash empties both together and never leaves a marker
//     without its rows) and Commit runs, in one transaction:
//     insert: INSERT INTO target SELECT ... FROM stage;
//     overwrite: TRUNCATE target + INSERT;
//     upsert: INSERT ... SELECT DISTINCT ON (key) ... ORDER BY key, load
//     order DESC ON CONFLICT (key) DO UPDATE (the last row of a key wins);
//     replace: DELETE ... USING stage + the same insert;
//     partition-overwrite: DELETE FROM target WHERE partition + INSERT
//     (new rows outside the predicate fail the commit).
//
// The target's unique keys are built on the stage (for upsert and replace
// the stage takes repeated keys), so repeated keys among the run's rows are
// dirty rows at load time; a key that clashes with a row already in the
// target fails the Commit, naming the key.
//
// Every process of a live run holds a shared advisory lock keyed on the run
// ID; CollectStages (ferry gc) and the start of every run drop only stages
// whose lock they can take.
//
// # The one-process path (Prepare, Open)
//
//   - insert: each worker COPYs straight into the target inside its own
//     transaction, which stays open until Commit commits them one after the
//     other (the only non-atomic window is a COMMIT failing between two
//     workers' commits: use the staged protocol for none).
//   - the other modes: autocommitted COPYs into the stage (move plan, the
//     target's unique indexes on it for overwrite), moved at Commit as above.

// # Small runs straight into the target (ferry.DirectWriter)
//
// A Pipeline run without a checkpoint asks Direct before it prepares the
// writer. For one split of a source estimated at no more than 10,000 rows
// and 8 MiB, in insert or overwrite mode (overwrite: when no foreign key
// references the target), Direct says yes and the run takes the
// one-process path on the admin connection in one transaction: BEGIN (and
// TRUNCATE for overwrite) goes with the first COPY, postSql and the checks
// run before COMMIT. No stage, marker or second connection is made.
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
// one-process insert mode (the worker's earlier batches went with its
// transaction), retryable for a split attempt (copying the split again
// replaces it), and retryable in the one-process staged modes, where each
// batch is its own autocommitted COPY (the next Write reconnects).
//
// # Types
//
// Columns are matched by name (a batch column the table lacks is an error
// naming it; table columns the batch lacks get their defaults, and one that
// is NOT NULL without a default fails Prepare). A missing table fails
// Prepare with a hint to create it (create=true); upsert without a unique
// index on exactly the key columns fails Prepare too. Destination
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
//
// # Passthrough
//
// After Prepare, PassthroughFormat names the target columns' types; a
// pgreader whose columns have the same built-in types then hands over its
// binary COPY tuples, which the Writer sends without decoding or encoding
// them (adding the stage's attempt column where it stages), in every mode.
// Rows the server rejects are isolated within the tuples as usual.
package pgwriter
