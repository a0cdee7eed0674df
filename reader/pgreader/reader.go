package pgreader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/bufpool"
	"github.com/ferrydata/ferry/internal/pgcopy"
	"github.com/ferrydata/ferry/internal/pgurl"
	"github.com/ferrydata/ferry/internal/sqlident"
)

// Reader reads a PostgreSQL table or query. All splits read one exported
// snapshot, held open by the Reader until Close.
type Reader struct {
	cfg       Config
	conncfg   *pgx.ConnConfig
	mem       memory.Allocator
	pool      *bufpool.Pool // the decoders' fixed-width buffers, recycled batch to batch
	conn      *pgx.Conn     // holds the snapshot's transaction
	snapshot  string
	schema    *arrow.Schema
	cols      []pgcopy.Column
	types     pgcopy.Types
	base      string // FROM clause: table or (query) alias
	sel       string // select list
	key       *pgcopy.Column
	keyInt    bool
	ctid      bool     // split by ctid block ranges
	imported  string   // the planner's snapshot, from ImportState
	pk        *string  // Table's first primary key column, if any
	baseTypes []string // format_type(oid, NULL) of cols
	mu        sync.Mutex
	closed    bool
	size      *tableSize                       // Table's size and the planner's figures, read at Open
	busy      chan struct{}                    // not nil while a split reads on conn; closed when it is done
	stop      func()                           // cancels the split reading on conn
	lost      bool                             // a split read on conn failed: its snapshot transaction is gone
	raw       atomic.Pointer[pgcopy.RawSource] // set by Passthrough: splits read as RawBatch values
}

var _ ferry.Reader = (*Reader)(nil)

// Open connects, starts the snapshot transaction and resolves the schema.
func Open(ctx context.Context, cfg Config) (*Reader, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cc, err := pgurl.ParseConfig("pgreader", cfg.ConnString, cfg.ReadTimeout)
	if err != nil {
		return nil, err
	}
	r := &Reader{cfg: cfg, conncfg: cc, mem: cfg.Allocator}
	if r.mem == nil {
		r.mem = memory.DefaultAllocator
	}
	r.pool = bufpool.New(r.mem, poolBytes)
	if r.cfg.BatchRows == 0 {
		r.cfg.BatchRows = 65536
	}
	r.conn, err = pgurl.Connect(ctx, "pgreader", cc)
	if err != nil {
		return nil, err
	}
	if err := r.init(ctx); err != nil {
		r.conn.Close(context.Background())
		return nil, err
	}
	return r, nil
}

func (r *Reader) what() string {
	if r.cfg.Table != "" {
		return "table " + r.cfg.Table
	}
	return "querySql"
}

