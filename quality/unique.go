package quality

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/sqlident"
)

// DefaultMaxKeys caps the keys Unique keeps when it checks rows in Ferry
// (a destination without SQL before commit): 8 bytes of state per key.
const DefaultMaxKeys = 1_000_000

// UniqueCheck is the rule made by Unique.
type UniqueCheck struct {
	base
	columns []string
	idx     []int
	maxKeys int
	sqlOnly bool

	seen     map[uint64]struct{}
	dups     int64
	rows     int64
	overflow bool
	ex       examples
}

var _ ferry.Check = (*UniqueCheck)(nil)

// Unique returns the rule that no two rows share the key columns (rows with
// a NULL key column are not compared, as in SQL). With a writer that runs
// SQL inside its commit, it is a GROUP BY ... HAVING COUNT(*) > 1 over the
// destination table as the commit will leave it; otherwise it compares the
// 64-bit hashes of the keys of the run's rows, up to MaxKeys keys.
func Unique(sev Severity, columns ...string) *UniqueCheck {
	return &UniqueCheck{base: base{name: "unique(" + strings.Join(columns, ",") + ")", severity: sev}, columns: columns, maxKeys: DefaultMaxKeys}
}

// WithMaxKeys sets the cap on the keys checked in Ferry and returns c.
func (c *UniqueCheck) WithMaxKeys(n int) *UniqueCheck {
	c.maxKeys = n
	return c
}

// SQLOnly makes the rule keep no rows in Ferry: it then needs a writer that
// runs SQL inside its commit, and fails with any other. It returns c.
func (c *UniqueCheck) SQLOnly() *UniqueCheck {
	c.sqlOnly = true
	return c
}

// Begin finds the key columns.
func (c *UniqueCheck) Begin(s *arrow.Schema) error {
	if c.maxKeys <= 0 {
		c.maxKeys = DefaultMaxKeys
	}
	idx, err := columnIndexes(c.name, s, c.columns)
	if err != nil {
		return err
	}
	c.idx = idx
	c.seen = map[uint64]struct{}{}
	return nil
}

type uniqueState struct {
	Keys     string   `json:"keys,omitempty"` // base64 of little-endian uint64 hashes
	Dups     int64    `json:"dups,omitempty"`
	Rows     int64    `json:"rows"`
	Overflow bool     `json:"overflow,omitempty"`
	Examples examples `json:"examples,omitempty"`
}

type uniqueSplit struct {
	c        *UniqueCheck
	keys     map[uint64]struct{}
	order    []uint64
	dups     int64
	rows     int64
	overflow bool
	ex       examples
	buf      []byte
}

// NewSplit returns a split's key collector, or nil for SQLOnly.
func (c *UniqueCheck) NewSplit() ferry.SplitCheck {
	if c.sqlOnly {
		return nil
	}
	return &uniqueSplit{c: c, keys: map[uint64]struct{}{}}
}

func (s *uniqueSplit) Observe(b arrow.RecordBatch, rejected []int) {
	n := int(b.NumRows())
	ok := accepted(n, rejected)
	cols := make([]arrow.Array, len(s.c.idx))
	for k, j := range s.c.idx {
		cols[k] = b.Column(j)
	}
rows:
	for i := range n {
		if !ok(i) {
			continue
		}
		for _, col := range cols {
			if col.IsNull(i) {
				continue rows
			}
		}
		s.rows++
		if s.overflow {
			continue
		}
		s.buf = s.buf[:0]
		for _, col := range cols {
			s.buf = appendKey(s.buf, col, i)
		}
		sum := fnv1a(s.buf)
		if _, dup := s.keys[sum]; dup {
			s.dups++
			var parts []string
			for _, col := range cols {
				parts = append(parts, keyText(col, i))
			}
			s.ex.add("(" + strings.Join(parts, ", ") + ")")
			continue
		}
		if len(s.keys) >= s.c.maxKeys {
			s.overflow = true
			s.keys, s.order = nil, nil
			continue
		}
		s.keys[sum] = struct{}{}
		s.order = append(s.order, sum)
	}
}

func (s *uniqueSplit) State() json.RawMessage {
	st := uniqueState{Dups: s.dups, Rows: s.rows, Overflow: s.overflow, Examples: s.ex}
	if !s.overflow {
		raw := make([]byte, 8*len(s.order))
		for i, h := range s.order {
			binary.LittleEndian.PutUint64(raw[8*i:], h)
		}
		st.Keys = base64.StdEncoding.EncodeToString(raw)
	}
	return mustJSON(st)
}

