// Package jsonlwriter is Ferry's JSON Lines destination: one JSON object
// per row, keys in schema order.
//
// # URL
//
//	jsonl:///abs/path/out.jsonl?mode=overwrite&maxFileRows=1000000
//
// Parameters:
//
//	mode          insert (default) or overwrite (see csvwriter: the same
//	              staged files, names, one-rename Commit and Abort).
//	omitNulls     true leaves NULL values out instead of writing null.
//	maxFileRows   start a new file after this many rows (0: no limit).
//	maxFileBytes  start a new file after about this many bytes.
//
// # Value forms
//
// Integers (also int64/uint64 extremes) are JSON numbers, exact as text.
// Finite floats are numbers in the shortest exact form; NaN and infinities
// are the strings "NaN", "+Inf" and "-Inf". Decimals are strings, so no
// JSON parser rounds them. Binary is a standard base64 string. Dates are
// "2006-01-02", times "15:04:05.999999", zone-less timestamps
// "2006-01-02T15:04:05.999999" and zoned ones RFC 3339 with microseconds.
// UUIDs are canonical strings. JSON values are embedded as they are
// (compacted only when they hold line breaks). Lists and fixed-size lists
// are arrays; intervals {"months":m,"days":d,"nanoseconds":n}. Structs are
// objects; maps arrays of {"key":k,"value":v} (Arrow's form: keys of any
// type, order and duplicates kept); float16 numbers; fixed_size_binary
// base64 strings; the null type null; other extension types their
// storage's form. jsonlreader reads all of them back to the same types
// when given the schema. Text that is not valid UTF-8 has the bad bytes
// replaced by U+FFFD.
package jsonlwriter
