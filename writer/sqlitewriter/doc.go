// Package sqlitewriter writes Arrow record batches into a SQLite table, with
// modernc.org/sqlite (pure Go, no cgo).
//
// # URL
//
//	sqlite:///path/to/file.db?table=orders
//	sqlite:///path/to/file.db?table=orders&mode=upsert&key=id
//	sqlite://./relative/file.db?table=facts&mode=partition-overwrite&partition=day%3D'2024-06-01'
//
// The path after sqlite:// is the database file (three slashes for an
// absolute path); it is created when missing. Parameters:
//
//	table      the destination table (required): "t" or "schema.t"; a
//	           part in double quotes may hold dots ("my.table")
//	mode       insert (default), overwrite (or truncate), upsert, replace,
//	           partition-overwrite
//	key        comma-separated key columns for upsert (default: the table's
//	           primary key) and the primary key of a created table
//	partition  the SQL predicate of the rows partition-overwrite replaces:
//	           one expression (a ';' that starts a second statement, a --
//	           comment or an unterminated quote is refused)
//	create     create the table from the Arrow schema when it is missing
//	           (default true; create=false makes a missing table an error)
//	batchRows  rows per INSERT statement (default 256, fewer for wide
//	           tables: a statement binds at most 32766 values)
//	preSql     statements run first in the write transaction (before the
//	           table is checked or created)
//	postSql    statements run in the write transaction just before COMMIT
//
// preSql and postSql take several statements separated by ";" (write it
// %3B in a URL: Go's URL parser drops a query parameter with a raw ";").
// They run inside the write transaction, so they are undone by Abort, and
// statements SQLite refuses in a transaction (VACUUM) cannot be used.
// Unknown parameters are an error, and so is a malformed query pair (a bad
// %-escape), naming the parameter. Every identifier (table, columns, key) is
// quoted with internal/sqlident; none is pasted into SQL.
//
// # One transaction, one connection
//
// SQLite has one writer at a time, so the Writer has one connection and
// one write transaction: Prepare opens the database, switches it to WAL,
// runs BEGIN IMMEDIATE, runs preSql (which may create the table with DDL of
// its own), creates the table if needed, and for
// overwrite and partition-overwrite deletes the rows to be replaced. Every
// BatchWriter (the Pipeline opens one per worker) writes into that
// transaction, taking turns on a mutex (a turn runs up to 32 INSERT
// statements, formatted before the turn): no SQLITE_BUSY, no deadlock. Commit
// runs postSql and COMMIT; Abort runs ROLLBACK, which also undoes a CREATE
// TABLE and the deletes of overwrite.
//
// Overwrite therefore needs no staging table: readers on other connections
// (WAL mode) see the old rows until the COMMIT, and see the new ones after
// it, as they would with a staging-table swap, but each row is written once
// instead of twice, and the table keeps its indexes, triggers and
// constraints. The cost is that the write lock is held for the whole run.
//
// While loading, the connection runs with synchronous=OFF and no automatic
// WAL checkpoints: nothing is fsynced per batch. Commit makes the result
// durable by checkpointing the WAL into the database file with
// synchronous=FULL (both files fsynced). If the process dies during the
// load, SQLite recovers the database as it was before the run (a power loss
// during the load is not covered: that is what synchronous=OFF trades).
//
// A database file that does not exist yet has no other users: the run
// builds it under a temporary name beside it, ".<name>.ferry-<runID>.tmp"
// (Config.RunID, random by default), held with flock(2) while the run
// lives, and loads it with the rollback journal in memory
// (journal_mode=MEMORY, so new pages are written once and never
// journaled) and 8 KiB pages; while it loads, its written pages are handed
// to the kernel's write-back every 250 ms (Linux: sync_file_range, which
// does not wait), so that little is left for the fsync at Commit. Commit
// fsyncs it and links it into place (link(2), which
// never replaces a file that appeared meanwhile), then fsyncs the
// directory; Abort (or Close without Commit) removes it. So the
// destination path only ever holds a complete database: a run killed at
// any point leaves no destination or the committed one, and at most its
// temp file, which the next run's Prepare removes (a temp file no live run
// holds) and which Writer.CollectStages (`ferry gc`) lists and removes.
// Its journal mode stays SQLite's default (DELETE). A directory given as
// the database is an error that says so.
//
// # No staged (resumable) runs
//
// SQLite holds one write transaction per database, so the Writer does not
// implement ferry.StageWriter: it cannot keep finished splits durable while
// others are still being written without committing them. A run that fails
// or is killed leaves the destination as it was (see above), and a resumed
// run starts the copy over. The staged protocol's guarantees (nothing
// visible before the one final commit, no duplicates) hold all the same:
// they come from the single transaction.
//
// # Write modes
//
//	insert               INSERT INTO t (...) VALUES (...), (...), ...
//	overwrite            DELETE FROM t, then insert, in one transaction
//	upsert               INSERT ... ON CONFLICT (key) DO UPDATE SET c = excluded.c, ...
//	                     (the key needs a PRIMARY KEY or UNIQUE index; the last row
//	                     for a key wins)
//	replace              INSERT OR REPLACE INTO ...
//	partition-overwrite  DELETE FROM t WHERE (partition), then insert, in one transaction;
//	                     a row outside the partition fails the run (a TEMP
//	                     trigger checks each inserted row; a table WITHOUT
//	                     ROWID is counted again at Commit), so a rerun
//	                     never doubles rows
//
// Prepare checks what would otherwise fail late: a NOT NULL column without
// a default that the source does not have, an upsert key that no PRIMARY
// KEY or UNIQUE index covers, a missing table with create=false (the error
// gives the CREATE TABLE the writer would run).
//
// # Types
//
// A created table declares its columns with ColumnType: the type the
// source declared (ferry.MetaSourceType from any engine's reader:
// VARCHAR(16), CHAR(2), JSONB TEXT, a SQLite declaration as written) where
// SQLite keeps it exactly, else DeclaredType; NOT NULL from the field or
// ferry.MetaNotNull, and the primary key from Config.Key or
// ferry.MetaPrimaryKey. Both are chosen so that
// sqlitereader reads them back as the same Arrow types and SQLite's type
// affinity never changes a value: DECIMAL TEXT(p,s) and JSON TEXT keep the
// exact text ('1.50' stays '1.50'; a column declared DECIMAL(p,s) would
// make it the REAL 1.5). Dates, times and timestamps are stored as
// ISO-8601 text with six fractional digits ('2024-06-01 12:00:00.000001',
// '+00:00' for TIMESTAMPTZ), which SQLite's date functions understand and
// which sorts correctly; UUIDs as canonical text; NaN as the text 'NaN'
// (SQLite would store a REAL NaN as NULL); booleans as 0 and 1.
// Into an existing table the writer binds the same values and SQLite
// applies the table's own affinity.
//
// Not supported: lists, structs, maps, intervals and fixed-size lists
// (Prepare names the column), and uint64 values above 2^63-1, which SQLite's
// signed 64-bit INTEGER cannot hold (each such row is dirty).
//
// # Dirty rows
//
// Rows are written with multi-row INSERT statements. When SQLite rejects a
// statement for its data (a NOT NULL, CHECK, UNIQUE or foreign-key
// violation, a type mismatch in a STRICT table, a value too big, a value the
// writer cannot store exactly), SQLite has undone that statement as a whole,
// and the writer bisects its rows (internal/bisect) until the bad ones are
// single rows: Write writes every other row and returns the bad ones as a
// *dirty.RowErrors, with the column named from the constraint message where
// SQLite names it.
package sqlitewriter
