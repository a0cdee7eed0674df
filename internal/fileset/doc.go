// Package fileset holds what Ferry's file connectors (csv, jsonl, parquet)
// share: expanding a path, glob or directory into files, byte-range splits
// of line-oriented files, the text and JSON forms of every Arrow type of
// Ferry's type mapping, column specifications ("id:int64,amount:decimal(12,2)"),
// a RecordReader skeleton with dirty-row reporting, the URL parsing the
// connectors share, and Output: the staged output every file writer embeds
// (ferry.StageWriter, one-rename Commit, stage leftovers and their
// collection; see Output).
package fileset
