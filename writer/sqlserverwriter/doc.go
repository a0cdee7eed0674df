// Package sqlserverwriter writes Arrow record batches into a SQL Server
// table with github.com/microsoft/go-mssqldb: bulk copy (INSERT BULK, the
// TDS bulk-load stream, with TABLOCK) into a stage, then one transaction
// that moves the stage into the table according to the write mode.
//
// # URL
//
//	sqlserver://user:password@host:1433?database=shop&table=dbo.orders&mode=upsert&key=id
//
// go-mssqldb's own URL form; its parameters go to the driver and a
// parameter neither side knows is an error ("timezone" and "guid
// conversion" are refused). Ferry's parameters:
//
//   - table: "t", "schema.t" or "db.schema.t" (required);
//   - mode: insert (default, "append"), overwrite ("truncate"), upsert,
//     replace, partition-overwrite;
//   - key: key columns of upsert/replace (default the primary key), and
//     the primary key of a created table;
//   - partition: the SQL predicate of partition-overwrite;
//   - preSql, postSql: statements separated by ';' (written %3B in a URL);
//     preSql runs once, in the transaction that creates the stage; postSql
//     in the commit transaction;
//   - create=true: create a missing table from the Arrow schema;
//   - load=insert: multi-row parameterised INSERTs (at most 2100 parameters
//     and 1000 rows each, insertRows to lower it) instead of bulk copy;
//   - tablock=false: bulk copy without TABLOCK;
//   - batchRows: accepted and ignored (the Pipeline sizes batches).
//
// # The stage and the staged protocol
//
// PrepareStage(runID) creates, in the target's schema and in one
// transaction (serialised by an application lock, so concurrent processes
// attach safely), ferry_stage_<runID>_<h> (a heap with the written columns
// as the target declares them, collation and NOT NULL included, plus the
// attempt and row-sequence columns) and ferry_marks_<runID>_<h> (the
// markers), and runs preSql; <h> is 8 hex digits of the target's name. A
// second PrepareStage of the run, in any process, attaches. Every writer
// holds a shared session application lock on its stage while it is open.
//
// Each attempt at a split gets a random 63-bit attempt ID. Every batch is
// one bulk copy into the stage in autocommit (all or nothing), each row
// tagged with the attempt; SplitWriter.Close marks the split done with its
// attempt and row count in one MERGE into the marker table. Only rows of
// marked attempts count, so a second attempt at a split replaces the first
// (whose rows stay in the stage, counted by nothing, until it is dropped),
// and an attempt killed midway, discarded, or whose connection died counts
// for nothing. Status reads the markers.
//
// Commit runs in one transaction (XACT_ABORT ON, an exclusive application
// lock): if the run is already committed it returns nil; otherwise it moves
// the marked rows into the target by mode, runs postSql and writes the
// "committed" marker, then commits and drops the stage. A COMMIT whose
// connection died returns an error wrapped with ferry.OutcomeUnknown;
// Status then tells whether it happened. Abort writes the "aborted" marker
// and drops the stage. The marker table stays after a staged run (so
// Status can answer) until CollectStages removes it; a run prepared with
// Prepare (one process, no Config.RunID) drops it at once. CollectStages
// drops stage and marker tables of other runs older than minAge whose
// session lock is free (their process is gone).
//
// The one-process protocol (Prepare, Open, BatchWriter, Commit, Abort) is
// the same thing with one split per worker.
//
// # Modes
//
//   - insert: INSERT INTO target SELECT ... FROM the marked stage rows.
//   - overwrite: TRUNCATE TABLE target; INSERT ... WITH (TABLOCK), in the
//     commit transaction: the old rows stay readable until the commit (by
//     RCSI/snapshot readers during it; READ COMMITTED readers wait for it),
//     and stay if the run fails. A table that a foreign key references
//     is emptied with DELETE instead of TRUNCATE (which needs ALTER
//     permission and refuses such a table).
//   - upsert: MERGE target USING (the last row for each key: the split
//     marked last, then the row written last) ON key WHEN MATCHED UPDATE
//     WHEN NOT MATCHED INSERT, WITH (HOLDLOCK).
//   - replace: DELETE the target rows whose key is staged, then INSERT the
//     last row of each key (columns not written get their defaults).
//   - partition-overwrite: a staged row that does not match the predicate
//     fails the commit (THROW), then DELETE WHERE predicate; INSERT.
//
// A written IDENTITY column is inserted with SET IDENTITY_INSERT ON (and
// never updated by upsert). The partition predicate of
// partition-overwrite may name only written columns (it is checked on the
// staged rows).
// Computed and rowversion columns cannot be written (an error in Prepare).
//
// # Dirty rows and retries
//
// Values are converted for the destination column before anything is sent
// (see Types); a value the column cannot hold is a dirty row, a string or
// binary value longer than a bounded column included (counted in UTF-16
// for nchar/nvarchar and in the code page for char/varchar). A batch the
// server rejects for its data (NULL into NOT NULL 515, truncation
// 2628/8152, bulk column length 4815, overflow 8115, conversion 245, ...)
// is bisected (internal/bisect) until the bad rows are isolated: the good
// rows are written, the bad ones returned as *dirty.RowErrors with the
// server's message and the column it names. Unique, foreign-key and CHECK
// constraints of the target are checked at Commit (the stage has none) and
// fail the commit. Deadlocks (1205), lock timeouts (1222), snapshot
// conflicts (3960) and Azure's transient errors (40613, 40501, 10928, ...)
// are returned as ferry.Retryable: the statement was rolled back. A
// connection lost during a batch voids the attempt (whether the batch
// landed is unknown): the split must be copied again.
//
// # Types
//
// Columns are matched by name (exact, then case-insensitive); a batch
// column the table lacks is an error; table columns the batch lacks get
// their defaults. Conversions:
//
//   - integers into tinyint/smallint/int/bigint (range checked per value;
//     tinyint is 0..255), decimal/money (precision checked), bit (0 or 1),
//     real/float (only when exact), or text;
//   - float32/64 into real/float (NaN and infinity are dirty: SQL Server has
//     neither; a float64 not exact in real is dirty), decimal (when exact);
//   - decimal128/256 into decimal(p,s) (rescaled; a digit lost or a value
//     beyond p is dirty), money/smallmoney (scale 4, range checked);
//   - utf8 into nvarchar/nchar/ntext/xml as is; into char/varchar/text in
//     the column's code page (UTF-8 collations as is; Windows code pages
//     874, 1250-1258, 932, 936, 949, 950 encoded; a character the code page
//     lacks is dirty instead of becoming '?'); into uniqueidentifier and
//     decimal by parsing;
//   - binary into binary/varbinary/image; arrow.uuid into uniqueidentifier
//     (RFC 4122 order converted to SQL Server's mixed-endian order);
//   - date32 into date; time64 into time(s); timestamps into datetime2(s)
//     and datetimeoffset(s) (digits below the scale are dirty, never
//     rounded away; an instant goes into a zone-less column as its UTC wall
//     clock, a zone-less value into datetimeoffset with offset +00:00);
//     into datetime rounded to its 1/300 s tick and smalldatetime to the
//     minute, as the server rounds; values outside a type's range are
//     dirty.
//
// create=true maps Arrow types to SQL Server types with mssqlx.DeclFor: a
// field read from SQL Server gets its source type back (MetaSourceType;
// rowversion as binary(8), since only the server writes a rowversion);
// others: int8/16 smallint, int32 int, int64 bigint, uint8 tinyint, uint16
// int, uint32 bigint, uint64 decimal(20,0), float32 real, float64 float,
// decimal(p,s), utf8 nvarchar(MetaCharLength) or nvarchar(max)
// (nvarchar(450) in a key), binary varbinary(max), date, time(6|7),
// timestamp datetime2(0|3|6|7), zoned timestamp datetimeoffset, arrow.uuid
// uniqueidentifier, arrow.json nvarchar(max). NOT NULL comes from the
// field's nullability or MetaNotNull, the primary key from key or
// MetaPrimaryKey.
package sqlserverwriter
