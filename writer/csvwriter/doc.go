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
//
// Fields are quoted (RFC 4180, quotes doubled) when they hold the
// delimiter, the quote or a line break, start or end with a space, or
// equal the null string. Values are written in the text forms csvreader
// reads (see its package documentation): decimals exact, floats shortest
// exact with NaN/+Inf/-Inf, binary base64, timestamps with microseconds,
// zoned ones RFC 3339.
//
// # Files, Commit and Abort
//
// Every file is written under a hidden temporary name beside its final
// one; Commit renames them into place, Abort removes them, so a failed run
// leaves no partial output and the old output untouched. With a file path,
// no rolling and one worker the output is that file; with rolling or
// several workers, files are named <base>-<worker>-<seq>.csv. In a
// directory, files are named part-<run>-<worker>-<seq>.csv.
//
// Insert never replaces a file: it fails in Prepare when the output file
// exists (and in Commit, before renaming anything, when a generated name
// exists); in a directory it adds files. Overwrite replaces the output at
// Commit and removes what earlier runs left under the same names
// (<base>.csv and <base>-N-N.csv, or part-*.csv in a directory). Other
// write modes are rejected.
package csvwriter
