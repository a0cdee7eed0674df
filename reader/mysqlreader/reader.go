package mysqlreader

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/go-sql-driver/mysql"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/internal/mysqlx"
)

// Reader reads a MySQL or MariaDB table or query. It is safe for
// concurrent use.
type Reader struct {
	cfg   Config
	db    *sql.DB
	mem   memory.Allocator
	table mysqlx.Table // parsed Config.Table
	cols  []column

	schema    *arrow.Schema
	pkKind    kind   // kind of SplitPK
	pkNull    bool   // SplitPK is nullable
	splitNote string // why the table is one split, when it is

	mu          sync.Mutex
	pool        chan *sql.Conn // snapshot connections, nil until Splits
	alive       int            // snapshot connections not lost
	gone        chan struct{}  // closed when every snapshot connection is lost
	all         []*sql.Conn
	consistency string
	closed      atomic.Bool
}

var _ ferry.Reader = (*Reader)(nil)

// Open connects and reads the table's columns. The caller closes the Reader.
func Open(ctx context.Context, cfg Config) (*Reader, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.BatchRows == 0 {
		cfg.BatchRows = 65536
	}
	if cfg.ZeroDate == "" {
		cfg.ZeroDate = ZeroDateError
	}
	mem := cfg.Allocator
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	db, err := mysqlx.OpenDB("mysqlreader", mysqlx.Session(cfg.Conn, ""))
	if err != nil {
		return nil, err
	}
	r := &Reader{cfg: cfg, db: db, mem: mem, consistency: "none: each split is read on its own connection when it is read"}
	if cfg.Table != "" {
		r.table, _ = mysqlx.ParseTable(cfg.Table) // checked by validate
	}
	if err := r.describe(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return r, nil
}

func (r *Reader) describe(ctx context.Context) error {
	var infos []colInfo
	var err error
	if r.cfg.QuerySQL != "" {
		infos, err = queryColumns(ctx, r.db, r.cfg.QuerySQL)
	} else {
		infos, err = tableColumns(ctx, r.db, r.table)
	}
	if err != nil {
		return err
	}
	all := infos
	if len(r.cfg.Columns) > 0 {
		byName := map[string]colInfo{}
		for _, ci := range infos {
			byName[strings.ToLower(ci.name)] = ci
		}
		var sel []colInfo
		for _, n := range r.cfg.Columns {
			ci, ok := byName[strings.ToLower(n)]
			if !ok {
				return fmt.Errorf("mysqlreader: table %s has no column %q", r.cfg.Table, n)
			}
			sel = append(sel, ci)
		}
		infos = sel
	}
	fields := make([]arrow.Field, len(infos))
	for i, ci := range infos {
		col, err := r.cfg.mapColumn(ci)
		if err != nil {
			return err
		}
		r.cols = append(r.cols, col)
		fields[i] = col.field
	}
	r.schema = arrow.NewSchema(fields, nil)
	if r.cfg.SplitPK == "" && r.cfg.Table != "" {
		r.cfg.SplitPK, r.splitNote = r.defaultSplitPK(all)
	}
	if r.cfg.SplitPK != "" {
		found := false
		for _, ci := range all {
			if strings.EqualFold(ci.name, r.cfg.SplitPK) {
				c, err := r.cfg.mapColumn(ci)
				if err != nil {
					return err
				}
				r.pkKind, r.pkNull, found = c.kind, ci.nullable, true
				r.cfg.SplitPK = ci.name
			}
		}
		if !found {
			return fmt.Errorf("mysqlreader: splitPk %q is not a column of %s", r.cfg.SplitPK, r.cfg.Table)
		}
	}
	return nil
}

// defaultSplitPK returns the table's primary key when it is one integer
// column, else "" and why.
func (r *Reader) defaultSplitPK(all []colInfo) (string, string) {
	var pk []colInfo
	for _, ci := range all {
		if ci.pkPos > 0 {
			pk = append(pk, ci)
		}
	}
	switch {
	case len(pk) == 0:
		return "", "no splitPk and the table has no primary key"
	case len(pk) > 1:
		return "", fmt.Sprintf("no splitPk and the primary key has %d columns", len(pk))
	}
	c, err := r.cfg.mapColumn(pk[0])
	if err != nil || c.kind > kUint64 {
		return "", fmt.Sprintf("no splitPk and the primary key %s is %s, not an integer", pk[0].name, pk[0].colType)
	}
	return pk[0].name, ""
}

// SplitNote says why Splits made one split of the table when it asked for
// more ("no splitPk and the table has no primary key"); "" otherwise.
func (r *Reader) SplitNote() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.splitNote
}

// Schema returns the schema of the batches. Every field carries the source
// type in its metadata under "ferry.source_type".
func (r *Reader) Schema(ctx context.Context) (*arrow.Schema, error) { return r.schema, nil }

