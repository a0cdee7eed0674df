// Package parquetwriter is Ferry's Parquet destination, on arrow-go's
// pqarrow.
//
// # URL
//
//	parquet:///abs/path/out.parquet?compression=zstd&rowGroupRows=131072
//
// Parameters:
//
//	mode          insert (default) or overwrite (see csvwriter: the same
//	              staged files, names, one-rename Commit and Abort; with
//	              several files the target is a directory of
//	              part-<run>-<n>.parquet that parquetreader reads by the
//	              same URL).
//	compression   snappy (default), zstd, gzip or none.
//	rowGroupRows  rows per row group; default 131072. parquetreader reads
//	              one split per row group.
//	maxFileRows   start a new file after this many rows (0: no limit).
//	maxFileBytes  start a new file after about this many bytes (row groups
//	              are buffered in memory, so files overshoot by up to one).
//
// # Types
//
// The Arrow schema is stored in the file (pqarrow's ARROW:schema), so
// UUID and timestamp zones round-trip. Parquet cannot hold three types of
// Ferry's mapping directly; they are stored as follows and marked with
// the field metadata key "ferry.type", from which parquetreader restores
// them: month_day_nano_interval as struct<months:int32, days:int32,
// nanoseconds:int64>; fixed_size_list<T>[n] as list<T> (Parquet cannot
// store a NULL fixed-size list); the JSON extension type as utf8 (pqarrow
// reads its JSON logical type back as binary and then rejects the stored
// type). Intervals and fixed-size lists nested inside other types are
// rejected by Prepare. Decimals of up to 9 digits are stored as INT32 and
// of up to 18 as INT64 (as DuckDB and Spark store them), longer ones as
// fixed-length bytes. Dictionary encoding is used for text and binary
// columns only, and not for one whose values in the file's first batch
// mostly differ and would make a row group's dictionary larger than 1 MiB
// (the writer would give it up within each row group anyway). Data pages
// are cut at 128 KiB.
package parquetwriter