// fnv1a is the 64-bit FNV-1a hash of b (hash/fnv's, without an
// allocation per row): stable across processes, so split states merge.
func fnv1a(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// appendKey appends row i of a to buf as bytes that differ for different
// values of one type (length-prefixed for variable-width ones).
func appendKey(buf []byte, a arrow.Array, i int) []byte {
	switch a := storage(a).(type) {
	case *array.Int64:
		return binary.LittleEndian.AppendUint64(buf, uint64(a.Value(i)))
	case *array.Int32:
		return binary.LittleEndian.AppendUint64(buf, uint64(int64(a.Value(i))))
	case *array.Int16:
		return binary.LittleEndian.AppendUint64(buf, uint64(int64(a.Value(i))))
	case *array.Uint64:
		return binary.LittleEndian.AppendUint64(buf, a.Value(i))
	case *array.Uint32:
		return binary.LittleEndian.AppendUint64(buf, uint64(a.Value(i)))
	case *array.Float64:
		return binary.LittleEndian.AppendUint64(buf, math.Float64bits(a.Value(i)))
	case *array.String:
		v := a.Value(i)
		buf = binary.AppendUvarint(buf, uint64(len(v)))
		return append(buf, v...)
	case *array.LargeString:
		v := a.Value(i)
		buf = binary.AppendUvarint(buf, uint64(len(v)))
		return append(buf, v...)
	case *array.Binary:
		v := a.Value(i)
		buf = binary.AppendUvarint(buf, uint64(len(v)))
		return append(buf, v...)
	case *array.FixedSizeBinary:
		return append(buf, a.Value(i)...)
	case *array.Timestamp:
		return binary.LittleEndian.AppendUint64(buf, uint64(a.Value(i)))
	case *array.Date32:
		return binary.LittleEndian.AppendUint64(buf, uint64(int64(a.Value(i))))
	}
	v := keyText(a, i)
	buf = binary.AppendUvarint(buf, uint64(len(v)))
	return append(buf, v...)
}

// Merge folds in a split's keys; a key seen in two splits is a duplicate.
func (c *UniqueCheck) Merge(state json.RawMessage) error {
	var st uniqueState
	if err := json.Unmarshal(state, &st); err != nil {
		return fmt.Errorf("quality: %s: bad split state %s", c.name, cut(string(state), 100))
	}
	raw, err := base64.StdEncoding.DecodeString(st.Keys)
	if err != nil || len(raw)%8 != 0 {
		return fmt.Errorf("quality: %s: bad key list in split state", c.name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rows += st.Rows
	c.dups += st.Dups
	for _, e := range st.Examples {
		c.ex.add(e)
	}
	if st.Overflow {
		c.overflow = true
	}
	if c.overflow {
		c.seen = map[uint64]struct{}{}
		return nil
	}
	for off := 0; off < len(raw); off += 8 {
		h := binary.LittleEndian.Uint64(raw[off:])
		if _, dup := c.seen[h]; dup {
			c.dups++
			continue
		}
		if len(c.seen) >= c.maxKeys {
			c.overflow = true
			c.seen = map[uint64]struct{}{}
			return nil
		}
		c.seen[h] = struct{}{}
	}
	return nil
}

// Verify checks the destination in SQL when it can, the run's keys
// otherwise.
func (c *UniqueCheck) Verify(ctx context.Context, in ferry.CheckInput) ferry.CheckResult {
	c.mu.Lock()
	dups, rows, overflow, ex := c.dups, c.rows, c.overflow, c.ex
	c.seen, c.dups, c.rows, c.overflow, c.ex = map[uint64]struct{}{}, 0, 0, false, nil
	c.mu.Unlock()
	if in.Query != nil {
		return c.verifySQL(ctx, in.Query)
	}
	switch {
	case c.sqlOnly:
		return c.result(false, "needs a destination that runs SQL inside its commit; this writer cannot")
	case overflow:
		return c.result(false, "not checkable: more than %d keys (raise max_keys, or use a destination that runs SQL inside its commit)", c.maxKeys)
	case dups > 0:
		return c.result(false, "%d duplicate keys (%s) in %d rows of the run%s%s", dups, strings.Join(c.columns, ", "), rows, ex, unchecked(in))
	}
	return c.result(true, "%d keys (%s) of the run are unique%s", rows, strings.Join(c.columns, ", "), unchecked(in))
}

func (c *UniqueCheck) verifySQL(ctx context.Context, q ferry.Querier) ferry.CheckResult {
	d, err := dialect(q.Dialect())
	if err != nil {
		return c.result(false, "%v", err)
	}
	cols, err := d.QuoteList(c.columns)
	if err != nil {
		return c.result(false, "key columns: %v", err)
	}
	conds := make([]string, len(c.columns))
	for i, col := range c.columns {
		qc, _ := d.Quote(col)
		conds[i] = qc + " IS NOT NULL"
	}
	query := fmt.Sprintf("SELECT %s, COUNT(*) FROM %s WHERE %s GROUP BY %s HAVING COUNT(*) > 1",
		cols, q.Table(), strings.Join(conds, " AND "), cols)
	found, more, err := q.Query(ctx, query, 5)
	if err != nil {
		return c.result(false, "query: %v", err)
	}
	if len(found) > 0 {
		var ex []string
		for _, r := range found {
			ex = append(ex, "("+strings.Join(texts(r[:len(r)-1]), ", ")+") × "+deref(r[len(r)-1]))
		}
		plus := ""
		if more {
			plus = " and more"
		}
		return c.result(false, "duplicate keys (%s) in the destination: %s%s", strings.Join(c.columns, ", "), strings.Join(ex, ", "), plus)
	}
	return c.result(true, "keys (%s) unique in the destination (checked in SQL)", strings.Join(c.columns, ", "))
}

func dialect(name string) (sqlident.Dialect, error) {
	switch name {
	case ferry.EnginePostgreSQL:
		return sqlident.PostgreSQL, nil
	case ferry.EngineMySQL:
		return sqlident.MySQL, nil
	case ferry.EngineSQLite:
		return sqlident.SQLite, nil
	case ferry.EngineSQLServer:
		return sqlident.SQLServer, nil
	}
	return sqlident.Dialect{}, fmt.Errorf("quality: unknown SQL dialect %q", name)
}

func texts(r []*string) []string {
	out := make([]string, len(r))
	for i, v := range r {
		out[i] = deref(v)
	}
	return out
}

func deref(v *string) string {
	if v == nil {
		return "NULL"
	}
	return cut(*v, 80)
}