func (r *Reader) init(ctx context.Context) error {
	c := r.conn
	// one round trip: begin and export (the simple protocol runs both)
	res, err := c.PgConn().Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot()").ReadAll()
	if err != nil {
		return fmt.Errorf("pgreader: begin and export snapshot: %w", err)
	}
	if len(res) != 2 || len(res[1].Rows) != 1 || len(res[1].Rows[0]) != 1 {
		return errors.New("pgreader: export snapshot: no snapshot id")
	}
	r.snapshot = string(res[1].Rows[0][0])
	if r.cfg.Table != "" {
		var err error
		if r.base, err = sqlident.PostgreSQL.QuoteQualified(r.cfg.Table); err != nil {
			return fmt.Errorf("pgreader: table %q: %w", r.cfg.Table, err)
		}
		if len(r.cfg.Columns) > 0 {
			if r.sel, err = sqlident.PostgreSQL.QuoteList(r.cfg.Columns); err != nil {
				return fmt.Errorf("pgreader: columns: %w", err)
			}
		} else {
			r.sel = "*"
		}
		// in one round trip: whether it exists, the first primary key column
		// (for pickKey), its size (for Splits) and the planner's figures
		// (for Estimate), all read inside the snapshot
		var found *uint32
		var sz tableSize
		if err := c.QueryRow(ctx, `SELECT t.oid::oid, (SELECT a.attname::text FROM pg_catalog.pg_index i
			JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
			WHERE i.indrelid = t.oid AND i.indisprimary),
			coalesce(c.reltuples::float8, -1), coalesce(c.relpages::int8, 0),
			coalesce(pg_relation_size(t.oid) / current_setting('block_size')::int8, 0),
			coalesce(pg_total_relation_size(t.oid), 0), coalesce(pg_table_size(t.oid), 0)
			FROM (SELECT to_regclass($1) AS oid) t LEFT JOIN pg_catalog.pg_class c ON c.oid = t.oid`, r.base).Scan(
			&found, &r.pk, &sz.tuples, &sz.pages, &sz.curPages, &sz.total, &sz.table); err != nil {
			return fmt.Errorf("pgreader: table %s: %w", r.cfg.Table, err)
		}
		if found == nil {
			return fmt.Errorf("pgreader: table %s does not exist (a name with dots or capitals is written \"My.Schema\".\"Table\")", r.cfg.Table)
		}
		r.size = &sz
	} else {
		r.base = "(" + r.cfg.QuerySQL + ") AS ferry_q"
		r.sel = "*"
	}
	sd, err := c.Prepare(ctx, "", "SELECT "+r.sel+" FROM "+r.base)
	if err != nil {
		return fmt.Errorf("pgreader: describe %s: %w", r.what(), err)
	}
	n := len(sd.Fields)
	oids := make([]uint32, n)
	mods := make([]int32, n)
	tabs := make([]uint32, n)
	atts := make([]int16, n)
	for i, f := range sd.Fields {
		oids[i], mods[i], tabs[i], atts[i] = f.DataTypeOID, f.TypeModifier, f.TableOID, int16(f.TableAttributeNumber)
	}
	rows, err := c.Query(ctx, `SELECT format_type(o, m), coalesce((SELECT attnotnull FROM pg_catalog.pg_attribute WHERE attrelid = t AND attnum = a), false),
			t <> 0 AND a > 0,
			(SELECT k.o FROM pg_catalog.pg_index pi, unnest(pi.indkey::int2[]) WITH ORDINALITY k(n, o) WHERE pi.indrelid = t AND pi.indisprimary AND k.n = a),
			CASE WHEN o IN (1042, 1043) AND m >= 4 THEN m - 4 END, format_type(o, NULL)
		FROM unnest($1::oid[], $2::int4[], $3::oid[], $4::int2[]) WITH ORDINALITY AS x(o, m, t, a, i) ORDER BY i`, oids, mods, tabs, atts)
	if err != nil {
		return fmt.Errorf("pgreader: describe %s: %w", r.what(), err)
	}
	type colMeta struct {
		table   bool
		pk      *int64
		charLen *int32
		base    string // format_type without the modifier, for a split key
	}
	var metas []colMeta
	for i := 0; rows.Next(); i++ {
		col := pgcopy.Column{Name: sd.Fields[i].Name, OID: oids[i], TypMod: mods[i]}
		var m colMeta
		if err := rows.Scan(&col.SourceType, &col.NotNull, &m.table, &m.pk, &m.charLen, &m.base); err != nil {
			rows.Close()
			return fmt.Errorf("pgreader: describe %s: %w", r.what(), err)
		}
		r.cols = append(r.cols, col)
		r.baseTypes = append(r.baseTypes, m.base)
		metas = append(metas, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("pgreader: describe %s: %w", r.what(), err)
	}
	if r.types, err = pgcopy.LoadTypes(ctx, c, oids); err != nil {
		return fmt.Errorf("pgreader: %w", err)
	}
	fields := make([]arrow.Field, n)
	for i, col := range r.cols {
		if fields[i], err = pgcopy.Field(col, r.types); err != nil {
			return fmt.Errorf("pgreader: %s: %w", r.what(), err)
		}
		fields[i].Metadata = fieldMeta(fields[i].Metadata, col, metas[i].table, metas[i].pk, metas[i].charLen)
	}
	r.schema = arrow.NewSchema(fields, nil)
	return r.pickKey(ctx)
}

// fieldMeta adds ferry's source metadata (meta.go) to a field's: the engine
// always, and for a column of a table NOT NULL, its primary key position
// and its declared character length.
func fieldMeta(md arrow.Metadata, col pgcopy.Column, table bool, pk *int64, charLen *int32) arrow.Metadata {
	keys := append([]string(nil), md.Keys()...)
	vals := append([]string(nil), md.Values()...)
	add := func(k, v string) { keys, vals = append(keys, k), append(vals, v) }
	add(ferry.MetaSourceEngine, ferry.EnginePostgreSQL)
	if table {
		if col.NotNull {
			add(ferry.MetaNotNull, "true")
		}
		if pk != nil {
			add(ferry.MetaPrimaryKey, strconv.FormatInt(*pk, 10))
		}
		if charLen != nil {
			add(ferry.MetaCharLength, strconv.Itoa(int(*charLen)))
		}
	}
	return arrow.NewMetadata(keys, vals)
}

// pickKey chooses the split key: SplitPK, else the first primary key column
// of Table, else ctid (Table only).
func (r *Reader) pickKey(ctx context.Context) error {
	name := r.cfg.SplitPK
	if name == "" && r.cfg.Table != "" && r.pk != nil {
		name = *r.pk
	}
	if name == "" {
		r.ctid = r.cfg.Table != ""
		return nil
	}
	for i, c := range r.cols { // a selected column: its type is known
		if c.Name == name {
			r.key = &pgcopy.Column{Name: name, OID: c.OID, SourceType: r.baseTypes[i]}
			r.keyInt = c.OID == pgcopy.OIDInt2 || c.OID == pgcopy.OIDInt4 || c.OID == pgcopy.OIDInt8
			return nil
		}
	}
	var keyType string
	qn, err := sqlident.PostgreSQL.Quote(name)
	if err != nil {
		return fmt.Errorf("pgreader: splitPk: %w", err)
	}
	sd, err := r.conn.Prepare(ctx, "", "SELECT "+qn+" FROM "+r.base)
	if err != nil {
		return fmt.Errorf("pgreader: splitPk %q of %s: %w", name, r.what(), err)
	}
	oid := sd.Fields[0].DataTypeOID
	if err := r.conn.QueryRow(ctx, "SELECT format_type($1, NULL)", oid).Scan(&keyType); err != nil {
		return fmt.Errorf("pgreader: splitPk %q: %w", name, err)
	}
	r.key = &pgcopy.Column{Name: name, OID: oid, SourceType: keyType}
	r.keyInt = oid == pgcopy.OIDInt2 || oid == pgcopy.OIDInt4 || oid == pgcopy.OIDInt8
	return nil
}

// Schema returns the schema of the batches.
func (r *Reader) Schema(ctx context.Context) (*arrow.Schema, error) { return r.schema, nil }

// Snapshot returns the exported snapshot every split reads.
func (r *Reader) Snapshot() string { return r.snapshot }

// splitSpec is the JSON Spec of a split. Lo and Hi are the key bounds in
// their text form (Lo inclusive, Hi exclusive, nil = open); Null selects the
// rows whose key is NULL; CtidLo/CtidHi are block ranges.
type splitSpec struct {
	All    bool    `json:"all,omitempty"`
	Lo     *string `json:"lo,omitempty"`
	Hi     *string `json:"hi,omitempty"`
	Null   bool    `json:"null,omitempty"`
	Ctid   bool    `json:"ctid,omitempty"`
	CtidLo *int64  `json:"ctidLo,omitempty"`
	CtidHi *int64  `json:"ctidHi,omitempty"`
}

func (r *Reader) name() string {
	if r.cfg.Table != "" {
		return r.cfg.Table
	}
	return "query"
}

// SmallTable is the size (pg_table_size, TOAST included) below which a
// table is read as one split unless Config.Splits asks for more: planning
// and opening more connections would cost more than they save.
const SmallTable = 256 << 10

// Splits cuts the source into key ranges (integer keys evenly between min
// and max, other keys at sampled quantiles), a split of its own for NULL
// keys, or ctid block ranges when there is no usable key. A table smaller
// than SmallTable is one split, unless Config.Splits is set.
func (r *Reader) Splits(ctx context.Context, hint int) ([]ferry.Split, error) {
	n := hint
	if r.cfg.Splits > 0 {
		n = r.cfg.Splits
	}
	if n <= 1 || (r.key == nil && !r.ctid) {
		return mkSplits(r.name(), []splitSpec{{All: true}})
	}
	if r.cfg.Splits == 0 && r.cfg.Table != "" {
		if r.size.table < SmallTable {
			return mkSplits(r.name(), []splitSpec{{All: true}})
		}
	}
	var specs []splitSpec
	where := r.userWhere()
	switch {
	case r.key == nil: // ctid
		var blocks int64
		if err := r.conn.QueryRow(ctx, "SELECT pg_relation_size($1::regclass) / current_setting('block_size')::int", r.base).Scan(&blocks); err != nil {
			return nil, fmt.Errorf("pgreader: size of %s: %w", r.what(), err)
		}
		step := (blocks + int64(n) - 1) / int64(n)
		if step < 1 {
			step = 1
		}
		for lo := int64(0); lo < blocks || lo == 0; lo += step {
			s := splitSpec{Ctid: true}
			if lo > 0 {
				s.CtidLo = ptr(lo)
			}
			if lo+step < blocks {
				s.CtidHi = ptr(lo + step)
			}
			specs = append(specs, s)
			if s.CtidHi == nil {
				break
			}
		}
	case r.keyInt:
		var lo, hi *int64
		k := quote(r.key.Name)
		if err := r.conn.QueryRow(ctx, "SELECT min("+k+")::int8, max("+k+")::int8 FROM "+r.base+where).Scan(&lo, &hi); err != nil {
			return nil, fmt.Errorf("pgreader: key range of %s: %w", r.what(), err)
		}
		var bounds []string
		if lo != nil {
			span := uint64(*hi - *lo)
			step := span/uint64(n) + 1
			for i := 1; i < n; i++ {
				b := *lo + int64(step*uint64(i))
				if b > *hi || b <= *lo {
					break
				}
				bounds = append(bounds, strconv.FormatInt(b, 10))
			}
		}
		specs = rangeSpecs(bounds)
	default:
		k := quote(r.key.Name)
		fr := make([]string, n-1)
		for i := range fr {
			fr[i] = strconv.FormatFloat(float64(i+1)/float64(n), 'f', -1, 64)
		}
		var bounds []*string
		q := "SELECT percentile_disc(ARRAY[" + strings.Join(fr, ",") + "]::float8[]) WITHIN GROUP (ORDER BY " + k + ")::text[] FROM " + r.base + where
		if err := r.conn.QueryRow(ctx, q).Scan(&bounds); err != nil {
			return nil, fmt.Errorf("pgreader: key quantiles of %s: %w", r.what(), err)
		}
		var bs []string
		for _, b := range bounds {
			if b != nil && (len(bs) == 0 || bs[len(bs)-1] != *b) {
				bs = append(bs, *b)
			}
		}
		specs = rangeSpecs(bs)
	}
	if r.key != nil {
		specs = append(specs, splitSpec{Null: true})
	}
	return mkSplits(r.name(), specs)
}

func ptr[T any](v T) *T { return &v }

func rangeSpecs(bounds []string) []splitSpec {
	specs := make([]splitSpec, 0, len(bounds)+1)
	var lo *string
	for _, b := range bounds {
		specs = append(specs, splitSpec{Lo: lo, Hi: ptr(b)})
		lo = ptr(b)
	}
	return append(specs, splitSpec{Lo: lo})
}

func mkSplits(name string, specs []splitSpec) ([]ferry.Split, error) {
	out := make([]ferry.Split, len(specs))
	for i, s := range specs {
		b, err := json.Marshal(s)
		if err != nil {
			return nil, fmt.Errorf("pgreader: %w", err)
		}
		id := name
		switch {
		case s.All:
		case s.Null:
			id += "[null]"
		case s.Ctid:
			id += fmt.Sprintf("[blocks %s,%s)", optInt(s.CtidLo), optInt(s.CtidHi))
		default:
			id += fmt.Sprintf("[%s,%s)", optStr(s.Lo), optStr(s.Hi))
		}
		out[i] = ferry.Split{ID: id, Spec: b}
	}
	return out, nil
}

func optInt(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func optStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (r *Reader) userWhere() string {
	if r.cfg.Where != "" {
		return " WHERE (" + r.cfg.Where + ")"
	}
	return ""
}

// query returns the SELECT of one split.
func (r *Reader) query(s splitSpec) (string, error) {
	var conds []string
	if r.cfg.Where != "" {
		conds = append(conds, "("+r.cfg.Where+")")
	}
	switch {
	case s.All:
	case s.Ctid:
		if r.cfg.Table == "" {
			return "", errors.New("pgreader: ctid split of a query")
		}
		if s.CtidLo != nil {
			conds = append(conds, fmt.Sprintf("ctid >= '(%d,0)'::tid", *s.CtidLo))
		}
		if s.CtidHi != nil {
			conds = append(conds, fmt.Sprintf("ctid < '(%d,0)'::tid", *s.CtidHi))
		}
	default:
		if r.key == nil {
			return "", errors.New("pgreader: key split but no key")
		}
		k := quote(r.key.Name)
		if s.Null {
			conds = append(conds, k+" IS NULL")
			break
		}
		// the bounds come from a split spec, maybe shipped from another
		// process: literals, cast to the key's catalog type
		if s.Lo != nil {
			lit, err := literal(*s.Lo)
			if err != nil {
				return "", fmt.Errorf("pgreader: split bound: %w", err)
			}
			conds = append(conds, k+" >= "+lit+"::"+r.key.SourceType)
		}
		if s.Hi != nil {
			lit, err := literal(*s.Hi)
			if err != nil {
				return "", fmt.Errorf("pgreader: split bound: %w", err)
			}
			conds = append(conds, k+" < "+lit+"::"+r.key.SourceType)
		}
		if s.Lo == nil && s.Hi == nil {
			conds = append(conds, k+" IS NOT NULL")
		}
	}
	q := "SELECT " + r.sel + " FROM " + r.base
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	return q, nil
}

// Read streams one split through COPY (...) TO STDOUT (FORMAT binary) on its
// own connection, inside the Reader's snapshot.
func (r *Reader) Read(ctx context.Context, sp ferry.Split) (array.RecordReader, error) {
	var s splitSpec
	if err := json.Unmarshal(sp.Spec, &s); err != nil {
		return nil, fmt.Errorf("pgreader: split %s: bad spec: %w", sp.ID, err)
	}
	q, err := r.query(s)
	if err != nil {
		return nil, err
	}
	conn, borrowed, fresh := r.borrow(s)
	if conn == nil {
		if conn, err = pgurl.Connect(ctx, "pgreader", r.conncfg); err != nil {
			return nil, ferry.Retryable(fmt.Errorf("pgreader: split %s: %w", sp.ID, err))
		}
		if fresh {
			_, err = pgurl.Exec(ctx, conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
		} else {
			err = r.setSnapshot(ctx, conn, r.readSnapshot())
		}
		if err != nil {
			conn.Close(context.Background())
			return nil, fmt.Errorf("pgreader: split %s: %w", sp.ID, err)
		}
	}
	rctx, cancel := context.WithCancel(ctx)
	rr := &recordReader{schema: r.schema, ch: make(chan arrow.RecordBatch), done: make(chan struct{}), cancel: cancel, ctx: ctx}
	rr.refs.Store(1)
	emit := func(b arrow.RecordBatch) error {
		select {
		case rr.ch <- b:
			return nil
		case <-rctx.Done():
			b.Release()
			return rctx.Err()
		}
	}
	var dec copySink
	if src := r.raw.Load(); src != nil {
		dec = pgcopy.NewSplitter(src, r.cfg.BatchRows, func(b *pgcopy.RawBatch) error { return emit(b) })
	} else {
		d, err := pgcopy.NewDecoder(r.mem, r.schema, r.cols, r.types, r.cfg.BatchRows, emit)
		if err != nil {
			cancel()
			if borrowed {
				r.giveBack(true)
			} else {
				conn.Close(context.Background())
			}
			return nil, fmt.Errorf("pgreader: %w", err)
		}
		d.RecycleBuffers(r.pool)
		dec = d
	}
	if borrowed {
		r.mu.Lock()
		r.stop = cancel
		r.mu.Unlock()
	}
	go func() {
		defer close(rr.done)
		defer close(rr.ch)
		defer dec.Release()
		sink := &sinkErr{copySink: dec}
		_, err := conn.PgConn().CopyTo(rctx, sink, "COPY ("+q+") TO STDOUT (FORMAT binary)")
		if err == nil {
			err = dec.Flush()
		}
		// the connection died under the stream (a server restart, a
		// network fault), not because the rows were bad or the read was
		// stopped: reading the split again may work
		lost := err != nil && sink.err == nil && rctx.Err() == nil && conn.PgConn().IsClosed()
		if borrowed {
			r.giveBack(err == nil)
		} else {
			conn.Close(context.Background())
		}
		if err != nil {
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			err = fmt.Errorf("pgreader: split %s of %s: %w", sp.ID, r.what(), err)
			if lost {
				err = ferry.Retryable(err)
			}
			rr.err = err
		}
	}()
	return rr, nil
}

// copySink takes a split's COPY stream: a Decoder, or a Splitter when the
// writer takes the rows as they are.
type copySink interface {
	Write(p []byte) (int, error)
	Flush() error
	Release()
}

// sinkErr remembers the error of the sink's Write (a value that cannot be
// decoded, a consumer that stopped), which is no reason to read again.
type sinkErr struct {
	copySink
	err error
}

func (s *sinkErr) Write(p []byte) (int, error) {
	n, err := s.copySink.Write(p)
	if err != nil {
		s.err = err
	}
	return n, err
}

// Passthrough makes the splits read from now on hand out their rows as
// binary COPY tuples (pgcopy.RawBatch), decoded only when a column is
// asked for, when format is the PassthroughFormat of the source's columns:
// every column of a built-in type, the same as the destination's (see
// ferry.PassthroughWriter). Any other format turns it off again.
func (r *Reader) Passthrough(format string) bool {
	cols := r.cols[:r.schema.NumFields()]
	if format == "" || format != pgcopy.PassthroughFormat(cols) {
		r.raw.Store(nil)
		return false
	}
	r.raw.Store(&pgcopy.RawSource{Mem: r.mem, Pool: r.pool, Schema: r.schema, Cols: cols, Types: r.types, Format: format})
	return true
}

// borrow returns the Reader's own connection for a split that reads the
// whole source (the only split), which then reads inside the snapshot
// transaction itself: no connection of its own, no SET TRANSACTION
// SNAPSHOT. It returns nil when the connection is busy, closed or lost, or
// the splits read an imported snapshot; fresh then says that the split is
// the whole source and the snapshot is gone with the lost connection, so
// that a retry reads on a snapshot of its own.
func (r *Reader) borrow(s splitSpec) (conn *pgx.Conn, borrowed, fresh bool) {
	if !s.All {
		return nil, false, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.imported != "" || r.closed || r.busy != nil {
		return nil, false, false
	}
	if r.lost {
		return nil, false, true
	}
	r.busy = make(chan struct{})
	return r.conn, true, false
}

// giveBack ends a borrow; a failed read leaves the connection lost (its
// transaction aborted, or the connection closed by a cancellation).
func (r *Reader) giveBack(ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !ok {
		r.lost = true
	}
	close(r.busy)
	r.busy, r.stop = nil, nil
}

// Close ends the snapshot transaction and closes the connection, after a
// split reading on it has finished.
func (r *Reader) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	busy, stop := r.busy, r.stop
	r.mu.Unlock()
	if busy != nil {
		if stop != nil {
			stop()
		}
		<-busy
	}
	r.pool.Close()
	return r.conn.Close(context.Background())
}

// poolBytes is how much of released batches' column buffers a Reader
// keeps for the next batches: a few batches' worth.
const poolBytes = 64 << 20

type recordReader struct {
	refs   atomic.Int64
	schema *arrow.Schema
	ch     chan arrow.RecordBatch
	done   chan struct{}
	cancel context.CancelFunc
	ctx    context.Context
	cur    arrow.RecordBatch
	err    error // set by the producer before done closes
	fin    bool
}

var _ array.RecordReader = (*recordReader)(nil)

func (rr *recordReader) Retain()               { rr.refs.Add(1) }
func (rr *recordReader) Schema() *arrow.Schema { return rr.schema }

func (rr *recordReader) Release() {
	if rr.refs.Add(-1) != 0 {
		return
	}
	rr.cancel()
	for b := range rr.ch {
		b.Release()
	}
	<-rr.done
	if rr.cur != nil {
		rr.cur.Release()
		rr.cur = nil
	}
}

func (rr *recordReader) Next() bool {
	if rr.cur != nil {
		rr.cur.Release()
		rr.cur = nil
	}
	if rr.fin {
		return false
	}
	b, ok := <-rr.ch
	if !ok {
		<-rr.done
		rr.fin = true
		return false
	}
	rr.cur = b
	return true
}

func (rr *recordReader) RecordBatch() arrow.RecordBatch { return rr.cur }

// Record returns the current batch (deprecated name of RecordBatch).
func (rr *recordReader) Record() arrow.RecordBatch { return rr.cur }

func (rr *recordReader) Err() error {
	if !rr.fin {
		return nil
	}
	return rr.err
}
