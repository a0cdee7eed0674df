package sqlsource

import "github.com/ferrydata/ferry/internal/urlparam"

// Params declares the parameters FromParams reads. A reader joins them into
// its own table, giving splitPk its own documentation with Table.With.
var Params = urlparam.Table{
	{Name: "table", Doc: "table to read, [schema.]name (or set querySql)", Sample: "t"},
	{Name: "columns", Doc: "columns to read, comma-separated; default all, in table order", Sample: "a,b"},
	{Name: "where", Doc: "SQL condition on table, sent as written", Sample: "a > 0"},
	{Name: "querySql", Doc: "query to read instead of table (not with where, columns or splitPk)"},
	{Name: "splitPk", Doc: "column to cut splits on", Sample: "id"},
}
