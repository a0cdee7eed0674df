// Package csvreader is Ferry's CSV source: RFC 4180 files (quoted fields
// may hold delimiters, quotes and line breaks) read into Arrow batches.
//
// # URL
//
//	csv:///abs/path/file.csv?header=true&delimiter=,&nullString=%5CN&columns=id:int64,name:utf8
//	csv://relative/dir/          (host and path joined: a relative path)
//
// The path is a file, a glob ("/data/2024-*.csv") or a directory (every
// *.csv, *.tsv and *.txt file under it; names starting with "." or "_" are
// skipped). Parameters:
//
//	header       true (default) or false. With a header, columns are
//	             matched by name, so files may order them differently or
//	             have extra columns; without, by position, named c1, c2...
//	delimiter    one byte; default ",". "tab" or \t for a tab.
//	quote        one byte; default ".
//	nullString   the text of NULL when it appears unquoted. Default "": an
//	             empty unquoted field is NULL and a quoted "" is the empty
//	             string. With nullString=\N, an empty field is the empty
//	             string and a quoted "\N" is the text \N. For columns that
//	             are neither text nor binary an empty field is always NULL.
//	encoding     utf-8 (default), gbk, gb18030 or latin1.
//	columns      the schema: name:type pairs (see ParseColumns), e.g.
//	             id:int64,amount:decimal(12,2),ts:timestamp[us,UTC].
//	             Without it, types are inferred from a sample, never
//	             changing a value: int64 when every value prints back the
//	             same (08123 stays text), decimal(p,s) for decimal
//	             literals, float64 only when a value has an exponent, NaN
//	             or Inf, date32, timestamp[us] (ns with more than 6
//	             fraction digits; [us, UTC] when every value has an
//	             offset), bool (true/false, t/f, yes/no, y/n, on/off), else
//	             utf8.
//	sampleRows   records read to infer types; default 1000.
//	batchRows    rows per batch; default 65536.
//	batchBytes   a batch also ends after about this many bytes of input
//	             (default 8 MiB; -1: no limit), which bounds the memory of
//	             the batches in flight when rows are wide.
//	splitBytes   files larger than this are read as several splits of
//	             about this size (default 64 MiB; -1: one split per file).
//	maxRecordBytes  the most bytes of one record (default 16 MiB): a
//	             longer one is a dirty row. It bounds the memory one record
//	             takes (a few copies of it).
//	compress     auto (default: .gz is gzip, .bz2 bzip2), none, gzip or
//	             bzip2. Compressed files are not split.
//
// # Text forms
//
// Values are read in the forms csvwriter writes: integers and floats in
// Go syntax (NaN, +Inf, -Inf), decimals exactly (more fraction digits than
// the scale is an error, never rounded), binary as standard base64, dates
// 2006-01-02, times 15:04:05.999999, timestamps "2006-01-02 15:04:05.999999"
// or RFC 3339 (a value with an offset in a zone-less column is converted to
// UTC; a value without one in a zoned column is read in that zone; more
// fraction digits than the unit holds is an error, never truncated), bool as
// true/false/t/f/1/0/yes/no, UUIDs canonical, JSON as is, lists and
// intervals in their JSON form ([1,2], {"months":1,"days":2,"nanoseconds":3}).
//
// # Splits
//
// Each file is a split; a UTF-8 file larger than splitBytes is cut into
// byte ranges of splitBytes, planned without reading the file. The record
// starts that bound them are found by a byte-level state machine that
// mirrors the parser, run on demand while the splits are read, in the Read
// that needs a bound: the first split starts at once, another one once the
// pass is past its first byte. The pass skips what parsers that met no bad
// record have read (they report record starts), so it reads a fraction of
// the file and finds the bounds one pass from the start would. A split
// owns exactly the records that start at or after the first record start
// of its range and before the first of the next range's, so a quoted field
// with line breaks never straddles two splits and every record is read
// exactly once. After a bad record the
// parser resynchronises on, the rest of the file is one split. Files in
// other encodings or compressed are not cut.
//
// # Bad data
//
// A record with the wrong number of fields, an unterminated quote, a
// character after a closing quote, more than maxRecordBytes, invalid UTF-8
// or a value that does not parse as its column's type is skipped and reported through ferry.DirtyReporter as a dirty.RowError
// whose Row is the line number where the record starts, Column the column
// (for a bad value), Value the raw text and Err names the file and line.
// The Pipeline's dirty policy decides whether the run goes on. A broken
// record costs its first line only: reading goes on at the line after its
// start, so a stray quote does not swallow the rest of the file. A file that
// cannot be opened is an error naming it.
package csvreader
