// Package sqlitereader reads SQLite tables, views and queries as Arrow
// record batches, with modernc.org/sqlite (pure Go, no cgo).
//
// # URL
//
//	sqlite:///path/to/file.db?table=orders
//	sqlite://./relative/file.db?table=orders&columns=id,amount&where=amount>0
//	sqlite:relative.db?querySql=SELECT id, total FROM orders JOIN ...
//
// The path after sqlite:// is the database file (three slashes for an
// absolute path); the file must exist and is opened read-only. Parameters:
//
//	table      the table or view to read (one of table and querySql is
//	           required): "t" or "schema.t"; a part in double quotes may
//	           hold dots ("my.table")
//	columns    comma-separated columns to read, in this order (default: all)
//	where      an SQL predicate added to every split's query: one
//	           expression (a ';' that starts a second statement, a --
//	           comment or an unterminated quote is refused)
//	querySql   a whole SELECT to read instead of a table, as one split
//	splitPk    the integer column to split on (default: the rowid)
//	batchRows  rows per batch (default 65536; a batch also ends at about 8 MiB)
//
// Unknown parameters are an error, and so is a malformed query pair (a bad
// %-escape), naming the parameter. The URL carries no credentials; SQL text
// comes only from where and querySql, and every identifier (table, columns,
// splitPk) is quoted with internal/sqlident. A directory given as the
// database is an error that says so.
//
// # Splits
//
// A table with a rowid is cut into about 4×hint ranges of its rowid between
// its minimum and maximum (two index seeks); each range is read by its own
// connection in rowid order, so splits can be read in parallel. With splitPk
// the ranges are over that column, and one more split reads the rows whose
// key is NULL or not an integer. A view, a table WITHOUT ROWID, a query, or
// a hint of 1 is one split. Each split reads in its own snapshot; splits are
// not one snapshot together (SQLite has no exported snapshots across
// connections), so a table written during the read may be read half old,
// half new.
//
// # Types
//
// Arrow types come from the declared column types (see ArrowType), which
// is how SQLite itself decides a column's affinity, refined by the type
// name: INTEGER/INT/BIGINT int64, SMALLINT int16, INT32 int32, TINYINT
// int8, UNSIGNED ... uint*, REAL/DOUBLE/FLOAT float64, FLOAT32 float32,
// TEXT/VARCHAR utf8, BLOB binary, BOOLEAN bool, DATE date32, TIME
// time64[us], DATETIME/TIMESTAMP timestamp[us], TIMESTAMPTZ
// timestamp[us, UTC], DECIMAL(p,s)/NUMERIC(p,s) decimal128(p,s) (decimal256
// above 38 digits), UUID the uuid extension, JSON the json extension, and
// the JSON-text types sqlitewriter declares for what SQLite has no type for:
// "INTEGER LIST" (list<int64>, any element type), "FLOAT32 VECTOR(3)"
// (fixed_size_list<float32>[3]) and "INTERVAL MONTH_DAY_NANO". Each
// field of a table carries ferry.MetaSourceType (its declared type),
// ferry.MetaSourceEngine ("sqlite"), ferry.MetaNotNull, ferry.MetaPrimaryKey
// and ferry.MetaCharLength (VARCHAR(16) gives "16") where they hold, so a
// writer of any engine can create the table as declared; a table created by
// sqlitewriter reads back with the Arrow types it was written from.
//
// Values are parsed from what SQLite stores: dates and times as ISO-8601
// text ('YYYY-MM-DD HH:MM:SS.ffffff', 'T' and a zone offset accepted,
// which a zone-less column converts to UTC), decimals from exact text (a
// REAL in a NUMERIC column converts through its shortest decimal text; no
// fractional digit is rounded away), NaN from the text 'NaN', booleans from
// 0/1 or true/false text.
//
// # Dirty rows
//
// SQLite is dynamically typed: 'abc' can sit in an INTEGER column. A value
// that does not fit its column's type (text in a number column, a number
// out of the column's range, a decimal with more digits than its scale,
// an invalid date, TEXT that is not valid UTF-8) makes its row dirty: the row is skipped and reported
// through the ferry.DirtyReporter of the RecordReader, with Row the row's
// rowid (or its position in the split when the split has no key), the
// column, the stored value and the reason. The Pipeline applies its dirty
// policy to them; the run does not fail because of them unless the policy
// says so.
package sqlitereader
