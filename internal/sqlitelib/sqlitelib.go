// Package sqlitelib is a small binding of modernc.org/sqlite/lib (the SQLite
// C library transpiled to Go) for sqlitereader and sqlitewriter: connections
// opened SQLITE_OPEN_NOMUTEX, because each is used by one goroutine at a
// time (a reader's split, the writer's mutex), and statements bound and read
// straight from Go values, without database/sql's boxing, the driver's
// per-parameter name lookups and one C string allocation per value.
// modernc.org/sqlite's driver opens every connection SQLITE_OPEN_FULLMUTEX,
// and the emulated pthread mutex it then takes on every call was about a
// third of the CPU of a SQLite-to-SQLite copy.
//
// A Conn and its Stmts must not be used by two goroutines at once.
package sqlitelib

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// Error is an SQLite error: the extended result code and the message.
type Error struct {
	Code int
	Msg  string
}

// Error is the message and the code, as modernc.org/sqlite writes them.
func (e *Error) Error() string { return fmt.Sprintf("%s (%d)", e.Msg, e.Code) }

// Primary is the primary result code (Code & 0xff).
func (e *Error) Primary() int { return e.Code & 0xff }

// Conn is one database connection.
type Conn struct {
	tls *libc.TLS
	db  uintptr
	// buf is C memory for the text and blob values of one execution; they
	// are bound SQLITE_STATIC and live until the next execution rebinds.
	buf    uintptr
	bufCap int

	imu  sync.Mutex // guards itls: interrupts come from another goroutine
	itls *libc.TLS
}

// Open opens (or creates) the database file path read-write, NOMUTEX, with
// extended result codes and a busy timeout.
func Open(path string, busyMillis int) (*Conn, error) {
	return open(path, sqlite3.SQLITE_OPEN_READWRITE|sqlite3.SQLITE_OPEN_CREATE, busyMillis)
}

// OpenReadOnly opens the existing database file path read-only, NOMUTEX.
func OpenReadOnly(path string, busyMillis int) (*Conn, error) {
	return open(path, sqlite3.SQLITE_OPEN_READONLY, busyMillis)
}

func open(path string, mode int32, busyMillis int) (*Conn, error) {
	tls := libc.NewTLS()
	c := &Conn{tls: tls}
	name, err := libc.CString(path)
	if err != nil {
		tls.Close()
		return nil, err
	}
	defer libc.Xfree(tls, name)
	pdb := libc.Xmalloc(tls, 8)
	if pdb == 0 {
		tls.Close()
		return nil, errors.New("sqlitelib: out of memory")
	}
	defer libc.Xfree(tls, pdb)
	*(*uintptr)(cptr(pdb)) = 0
	flags := mode | sqlite3.SQLITE_OPEN_NOMUTEX
	rc := sqlite3.Xsqlite3_open_v2(tls, name, pdb, flags, 0)
	c.db = *(*uintptr)(cptr(pdb))
	if rc != sqlite3.SQLITE_OK {
		err := c.err(rc)
		if c.db != 0 {
			sqlite3.Xsqlite3_close_v2(tls, c.db)
		}
		tls.Close()
		return nil, err
	}
	sqlite3.Xsqlite3_extended_result_codes(tls, c.db, 1)
	sqlite3.Xsqlite3_busy_timeout(tls, c.db, int32(busyMillis))
	return c, nil
}

func (c *Conn) err(rc int32) error {
	if c.db == 0 {
		return &Error{Code: int(rc), Msg: libc.GoString(sqlite3.Xsqlite3_errstr(c.tls, rc))}
	}
	code := sqlite3.Xsqlite3_extended_errcode(c.tls, c.db)
	if code&0xff != rc&0xff {
		code = rc
	}
	return &Error{Code: int(code), Msg: libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db))}
}

