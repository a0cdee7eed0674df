package ferry

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
)

// Field metadata keys that readers set and writers read, so that a table
// created at the destination (create=true) keeps what the source declared.
// Every SQL reader sets MetaSourceType and MetaSourceEngine on every field it
// reads from a table, and the others where it knows them.
const (
	// MetaSourceType is the column type as the source declares it, in the
	// source's own spelling: "varchar(16)", "jsonb", "decimal(10,2) unsigned".
	MetaSourceType = "ferry.source_type"
	// MetaSourceEngine is the engine that declared it: one of EnginePostgreSQL,
	// EngineMySQL, EngineSQLite, EngineSQLServer.
	MetaSourceEngine = "ferry.source_engine"
	// MetaNotNull is "true" for a column declared NOT NULL.
	MetaNotNull = "ferry.not_null"
	// MetaPrimaryKey is the column's 1-based position in the source table's
	// primary key ("1", "2", ...); absent for other columns.
	MetaPrimaryKey = "ferry.primary_key"
	// MetaCharLength is the declared maximum length in characters of a
	// char/varchar column ("16"); absent when unbounded.
	MetaCharLength = "ferry.char_length"
)

// The values of MetaSourceEngine.
const (
	EnginePostgreSQL = "postgresql"
	EngineMySQL      = "mysql"
	EngineSQLite     = "sqlite"
	EngineSQLServer  = "sqlserver"
)

// FieldMeta returns the value of metadata key k of f, or "".
func FieldMeta(f arrow.Field, k string) string {
	if v, ok := f.Metadata.GetValue(k); ok {
		return v
	}
	return ""
}

// PrimaryKey returns the names of the fields of s that carry MetaPrimaryKey,
// in key order; nil when none does.
func PrimaryKey(s *arrow.Schema) []string {
	var pos []int
	var names []string
	for _, f := range s.Fields() {
		p, err := strconv.Atoi(FieldMeta(f, MetaPrimaryKey))
		if err != nil || p < 1 {
			continue
		}
		i := len(pos)
		for i > 0 && pos[i-1] > p {
			i--
		}
		pos = append(pos[:i], append([]int{p}, pos[i:]...)...)
		names = append(names[:i], append([]string{f.Name}, names[i:]...)...)
	}
	return names
}
