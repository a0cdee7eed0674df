package sqlitereader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/sqlident"
	"github.com/ferrydata/ferry/internal/sqlitelib"
)

// Reader reads a SQLite table, view or query. It is safe for concurrent use.
type Reader struct {
	cfg    Config
	mem    memory.Allocator
	schema *arrow.Schema
	cols   []colInfo
	// key is the quoted column the table is split on ("" when it cannot be),
	// keyIsRowid whether it is the rowid (never NULL, always an integer).
	key        string
	keyIsRowid bool
	name       string // for split IDs and errors: the table, or "query"
	// schemaName and tableName are the parts of Table; from is the quoted,
	// qualified name the queries read.
	schemaName, tableName, from string
}

type colInfo struct {
	name    string
	decl    string
	typ     arrow.DataType
	kind    kind
	notNull bool
	pk      int64 // 1-based position in the primary key, 0 if not in it
}

var _ ferry.Reader = (*Reader)(nil)

// Open checks cfg, opens the database read-only and reads the schema of the
// table or query. The database file must exist.
func Open(ctx context.Context, cfg Config) (*Reader, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.BatchRows == 0 {
		cfg.BatchRows = DefaultBatchRows
	}
	r := &Reader{cfg: cfg, mem: cfg.Allocator, name: cfg.Table}
	if r.mem == nil {
		r.mem = memory.DefaultAllocator
	}
	if r.name == "" {
		r.name = "query"
	}
	if cfg.Table != "" {
		parts, err := sqlident.SQLite.Split(cfg.Table)
		if err != nil {
			return nil, fmt.Errorf("sqlitereader: table: %w", err)
		}
		r.schemaName, r.tableName = "main", parts[len(parts)-1]
		if len(parts) == 2 {
			r.schemaName = parts[0]
		}
		r.from = sqlident.SQLite.MustQuote(r.schemaName) + "." + sqlident.SQLite.MustQuote(r.tableName)
	}
	conn, err := openConn(ctx, cfg.Path)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if cfg.QuerySQL != "" {
		err = r.describeQuery(ctx, conn)
	} else {
		err = r.describeTable(ctx, conn)
	}
	if err != nil {
		return nil, err
	}
	fields := make([]arrow.Field, len(r.cols))
	for i, c := range r.cols {
		fields[i] = arrow.Field{Name: c.name, Type: c.typ, Nullable: true, Metadata: c.metadata()}
	}
	r.schema = arrow.NewSchema(fields, nil)
	return r, nil
}

// metadata is the field metadata of a column: the ferry.Meta* keys.
func (c colInfo) metadata() arrow.Metadata {
	keys := []string{ferry.MetaSourceType, ferry.MetaSourceEngine}
	vals := []string{c.decl, ferry.EngineSQLite}
	if c.notNull {
		keys, vals = append(keys, ferry.MetaNotNull), append(vals, "true")
	}
	if c.pk > 0 {
		keys, vals = append(keys, ferry.MetaPrimaryKey), append(vals, strconv.FormatInt(c.pk, 10))
	}
	if n := charLength(c.decl); n > 0 {
		keys, vals = append(keys, ferry.MetaCharLength), append(vals, strconv.Itoa(n))
	}
	return arrow.NewMetadata(keys, vals)
}

// openConn opens path read-only and checks that it is a database.
func openConn(ctx context.Context, path string) (*sqlitelib.Conn, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("sqlitereader: database file %s does not exist", path)
		}
		return nil, fmt.Errorf("sqlitereader: database file %s: %w", path, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("sqlitereader: %s is a directory, not a database file", path)
	}
	c, err := sqlitelib.OpenReadOnly(path, 10000)
	if err != nil {
		return nil, fmt.Errorf("sqlitereader: open %s: %w", path, err)
	}
	// The header is read on the first statement: a file that is not a
	// database fails here.
	if _, err := c.Query(ctx, "SELECT count(*) FROM sqlite_schema"); err != nil {
		c.Close()
		return nil, fmt.Errorf("sqlitereader: open %s: %w", path, err)
	}
	return c, nil
}

// queryAll runs q and returns every row.
func queryAll(ctx context.Context, c *sqlitelib.Conn, q string, args ...any) ([][]any, error) {
	return c.Query(ctx, q, args...)
}