// Close closes the connection; its statements must be closed first.
func (c *Conn) Close() error {
	// imu: an interrupt that fires now must not reach a closed handle.
	c.imu.Lock()
	defer c.imu.Unlock()
	if c.db == 0 {
		return nil
	}
	rc := sqlite3.Xsqlite3_close_v2(c.tls, c.db)
	var err error
	if rc != sqlite3.SQLITE_OK {
		err = c.err(rc)
	}
	c.db = 0
	if c.buf != 0 {
		libc.Xfree(c.tls, c.buf)
		c.buf, c.bufCap = 0, 0
	}
	c.tls.Close()
	if c.itls != nil {
		c.itls.Close()
		c.itls = nil
	}
	return err
}

// interruptOn makes a cancelled ctx interrupt the statement running on c
// until the returned stop is called.
func (c *Conn) interruptOn(ctx context.Context) (stop func() bool) {
	if ctx.Done() == nil {
		return func() bool { return true }
	}
	return context.AfterFunc(ctx, func() {
		c.imu.Lock()
		defer c.imu.Unlock()
		if c.db == 0 {
			return
		}
		if c.itls == nil {
			c.itls = libc.NewTLS()
		}
		sqlite3.Xsqlite3_interrupt(c.itls, c.db)
	})
}

// Stmt is a prepared statement of one SQL statement.
type Stmt struct {
	c      *Conn
	p      uintptr
	nparam int
	ncol   int
	b      *Binder
}

// Prepare prepares sql, which must be exactly one statement: text after
// the first statement is an error (so names can never stack a statement).
func (c *Conn) Prepare(sql string) (*Stmt, error) {
	z, err := libc.CString(sql)
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(c.tls, z)
	pp := libc.Xmalloc(c.tls, 16)
	if pp == 0 {
		return nil, errors.New("sqlitelib: out of memory")
	}
	defer libc.Xfree(c.tls, pp)
	rc := sqlite3.Xsqlite3_prepare_v2(c.tls, c.db, z, int32(len(sql)+1), pp, pp+8)
	if rc != sqlite3.SQLITE_OK {
		return nil, c.err(rc)
	}
	p := *(*uintptr)(cptr(pp))
	tail := *(*uintptr)(cptr(pp + 8))
	if p == 0 {
		return nil, errors.New("sqlitelib: no SQL statement")
	}
	// What follows the first statement may be white space, semicolons and
	// comments only: SQLite prepares no statement from it.
	for tail != 0 && *(*byte)(cptr(tail)) != 0 {
		rc := sqlite3.Xsqlite3_prepare_v2(c.tls, c.db, tail, -1, pp, pp+8)
		next := *(*uintptr)(cptr(pp))
		if rc != sqlite3.SQLITE_OK || next != 0 {
			if next != 0 {
				sqlite3.Xsqlite3_finalize(c.tls, next)
			}
			sqlite3.Xsqlite3_finalize(c.tls, p)
			return nil, fmt.Errorf("sqlitelib: more than one statement in %q", sql)
		}
		rest := *(*uintptr)(cptr(pp + 8))
		if rest == tail {
			break
		}
		tail = rest
	}
	return &Stmt{c: c, p: p, nparam: int(sqlite3.Xsqlite3_bind_parameter_count(c.tls, p)), ncol: int(sqlite3.Xsqlite3_column_count(c.tls, p))}, nil
}

// Close finalizes the statement.
func (s *Stmt) Close() error {
	if s.p == 0 {
		return nil
	}
	sqlite3.Xsqlite3_finalize(s.c.tls, s.p)
	s.p = 0
	return nil
}

// NumParams is the number of parameters.
func (s *Stmt) NumParams() int { return s.nparam }

// Exec binds args (nil, int64, float64, string, []byte), runs the
// statement to completion and resets it. A string or []byte must stay
// unchanged only during the call.
func (s *Stmt) Exec(ctx context.Context, args []any) error {
	if len(args) != s.nparam {
		return fmt.Errorf("sqlitelib: %d arguments for %d parameters", len(args), s.nparam)
	}
	if err := s.bind(args); err != nil {
		return err
	}
	return s.run(ctx)
}

