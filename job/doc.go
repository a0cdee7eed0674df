// Package job reads job files and runs them: DataX jobs unchanged,
// DataWorks script-mode jobs with data sources by name, and Ferry's own
// JSON form (the plain form of Job).
//
//	p, err := job.ParseFile("orders.json", &job.Options{
//		Vars:    map[string]string{"ds": "20250726"},      // datax.py -p "-Dds=20250726"
//		CycTime: cyc,                                      // fixes every scheduling parameter
//		Catalog: catalog, Env: job.EnvProd,
//	})
//	sum, err := p.Run(ctx, nil)
//
// # What Parse does
//
// The format is detected from the content: {"job": ...} is DataX,
// {"steps": ...} is DataWorks, {"source": ...} is Ferry's. Every string of
// the job is resolved before anything else: ${env:NAME} from the
// environment (masked wherever the job is shown), then DataX variables
// ($name, ${name} from Options.Vars, which win over scheduling parameters of
// the same name), then scheduling parameters through schedparam ($bizdate,
// ${yyyymmdd-1}, $[hh24miss-1/24], custom ${name}). A ${x} that nothing
// resolves is an error naming the key that holds it: it never reaches a
// database. Passwords are not scheduling-resolved (a '$' in a password is
// not a parameter).
//
// Data sources named in a job ("datasource": "orders_db") are looked up
// in the Catalog for the run's environment; a dev run never reaches a prod
// entry, and a job that asks for one (DataWorks "envType": 0) in a dev run
// is an error.
//
// A key Ferry does not know is a warning (Job.Warnings; plan and check list
// them), as DataX ignores unknown keys; a key whose meaning Ferry cannot
// honour is an error naming it.
//
// # Mapping
//
// DataX maps reader columns to writer columns by position: the two lists
// must have the same length, checked before anything runs. Reader columns
// may be constants ('legacy', 1, null, true), which Ferry adds itself, and
// SQL expressions (upper(name)), for which the table is read by one query.
// Ferry jobs map by position, by name or explicitly, with constants.
// Values are converted to the destination table's column types where
// needed (text into numbers, dates with Java patterns such as yyyy/MM/dd,
// values into text columns); a value that does not convert makes its row
// dirty.
//
// # Running
//
// Parsed.Run opens the connectors (the first jdbcUrl of a reader's failover
// list that answers; every table of a range or connection list as one
// source), and runs the Pipeline with the job's speed limits and dirty-data
// limit. Parsed.Plan and Parsed.Check connect but write nothing and run no
// preSql or postSql.
//
// # Sync scenarios
//
// A source URL whose table names several tables (order_[00-15], a list) is
// opened through reader/sqlshard. "sourceColumns" (the Ferry form's top
// level, or an extension in a DataX/DataWorks reader's parameter) adds
// columns naming each row's database and table; "maxPerSource" caps the
// reads at once per database. "cursor" makes the job incremental by a saved
// cursor (package cursor): RunOptions.CursorStore keeps it, and it is saved
// after the commit only. A DataX writer's "partition" (with writeMode
// partition-overwrite) replaces one day's rows, so a job filtering by
// ${bizdate} can be rerun.
package job
