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
//	batchRows  rows per batch; default 65536.
//
// Each row group of each file is a split. The schema is the Arrow schema
// stored in the first file by parquetwriter (or any writer that stores
// it), so extension types (UUID, JSON), time zones and Ferry's storage
// conversions (intervals, fixed-size lists, see parquetwriter) come back
// as written. Every file must have the first file's columns; a file that
// differs is an error naming it. A truncated or corrupt file is an error
// naming it, never a panic.
package parquetreader
