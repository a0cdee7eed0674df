package sqlserverreader

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	mssql "github.com/microsoft/go-mssqldb"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/mssqlx"
	"github.com/ferrydata/ferry/internal/sqlident"
)

// Reader reads a SQL Server table or query. It is safe for concurrent use.
type Reader struct {
	cfg   Config
	db    *sql.DB
	mem   memory.Allocator
	table mssqlx.TableName
	cols  []column // the columns read, in order

	schema *arrow.Schema
	pk     *column // SplitPK, nil without one

	mu          sync.Mutex
	pool        chan *sql.Conn // snapshot connections, nil until Splits
	all         []*sql.Conn
	consistency string
	perSplit    string // isolation level of fresh per-split connections ("" = the server's default)
	closed      atomic.Bool
}

// column is one column read: its catalog entry, kind and quoted name.
type column struct {
	mssqlx.Column
	kind   mssqlx.Kind
	quoted string
	offset bool // followed by its offset companion (KeepOffsets)
}

var (
	_ ferry.Reader         = (*Reader)(nil)
	_ ferry.StatefulReader = (*Reader)(nil)
)

// Open connects and reads the columns of the table or query. The caller
// closes the Reader.
func Open(ctx context.Context, cfg Config) (*Reader, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.BatchRows == 0 {
		cfg.BatchRows = 65536
	}
	if cfg.Isolation == "" {
		cfg.Isolation = IsolationSnapshot
	}
	mem := cfg.Allocator
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	conn, err := mssql.NewConnector(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("sqlserverreader: %w", err)
	}
	r := &Reader{cfg: cfg, db: sql.OpenDB(conn), mem: mem, consistency: "not planned yet"}
	if err := r.describe(ctx); err != nil {
		r.db.Close()
		return nil, err
	}
	return r, nil
}

func (r *Reader) describe(ctx context.Context) error {
	var infos []mssqlx.Column
	var err error
	if r.cfg.Source.QuerySQL != "" {
		infos, err = queryColumns(ctx, r.db, r.cfg.Source.QuerySQL)
	} else {
		if r.table, err = parseTable(r.cfg.Source.Table); err != nil {
			return err
		}
		infos, err = tableColumns(ctx, r.db, r.table)
	}
	if err != nil {
		return err
	}
	cols, pk, err := selectColumns(infos, r.cfg.Source.Columns, r.cfg.Source.SplitPK, r.cfg.Source.Name())
	if err != nil {
		return err
	}
	r.cols, r.pk = cols, pk
	r.schema, err = buildSchema(r.cols, r.cfg.KeepOffsets)
	return err
}

// selectColumns picks the named columns (all when names is nil; names match
// case-insensitively, as SQL Server's default collations do) and the split
// key, and maps each to its kind.
func selectColumns(infos []mssqlx.Column, names []string, splitPK, source string) ([]column, *column, error) {
	find := func(n string) (mssqlx.Column, bool) {
		for _, c := range infos {
			if strings.EqualFold(c.Name, n) {
				return c, true
			}
		}
		return mssqlx.Column{}, false
	}
	sel := infos
	if len(names) > 0 {
		sel = nil
		for _, n := range names {
			c, ok := find(n)
			if !ok {
				return nil, nil, fmt.Errorf("sqlserverreader: %s has no column %q", source, n)
			}
			sel = append(sel, c)
		}
	}
	var cols []column
	for _, c := range sel {
		k, err := c.KindOf()
		if err != nil {
			return nil, nil, fmt.Errorf("sqlserverreader: %s: %w", source, err)
		}
		cols = append(cols, column{Column: c, kind: k, quoted: sqlident.SQLServer.MustQuote(c.Name)})
	}
	var pk *column
	if splitPK != "" {
		c, ok := find(splitPK)
		if !ok {
			return nil, nil, fmt.Errorf("sqlserverreader: splitPk %q is not a column of %s", splitPK, source)
		}
		k, err := c.KindOf()
		if err != nil {
			return nil, nil, fmt.Errorf("sqlserverreader: splitPk: %w", err)
		}
		if splitKind(k) == "" {
			return nil, nil, fmt.Errorf("sqlserverreader: splitPk %s is of type %s; split on an integer, string, decimal, date/time or uniqueidentifier column", c.Name, c.Decl())
		}
		pk = &column{Column: c, kind: k, quoted: sqlident.SQLServer.MustQuote(c.Name)}
	}
	return cols, pk, nil
}

