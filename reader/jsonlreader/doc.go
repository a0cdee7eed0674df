// Package jsonlreader is Ferry's JSON Lines source: one JSON object per
// line read into Arrow batches.
//
// # URL
//
//	jsonl:///abs/path/events.jsonl?columns=id:int64,at:timestamp[us,UTC],payload:json
//
// The path is a file, a glob or a directory (every *.jsonl, *.ndjson and
// *.json file under it). Parameters:
//
//	columns     the schema: name:type pairs (see ParseColumns). Keys not in
//	            it are ignored, missing keys are NULL. Without it, types are
//	            inferred from a sample: int64, float64, bool, utf8, and the
//	            JSON extension type for objects, arrays and mixed types.
//	sampleRows  lines read to infer types; default 1000.
//	batchRows   rows per batch; default 65536.
//	batchBytes  a batch also ends after about this many bytes of input
//	            (default 8 MiB; -1: no limit).
//	splitBytes  files larger than this are read as several splits, cut at
//	            line starts (default 64 MiB; -1: one split per file).
//
// Values take the forms jsonlwriter writes (numbers, or numbers as strings;
// decimals as strings or numbers, exact; "NaN", "+Inf", "-Inf" for
// floats; base64 strings for binary; date, time and timestamp strings;
// UUID strings; any JSON for the JSON type; arrays for lists;
// {"months":m,"days":d,"nanoseconds":n} for intervals).
//
// A line that is not a JSON object, is not valid UTF-8 or has a value
// that does not fit its column is skipped and reported through
// ferry.DirtyReporter (Row is the line number; the error names the file,
// the line and the column). Blank lines are skipped.
package jsonlreader
