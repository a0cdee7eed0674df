package sqlserverwriter

import (
	"fmt"
	"strings"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/sqlident"
)

// The stage's own columns: the attempt that wrote a row and the row's
// order within it (for "the last row for a key wins").
const (
	attemptCol = "__ferry_attempt"
	seqCol     = "__ferry_seq"
)

// plan is the SQL of one writer: every statement it sends is made here,
// from quoted names only, so the golden tests see all of it.
type plan struct {
	mode      ferry.WriteMode
	target    string   // quoted target
	stage     string   // quoted stage table
	marks     string   // quoted marker table
	cols      []string // quoted columns written, in batch order
	keys      []string // quoted key columns (upsert, replace)
	partition string   // partition-overwrite predicate
	identity  bool     // a column written is the target's IDENTITY column
	idCol     string   // that column, quoted (an identity cannot be updated)
	delete    bool     // overwrite with DELETE: TRUNCATE is refused (a foreign key references the target)
	postSQL   []string
}

func q(name string) string { return sqlident.SQLServer.MustQuote(name) }

func prefixed(prefix string, cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = prefix + c
	}
	return strings.Join(out, ", ")
}

// stageDDL creates the stage: a heap with the written columns as the
// target declares them (type, collation, NULL/NOT NULL, no identity,
// defaults or constraints) and the attempt and sequence columns.
func (p *plan) stageDDL(decls []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (", p.stage)
	for i, c := range p.cols {
		fmt.Fprintf(&b, "%s %s, ", c, decls[i])
	}
	fmt.Fprintf(&b, "%s bigint NOT NULL, %s bigint NOT NULL)", q(attemptCol), q(seqCol))
	return b.String()
}

// marksDDL creates the marker table. kind 0 rows mark a split done: the
// split's ID, its hash (the key), the attempt whose rows count, and the
// rows it wrote. kind 1 rows hold the run's state ("committed",
// "aborted").
func (p *plan) marksDDL() string {
	return "CREATE TABLE " + p.marks + " ([kind] tinyint NOT NULL, [split_hash] binary(32) NOT NULL, [split] nvarchar(max) NOT NULL, " +
		"[attempt] bigint NOT NULL, [rows] bigint NOT NULL, [closed_at] datetime2(7) NOT NULL DEFAULT SYSUTCDATETIME(), " +
		"PRIMARY KEY ([kind], [split_hash]))"
}

// markSQL makes one attempt the split's marked attempt, in one statement.
func (p *plan) markSQL() string {
	return "MERGE " + p.marks + " WITH (HOLDLOCK) AS m USING (SELECT CONVERT(tinyint, 0) AS kind, @p1 AS split_hash, @p2 AS split, @p3 AS attempt, @p4 AS [rows]) AS n " +
		"ON m.[kind] = n.kind AND m.[split_hash] = n.split_hash " +
		"WHEN MATCHED THEN UPDATE SET m.[attempt] = n.attempt, m.[rows] = n.[rows], m.[closed_at] = SYSUTCDATETIME() " +
		"WHEN NOT MATCHED THEN INSERT ([kind], [split_hash], [split], [attempt], [rows]) VALUES (n.kind, n.split_hash, n.split, n.attempt, n.[rows]);"
}

func (p *plan) statusSQL() string {
	return "SELECT [kind], [split], [rows] FROM " + p.marks + " ORDER BY [kind], [closed_at], [split_hash]"
}

// stateSQL records the run's state (@p1: "committed" or "aborted").
func (p *plan) stateSQL() string {
	return "INSERT INTO " + p.marks + " ([kind], [split_hash], [split], [attempt], [rows]) VALUES (1, HASHBYTES('SHA2_256', CONVERT(nvarchar(max), @p1)), @p1, 0, 0)"
}

// marked is the rows of the marked attempts.
func (p *plan) marked() string {
	return p.stage + " AS s JOIN " + p.marks + " AS m ON m.[kind] = 0 AND m.[attempt] = s." + q(attemptCol)
}

// latest is the marked rows, only the last one for each key: the split
// closed last wins, and within a split the row written last.
func (p *plan) latest() string {
	return "(SELECT " + prefixed("x.", p.cols) + " FROM (SELECT " + prefixed("s.", p.cols) +
		", ROW_NUMBER() OVER (PARTITION BY " + prefixed("s.", p.keys) + " ORDER BY m.[closed_at] DESC, m.[split_hash] DESC, s." + q(seqCol) + " DESC) AS [__ferry_rn] FROM " +
		p.marked() + ") AS x WHERE x.[__ferry_rn] = 1)"
}

func (p *plan) insertFrom(src, hint string) string {
	return "INSERT INTO " + p.target + hint + " (" + strings.Join(p.cols, ", ") + ") SELECT " + prefixed("s.", p.cols) + " FROM " + src
}

func (p *plan) keyMatch(a, b string) string {
	parts := make([]string, len(p.keys))
	for i, k := range p.keys {
		parts[i] = a + k + " = " + b + k
	}
	return strings.Join(parts, " AND ")
}

// commitSQL returns the statements of the commit transaction, after the
// state checks and before the state row: the mode's move from the stage
// into the target, then postSql.
func (p *plan) commitSQL() []string {
	var out []string
	if p.identity {
		out = append(out, "SET IDENTITY_INSERT "+p.target+" ON")
	}
	switch p.mode {
	case ferry.ModeInsert:
		out = append(out, p.insertFrom(p.marked(), ""))
	case ferry.ModeOverwrite:
		empty := "TRUNCATE TABLE " + p.target
		if p.delete {
			empty = "DELETE FROM " + p.target
		}
		out = append(out, empty, p.insertFrom(p.marked(), " WITH (TABLOCK)"))
	case ferry.ModeUpsert:
		var b strings.Builder
		fmt.Fprintf(&b, "MERGE %s WITH (HOLDLOCK) AS t USING %s AS s ON %s", p.target, p.latest(), p.keyMatch("t.", "s."))
		var sets []string
		for _, c := range p.cols {
			if !contains(p.keys, c) && c != p.idCol {
				sets = append(sets, "t."+c+" = s."+c)
			}
		}
		if len(sets) > 0 {
			b.WriteString(" WHEN MATCHED THEN UPDATE SET " + strings.Join(sets, ", "))
		}
		b.WriteString(" WHEN NOT MATCHED BY TARGET THEN INSERT (" + strings.Join(p.cols, ", ") + ") VALUES (" + prefixed("s.", p.cols) + ");")
		out = append(out, b.String())
	case ferry.ModeReplace:
		out = append(out,
			"DELETE t FROM "+p.target+" AS t WHERE EXISTS (SELECT 1 FROM "+p.marked()+" WHERE "+p.keyMatch("s.", "t.")+")",
			p.insertFrom(p.latest()+" AS s", ""))
	case ferry.ModePartitionOverwrite:
		out = append(out,
			"IF EXISTS (SELECT 1 FROM (SELECT "+prefixed("s.", p.cols)+" FROM "+p.marked()+") AS s WHERE CASE WHEN ("+p.partition+") THEN 1 ELSE 0 END = 0) "+
				"THROW 50001, N'sqlserverwriter: a new row does not match the partition predicate, so a rerun would not replace it', 1",
			"DELETE FROM "+p.target+" WHERE ("+p.partition+")",
			p.insertFrom(p.marked(), ""))
	}
	if p.identity {
		out = append(out, "SET IDENTITY_INSERT "+p.target+" OFF")
	}
	return append(out, p.postSQL...)
}

// insertSQL is the multi-row INSERT of n rows into the stage, the
// fallback of bulk copy; parameters are numbered row by row.
func (p *plan) insertSQL(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s, %s, %s) VALUES ", p.stage, strings.Join(p.cols, ", "), q(attemptCol), q(seqCol))
	per := len(p.cols) + 2
	for r := 0; r < n; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := 0; c < per; c++ {
			if c > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "@p%d", r*per+c+1)
		}
		b.WriteByte(')')
	}
	return b.String()
}

// createSQL creates the target from the Arrow schema.
func createSQL(target string, cols, decls []string, notNull []bool, keys []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (", target)
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c + " " + decls[i])
		if notNull[i] {
			b.WriteString(" NOT NULL")
		} else {
			b.WriteString(" NULL")
		}
	}
	if len(keys) > 0 {
		b.WriteString(", PRIMARY KEY (" + strings.Join(keys, ", ") + ")")
	}
	b.WriteString(")")
	return b.String()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