func buildSchema(cols []column, keepOffsets bool) (*arrow.Schema, error) {
	var fields []arrow.Field
	for i := range cols {
		f, err := cols[i].Field()
		if err != nil {
			return nil, fmt.Errorf("sqlserverreader: %w", err)
		}
		if keepOffsets && cols[i].kind == mssqlx.KindDateTimeOffset {
			cols[i].offset = true
			off := cols[i].Name + "_offset"
			md := f.Metadata
			f.Metadata = arrow.NewMetadata(append(md.Keys(), mssqlx.MetaOffsetColumn), append(md.Values(), off))
			fields = append(fields, f, arrow.Field{Name: off, Type: arrow.PrimitiveTypes.Int16, Nullable: cols[i].Nullable,
				Metadata: arrow.NewMetadata([]string{"ferry.sqlserver.offset_of"}, []string{cols[i].Name})})
			continue
		}
		fields = append(fields, f)
	}
	return arrow.NewSchema(fields, nil), nil
}

// Schema returns the schema of the batches. Every field carries the source
// type and engine in its metadata (ferry.MetaSourceType etc.).
func (r *Reader) Schema(ctx context.Context) (*arrow.Schema, error) { return r.schema, nil }

// Consistency says which consistency the splits were given.
func (r *Reader) Consistency() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.consistency
}

// Close ends the snapshot transactions and closes the connections.
func (r *Reader) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	r.mu.Lock()
	for _, c := range r.all {
		c.ExecContext(context.Background(), "IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION")
		c.Close()
	}
	r.all = nil
	r.mu.Unlock()
	return r.db.Close()
}

// selectSQL returns the query of a split and its arguments.
func (r *Reader) selectSQL(s *splitSpec) (string, []any) {
	if r.cfg.Source.QuerySQL != "" {
		return r.cfg.Source.QuerySQL, nil
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range r.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.quoted)
	}
	b.WriteString(" FROM ")
	b.WriteString(r.table.Quoted)
	var conds []string
	var args []any
	if r.cfg.Source.Where != "" {
		conds = append(conds, "("+r.cfg.Source.Where+")")
	}
	if s != nil && r.pk != nil {
		pk := r.pk.quoted
		switch {
		case s.Null:
			conds = append(conds, pk+" IS NULL")
		default:
			if s.Lo != nil {
				args = append(args, s.bind(*s.Lo))
				conds = append(conds, fmt.Sprintf("%s >= @p%d", pk, len(args)))
			}
			if s.Hi != nil {
				args = append(args, s.bind(*s.Hi))
				conds = append(conds, fmt.Sprintf("%s < @p%d", pk, len(args)))
			}
			if s.Lo == nil && s.Hi == nil && r.pk.Nullable {
				conds = append(conds, pk+" IS NOT NULL")
			}
		}
	}
	if len(conds) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(conds, " AND "))
	}
	return b.String(), args
}

// Read streams the rows of one split. It is safe for concurrent use.
func (r *Reader) Read(ctx context.Context, s ferry.Split) (array.RecordReader, error) {
	var spec *splitSpec
	if len(s.Spec) > 0 {
		spec = new(splitSpec)
		if err := json.Unmarshal(s.Spec, spec); err != nil {
			return nil, fmt.Errorf("sqlserverreader: split %s: bad spec: %w", s.ID, err)
		}
		if spec.Whole {
			spec = nil
		}
	}
	conn, release, err := r.conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlserverreader: split %s: %w", s.ID, err)
	}
	q, args := r.selectSQL(spec)
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		release()
		return nil, fmt.Errorf("sqlserverreader: split %s of %s: %w", s.ID, r.cfg.Source.Name(), err)
	}
	if cts, err := rows.ColumnTypes(); err == nil && len(cts) != len(r.cols) {
		rows.Close()
		release()
		return nil, fmt.Errorf("sqlserverreader: split %s: the query returned %d columns, described as %d", s.ID, len(cts), len(r.cols))
	}
	rr := &recordReader{r: r, ctx: ctx, split: s.ID, rows: rows, release: release}
	rr.refs.Store(1)
	rr.vals = make([]any, len(r.cols))
	rr.raw = make([]sql.RawBytes, len(r.cols))
	rr.isRaw = make([]bool, len(r.cols))
	rr.dest = make([]any, len(r.cols))
	for i := range rr.vals {
		if rawKind(r.cols[i].kind) {
			// The driver's []byte is handed over without database/sql's
			// copy; the decoder copies it into the builder.
			rr.isRaw[i] = true
			rr.dest[i] = &rr.raw[i]
			continue
		}
		rr.dest[i] = &rr.vals[i]
	}
	rr.bld = array.NewRecordBuilder(r.mem, r.schema)
	rr.dec = make([]decoder, len(r.cols))
	f := 0
	for i := range r.cols {
		rr.dec[i] = newDecoder(&r.cols[i], rr.bld, f)
		f++
		if r.cols[i].offset {
			f++
		}
	}
	return rr, nil
}