func (r *Reader) describeTable(ctx context.Context, c *sqlitelib.Conn) error {
	p := r.cfg.Path
	list, err := queryAll(ctx, c, `SELECT type, wr FROM pragma_table_list WHERE name = ? AND schema = ?`, r.tableName, r.schemaName)
	if err != nil {
		return fmt.Errorf("sqlitereader: %s: look up table %s: %w", p, r.cfg.Table, err)
	}
	if len(list) == 0 {
		return fmt.Errorf("sqlitereader: %s: no table or view named %q in schema %s", p, r.tableName, r.schemaName)
	}
	hasRowid := list[0][0] == "table" && list[0][1] == int64(0)
	info, err := queryAll(ctx, c, `SELECT name, type, hidden, "notnull", pk FROM pragma_table_xinfo(?, ?)`, r.tableName, r.schemaName)
	if err != nil {
		return fmt.Errorf("sqlitereader: %s: columns of %s: %w", p, r.cfg.Table, err)
	}
	all := map[string]colInfo{}
	var order []string
	npk := 0
	for _, row := range info {
		if n, _ := row[4].(int64); n > 0 {
			npk++
		}
	}
	for _, row := range info {
		name, _ := row[0].(string)
		decl, _ := row[1].(string)
		if h, _ := row[2].(int64); h == 1 {
			continue
		}
		t, k, err := typeOf(decl)
		if err != nil {
			return fmt.Errorf("sqlitereader: %s: table %s column %s: %w", p, r.cfg.Table, name, err)
		}
		nn, _ := row[3].(int64)
		pk, _ := row[4].(int64)
		// An INTEGER PRIMARY KEY of a rowid table is the rowid: never NULL.
		rowidAlias := hasRowid && npk == 1 && pk == 1 && strings.EqualFold(strings.TrimSpace(decl), "INTEGER")
		all[strings.ToLower(name)] = colInfo{name: name, decl: decl, typ: t, kind: k, notNull: nn == 1 || rowidAlias, pk: pk}
		order = append(order, name)
	}
	names := r.cfg.Columns
	if len(names) == 0 {
		names = order
	}
	for _, n := range names {
		ci, ok := all[strings.ToLower(n)]
		if !ok {
			return fmt.Errorf("sqlitereader: %s: table %s has no column %q (it has %s)", p, r.cfg.Table, n, strings.Join(order, ", "))
		}
		r.cols = append(r.cols, ci)
	}
	switch {
	case r.cfg.SplitPK != "":
		ci, ok := all[strings.ToLower(r.cfg.SplitPK)]
		if !ok {
			return fmt.Errorf("sqlitereader: %s: splitPk: table %s has no column %q", p, r.cfg.Table, r.cfg.SplitPK)
		}
		if ci.kind > kUint64 {
			return fmt.Errorf("sqlitereader: %s: splitPk: column %s of %s is declared %q, not an integer", p, ci.name, r.cfg.Table, ci.decl)
		}
		r.key = sqlident.SQLite.MustQuote(ci.name)
	case hasRowid:
		// A column may be named rowid; SQLite has two other names for it.
		for _, alias := range []string{"rowid", "_rowid_", "oid"} {
			if _, taken := all[alias]; !taken {
				r.key, r.keyIsRowid = alias, true
				break
			}
		}
	}
	return nil
}

func (r *Reader) describeQuery(ctx context.Context, c *sqlitelib.Conn) error {
	st, err := c.Prepare(r.cfg.QuerySQL)
	if err != nil {
		return fmt.Errorf("sqlitereader: %s: querySql: %w", r.cfg.Path, err)
	}
	defer st.Close()
	seen := map[string]bool{}
	for i := range st.NumColumns() {
		name := st.ColumnName(i)
		if seen[name] {
			return fmt.Errorf("sqlitereader: %s: querySql returns column %q twice; give the columns distinct names", r.cfg.Path, name)
		}
		seen[name] = true
		decl := st.DeclType(i)
		t, k, err := typeOf(decl)
		if err != nil {
			return fmt.Errorf("sqlitereader: %s: querySql column %s: %w", r.cfg.Path, name, err)
		}
		r.cols = append(r.cols, colInfo{name: name, decl: decl, typ: t, kind: k})
	}
	return nil
}

// Schema returns the schema of the batches. Every field of a table carries
// ferry.MetaSourceType (its declared type), ferry.MetaSourceEngine
// ("sqlite"), and where they hold ferry.MetaNotNull, ferry.MetaPrimaryKey
// and ferry.MetaCharLength (from VARCHAR(n), CHAR(n), ...). The fields are
// nullable whatever the column declares.
func (r *Reader) Schema(context.Context) (*arrow.Schema, error) { return r.schema, nil }

// splitSpec is the Spec of a Split.
type splitSpec struct {
	// Part is "all" (the whole table or query), "range" (Lo <= key <= Hi) or
	// "rest" (rows whose split key is NULL or not an integer).
	Part string `json:"part"`
	Lo   int64  `json:"lo,omitempty"`
	Hi   int64  `json:"hi,omitempty"`
}

