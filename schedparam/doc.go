// Package schedparam resolves DataWorks-style scheduling parameters in any
// text: SQL where clauses, table names, file paths, constant column values.
//
//	sql, err := schedparam.Resolve("select * from t where ds='${yyyymmdd}'", cyc, nil)
//
// cyc is the scheduled (cycle) time of the run; the business date is the
// calendar day before cyc's date. The package never reads the wall clock and
// formats everything in cyc's location.
//
// # Syntax
//
// Examples for a run scheduled at 2025-07-27 00:05:00 (business date
// 2025-07-26):
//
//	Expression                        Result           Meaning
//	${yyyymmdd}                       20250726         business date; tokens yyyy yy mm dd, any separators
//	${yyyy-mm-dd}                     2025-07-26
//	${yyyymmdd-1}                     20250725         offsets in days
//	${yyyymmdd+3}                     20250729
//	${yyyymmdd-7*2}                   20250712         weeks
//	${yyyymm-1}                       202506           month formats: offsets in months, month ends clamped
//	${yyyy-1}                         2024             year formats: offsets in years
//	$[yyyymmddhh24miss]               20250727000500   cycle time; tokens yyyy yy mm dd hh24 mi ss
//	$[yyyymmdd-1]                     20250726         offsets in days (calendar days)
//	$[yyyymmddhh24-1/24]              2025072623       fractions of a day (exact, absolute durations)
//	$[hh24:mi-15/24/60]               23:50            15 minutes earlier
//	$[add_months(yyyymmdd,-1)]        20250627         months, day clamped to the month end
//	$[add_months(yyyymmdd,-1)-1]      20250626         add_months, then a day offset
//	$bizdate  ${bizdate}              20250726         = ${yyyymmdd}
//	$cyctime                          20250727000500   = $[yyyymmddhh24miss]
//	$gmtdate                          20250727         the scheduled date, yyyymmdd
//	$bizmonth                         202506           the business month, or the month before it when
//	                                                   the business date is in the scheduled month
//	$name  ${name}                    (value)          custom parameter, its expression resolved too
//
// Offsets are integer arithmetic with + - * / and parentheses, evaluated
// exactly as rational numbers. In ${...} the result must be a whole number
// of the format's smallest unit (days when it shows dd, else months when it
// shows mm, else years). In $[...] it is a number of days that must be a
// whole number of seconds: its whole days move the calendar date keeping the
// wall clock (AddDate, so DST does not shift the hour), and the rest is an
// absolute duration. Offsets are capped at about ten thousand years and
// results must fall in years 1..9999.
//
// # Names
//
// A name is the longest identifier [A-Za-z_][A-Za-z0-9_]* after the '$', so
// $bizdate_x names "bizdate_x", not $bizdate. A name is looked up as a
// built-in first (built-in names are reserved, so a custom parameter
// bizdate=$bizdate is harmless), then as a custom parameter, then, in
// ${...} only, as a date format such as ${yyyymmdd}. Custom parameter
// expressions are resolved recursively, each at most once per resolution;
// cycles are errors.
//
// # What is left alone, and errors
//
// A '$' that starts no parameter is left alone: '$5', $$, $(x), "$ " and a
// trailing '$'. So is $_name (starting with '_') when no custom parameter
// has that name. But $name starting with a letter that names nothing is an
// error, as is ${...} or $[...] that is malformed, unclosed or unknown.
// Every error is an *Error that quotes the expression and its byte position,
// for example
//
//	schedparam: position 12: unknown parameter "${foo}"
//
// and wraps ErrUnknownParameter, ErrSyntax, ErrCycle or ErrRange. There is
// no escape syntax for a literal "${".
//
// # Parsing once
//
// Parse returns a Template that a Resolver (NewResolver) executes for many
// cycle times; ResolveAll resolves all custom parameters. CycleTimes lists
// the cycle times of a backfill over a range of business dates.
package schedparam
