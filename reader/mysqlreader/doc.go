// Package mysqlreader reads MySQL and MariaDB tables and queries as Arrow
// record batches.
//
// # URL
//
//	mysql://user:password@host:3306/db?table=orders&splitPk=id
//	mariadb://user@host/db?querySql=SELECT+...
//
// Importing the package registers the mysql and mariadb schemes with
// ferry.DefaultURLMux. Parameters (unknown ones, and pairs that do not parse,
// are an error naming the parameter; table, columns, where, querySql and
// splitPk are read by internal/sqlsource, as in the other SQL readers):
//
//	table      the table to read: "t", "db.t", or backquoted parts holding
//	           dots ("`my.db`.`t`"); parsed and quoted, never pasted (or querySql)
//	columns    comma-separated columns to read; default all, in table order
//	where      SQL condition added to every split's query
//	querySql   a query read as one split, instead of table
//	splitPk    column whose value ranges cut the table into splits (default:
//	           the primary key, when it is a single integer column)
//	batchRows  rows per batch (default 65536; a batch also ends at 8 MiB of values)
//	timeZone   IANA zone of the source's DATETIME values: they are then read
//	           as instants, timestamp[us, UTC] (default: zone-less timestamp[us])
//	time       duration (default) or time64: the Arrow type of TIME
//	zeroDate   error (default) or null: what to do with '0000-00-00' dates
//	snapshot   true (default) or false: read every split on one snapshot
//	protocol   binary (default) or text: how a table's rows are sent (see Types)
//
// and the driver's own options (tls, charset, collation, timeout — connect
// and handshake, default 30s —, readTimeout, writeTimeout, compress, ...:
// the list is mysqlx.DriverParams), passed to go-sql-driver/mysql as
// written. A server that accepts TCP and never answers fails the connect
// within timeout, naming host:port. Names are quoted with
// internal/sqlident.MySQL and the driver never allows multi-statements.
//
// # Splits and consistency
//
// With splitPk (by default the table's single-column integer primary key)
// and a parallelism hint above 1, Splits cuts the table into
// key ranges: integer keys in equal ranges between MIN and MAX, other keys at
// boundaries sampled at equal row counts in key order (ORDER BY ... LIMIT 1
// OFFSET k·n/hint, so boundaries follow the column's collation). The first and
// last ranges are open-ended and a nullable key gets a split of its own for
// its NULLs, so every row belongs to exactly one split. Range ends are bound as
// integers for integer keys (never compared as doubles) and as strings
// otherwise. querySql is always one split. A parallel plan that gets one
// split says why in the split's ID ("orders (one split: no splitPk and the
// table has no primary key)") and in SplitNote.
//
// Splits also opens min(hint, splits, 32) connections and starts a
// transaction WITH CONSISTENT SNAPSHOT on each while another connection holds
// LOCK TABLES t READ for a moment, so every split is read from the same state
// of the table (InnoDB). Read takes a connection of this pool for the length
// of a split, so up to that many splits are read at once; more wait. Without
// the LOCK TABLES privilege (or with querySql) the snapshots are started back
// to back without a lock; Consistency says which consistency a run got. A
// split read in another process (a plan shipped elsewhere) uses its own
// snapshot. snapshot=false reads each split on a fresh connection. Reader
// is a ferry.StatefulReader: a Reader in another process imports the
// planner's state and says, in ImportState's note and in Consistency, that
// each split it reads has a snapshot of its own (MySQL cannot share one).
//
// # Types
//
// A table's split is a prepared statement, so its rows come in the binary
// protocol: integers, FLOAT and DOUBLE as binary values that neither the
// server formats nor the reader parses. On the benchmark table this takes a
// quarter off the reader's CPU and a third off the copy's time, though
// the driver formats every DATE and DATETIME into a new byte slice; the
// server's double-to-text conversion was the largest cost. protocol=text
// (Config.TextProtocol) reads through the text protocol, which querySql
// always uses; a server or proxy that refuses to prepare the query gets the
// text protocol without asking. Rows are streamed on the driver connection
// (the socket read 64 KiB at a time) and decoded from the driver's values
// straight into Arrow: integers range-checked, decimals, dates and times
// parsed from byte slices without allocating (FuzzDecoders fuzzes them)
// into builders reserved from the last batch, text, binary and JSON copied
// into the arrays' buffers directly. Every field carries ferry.MetaSourceType (the column type,
// "bigint(20) unsigned") and ferry.MetaSourceEngine ("mysql"), and
// ferry.MetaNotNull, ferry.MetaPrimaryKey (position in the primary key) and
// ferry.MetaCharLength (char/varchar) where they apply.
//
//	TINYINT..BIGINT [UNSIGNED]  int8..int64 / uint8..uint64
//	TINYINT(1), BIT(1)          bool (a TINYINT(1) holding other than 0/1 is an error)
//	BIT(n), n > 1               uint64
//	YEAR                        int16
//	DECIMAL(p,s)                decimal128(p,s) for p ≤ 38, else decimal256(p,s)
//	FLOAT, DOUBLE               float32 (read as CAST(... AS DOUBLE): exact), float64
//	CHAR, VARCHAR, TEXT, ENUM, SET, INET4/6   utf8
//	BINARY, VARBINARY, BLOB     binary
//	JSON (MariaDB: LONGTEXT CHECK json_valid)  arrow.json extension
//	UUID (MariaDB 10.7+)        arrow.uuid extension
//	DATE                        date32
//	TIME                        duration[us]: every TIME, -838:59:59.999999 to
//	                            838:59:59.999999, exactly; with time=time64,
//	                            time64[us], and a row whose TIME is outside a
//	                            day is a dirty row (ferry.DirtyReporter)
//	DATETIME(n)                 timestamp[us]; with timeZone, timestamp[us, UTC]
//	TIMESTAMP(n)                timestamp[us, UTC] (session time_zone '+00:00')
//
// Zero dates ('0000-00-00', or a zero month or day) fail the read with an
// error naming the table, split, row and column, or become NULL with
// zeroDate=null. GEOMETRY and other spatial types are an error naming the
// column (cast them in querySql). With querySql the types come from the
// result metadata only: TINYINT(1) is then int8, and FLOAT is read as
// the server prints it (6 significant digits).
//
// Passwords never appear in errors.
package mysqlreader