// conn returns a connection for one split: a snapshot connection from the
// pool when Splits opened one, else a fresh one under READ COMMITTED.
func (r *Reader) conn(ctx context.Context) (*sql.Conn, func(), error) {
	r.mu.Lock()
	pool, level := r.pool, r.perSplit
	r.mu.Unlock()
	if pool == nil {
		c, err := r.db.Conn(ctx)
		if err != nil {
			return nil, nil, err
		}
		if level != "" {
			if _, err := c.ExecContext(ctx, "SET TRANSACTION ISOLATION LEVEL "+level); err != nil {
				c.Close()
				return nil, nil, err
			}
		}
		return c, func() { c.Close() }, nil
	}
	select {
	case c := <-pool:
		return c, func() { pool <- c }, nil
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
}

// rawKind reports the kinds whose driver values are []byte (decimal text,
// binary, uniqueidentifier), scanned into sql.RawBytes.
func rawKind(k mssqlx.Kind) bool {
	switch k {
	case mssqlx.KindDecimal, mssqlx.KindMoney, mssqlx.KindSmallMoney, mssqlx.KindBinary, mssqlx.KindRowVersion, mssqlx.KindGUID:
		return true
	}
	return false
}

// maxBatchBytes ends a batch early when its variable-length values reach
// it, so wide rows do not make batches huge.
const maxBatchBytes = 8 << 20

type recordReader struct {
	r       *Reader
	ctx     context.Context
	split   string
	rows    *sql.Rows
	release func()
	refs    atomic.Int64

	vals  []any
	raw   []sql.RawBytes
	isRaw []bool
	dest  []any
	bld   *array.RecordBuilder
	dec   []decoder
	cur   arrow.RecordBatch
	err   error
	row   int64
	done  bool
}

func (rr *recordReader) Schema() *arrow.Schema { return rr.r.schema }
func (rr *recordReader) Retain()               { rr.refs.Add(1) }
func (rr *recordReader) Err() error            { return rr.err }

// RecordBatch returns the current batch, valid until the next call to Next.
func (rr *recordReader) RecordBatch() arrow.RecordBatch { return rr.cur }

// Record returns the current batch.
//
// Deprecated: use RecordBatch.
func (rr *recordReader) Record() arrow.RecordBatch { return rr.cur }

func (rr *recordReader) Release() {
	if rr.refs.Add(-1) != 0 {
		return
	}
	if rr.cur != nil {
		rr.cur.Release()
		rr.cur = nil
	}
	rr.finish()
	rr.bld.Release()
}

func (rr *recordReader) finish() {
	if rr.done {
		return
	}
	rr.done = true
	rr.rows.Close()
	rr.release()
}

func (rr *recordReader) Next() bool {
	if rr.cur != nil {
		rr.cur.Release()
		rr.cur = nil
	}
	if rr.done || rr.err != nil {
		return false
	}
	n, size := 0, 0
	max := rr.r.cfg.BatchRows
	for n < max && size < maxBatchBytes && rr.rows.Next() {
		if err := rr.rows.Scan(rr.dest...); err != nil {
			return rr.fail(fmt.Errorf("sqlserverreader: split %s: row %d: %w", rr.split, rr.row, err))
		}
		for i, v := range rr.vals {
			if rr.isRaw[i] {
				if rr.raw[i] == nil {
					v = nil
				} else {
					v = []byte(rr.raw[i])
				}
			}
			sz, err := rr.dec[i](v)
			if err != nil {
				c := &rr.r.cols[i]
				return rr.fail(fmt.Errorf("sqlserverreader: %s, split %s, row %d, column %s (%s): %w", rr.r.cfg.Source.Name(), rr.split, rr.row, c.Name, c.Decl(), err))
			}
			size += sz
		}
		rr.row++
		n++
	}
	if n < max && size < maxBatchBytes {
		if err := rr.rows.Err(); err != nil {
			if cerr := rr.ctx.Err(); cerr != nil {
				err = fmt.Errorf("%w (%v)", cerr, err)
			}
			return rr.fail(fmt.Errorf("sqlserverreader: split %s: %w", rr.split, err))
		}
		if err := rr.ctx.Err(); err != nil {
			return rr.fail(fmt.Errorf("sqlserverreader: split %s: %w", rr.split, err))
		}
		rr.finish()
	}
	if n == 0 {
		return false
	}
	rr.cur = rr.bld.NewRecordBatch()
	return true
}

func (rr *recordReader) fail(err error) bool {
	rr.err = err
	rr.finish()
	for i := range rr.r.schema.Fields() {
		rr.bld.Field(i).NewArray().Release()
	}
	return false
}
