// Package mysqlwriter writes Arrow record batches into MySQL and MariaDB
// tables with LOAD DATA LOCAL INFILE, or multi-row INSERT where the server
// has local_infile off.
//
// # URL
//
//	mysql://user:password@host:3306/db?table=orders&mode=upsert&key=id
//	mariadb://user@host/db?table=orders&mode=partition-overwrite&partition=biz_date%3D'20240101'
//
// Importing the package registers the mysql and mariadb schemes with
// ferry.DefaultURLMux. Parameters (unknown ones, and pairs that do not parse,
// are an error naming the parameter):
//
//	table      target table: "t", "db.t", or backquoted parts holding dots
//	           ("`my.db`.`t`"); parsed and quoted, never pasted (required)
//	mode       insert (default), overwrite, upsert, replace,
//	           partition-overwrite
//	key        comma-separated key columns: the primary key of a created
//	           table, and the columns upsert leaves alone; each must be a
//	           field of the source (checked in Prepare)
//	partition  SQL condition of the rows partition-overwrite replaces
//	preSql     statement run in Prepare (repeat the parameter for several)
//	postSql    statement run at Commit after the data is in place (repeatable)
//	batchRows  rows per LOAD DATA statement (default: one per batch) or per
//	           INSERT statement (default 1000)
//	create     true: create the table from the Arrow schema if it is missing
//	timeZone   IANA zone in which instants are written into DATETIME columns
//	           (default UTC); TIMESTAMP columns get the instant itself
//	method     load or insert: force a write method (default: load when the
//	           server's local_infile is on, else insert); Writer.Method says
//	           which one a run used
//	staleAge   age after which a dead staged run's stage is dropped by the
//	           next run on the target (default 24h)
//
// and the driver's own options, passed to go-sql-driver/mysql as written
// (mysqlx.DriverParams): tls, charset, collation, timeout (connect and
// handshake, default 30s), readTimeout, writeTimeout, compress,
// maxAllowedPacket, allowCleartextPasswords, allowNativePasswords,
// allowOldPasswords, allowFallbackToPlaintext, serverPubKey,
// connectionAttributes, rejectReadOnly, checkConnLiveness, clientFoundRows.
// A server that accepts TCP and never answers fails the connect within
// timeout, with an error naming host:port. TCP keepalives are on.
//
// Every identifier goes through internal/sqlident.MySQL (backquotes
// doubled), and the driver never allows multi-statements: only preSql,
// postSql and partition are SQL, given on purpose, one statement each.
//
// # Write path
//
// Each split attempt (a BatchWriter, or a SplitWriter of the staged
// protocol) has its own connection with the session time_zone '+00:00' and
// a strict sql_mode (STRICT_ALL_TABLES, NO_ZERO_DATE, NO_ZERO_IN_DATE,
// ERROR_FOR_DIVISION_BY_ZERO, ...), and one READ COMMITTED transaction. A
// batch is encoded from the Arrow arrays into LOAD DATA text straight into
// the driver's 16 KiB packets, as it reads them, so no batch-sized buffer is
// held and nothing is copied twice (FIELDS
// TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n', CHARACTER
// SET binary, NULL as \N; backslash, tab, newline, carriage return, NUL and
// Ctrl-Z escaped as \\ \t \n \r \0 \Z, so any byte string, binary included,
// loads exactly) and fed to the server through the driver's reader handler
// "Reader::ferry_N", unique per load and deregistered after it. LOAD DATA
// LOCAL turns errors into warnings (the client cannot stop the transfer),
// so SHOW WARNINGS is read after every load: any warning or error rejects
// the batch. Each batch runs in a savepoint; a rejected batch is rolled back
// and bisected (internal/bisect) until the bad rows are isolated, the
// others are written, and the bad ones are returned as *dirty.RowErrors
// with the server's message and column. The INSERT fallback binds every
// value.
//
// # Stage, modes and atomicity
//
// Every mode loads into a staging table named from the run ID and nothing
// is visible in the target before Commit; Abort leaves it as it was
// (preSql is not undone). A run's tables, in the target's database:
//
//	_ferry_<run>_m  markers: one row per done split (attempt, rows), the
//	                run (target, mode), "committed", "aborted"
//	_ferry_<run>_s  the staged rows, tagged with their attempt
//	_ferry_<run>_o  after a swap: the target's old rows, until dropped
//
// A split attempt's rows, the deletion of its split's earlier attempt and
// its marker commit in one transaction, at the attempt's Close; an attempt
// neither closed nor discarded (a killed process) never counts. Commit,
// once every split is marked:
//
//	insert               INSERT INTO target SELECT ... FROM stage in one
//	                     transaction that also records the commit; into an
//	                     empty table without triggers or foreign keys, the
//	                     stage is swapped in with one RENAME TABLE instead
//	overwrite            the stage (CREATE TABLE ... LIKE the target) is
//	                     swapped in with one RENAME TABLE target TO
//	                     _ferry_<run>_o, stage TO target (readers see the
//	                     old rows or the new, never an empty table), then
//	                     the commit is recorded and the old table dropped
//	upsert               INSERT ... SELECT ... ORDER BY load order ON
//	                     DUPLICATE KEY UPDATE in one transaction (the stage
//	                     has no keys; the last row for a key wins); the
//	                     target needs a primary or unique key (checked in
//	                     Prepare)
//	replace              REPLACE INTO ... SELECT in load order, one transaction
//	partition-overwrite  refused if a staged row is outside the partition
//	                     (nothing changes; a rerun never doubles rows), else
//	                     DELETE of the partition and INSERT ... SELECT in one
//	                     transaction
//
// Commit is idempotent, in any process: the commit is recorded in the
// marker table (in the commit transaction; right after the RENAME for a
// swap, whose old table's existence also means "swapped"), so a second
// Commit returns nil and Status resolves a commit whose connection died
// (returned wrapped with ferry.OutcomeUnknown). postSql runs once, after
// the commit that did it. In insert, overwrite and partition-overwrite the
// stage has the target's keys and checks (a duplicate within the run is a
// dirty row); a row that conflicts with the target's existing rows fails
// Commit as a whole. Overwrite's RENAME keeps the table's definition (LIKE
// copies columns, indexes and checks, not foreign keys, triggers or the
// grants of a table-level GRANT).
//
// Prepare also fails, before any row is written, on a key column that is
// not a field, an upsert target without a unique key, a destination NOT
// NULL column without a default that the source lacks, and a missing table
// (the error shows the CREATE TABLE that create=true would run).
//
// # Staged protocol and leftovers
//
// Writer implements ferry.StageWriter: PrepareStage(runID) in any number of
// processes (the first runs preSql and creates the stage; the others
// attach), OpenSplit per split attempt, Status from the markers, Commit and
// Abort from any process. Prepare is PrepareStage for a fresh run ID whose
// stage, once committed or aborted, is dropped at Close. A live process
// holds GET_LOCK('ferry_<run>') on a connection of its own. At the start of
// a run, the stages that dead runs (lock free) left on the same target are
// dropped when they are ended, came from Prepare, or are older than
// staleAge; CollectStages (ferry gc) drops those older than its minAge.
// An overwrite killed between its RENAME and its DROP is recognised by its
// _ferry_<run>_o table: Status says committed, and Commit, the next run or
// CollectStages finish it.
//
// # Types
//
// Integers of every width, float32 (written as its exact double value) and
// float64, bool (0/1), decimal128/256, utf8 and binary, date32/date64,
// time32/time64, duration and month_day_nano_interval without months (into
// TIME, negative and > 24 h allowed; an interval with months is a dirty row),
// timestamps (zone-less as wall time; instants in timeZone, or UTC into
// TIMESTAMP columns), arrow.uuid (16 bytes into MariaDB's UUID, text into
// CHAR(36)), arrow.json, and lists (as JSON arrays). uint64 goes into BIGINT
// UNSIGNED, and integers into BIT(n) columns through CAST(... AS UNSIGNED).
// NaN and ±Inf have no MySQL value: such rows are rejected as dirty with the
// server's message. With create=true the table keeps what the source
// declared (ferry.MetaSourceType and the other meta.go keys): a MySQL
// source's own column type when it is a plain one (varchar(16),
// decimal(10,2) unsigned, tinyint(1), time(6); TIMESTAMP becomes DATETIME
// of the same precision), the declared length of a char/varchar from any
// engine (CHAR(n), VARCHAR(n)), NOT NULL, and the primary key (key=, else
// ferry.MetaPrimaryKey). Otherwise it derives TINYINT ... BIGINT
// [UNSIGNED], FLOAT, DOUBLE, DECIMAL(p,s), LONGTEXT / LONGBLOB
// (VARCHAR(255) / VARBINARY(255) for key columns), TINYINT(1), DATE,
// TIME(6) (duration and interval fields too), DATETIME(6) (instants too:
// TIMESTAMP ends in 2038), UUID (MariaDB 10.7+, else CHAR(36)) and JSON.
//
// Passwords never appear in errors.
package mysqlwriter
