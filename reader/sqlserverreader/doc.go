// Package sqlserverreader reads a SQL Server table or query into Arrow
// record batches with github.com/microsoft/go-mssqldb.
//
// # URL
//
//	sqlserver://user:password@host:1433?database=shop&table=dbo.orders&splitPk=id
//	sqlserver://user:password@host/INSTANCE?database=shop&querySql=SELECT+...
//
// The URL is go-mssqldb's own form; its parameters (database, encrypt,
// TrustServerCertificate, app name, connection timeout, ... ) go to the
// driver, Ferry's are taken out first, and a parameter neither knows is an
// error. The driver's "timezone" and "guid conversion" are refused (Ferry
// does both conversions itself). Passwords never appear in errors. Ferry's
// parameters:
//
//   - table ("t", "schema.t", "db.schema.t"; brackets quote a part holding a
//     dot) with columns (comma-separated), where (an SQL condition, sent as
//     written) and splitPk; or querySql, read as one split (described
//     without running it by sp_describe_first_result_set);
//   - batchRows (default 65536);
//   - isolation: snapshot (default), require-snapshot or read-committed;
//   - keepOffsets=true: add c_offset (int16 minutes) after every
//     datetimeoffset column c.
//
// A Go program fills Config directly; its DSN may be any go-mssqldb
// connection string form.
//
// # Splits
//
// Integer keys (tinyint..bigint) are cut into equal ranges between MIN and
// MAX; other keys (strings, decimal, date and time types, uniqueidentifier)
// at the boundaries NTILE(n) OVER (ORDER BY key) finds, computed over
// TABLESAMPLE SYSTEM (about a million rows) when sys.dm_db_partition_stats
// counts more than ten million rows. Boundaries travel as text made by
// CONVERT(..., 126) and are bound as parameters (varchar for char/varchar
// keys, so the key's index is used). The first and last ranges are open,
// and NULL keys are a split of their own, so every row is in exactly one
// split whatever the boundaries. Float and binary keys are refused.
//
// # Consistency
//
// With isolation=snapshot and the database's ALLOW_SNAPSHOT_ISOLATION ON,
// Splits opens one connection per concurrent reader (at most 32), takes a
// shared table lock (TABLOCK, HOLDLOCK, waiting at most 10 s behind
// writers), starts a SNAPSHOT transaction on each connection and reads one
// row (a snapshot starts at its first data access), then releases the lock:
// every split is read from the same committed state. If the lock cannot be
// had, the snapshots start back to back without it and Consistency says so.
// When ALLOW_SNAPSHOT_ISOLATION is OFF the reader falls back to READ
// COMMITTED per split (splits read at different times may disagree) and
// Consistency says so; isolation=require-snapshot fails instead. SQL
// Server cannot hand a snapshot to another session, so a process that gets
// the plan through ImportState reads each split in its own SNAPSHOT
// transaction (READ COMMITTED when snapshots are off) and says so in the
// returned note.
//
// # Types
//
//	tinyint                     uint8 (SQL Server's tinyint is unsigned)
//	smallint, int, bigint       int16, int32, int64
//	bit                         bool
//	decimal/numeric(p,s)        decimal128(p,s) (p <= 38)
//	money, smallmoney           decimal128(19,4), decimal128(10,4)
//	real, float                 float32, float64
//	char/varchar/text, n...     utf8 (the driver decodes the collation's code
//	                            page; the collation is in field metadata)
//	xml                         utf8
//	json (SQL Server 2025)      arrow.json
//	binary/varbinary/image      binary
//	rowversion/timestamp        binary (8 bytes)
//	uniqueidentifier            arrow.uuid (mixed-endian wire order converted)
//	date                        date32 (0001-01-01 .. 9999-12-31)
//	time(0..6), time(7)         time64[us], time64[ns]
//	datetime                    timestamp[us] (the driver gives its 1/300 s
//	                            ticks in milliseconds: .000, .003, .007)
//	smalldatetime               timestamp[us]
//	datetime2(0..6)             timestamp[us]
//	datetime2(7)                timestamp[ns] (1677-09-21 .. 2262-04-11; a
//	                            value outside is an error naming the column:
//	                            CAST to datetime2(6) in querySql)
//	datetimeoffset(0..6), (7)   timestamp[us, UTC], timestamp[ns, UTC]: the
//	                            instant; the offset in c_offset (keepOffsets)
//	sql_variant, hierarchyid,   an error naming the column (CAST them in
//	geography, geometry, CLR    querySql)
//
// Every field carries ferry.MetaSourceType ("nvarchar(50)"),
// MetaSourceEngine ("sqlserver"), MetaNotNull, MetaPrimaryKey and
// MetaCharLength where they apply.
//
// Rows are scanned through database/sql into reused slots and appended to
// typed Arrow builders. go-mssqldb returns every value boxed (its driver
// interface), so that one boxing per value is left; the []byte values
// (decimal and money text, binary, uniqueidentifier) are scanned into
// sql.RawBytes, so database/sql does not copy them before the builder
// does. Decimals are parsed from the driver's text without math/big up to
// 18 digits.
package sqlserverreader
