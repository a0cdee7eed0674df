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
// ferry.DefaultURLMux. Parameters (unknown ones are an error):
//
//	table      target table, "t" or "db.t" (required)
//	mode       insert (default), overwrite (or truncate), upsert, replace,
//	           partition-overwrite
//	key        comma-separated key columns: the primary key of a created
//	           table, and the columns upsert leaves alone
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
//
// # Write path
//
// Each BatchWriter has its own connection with the session time_zone
// '+00:00' and a strict sql_mode (STRICT_ALL_TABLES, NO_ZERO_DATE,
// NO_ZERO_IN_DATE, ERROR_FOR_DIVISION_BY_ZERO, ...). A batch is encoded from
// the Arrow arrays into LOAD DATA text 256 KiB at a time, as the driver
// reads it, so no batch-sized buffer is held (FIELDS TERMINATED BY
// '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n', CHARACTER SET binary, NULL
// as \N; backslash, tab, newline, carriage return, NUL and Ctrl-Z escaped as
// \\ \t \n \r \0 \Z, so any byte string, binary included, loads exactly) and
// fed to the server through the driver's reader handler "Reader::ferry_N",
// unique per load and deregistered after it. LOAD DATA LOCAL turns errors
// into warnings (the client cannot stop the transfer), so SHOW WARNINGS is
// read after every load: any warning or error rejects the batch. Each batch
// runs in a savepoint; a rejected batch is rolled back and bisected
// (internal/bisect) until the bad rows are isolated, the others are written,
// and the bad ones are returned as *dirty.RowErrors with the server's message
// and column. The INSERT fallback binds every value.
//
// # Modes and atomicity
//
// Nothing is visible in the target before Commit, and Abort leaves it as it
// was (preSql is not undone):
//
//	insert, replace      straight into the target inside one transaction per
//	                     BatchWriter (replace: LOAD DATA ... REPLACE /
//	                     REPLACE INTO); Commit commits them one after another,
//	                     so a failure inside Commit itself can leave earlier
//	                     workers' rows committed; Abort rolls them back
//	overwrite            into a staging table CREATE TABLE ... LIKE the
//	                     target; Commit swaps it in with one RENAME TABLE
//	                     (readers see the old rows or the new, never an empty
//	                     table), then drops the old table
//	upsert               into a key-less staging table (with a load-order
//	                     sequence); Commit runs INSERT ... SELECT ... ORDER BY
//	                     sequence ON DUPLICATE KEY UPDATE in one transaction:
//	                     the last row for a key wins
//	partition-overwrite  into a staging table; Commit deletes the partition's
//	                     rows and inserts the new ones in one transaction
//
// Concurrent BatchWriters inserting the same key wait on each other's row
// locks until innodb_lock_wait_timeout: duplicates across workers surface
// slowly (as dirty rows). Overwrite's RENAME keeps the table's definition
// (LIKE copies columns and indexes, not foreign keys referencing it, triggers
// or grants on the table name).
//
// # Types
//
// Integers of every width, float32 (written as its exact double value) and
// float64, bool (0/1), decimal128/256, utf8 and binary, date32/date64,
// time32/time64 and duration (into TIME, negative and > 24 h allowed),
// timestamps (zone-less as wall time; instants in timeZone, or UTC into
// TIMESTAMP columns), arrow.uuid (16 bytes into MariaDB's UUID, text into
// CHAR(36)), arrow.json, and lists (as JSON arrays). uint64 goes into BIGINT
// UNSIGNED, and integers into BIT(n) columns through CAST(... AS UNSIGNED).
// NaN and ±Inf have no MySQL value: such rows are rejected as dirty with the
// server's message. With create=true the table is made with TINYINT ...
// BIGINT [UNSIGNED], FLOAT, DOUBLE, DECIMAL(p,s), LONGTEXT / LONGBLOB
// (VARCHAR(255) / VARBINARY(255) for key columns), TINYINT(1), DATE,
// TIME(6), DATETIME(6) (instants too: TIMESTAMP ends in 2038), UUID
// (MariaDB 10.7+, else CHAR(36)) and JSON.
//
// Passwords never appear in errors.
package mysqlwriter
