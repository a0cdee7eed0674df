// Package csvwriter is Ferry's CSV destination.
//
// # URL
//
//	csv:///abs/path/out.csv?mode=overwrite&header=true&delimiter=,&nullString=%5CN
//	csv:///abs/path/outdir/     (a directory: part files)
//
// Parameters:
//
//	mode          insert (default) or overwrite.
//	header        true (default) or false.
//	delimiter     one byte; default ",". "tab" or \t for a tab.
//	quote         one byte; default ".
//	nullString    written unquoted for NULL; default "" (an empty field).
//	              A text equal to it is quoted, so that csvreader with the
//	              same nullString tells NULL and text apart ("" is written
//	              for an empty string with the default).
//	crlf          true ends lines with \r\n; default false (\n).
//	maxFileRows   start a new file after this many rows (0: no limit).
//	maxFileBytes  start a new file after about this many bytes (0: no limit).
//	compress      none (default) or gzip: every file is gzipped (part files
//	              end in .csv.gz; csvreader reads them by that extension,
//	              or with compress=gzip).
//
// Fields are quoted (RFC 4180, quotes doubled) when they hold the
// delimiter, the quote or a line break, start or end with a space, or
// equal the null string. Values are written in the text forms csvreader
// reads (see its package documentation): decimals exact, floats shortest
// exact with NaN/+Inf/-Inf, binary base64, timestamps with microseconds,
// zoned ones RFC 3339.
//
// Struct, map and list (of struct) values are written as their JSON text
// in one cell (maps as [{"key":k,"value":v},...]), float16 as a number,
// fixed_size_binary as base64, the null type as NULL and other extension
// types as their storage; csvreader reads them back to the same types
// when given the schema.
//
// # Files, Commit and Abort
//
// The Writer embeds fileset.Output: it implements ferry.StageWriter (a
// stage directory .ferry-stage.<name>.<run ID> next to the target, one
// marker per finished split), ferry.StageCollector and
// ferry.OutputReporter. Commit switches the new output in with one rename:
// one file is the target itself; several files (several splits, or
// rolling) make the target a directory of part-<run>-<n>.csv files and a
// _ferry_run.json marker, which csvreader reads by the same URL. Overwrite
// exchanges the old output and the new one atomically; insert never
// replaces a file, and into an existing directory (a path ending in /) it
// adds files. Abort drops the stage and leaves the old output untouched.
// See fileset.Output for the details. Other write modes are rejected.
package csvwriter