// run steps the bound statement to completion and resets it.
func (s *Stmt) run(ctx context.Context) error {
	stop := s.c.interruptOn(ctx)
	defer stop()
	tls := s.c.tls
	for {
		rc := sqlite3.Xsqlite3_step(tls, s.p)
		switch rc {
		case sqlite3.SQLITE_ROW:
			continue
		case sqlite3.SQLITE_DONE:
			sqlite3.Xsqlite3_reset(tls, s.p)
			return nil
		}
		err := s.c.err(rc)
		sqlite3.Xsqlite3_reset(tls, s.p)
		if cerr := ctx.Err(); cerr != nil && err.(*Error).Primary() == sqlite3.SQLITE_INTERRUPT {
			return fmt.Errorf("%w (%v)", cerr, err)
		}
		return err
	}
}

// bind copies the text and blob values into the connection's buffer (one
// allocation, grown as needed) and binds every value.
func (s *Stmt) bind(args []any) error {
	c, tls := s.c, s.c.tls
	need := 0
	for _, a := range args {
		switch v := a.(type) {
		case string:
			need += len(v)
		case []byte:
			need += len(v)
		}
	}
	if need > c.bufCap {
		if c.buf != 0 {
			libc.Xfree(tls, c.buf)
		}
		n := max(need, 2*c.bufCap, 4096)
		c.buf = libc.Xmalloc(tls, libc.Tsize_t(n))
		if c.buf == 0 {
			c.bufCap = 0
			return errors.New("sqlitelib: out of memory")
		}
		c.bufCap = n
	}
	mem := unsafe.Slice((*byte)(cptr(c.buf)), c.bufCap)
	off := 0
	for i, a := range args {
		idx := int32(i + 1)
		var rc int32
		switch v := a.(type) {
		case nil:
			rc = sqlite3.Xsqlite3_bind_null(tls, s.p, idx)
		case int64:
			rc = sqlite3.Xsqlite3_bind_int64(tls, s.p, idx, v)
		case float64:
			rc = sqlite3.Xsqlite3_bind_double(tls, s.p, idx, v)
		case string:
			copy(mem[off:], v)
			rc = sqlite3.Xsqlite3_bind_text(tls, s.p, idx, c.buf+uintptr(off), int32(len(v)), 0)
			off += len(v)
		case []byte:
			if len(v) == 0 {
				rc = sqlite3.Xsqlite3_bind_zeroblob(tls, s.p, idx, 0)
				break
			}
			copy(mem[off:], v)
			rc = sqlite3.Xsqlite3_bind_blob(tls, s.p, idx, c.buf+uintptr(off), int32(len(v)), 0)
			off += len(v)
		case bool:
			var b int64
			if v {
				b = 1
			}
			rc = sqlite3.Xsqlite3_bind_int64(tls, s.p, idx, b)
		default:
			return fmt.Errorf("sqlitelib: cannot bind a %T", a)
		}
		if rc != sqlite3.SQLITE_OK {
			return c.err(rc)
		}
	}
	return nil
}

// Query runs the statement with args and returns every row (nil, int64,
// float64, string or []byte per column). For catalog queries and pragmas:
// small results.
func (s *Stmt) Query(ctx context.Context, args []any) ([][]any, error) {
	if len(args) != s.nparam {
		return nil, fmt.Errorf("sqlitelib: %d arguments for %d parameters", len(args), s.nparam)
	}
	if err := s.bind(args); err != nil {
		return nil, err
	}
	stop := s.c.interruptOn(ctx)
	defer stop()
	tls := s.c.tls
	defer sqlite3.Xsqlite3_reset(tls, s.p)
	var out [][]any
	for {
		rc := sqlite3.Xsqlite3_step(tls, s.p)
		switch rc {
		case sqlite3.SQLITE_DONE:
			return out, nil
		case sqlite3.SQLITE_ROW:
		default:
			return nil, s.c.err(rc)
		}
		row := make([]any, s.ncol)
		s.values(row)
		out = append(out, row)
	}
}

// Exec prepares, runs and finalizes one statement.
func (c *Conn) Exec(ctx context.Context, sql string, args ...any) error {
	s, err := c.Prepare(sql)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Exec(ctx, args)
}

