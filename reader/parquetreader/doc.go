// Package parquetreader is Ferry's Parquet source, on arrow-go's pqarrow.
//
// # URL
//
//	parquet:///abs/path/data.parquet?columns=id,amount&batchRows=65536
//
// The path is a file, a glob or a directory (every *.parquet and *.parq
// file under it). Parameters:
//
//	columns    read only these top-level columns, in this order.
//	batchRows  rows per batch; default 65536, fewer for wide rows: a batch
//	           holds about 2 MiB of the file's uncompressed data.
//	int96      the unit of INT96 timestamps: ns (default; a value outside
//	           the years 1677..2262 is a dirty row) or us (digits below
//	           the microsecond dropped).
//
// Each row group of each file is a split. The schema is the Arrow schema
// stored in the first file by parquetwriter (or any writer that stores
// it), so extension types (UUID, JSON), time zones and Ferry's storage
// conversions (intervals, fixed-size lists, see parquetwriter) come back
// as written. Every file must have the first file's columns; a file that
// differs is an error naming it. A truncated or corrupt file is an error
// naming it, never a panic.
//
// Files from other writers are read too: LZ4 pages in the Hadoop framing
// (parquet-mr, Spark), raw LZ4 under the LZ4 codec id (old arrow-cpp) and
// LZ4_RAW; data pages v2 with an empty values section (never handed to
// the decompressor); MAPs whose keys are declared optional (Presto,
// Trino), read as Arrow maps (a NULL key is an error naming the row);
// INT96 timestamps (Impala, Hive), read by the reader itself (flat
// columns) so that one value out of range is a dirty row, not a refused
// file. A directory a Ferry writer made from a file path
// (x.parquet/part-*.parquet) is read by that path.
package parquetreader