// Consistency says which consistency the splits read so far were given.
func (r *Reader) Consistency() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.consistency
}

// Close closes the snapshot connections and the connection pool.
func (r *Reader) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	r.mu.Lock()
	for _, c := range r.all {
		// End the snapshot transaction before the connection goes back to
		// the driver's pool (a cancelled read may have broken it already).
		c.ExecContext(context.Background(), "ROLLBACK")
		c.Close()
	}
	r.all = nil
	r.mu.Unlock()
	return r.db.Close()
}

// selectSQL returns the query of a split.
func (r *Reader) selectSQL(s *splitSpec) (string, []any) {
	if r.cfg.QuerySQL != "" {
		return r.cfg.QuerySQL, nil
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range r.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.expr)
	}
	b.WriteString(" FROM ")
	b.WriteString(r.table.Quoted())
	var conds []string
	var args []any
	if r.cfg.Where != "" {
		conds = append(conds, "("+r.cfg.Where+")")
	}
	if s != nil {
		pk := mysqlx.MustQuote(r.cfg.SplitPK)
		switch {
		case s.Null:
			conds = append(conds, pk+" IS NULL")
		default:
			if s.Lo != nil {
				conds = append(conds, pk+" >= ?")
				args = append(args, s.bound(s.Lo))
			}
			if s.Hi != nil {
				conds = append(conds, pk+" < ?")
				args = append(args, s.bound(s.Hi))
			}
			if s.Lo == nil && s.Hi == nil && r.pkNull {
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
			return nil, fmt.Errorf("mysqlreader: split %s: bad spec: %w", s.ID, err)
		}
		if spec.Whole {
			spec = nil
		}
	}
	conn, release, err := r.conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("mysqlreader: split %s: %w", s.ID, err)
	}
	q, args := r.selectSQL(spec)
	rr := &recordReader{r: r, ctx: ctx, split: s.ID, release: release, pin: pin(conn)}
	if err := rr.query(q, args, r.cfg.QuerySQL == "" && !r.cfg.TextProtocol); err != nil {
		rr.pin.unpin()
		release(err)
		err = fmt.Errorf("mysqlreader: split %s of %s: %w", s.ID, r.source(), err)
		if ctx.Err() == nil && mysqlx.IsConnLost(err) {
			err = ferry.Retryable(err)
		}
		return nil, err
	}
	rr.refs.Store(1)
	rr.vals = make([]driver.Value, len(r.cols))
	rr.bytes = make([]int, len(r.cols))
	rr.bld = array.NewRecordBuilder(r.mem, r.schema)
	rr.dec = make([]valueDecoder, len(r.cols))
	rr.raw = make([]*strCol, len(r.cols))
	for i := range r.cols {
		switch r.cols[i].kind {
		case kString, kBinary, kJSON:
			sc := newStrCol(r.mem, r.cols[i].field.Type)
			rr.raw[i] = sc
			rr.dec[i] = valueDecoder{text: sc.append}
			continue
		}
		rr.dec[i] = newValueDecoder(&r.cols[i], rr.bld.Field(i), r.cfg.TimeZone, r.cfg.ZeroDate == ZeroDateNull)
		if r.cols[i].kind == kTime {
			rr.tod = append(rr.tod, i)
		}
	}
	return rr, nil
}

// query runs q on the pinned driver connection. With binary, a prepared
// statement (the binary protocol), falling back to the text protocol when
// the server refuses to prepare q; else the text protocol, the arguments
// interpolated by the driver, or a prepared statement when the driver
// cannot interpolate them (driver.ErrSkip), as database/sql would.
func (rr *recordReader) query(q string, args []any, binary bool) error {
	var err error
	perr := rr.pin.do(func(dc driver.Conn) {
		nv := make([]driver.NamedValue, len(args))
		for i, a := range args {
			nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
			if c, ok := dc.(driver.NamedValueChecker); ok {
				err = c.CheckNamedValue(&nv[i])
			} else {
				nv[i].Value, err = driver.DefaultParameterConverter.ConvertValue(a)
			}
			if err != nil {
				return
			}
		}
		pc, canPrepare := dc.(driver.ConnPrepareContext)
		if binary && canPrepare {
			stmt, prepErr := pc.PrepareContext(rr.ctx, q)
			if prepErr == nil {
				err = rr.run(stmt, nv)
				return
			}
			if serr := (*mysql.MySQLError)(nil); !errors.As(prepErr, &serr) {
				err = prepErr // the connection, not the statement
				return
			}
		}
		if qc, ok := dc.(driver.QueryerContext); ok {
			rr.drows, err = qc.QueryContext(rr.ctx, q, nv)
			if err != driver.ErrSkip {
				return
			}
		}
		if !canPrepare {
			err = fmt.Errorf("the driver connection %T cannot run queries", dc)
			return
		}
		stmt, prepErr := pc.PrepareContext(rr.ctx, q)
		if prepErr != nil {
			err = prepErr
			return
		}
		err = rr.run(stmt, nv)
	})
	if perr != nil {
		return perr
	}
	return err
}