// Query prepares, runs and finalizes one query, returning every row.
func (c *Conn) Query(ctx context.Context, sql string, args ...any) ([][]any, error) {
	s, err := c.Prepare(sql)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.Query(ctx, args)
}

// NumColumns is the number of result columns.
func (s *Stmt) NumColumns() int { return s.ncol }

// ColumnName is the name of result column i.
func (s *Stmt) ColumnName(i int) string {
	return libc.GoString(sqlite3.Xsqlite3_column_name(s.c.tls, s.p, int32(i)))
}

// DeclType is the declared type of result column i when it is a table
// column, or "".
func (s *Stmt) DeclType(i int) string {
	return libc.GoString(sqlite3.Xsqlite3_column_decltype(s.c.tls, s.p, int32(i)))
}

// Rows streams the result of a query. Next fills dest with the next row.
type Rows struct {
	s    *Stmt
	own  bool // Close finalizes the statement
	stop func() bool
	done bool
}

// Start binds args and starts the query; the rows are read with Next. A
// cancelled ctx interrupts it until Close.
func (s *Stmt) Start(ctx context.Context, args []any) (*Rows, error) {
	if len(args) != s.nparam {
		return nil, fmt.Errorf("sqlitelib: %d arguments for %d parameters", len(args), s.nparam)
	}
	if err := s.bind(args); err != nil {
		return nil, err
	}
	return &Rows{s: s, stop: s.c.interruptOn(ctx)}, nil
}

// Start prepares sql and starts it; Close finalizes the statement.
func (c *Conn) Start(ctx context.Context, sql string, args ...any) (*Rows, error) {
	s, err := c.Prepare(sql)
	if err != nil {
		return nil, err
	}
	r, err := s.Start(ctx, args)
	if err != nil {
		s.Close()
		return nil, err
	}
	r.own = true
	return r, nil
}

// Stmt is the statement the rows come from.
func (r *Rows) Stmt() *Stmt { return r.s }

// Close ends the query (and finalizes a statement Conn.Start prepared).
func (r *Rows) Close() error {
	if r.s == nil {
		return nil
	}
	r.stop()
	sqlite3.Xsqlite3_reset(r.s.c.tls, r.s.p)
	if r.own {
		r.s.Close()
	}
	r.s = nil
	return nil
}

