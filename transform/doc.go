// Package transform holds Ferry's built-in Transformers and the registry
// job files build them from.
//
// Every transform works a column at a time on Arrow arrays, computes its
// output schema once per input schema (in OutputSchema, before data flows,
// so a misspelt column or a type error fails before the writer is
// prepared), reports bad values as dirty rows (*dirty.RowErrors naming the
// row, the column, the value and the reason: the rest of the batch goes
// on, the run's dirty policy decides) and simply leaves out the rows it
// filters (the engine counts them). Columns a transform does not change are
// shared with the input batch, not copied. No transform holds resources, so
// none needs Close; none returns retryable errors.
//
// # Job files
//
// Build (and BuildAll) make a transform from a Spec, {"name": ...,
// "parameter": {...}}; unknown names and unknown parameter fields are errors.
// The names:
//
//	dx_substr   {"columnIndex":1,"paras":["start","length"]}        DataX: Substr
//	dx_pad      {"columnIndex":1,"paras":["l|r","length","pad"]}    DataX: Pad
//	dx_replace  {"columnIndex":1,"paras":["start","length","with"]} DataX: Replace
//	dx_filter   {"columnIndex":1,"paras":["op","value"]}            DataX: DXFilter (a match drops the row)
//	dx_digest   {"columnIndex":1,"paras":["md5|sha1","toUpperCase|toLowerCase"]} DataX: Digest
//	dx_groovy   {"code":"..."}  an error (no JVM), showing the equivalent compute specs for simple code
//	select      {"columns":["b","a"]} or {"positions":[1,0]}       Select, SelectPositions
//	rename      {"columns":{"old":"new"}}                          Rename
//	by_position {"columns":["x","y","z"]}                          ByPosition
//	map         {"pairs":[{"from":"a","to":"x"},{"fromIndex":2,"to":"y"}]} Map
//	constant    {"column":"biz_date","value":"20240101"}           Constant
//	replace     TextConfig: {"columns":["s"],"find":"(\\d+)","regex":true,"with":"<$1>",
//	            "ignoreCase":false,"trim":"both","trimChars":"","case":"upper",
//	            "nullToEmpty":false,"emptyToNull":false}           Text
//	filter      {"where":"amount > 0 && status != 'cancelled'"}   Filter
//	compute     ComputeConfig: {"column":"gross","expr":"amount * 1.13","type":"float64"}
//	            or {"columnIndex":1,"expr":"upper(col(1))"}        Compute
//	cast        CastConfig: {"columns":["n"],"type":"int32","onError":"dirty|null"} Cast
//	timezone    ZoneConfig: {"columns":["created_at"],"from":"Asia/Shanghai","to":"",
//	            "dst":"error|earliest|latest"}                     TimeZone
//
// DataX's paras are strings, as DataX writes them; numbers are accepted
// too. Register adds names.
//
// # DataX semantics
//
// The dx_* transforms follow DataX's Java code (core/transport/transformer)
// except where it is a trap: lengths and indexes count characters (Unicode
// code points), not UTF-16 code units, so an emoji is one character, not
// two that can be cut in half; parameters DataX would fail on for every row
// (a negative length, an unknown pad side, an empty pad string, on which
// DataX loops forever, a filter value that is no number for a number
// column) are errors when the pipeline starts; dx_digest matches its names
// without regard to case (DataX accepts "MD5" and then computes SHA-1);
// values keep their fraction of a second when turned into text (DataX
// drops it).
//
// # Expressions
//
// Filter and Compute take expressions in the expr language
// (github.com/expr-lang/expr, v1.17): comparisons (== != < <= > >=, in,
// contains, startsWith, endsWith, matches), arithmetic (+ - * / % **),
// logic (&& || !, and or not), conditionals (c ? a : b, if c {a} else {b},
// ?? for a NULL default), string functions (upper, lower, trim, trimPrefix,
// trimSuffix, replace, split, repeat, indexOf, hasPrefix, hasSuffix, len,
// and Ferry's substr), numbers (abs, ceil, floor, round, int, float, min,
// max) and dates (date(s [, layout [, zone]]), duration, timezone, now() in
// UTC, and the methods of Go's time.Time: t.Year(), t.Format(layout),
// t.Add(d), t.Sub(u), t.In(timezone("Asia/Shanghai"))...).
//
// We use expr because it is well kept (a typed checker, an optimizer and a
// bytecode VM, fuzzed upstream, no cgo, no dependencies), and its checker
// types the expression against the source schema when the pipeline starts,
// so that a misspelt column or `name + 1` on a string fails before any row
// is read. CEL (cel-go) would do the same with a heavier dependency tree and
// protobuf types; govaluate is unmaintained.
//
// Columns are named by their names (or $env["odd name"], or col(N) for the
// 0-based position N). Their values are: integers as int64 (uint64 for
// uint64), floats and decimals as float64 (decimals lose digits past 15-17
// significant ones: use Cast for exact decimal work), strings, binary and
// JSON as string, UUIDs as their canonical text, booleans, dates and
// timestamps as time.Time (in the column's zone; zone-less ones as their wall
// clock in UTC) and times of day as a time.Duration. Other types (lists,
// intervals) cannot be used.
//
// NULL is nil. `x == nil` tests it and `x ?? 0` replaces it. Any other
// operation that meets a NULL makes the whole expression NULL, as in SQL
// (== and != included: Ferry rewrites them, since expr alone answers
// differently per type; `in` is the exception, false for NULL): a computed
// value becomes NULL and a filter drops the row (WHERE keeps only true). An
// expression that fails on non-NULL values (a division by zero, a date that
// does not parse) makes its row dirty, naming the column.
//
// Each expression is compiled once per input schema. A filter made only of
// comparisons between columns and literals, null tests, !, && and || runs
// as typed closures over the arrays (no VM, no boxing: 20-40 ns a row);
// everything else runs row by row in expr's VM with only the columns it
// names loaded, so no []any of the row is built.
//
// # Time zones
//
// TimeZone, and package tz for connectors, read zone-less wall clocks as
// instants in a named zone, write instants as wall clocks in a named zone,
// or convert wall clocks between zones, with a stated policy for daylight
// saving time gaps and overlaps. The machine's local zone is never used.
package transform
