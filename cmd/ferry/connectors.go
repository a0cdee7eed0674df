package main

// The connectors the command knows, registered by importing them.
import (
	_ "github.com/ferrydata/ferry/reader/csvreader"
	_ "github.com/ferrydata/ferry/reader/jsonlreader"
	_ "github.com/ferrydata/ferry/reader/mysqlreader"
	_ "github.com/ferrydata/ferry/reader/parquetreader"
	_ "github.com/ferrydata/ferry/reader/pgreader"
	_ "github.com/ferrydata/ferry/reader/sqlitereader"
	_ "github.com/ferrydata/ferry/reader/sqlserverreader"
	_ "github.com/ferrydata/ferry/reader/streamreader"
	_ "github.com/ferrydata/ferry/writer/csvwriter"
	_ "github.com/ferrydata/ferry/writer/jsonlwriter"
	_ "github.com/ferrydata/ferry/writer/mysqlwriter"
	_ "github.com/ferrydata/ferry/writer/parquetwriter"
	_ "github.com/ferrydata/ferry/writer/pgwriter"
	_ "github.com/ferrydata/ferry/writer/sqlitewriter"
	_ "github.com/ferrydata/ferry/writer/sqlserverwriter"
	_ "github.com/ferrydata/ferry/writer/streamwriter"
)