// cptr is the unsafe.Pointer of C memory (libc's allocator, outside the Go
// heap), written so that vet sees no uintptr arithmetic on Go pointers.
func cptr(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

// Binder binds the parameters of one execution of a statement value by
// value, with no Go allocation: text and blobs are copied (or formatted
// straight) into C memory owned by the connection, bound SQLITE_STATIC, and
// kept until the statement has run.
type Binder struct {
	s     *Stmt
	mem   []byte    // the current chunk
	off   int       // bytes used in it
	extra []uintptr // chunks filled before the current one, freed after Run
	err   error
}

// Bind returns the statement's Binder, reset for a new execution.
func (s *Stmt) Bind() *Binder {
	c := s.c
	if c.buf == 0 {
		c.buf = libc.Xmalloc(c.tls, 1<<16)
		c.bufCap = 1 << 16
		if c.buf == 0 {
			c.bufCap = 0
		}
	}
	if s.b == nil {
		s.b = &Binder{s: s}
	}
	b := s.b
	b.mem = unsafe.Slice((*byte)(cptr(c.buf)), c.bufCap)
	b.off, b.err = 0, nil
	return b
}

func (b *Binder) check(rc int32) {
	if rc != sqlite3.SQLITE_OK && b.err == nil {
		b.err = b.s.c.err(rc)
	}
}

// Null binds NULL to parameter idx (1-based).
func (b *Binder) Null(idx int) { b.check(sqlite3.Xsqlite3_bind_null(b.s.c.tls, b.s.p, int32(idx))) }

// Int64 binds v.
func (b *Binder) Int64(idx int, v int64) {
	b.check(sqlite3.Xsqlite3_bind_int64(b.s.c.tls, b.s.p, int32(idx), v))
}

// Double binds v.
func (b *Binder) Double(idx int, v float64) {
	b.check(sqlite3.Xsqlite3_bind_double(b.s.c.tls, b.s.p, int32(idx), v))
}

// Free returns an empty slice over the unused C memory of the execution:
// append a formatted value to it and pass the result to TextBytes, which
// then binds it in place. If the value outgrows it, TextBytes copies.
func (b *Binder) Free() []byte { return b.mem[b.off:b.off:len(b.mem)] }

// reserve returns n bytes of C memory for one value.
func (b *Binder) reserve(n int) ([]byte, uintptr) {
	if b.off+n > len(b.mem) {
		c := b.s.c
		size := max(n, 2*len(b.mem))
		p := libc.Xmalloc(c.tls, libc.Tsize_t(size))
		if p == 0 {
			if b.err == nil {
				b.err = errors.New("sqlitelib: out of memory")
			}
			return nil, 0
		}
		// The full chunk stays alive (values point into it) until Run;
		// the new one becomes the connection's buffer.
		b.extra = append(b.extra, c.buf)
		c.buf, c.bufCap = p, size
		b.mem, b.off = unsafe.Slice((*byte)(cptr(p)), size), 0
	}
	m := b.mem[b.off : b.off+n]
	base := b.s.c.buf + uintptr(b.off)
	b.off += n
	return m, base
}

func (b *Binder) text(idx int, n int, fill func([]byte)) {
	if n == 0 {
		// A zero-length text at a NULL pointer would bind NULL.
		b.check(sqlite3.Xsqlite3_bind_text(b.s.c.tls, b.s.p, int32(idx), b.s.c.buf, 0, 0))
		return
	}
	m, p := b.reserve(n)
	if p == 0 {
		return
	}
	fill(m)
	b.check(sqlite3.Xsqlite3_bind_text(b.s.c.tls, b.s.p, int32(idx), p, int32(n), 0))
}

// Text binds the text v (copied into C memory).
func (b *Binder) Text(idx int, v string) {
	if len(v) == 0 {
		b.text(idx, 0, nil)
		return
	}
	m, p := b.reserve(len(v))
	if p == 0 {
		return
	}
	copy(m, v)
	b.check(sqlite3.Xsqlite3_bind_text(b.s.c.tls, b.s.p, int32(idx), p, int32(len(v)), 0))
}

// TextBytes binds the text v; v made by appending to Free() is bound where
// it is, anything else is copied.
func (b *Binder) TextBytes(idx int, v []byte) {
	if len(v) > 0 && b.off+len(v) <= len(b.mem) && unsafe.SliceData(v) == unsafe.SliceData(b.mem[b.off:]) {
		p := b.s.c.buf + uintptr(b.off)
		b.off += len(v)
		b.check(sqlite3.Xsqlite3_bind_text(b.s.c.tls, b.s.p, int32(idx), p, int32(len(v)), 0))
		return
	}
	b.Text(idx, unsafe.String(unsafe.SliceData(v), len(v)))
}

// Blob binds v (copied); an empty v is an empty blob, not NULL.
func (b *Binder) Blob(idx int, v []byte) {
	if len(v) == 0 {
		b.check(sqlite3.Xsqlite3_bind_zeroblob(b.s.c.tls, b.s.p, int32(idx), 0))
		return
	}
	m, p := b.reserve(len(v))
	if p == 0 {
		return
	}
	copy(m, v)
	b.check(sqlite3.Xsqlite3_bind_blob(b.s.c.tls, b.s.p, int32(idx), p, int32(len(v)), 0))
}

// Run runs the statement with what was bound, to completion, and resets it.
func (b *Binder) Run(ctx context.Context) error {
	defer b.release()
	if b.err != nil {
		sqlite3.Xsqlite3_clear_bindings(b.s.c.tls, b.s.p)
		return b.err
	}
	return b.s.run(ctx)
}

// Discard drops what was bound, instead of Run.
func (b *Binder) Discard() {
	sqlite3.Xsqlite3_clear_bindings(b.s.c.tls, b.s.p)
	b.release()
}

// release frees the chunks that filled up during this execution: nothing
// points into them once the statement has run (the next execution rebinds
// every parameter).
func (b *Binder) release() {
	if len(b.extra) == 0 {
		return
	}
	sqlite3.Xsqlite3_clear_bindings(b.s.c.tls, b.s.p)
	for _, p := range b.extra {
		libc.Xfree(b.s.c.tls, p)
	}
	b.extra = b.extra[:0]
}

// The storage classes Type reports.
const (
	Integer = sqlite3.SQLITE_INTEGER
	Float   = sqlite3.SQLITE_FLOAT
	Text    = sqlite3.SQLITE_TEXT
	Blob    = sqlite3.SQLITE_BLOB
	Null    = sqlite3.SQLITE_NULL
)

// Step steps to the next row, to be read with Type, Int64, Double,
// TextView and BlobView. It returns false at the end or on an error.
func (r *Rows) Step() (bool, error) {
	if r.done {
		return false, nil
	}
	switch rc := sqlite3.Xsqlite3_step(r.s.c.tls, r.s.p); rc {
	case sqlite3.SQLITE_ROW:
		return true, nil
	case sqlite3.SQLITE_DONE:
		r.done = true
		return false, nil
	default:
		r.done = true
		return false, r.s.c.err(rc)
	}
}

// Type is the storage class of column i of the current row.
func (r *Rows) Type(i int) int {
	return int(sqlite3.Xsqlite3_column_type(r.s.c.tls, r.s.p, int32(i)))
}

// Int64 is column i of the current row as an integer.
func (r *Rows) Int64(i int) int64 { return sqlite3.Xsqlite3_column_int64(r.s.c.tls, r.s.p, int32(i)) }

// Double is column i of the current row as a float.
func (r *Rows) Double(i int) float64 {
	return sqlite3.Xsqlite3_column_double(r.s.c.tls, r.s.p, int32(i))
}

// TextView is column i of the current row as text, in SQLite's memory: it
// is valid only until the next Step or Close, and must be copied to be kept.
func (r *Rows) TextView(i int) string {
	tls, p := r.s.c.tls, r.s.p
	z := sqlite3.Xsqlite3_column_text(tls, p, int32(i))
	n := sqlite3.Xsqlite3_column_bytes(tls, p, int32(i))
	if z == 0 || n == 0 {
		return ""
	}
	return unsafe.String((*byte)(cptr(z)), n)
}

// BlobView is column i of the current row as bytes, in SQLite's memory:
// valid only until the next Step or Close.
func (r *Rows) BlobView(i int) []byte {
	tls, p := r.s.c.tls, r.s.p
	z := sqlite3.Xsqlite3_column_blob(tls, p, int32(i))
	n := sqlite3.Xsqlite3_column_bytes(tls, p, int32(i))
	if z == 0 || n == 0 {
		return []byte{}
	}
	return unsafe.Slice((*byte)(cptr(z)), n)
}

// values copies the current row into dest: nil, int64, float64, string or
// []byte per column.
func (s *Stmt) values(dest []any) {
	r := Rows{s: s}
	for i := range dest {
		switch r.Type(i) {
		case Integer:
			dest[i] = r.Int64(i)
		case Float:
			dest[i] = r.Double(i)
		case Text:
			dest[i] = strings.Clone(r.TextView(i))
		case Blob:
			dest[i] = bytes.Clone(r.BlobView(i))
		default:
			dest[i] = nil
		}
	}
}

// Values holds the parameter values of one execution of a statement,
// filled by a goroutine that does not hold the connection and then bound
// and run with Stmt.RunValues: formatting and copying the values does not
// have to wait for the connection (SQLite's one writer). Text and blobs
// are copied (or formatted straight) into C memory the Values owns and are
// bound SQLITE_STATIC: the Values must not be refilled or closed while a
// statement it is bound to runs. A Values is used by one goroutine at a
// time; its methods take 1-based parameter numbers like Binder's.
type Values struct {
	tls   *libc.TLS
	val   []value
	mem   []byte  // the current chunk of C memory
	base  uintptr // its address
	off   int     // bytes used in it
	extra []uintptr
	err   error
}

// value is one parameter: kind is a storage class (Null, Integer, Float,
// Text or Blob); x is the integer, the float's bits or the address of the
// text or blob, of n bytes.
type value struct {
	kind uint8
	n    int32
	x    int64
}

// valuesChunk is the size of a Values' first chunk of C memory.
const valuesChunk = 64 << 10

// NewValues returns an empty Values; Close frees its C memory.
func NewValues() *Values { return &Values{tls: libc.NewTLS()} }

// Reset empties v for an execution of a statement of n parameters.
func (v *Values) Reset(n int) {
	v.val = slices.Grow(v.val[:0], n)[:n]
	clear(v.val)
	v.err = nil
	v.off = 0
	for _, p := range v.extra {
		libc.Xfree(v.tls, p)
	}
	v.extra = v.extra[:0]
	if v.base == 0 {
		v.grow(valuesChunk)
	}
}

// grow makes a new chunk of at least n bytes the current one; the full
// chunk stays allocated (values point into it) until Reset.
func (v *Values) grow(n int) bool {
	size := max(n, 2*len(v.mem), valuesChunk)
	p := libc.Xmalloc(v.tls, libc.Tsize_t(size))
	if p == 0 {
		if v.err == nil {
			v.err = errors.New("sqlitelib: out of memory")
		}
		return false
	}
	if v.base != 0 {
		v.extra = append(v.extra, v.base)
	}
	v.base, v.mem, v.off = p, unsafe.Slice((*byte)(cptr(p)), size), 0
	return true
}

// Close frees the C memory.
func (v *Values) Close() {
	v.Reset(0)
	if v.base != 0 {
		libc.Xfree(v.tls, v.base)
		v.base, v.mem = 0, nil
	}
	if v.tls != nil {
		v.tls.Close()
		v.tls = nil
	}
}

// Null sets parameter idx (1-based) to NULL.
func (v *Values) Null(idx int) { v.val[idx-1] = value{kind: Null} }

// Int64 sets parameter idx to x.
func (v *Values) Int64(idx int, x int64) { v.val[idx-1] = value{kind: Integer, x: x} }

// Double sets parameter idx to f.
func (v *Values) Double(idx int, f float64) {
	v.val[idx-1] = value{kind: Float, x: int64(math.Float64bits(f))}
}

// reserve returns n bytes of C memory for one value and their address.
func (v *Values) reserve(n int) ([]byte, uintptr) {
	if v.off+n > len(v.mem) && !v.grow(n) {
		return nil, 0
	}
	m := v.mem[v.off : v.off+n]
	p := v.base + uintptr(v.off)
	v.off += n
	return m, p
}

// Text sets parameter idx to the text s (copied).
func (v *Values) Text(idx int, s string) {
	if len(s) == 0 {
		// A zero-length text at a NULL pointer would bind NULL.
		v.val[idx-1] = value{kind: Text, x: int64(v.base)}
		return
	}
	m, p := v.reserve(len(s))
	if p == 0 {
		return
	}
	copy(m, s)
	v.val[idx-1] = value{kind: Text, n: int32(len(s)), x: int64(p)}
}

// Free returns an empty slice over the unused C memory of the current
// chunk: append a formatted value to it and pass the result to TextBytes,
// which then takes it where it is. If the value outgrows it, TextBytes
// copies.
func (v *Values) Free() []byte { return v.mem[v.off:v.off:len(v.mem)] }

// TextBytes sets parameter idx to the text b; b made by appending to
// Free() is taken in place, anything else is copied.
func (v *Values) TextBytes(idx int, b []byte) {
	if len(b) > 0 && v.off+len(b) <= len(v.mem) && unsafe.SliceData(b) == unsafe.SliceData(v.mem[v.off:]) {
		v.val[idx-1] = value{kind: Text, n: int32(len(b)), x: int64(v.base + uintptr(v.off))}
		v.off += len(b)
		return
	}
	v.Text(idx, unsafe.String(unsafe.SliceData(b), len(b)))
}

// Blob sets parameter idx to b (copied); an empty b is an empty blob, not
// NULL.
func (v *Values) Blob(idx int, b []byte) {
	if len(b) == 0 {
		v.val[idx-1] = value{kind: Blob}
		return
	}
	m, p := v.reserve(len(b))
	if p == 0 {
		return
	}
	copy(m, b)
	v.val[idx-1] = value{kind: Blob, n: int32(len(b)), x: int64(p)}
}

// RunValues binds the values of v (one per parameter) and runs the
// statement to completion, like Binder.Run.
func (s *Stmt) RunValues(ctx context.Context, v *Values) error {
	if v.err != nil {
		return v.err
	}
	if len(v.val) != s.nparam {
		return fmt.Errorf("sqlitelib: %d values for %d parameters", len(v.val), s.nparam)
	}
	tls, p := s.c.tls, s.p
	for i, x := range v.val {
		idx := int32(i + 1)
		var rc int32
		switch x.kind {
		case Integer:
			rc = sqlite3.Xsqlite3_bind_int64(tls, p, idx, x.x)
		case Float:
			rc = sqlite3.Xsqlite3_bind_double(tls, p, idx, math.Float64frombits(uint64(x.x)))
		case Text:
			rc = sqlite3.Xsqlite3_bind_text(tls, p, idx, uintptr(x.x), x.n, 0)
		case Blob:
			if x.n == 0 {
				rc = sqlite3.Xsqlite3_bind_zeroblob(tls, p, idx, 0)
			} else {
				rc = sqlite3.Xsqlite3_bind_blob(tls, p, idx, uintptr(x.x), x.n, 0)
			}
		default:
			rc = sqlite3.Xsqlite3_bind_null(tls, p, idx)
		}
		if rc != sqlite3.SQLITE_OK {
			err := s.c.err(rc)
			sqlite3.Xsqlite3_clear_bindings(tls, p)
			return err
		}
	}
	return s.run(ctx)
}

// Value is one column of the current row of a Rows, valid until the next
// Step or Close. Reading a column through it takes one look-up of the
// column, where Rows.Type followed by Rows.TextView takes three.
type Value struct {
	tls *libc.TLS
	p   uintptr
}

// Column returns column i of the current row. (SQLite's column values are
// "unprotected", which matters only to a connection with a mutex: these
// are opened NOMUTEX.)
func (r *Rows) Column(i int) Value {
	return Value{tls: r.s.c.tls, p: sqlite3.Xsqlite3_column_value(r.s.c.tls, r.s.p, int32(i))}
}

// Type is the storage class of the value.
func (v Value) Type() int { return int(sqlite3.Xsqlite3_value_type(v.tls, v.p)) }

// Int64 is the value as an integer.
func (v Value) Int64() int64 { return sqlite3.Xsqlite3_value_int64(v.tls, v.p) }

// Double is the value as a float.
func (v Value) Double() float64 { return sqlite3.Xsqlite3_value_double(v.tls, v.p) }

// TextView is the value as text, in SQLite's memory: valid only until the
// next Step or Close, like Rows.TextView.
func (v Value) TextView() string {
	z := sqlite3.Xsqlite3_value_text(v.tls, v.p)
	n := sqlite3.Xsqlite3_value_bytes(v.tls, v.p)
	if z == 0 || n == 0 {
		return ""
	}
	return unsafe.String((*byte)(cptr(z)), n)
}

// BlobView is the value as bytes, in SQLite's memory: valid only until the
// next Step or Close.
func (v Value) BlobView() []byte {
	z := sqlite3.Xsqlite3_value_blob(v.tls, v.p)
	n := sqlite3.Xsqlite3_value_bytes(v.tls, v.p)
	if z == 0 || n == 0 {
		return []byte{}
	}
	return unsafe.Slice((*byte)(cptr(z)), n)
}