// Splits cuts a table into about 4×hint ranges of its rowid (or SplitPK)
// between its minimum and maximum. A query, a view, a table WITHOUT ROWID
// or an empty table is one split.
func (r *Reader) Splits(ctx context.Context, hint int) ([]ferry.Split, error) {
	one := func(spec splitSpec, id string) ferry.Split {
		b, _ := json.Marshal(spec)
		return ferry.Split{ID: id, Spec: b}
	}
	if r.key == "" || hint <= 1 {
		return []ferry.Split{one(splitSpec{Part: "all"}, r.name)}, nil
	}
	conn, err := openConn(ctx, r.cfg.Path)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// min and max of the rowid are two seeks; a user key may hold other
	// types, which the "rest" split reads.
	cond := "1"
	if !r.keyIsRowid {
		cond = fmt.Sprintf("typeof(%s) = 'integer'", r.key)
	}
	// Two subqueries: SQLite's min/max optimisation (one index seek)
	// applies to a query with a single min() or max(), not to both.
	q := fmt.Sprintf("SELECT (SELECT min(%s) FROM %s WHERE %s%s), (SELECT max(%s) FROM %s WHERE %s%s)",
		r.key, r.from, cond, r.andWhere(), r.key, r.from, cond, r.andWhere())
	mm, err := queryAll(ctx, conn, q)
	if err != nil {
		return nil, fmt.Errorf("sqlitereader: %s: range of %s.%s: %w", r.cfg.Path, r.cfg.Table, r.key, err)
	}
	lo, ok1 := mm[0][0].(int64)
	hi, ok2 := mm[0][1].(int64)
	var splits []ferry.Split
	if ok1 && ok2 {
		n := uint64(hint) * 4
		span := uint64(hi) - uint64(lo) + 1 // 0 means the full 2^64 range
		if span != 0 && n > span {
			n = span
		}
		var step uint64
		if span == 0 {
			step = math.MaxUint64/n + 1
		} else {
			step = span / n
			if span%n != 0 {
				step++
			}
		}
		for a := lo; ; {
			b := hi
			if rest := uint64(hi) - uint64(a); step-1 < rest {
				b = int64(uint64(a) + step - 1)
			}
			splits = append(splits, one(splitSpec{Part: "range", Lo: a, Hi: b}, fmt.Sprintf("%s[%d,%d]", r.name, a, b)))
			if b == hi {
				break
			}
			a = b + 1
		}
	}
	if !r.keyIsRowid || len(splits) == 0 {
		// Rows whose key is NULL or not an integer belong to no range.
		splits = append(splits, one(splitSpec{Part: "rest"}, r.name+"[rest]"))
	}
	return splits, nil
}

func (r *Reader) andWhere() string {
	if r.cfg.Where == "" {
		return ""
	}
	return " AND (" + r.cfg.Where + ")"
}

// query returns the SELECT of one split; its first column is the split key
// when withKey.
func (r *Reader) query(s splitSpec) (q string, args []any, withKey bool) {
	if r.cfg.QuerySQL != "" {
		return r.cfg.QuerySQL, nil, false
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	withKey = r.key != ""
	if withKey {
		b.WriteString(r.key)
		b.WriteString(", ")
	}
	for i, c := range r.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(sqlident.SQLite.MustQuote(c.name))
	}
	b.WriteString(" FROM ")
	b.WriteString(r.from)
	switch s.Part {
	case "range":
		fmt.Fprintf(&b, " WHERE %s >= ? AND %s <= ?", r.key, r.key)
		if !r.keyIsRowid {
			// 2.5 is in [1, 3] too, but belongs to the "rest" split.
			fmt.Fprintf(&b, " AND typeof(%s) = 'integer'", r.key)
		}
		b.WriteString(r.andWhere())
		args = []any{s.Lo, s.Hi}
		if r.keyIsRowid {
			fmt.Fprintf(&b, " ORDER BY %s", r.key)
		}
	case "rest":
		fmt.Fprintf(&b, " WHERE typeof(%s) <> 'integer'%s", r.key, r.andWhere())
	default:
		if r.cfg.Where != "" {
			b.WriteString(" WHERE (" + r.cfg.Where + ")")
		}
		if r.keyIsRowid {
			fmt.Fprintf(&b, " ORDER BY %s", r.key)
		}
	}
	return b.String(), args, withKey
}

// Read returns the batches of split s, read on a connection of its own.
func (r *Reader) Read(ctx context.Context, s ferry.Split) (array.RecordReader, error) {
	var spec splitSpec
	if len(s.Spec) > 0 {
		if err := json.Unmarshal(s.Spec, &spec); err != nil {
			return nil, fmt.Errorf("sqlitereader: split %s: bad spec: %w", s.ID, err)
		}
	}
	if !slices.Contains([]string{"", "all", "range", "rest"}, spec.Part) || (spec.Part != "" && spec.Part != "all" && r.key == "") {
		return nil, fmt.Errorf("sqlitereader: split %s: part %q does not fit this reader", s.ID, spec.Part)
	}
	conn, err := openConn(ctx, r.cfg.Path)
	if err != nil {
		return nil, err
	}
	q, args, withKey := r.query(spec)
	rows, err := conn.Start(ctx, q, args...)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("sqlitereader: %s: read %s: %w", r.cfg.Path, s.ID, err)
	}
	if got, want := rows.Stmt().NumColumns(), len(r.cols); withKey && got != want+1 || !withKey && got != want {
		rows.Close()
		conn.Close()
		return nil, fmt.Errorf("sqlitereader: %s: split %s returns %d columns, the schema has %d", r.cfg.Path, s.ID, got, want)
	}
	return newRecordReader(ctx, r, s.ID, conn, rows, withKey), nil
}

// Close releases nothing: every split closes its own connection when its
// RecordReader is released.
func (r *Reader) Close() error { return nil }