// run runs the prepared stmt with args; the statement is closed with the
// rows.
func (rr *recordReader) run(stmt driver.Stmt, args []driver.NamedValue) error {
	sq, ok := stmt.(driver.StmtQueryContext)
	if !ok {
		stmt.Close()
		return fmt.Errorf("the driver statement %T cannot run queries", stmt)
	}
	var err error
	if rr.drows, err = sq.QueryContext(rr.ctx, args); err != nil {
		stmt.Close()
		return err
	}
	rr.stmt = stmt
	return nil
}

func (r *Reader) source() string {
	if r.cfg.Table != "" {
		return r.cfg.Table
	}
	return "querySql"
}

// conn returns a connection for one split: a snapshot connection from the
// pool when Splits opened one, else a fresh one. release gives it back.
func (r *Reader) conn(ctx context.Context) (*sql.Conn, func(error), error) {
	r.mu.Lock()
	pool := r.pool
	r.mu.Unlock()
	if pool == nil {
		c, err := r.db.Conn(ctx)
		if err != nil {
			return nil, nil, err
		}
		return c, func(error) { c.Close() }, nil
	}
	select {
	case c := <-pool:
		return c, func(err error) { r.giveBack(c, err) }, nil
	case <-r.gone:
		return nil, nil, errors.New("every connection of the snapshot was lost")
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
}

// giveBack returns a snapshot connection to the pool after a split, unless
// it was lost (err): then the split may be read again on another
// connection of the same snapshot. A connection broken by a cancelled query
// goes back too: a later Read on it reports the error.
func (r *Reader) giveBack(c *sql.Conn, err error) {
	if err == nil || !mysqlx.IsConnLost(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		r.pool <- c
		return
	}
	c.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.alive--; r.alive == 0 {
		close(r.gone)
	}
}

// maxBatchBytes ends a batch early when its values' text reaches it, so
// wide rows do not make batches (and the Pipeline's in-flight memory) huge.
const maxBatchBytes = 8 << 20

// recordReader streams one split.
type recordReader struct {
	r       *Reader
	ctx     context.Context
	split   string
	release func(error)
	refs    atomic.Int64

	// The driver's rows, read on the pinned connection: vals holds one
	// row's values ([]byte views of the driver's buffer, valid until the
	// next row) and scratch the text of a value formatted for a decoder.
	pin     *pinned
	drows   driver.Rows
	stmt    driver.Stmt // when the query had to be prepared
	vals    []driver.Value
	scratch []byte
	bytes   []int // bytes of each column's values in the last batch

	bld  *array.RecordBuilder // the columns without a strCol
	raw  []*strCol            // the variable-width columns, built in their buffers
	dec  []valueDecoder
	cur  arrow.RecordBatch
	err  error
	row  int64
	last int // rows of the last batch
	done bool

	tod   []int // time-of-day columns, checked before a row is decoded
	dirty []dirty.RowError
}

var _ ferry.DirtyReporter = (*recordReader)(nil)

// TakeDirty returns the rows skipped since the last call: with TimeOfDay,
// rows whose TIME is not a time of day. Row is the row's position in the
// split (counting from 0, skipped rows included).
func (rr *recordReader) TakeDirty() []dirty.RowError {
	d := rr.dirty
	rr.dirty = nil
	return d
}

// skipRow reports whether the scanned row has a TIME outside a day in a
// time-of-day column, and records it as dirty; nothing of it is decoded.
func (rr *recordReader) skipRow() bool {
	for _, i := range rr.tod {
		v, ok := rr.vals[i].([]byte)
		if !ok {
			continue
		}
		if us, err := parseTime(v); err == nil && (us < 0 || us >= 86_400_000_000) {
			c := &rr.r.cols[i]
			rr.dirty = append(rr.dirty, dirty.RowError{Row: rr.row, Column: c.name, Value: string(v),
				Err: fmt.Errorf("mysqlreader: %s, split %s: TIME %s is not a time of day (time=time64; the default time=duration carries every TIME)", rr.r.source(), rr.split, v)})
			return true
		}
	}
	return false
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
	rr.finish(nil)
	rr.bld.Release()
	for _, sc := range rr.raw {
		if sc != nil {
			sc.release()
		}
	}
}

// finish closes the rows and gives the connection back, once.
func (rr *recordReader) finish(err error) {
	if rr.done {
		return
	}
	rr.done = true
	var cerr error
	perr := rr.pin.do(func(driver.Conn) {
		cerr = rr.drows.Close()
		if rr.stmt != nil {
			if serr := rr.stmt.Close(); cerr == nil {
				cerr = serr
			}
		}
	})
	if cerr == nil {
		cerr = perr
	}
	if uerr := rr.pin.unpin(); cerr == nil {
		cerr = uerr
	}
	if err == nil {
		err = cerr
	}
	rr.release(err)
}

func (rr *recordReader) Next() bool {
	if rr.cur != nil {
		rr.cur.Release()
		rr.cur = nil
	}
	if rr.done || rr.err != nil {
		return false
	}
	var n int
	var ended bool
	var err error
	if perr := rr.pin.do(func(driver.Conn) { n, ended, err = rr.fill() }); perr != nil {
		return rr.fail(fmt.Errorf("mysqlreader: split %s: %w", rr.split, perr))
	}
	if err != nil {
		return rr.fail(err)
	}
	if ended {
		rr.finish(nil)
	}
	if n == 0 {
		return false
	}
	rr.cur = rr.newBatch(n)
	return true
}

// newBatch returns the n rows decoded as a batch.
func (rr *recordReader) newBatch(n int) arrow.RecordBatch {
	arrs := make([]arrow.Array, len(rr.r.cols))
	for i := range arrs {
		if sc := rr.raw[i]; sc != nil {
			arrs[i] = sc.newArray()
		} else {
			arrs[i] = rr.bld.Field(i).NewArray()
		}
	}
	rec := array.NewRecordBatch(rr.r.schema, arrs, int64(n))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

// reserve sizes the builders for a batch like the last one and an eighth
// more, so that they neither grow from empty by doubling every batch nor
// double (a copy, and zeroing twice the memory) for a batch a little larger
// than the last. rows is at most the batch size.
func (rr *recordReader) reserve(rows int) {
	rows = min(rows+rows/8, max(rows, rr.r.cfg.BatchRows))
	for i := range rr.r.cols {
		if sc := rr.raw[i]; sc != nil {
			sc.reserve(rows, rr.bytes[i]+rr.bytes[i]/8)
			rr.bytes[i] = 0
			continue
		}
		fb := rr.bld.Field(i)
		fb.Reserve(rows)
		if eb, ok := fb.(*array.ExtensionBuilder); ok {
			fb = eb.Builder
		}
		if db, ok := fb.(interface{ ReserveData(int) }); ok && rr.bytes[i] > 0 {
			db.ReserveData(rr.bytes[i] + rr.bytes[i]/8)
		}
		rr.bytes[i] = 0
	}
}

// fill decodes the next batch into the builders, on the pinned
// connection. It returns the rows decoded and whether the rows ended.
func (rr *recordReader) fill() (n int, ended bool, err error) {
	size := 0
	max := rr.r.cfg.BatchRows
	if rr.last > 0 {
		rr.reserve(rr.last)
	}
	defer func() { rr.last = n }()
	for n < max && size < maxBatchBytes {
		if err := rr.drows.Next(rr.vals); err != nil {
			if err == io.EOF {
				err = nil
			} else if cerr := rr.ctx.Err(); cerr != nil {
				err = fmt.Errorf("%w (%v)", cerr, err)
			}
			if err == nil {
				err = rr.ctx.Err()
			}
			if err != nil {
				return n, true, fmt.Errorf("mysqlreader: split %s: %w", rr.split, err)
			}
			return n, true, nil
		}
		if len(rr.tod) > 0 && rr.skipRow() {
			rr.row++
			continue
		}
		for i, v := range rr.vals {
			if v == nil {
				if sc := rr.raw[i]; sc != nil {
					sc.appendNull()
				} else {
					rr.bld.Field(i).AppendNull()
				}
				continue
			}
			k, err := rr.dec[i].decode(v, &rr.scratch)
			if err != nil {
				c := &rr.r.cols[i]
				return n, false, fmt.Errorf("mysqlreader: %s, split %s, row %d, column %s (%s): %w", rr.r.source(), rr.split, rr.row, c.name, c.srcTyp, err)
			}
			size += k
			rr.bytes[i] += k
		}
		rr.row++
		n++
	}
	return n, false, nil
}

func (rr *recordReader) fail(err error) bool {
	if rr.ctx.Err() == nil && mysqlx.IsConnLost(err) {
		// the split's connection died under it (with the pooled snapshot
		// connection dropped, a retry reads on another of the snapshot)
		err = ferry.Retryable(err)
	}
	rr.err = err
	rr.finish(err)
	// Discard the partly built batch (its columns may be of uneven length).
	for i := range rr.r.cols {
		if sc := rr.raw[i]; sc != nil {
			sc.release()
		} else {
			rr.bld.Field(i).NewArray().Release()
		}
	}
	return false
}
