// Package sqlsource holds what every SQL reader takes the same way: the
// table (or query) to read, its columns, the where condition and the split
// key, parsed from URL parameters and checked once, so that pgreader,
// mysqlreader, sqlitereader and sqlserverreader do not each keep a copy.
package sqlsource

import (
	"fmt"
	"strings"

	"github.com/ferrydata/ferry/internal/urlparam"
)

// Source says what a SQL reader reads. Exactly one of Table and QuerySQL is
// set. Where, Columns and SplitPK go with Table only.
type Source struct {
	// Table is the table to read, possibly qualified ("schema.table"); it is
	// parsed and quoted with the dialect's sqlident functions, never pasted.
	Table string
	// Columns are the columns to read; nil means all, in table order. They
	// are names, quoted by the reader.
	Columns []string
	// Where is an SQL condition on Table. It is SQL the user gave on
	// purpose and is sent as written (inside parentheses).
	Where string
	// QuerySQL is a query read instead of Table, sent as written.
	QuerySQL string
	// SplitPK names the column to cut splits on.
	SplitPK string
}

// FromParams reads the table, columns, where, querySql and splitPk
// parameters.
func FromParams(p *urlparam.Values) Source {
	return Source{
		Table:    p.String("table", ""),
		Columns:  p.List("columns"),
		Where:    strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(p.String("where", "")), ";")),
		QuerySQL: strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(p.String("querySql", "")), ";")),
		SplitPK:  p.String("splitPk", ""),
	}
}

// Check reports a Source that names nothing to read, or combines QuerySQL
// with the parameters that go with Table. pkg prefixes the message.
func (s Source) Check(pkg string) error {
	switch {
	case s.Table == "" && s.QuerySQL == "":
		return urlparam.Invalid(fmt.Errorf("%s: set table or querySql", pkg))
	case s.Table != "" && s.QuerySQL != "":
		return urlparam.Invalid(fmt.Errorf("%s: set table or querySql, not both", pkg))
	case s.QuerySQL != "" && (s.Where != "" || len(s.Columns) > 0 || s.SplitPK != ""):
		return urlparam.Invalid(fmt.Errorf("%s: where, columns and splitPk go with table, not querySql", pkg))
	}
	for _, c := range s.Columns {
		if c == "" {
			return urlparam.Invalid(fmt.Errorf("%s: columns has an empty name", pkg))
		}
	}
	return nil
}

// Name is how errors and split IDs name the source: the table, or "query".
func (s Source) Name() string {
	if s.Table != "" {
		return s.Table
	}
	return "query"
}
