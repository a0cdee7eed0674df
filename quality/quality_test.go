package quality_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/quality"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/writer/memwriter"
)

var base = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func ordersSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "status", Type: arrow.BinaryTypes.String},
		{Name: "amount", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true},
		{Name: "updated_at", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "note", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "qty", Type: arrow.PrimitiveTypes.Int32},
	}, nil)
}

type row struct {
	id     int64
	status string
	cents  int64 // -1 = NULL
	at     time.Time
	note   *string
	qty    int32
}

func batch(mem memory.Allocator, rows []row) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, ordersSchema())
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.Int64Builder).Append(r.id)
		b.Field(1).(*array.StringBuilder).Append(r.status)
		if r.cents < 0 {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.Decimal128Builder).Append(decimal128.FromI64(r.cents))
		}
		b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(r.at.UnixMicro()))
		if r.note == nil {
			b.Field(4).AppendNull()
		} else {
			b.Field(4).(*array.StringBuilder).Append(*r.note)
		}
		b.Field(5).(*array.Int32Builder).Append(r.qty)
	}
	return b.NewRecordBatch()
}

// goodRows are 3 splits of 4 rows: unique ids, statuses in {new, paid},
// amounts 1.00..12.00, no NULL note, the newest updated_at at base.
func goodRows() [][]row {
	note := "n"
	var out [][]row
	for s := range 3 {
		var rs []row
		for i := range 4 {
			id := int64(s*4 + i + 1)
			rs = append(rs, row{id: id, status: []string{"new", "paid"}[i%2], cents: id * 100,
				at: base.Add(-time.Duration(12-id) * time.Hour), note: &note, qty: int32(id)})
		}
		out = append(out, rs)
	}
	return out
}

type result struct {
	sum   *ferry.Summary
	err   error
	table int64
	check ferry.CheckResult
}

// run copies splits of rows through memreader -> memwriter with checks and
// returns the outcome. The Table starts with one old row, to see that a
// failed blocking check keeps it as it was.
func run(t *testing.T, splits [][]row, wopts *memwriter.Options, checks ...ferry.Check) result {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	var bs []arrow.RecordBatch
	for _, rs := range splits {
		bs = append(bs, batch(mem, rs))
	}
	tbl := memwriter.NewTable()
	t.Cleanup(tbl.Release)
	old := batch(mem, []row{{id: 1000, status: "old", at: base}})
	{
		r := memreader.New([]arrow.RecordBatch{old}, nil)
		if _, err := ferry.New(r, memwriter.New(tbl, nil), &ferry.Options{Allocator: mem}).Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		old.Release()
	}
	r := memreader.New(bs, nil)
	for _, b := range bs {
		b.Release()
	}
	if wopts == nil {
		wopts = &memwriter.Options{}
	}
	opts := &ferry.Options{Concurrency: 2, Checks: checks, Allocator: mem, Dirty: dirty.IgnoreAll()}
	sum, err := ferry.New(r, memwriter.New(tbl, wopts), opts).Run(context.Background())
	res := result{sum: sum, err: err, table: tbl.NumRows()}
	if sum != nil && len(sum.Checks) > 0 {
		res.check = sum.Checks[0]
	}
	return res
}

// expect checks a run with one check: passed or not, and its effect.
func expect(t *testing.T, res result, passed bool, blocking bool, detail string) {
	t.Helper()
	if res.sum == nil || len(res.sum.Checks) != 1 {
		t.Fatalf("no check result: %+v %v", res.sum, res.err)
	}
	c := res.check
	if c.Passed != passed || c.Blocking != blocking || !strings.Contains(c.Detail, detail) {
		t.Errorf("check %+v, want passed=%v blocking=%v detail containing %q", c, passed, blocking, detail)
	}
	switch {
	case !passed && blocking:
		if !errors.Is(res.err, ferry.ErrCheckFailed) || res.sum.Committed || res.table != 1 {
			t.Errorf("blocking failure: err %v, committed %v, table %d rows (want the 1 old row)", res.err, res.sum.Committed, res.table)
		}
	default:
		if res.err != nil || !res.sum.Committed || res.table != 1+res.sum.RowsWritten {
			t.Errorf("run: err %v, committed %v, table %d rows", res.err, res.sum.Committed, res.table)
		}
	}
}

func TestNotNull(t *testing.T) {
	expect(t, run(t, goodRows(), nil, quality.NotNull(quality.Blocking, "note", "amount")), true, true, "no NULL in 12 rows")
	bad := goodRows()
	bad[1][2].note = nil
	bad[2][0].note = nil
	bad[2][3].cents = -1
	expect(t, run(t, bad, nil, quality.NotNull(quality.Blocking, "note", "amount")), false, true, "note has 2 NULLs, amount has 1 NULLs")
	expect(t, run(t, bad, nil, quality.NotNull(quality.Warning, "note")), false, false, "note has 2 NULLs")
}

func TestNotNullIgnoresRejectedRows(t *testing.T) {
	bad := goodRows()
	bad[0][1].note = nil
	reject := &memwriter.Options{Reject: func(b arrow.RecordBatch, row int) error {
		if b.Column(4).IsNull(row) {
			return errors.New("note is required")
		}
		return nil
	}}
	res := run(t, bad, reject, quality.NotNull(quality.Blocking, "note"))
	expect(t, res, true, true, "no NULL in 11 rows")
	if res.sum.RowsDirty != 1 {
		t.Errorf("dirty %d", res.sum.RowsDirty)
	}
}

func TestUnique(t *testing.T) {
	expect(t, run(t, goodRows(), nil, quality.Unique(quality.Blocking, "id")), true, true, "12 keys (id) of the run are unique")
	// A duplicate inside a split and one across splits.
	bad := goodRows()
	bad[0][3].id = 1
	bad[2][1].id = 6
	expect(t, run(t, bad, nil, quality.Unique(quality.Blocking, "id")), false, true, "2 duplicate keys (id)")
	// Composite keys: (status, qty) is unique, (status) alone is not.
	expect(t, run(t, goodRows(), nil, quality.Unique(quality.Blocking, "status", "qty")), true, true, "unique")
	expect(t, run(t, goodRows(), nil, quality.Unique(quality.Warning, "status")), false, false, "10 duplicate keys (status)")
	// NULL keys are not compared.
	nulls := goodRows()
	nulls[0][0].note, nulls[1][0].note = nil, nil
	expect(t, run(t, nulls, nil, quality.Unique(quality.Blocking, "note", "id")), true, true, "10 keys")
	// Past the key cap the rule cannot pass without SQL.
	expect(t, run(t, goodRows(), nil, quality.Unique(quality.Blocking, "id").WithMaxKeys(5)), false, true, "not checkable: more than 5 keys")
	expect(t, run(t, goodRows(), nil, quality.Unique(quality.Blocking, "id").SQLOnly()), false, true, "needs a destination that runs SQL")
}

func TestRange(t *testing.T) {
	expect(t, run(t, goodRows(), nil, quality.Range(quality.Blocking, "amount", "1", "12")), true, true, "12 values of amount within [1, 12]")
	expect(t, run(t, goodRows(), nil, quality.Range(quality.Blocking, "amount", "0", "11.99")), false, true, "1 of 12 values of amount outside [0, 11.99] (e.g. 12)")
	expect(t, run(t, goodRows(), nil, quality.Range(quality.Warning, "qty", "3", "")), false, false, "2 of 12 values of qty outside [3, +∞]")
	expect(t, run(t, goodRows(), nil, quality.Range(quality.Blocking, "updated_at", "2026-11-30", "2026-11-30T12:00:00Z")), true, true, "within")
	expect(t, run(t, goodRows(), nil, quality.Range(quality.Blocking, "updated_at", "2026-11-30T06:00:00Z", "")), false, true, "5 of 12 values of updated_at outside [2026-11-30T06:00:00Z, +∞] (e.g. 2026-11-30T01:00:00Z")
	expect(t, run(t, goodRows(), nil, quality.Range(quality.Blocking, "status", "a", "o")), false, true, `6 of 12 values of status outside [a, o] (e.g. paid)`)
}

func TestAllowed(t *testing.T) {
	expect(t, run(t, goodRows(), nil, quality.Allowed(quality.Blocking, "status", "new", "paid", "shipped")), true, true, "12 values of status in the allowed set of 3")
	bad := goodRows()
	bad[1][1].status = "lost"
	bad[2][2].status = "Paid"
	expect(t, run(t, bad, nil, quality.Allowed(quality.Blocking, "status", "new", "paid")), false, true, `2 of 12 values of status not in the allowed set (e.g. "lost", "Paid")`)
	expect(t, run(t, goodRows(), nil, quality.Allowed(quality.Warning, "qty", "1", "2", "3")), false, false, "9 of 12 values of qty")
}

func TestFreshness(t *testing.T) {
	clock := func() time.Time { return base.Add(2 * time.Hour) }
	expect(t, run(t, goodRows(), nil, quality.Freshness(quality.Blocking, "updated_at", 3*time.Hour).WithClock(clock)), true, true, "newest updated_at is 2026-11-30T12:00:00Z, 2h0m0s old")
	expect(t, run(t, goodRows(), nil, quality.Freshness(quality.Blocking, "updated_at", time.Hour).WithClock(clock)), false, true, "2h0m0s old (max 1h0m0s)")
	none := &memwriter.Options{Reject: func(arrow.RecordBatch, int) error { return errors.New("no") }}
	expect(t, run(t, goodRows(), none, quality.Freshness(quality.Warning, "updated_at", time.Hour).WithClock(clock)), false, false, "nothing fresh arrived")
}

func TestRowCount(t *testing.T) {
	expect(t, run(t, goodRows(), nil, quality.RowCount(quality.Blocking, quality.RowCountSpec{})), true, true, "12 rows written")
	expect(t, run(t, goodRows(), nil, quality.RowCount(quality.Blocking, quality.RowCountSpec{Min: 10, Max: 12})), true, true, "12 rows written")
	expect(t, run(t, goodRows(), nil, quality.RowCount(quality.Blocking, quality.RowCountSpec{Min: 13})), false, true, "fewer than the minimum 13")
	expect(t, run(t, goodRows(), nil, quality.RowCount(quality.Warning, quality.RowCountSpec{Max: 11})), false, false, "more than the maximum 11")
	prev := func(n int64, ok bool) func(context.Context) (int64, bool, error) {
		return func(context.Context) (int64, bool, error) { return n, ok, nil }
	}
	expect(t, run(t, goodRows(), nil, quality.RowCount(quality.Blocking, quality.RowCountSpec{MinRatio: 0.5, MaxRatio: 2, Previous: prev(10, true)})), true, true, "1.2 of the previous run's 10")
	expect(t, run(t, goodRows(), nil, quality.RowCount(quality.Blocking, quality.RowCountSpec{MinRatio: 0.5, Previous: prev(100, true)})), false, true, "0.12 of the previous run's 100, under 0.5")
	expect(t, run(t, goodRows(), nil, quality.RowCount(quality.Blocking, quality.RowCountSpec{MaxRatio: 1.1, Previous: prev(10, true)})), false, true, "over 1.1")
	expect(t, run(t, goodRows(), nil, quality.RowCount(quality.Blocking, quality.RowCountSpec{MinRatio: 0.5, Previous: prev(0, false)})), true, true, "no previous run")
	failing := func(context.Context) (int64, bool, error) { return 0, false, errors.New("history unavailable") }
	expect(t, run(t, goodRows(), nil, quality.RowCount(quality.Blocking, quality.RowCountSpec{MinRatio: 0.5, Previous: failing})), false, true, "history unavailable")
	// Dirty rows: written = read - dirty still holds.
	reject := &memwriter.Options{Reject: func(b arrow.RecordBatch, row int) error {
		if row == 0 {
			return errors.New("first")
		}
		return nil
	}}
	expect(t, run(t, goodRows(), reject, quality.RowCount(quality.Blocking, quality.RowCountSpec{})), true, true, "9 rows written")
	// MinArrived: the share of the rows read that were written.
	expect(t, run(t, goodRows(), reject, quality.RowCount(quality.Blocking, quality.RowCountSpec{MinArrived: 0.75})), true, true, "9 rows written")
	expect(t, run(t, goodRows(), reject, quality.RowCount(quality.Blocking, quality.RowCountSpec{MinArrived: 0.8})), false, true, "9 rows written of 12 read (75%), under the minimum 80%")
}

func TestRowCountInconsistentCounts(t *testing.T) {
	c := quality.RowCount(quality.Blocking, quality.RowCountSpec{})
	if err := c.Begin(ordersSchema()); err != nil {
		t.Fatal(err)
	}
	r := c.Verify(context.Background(), ferry.CheckInput{RowsRead: 100, RowsWritten: 97, RowsDirty: 2, StagedRows: -1})
	if r.Passed || !strings.Contains(r.Detail, "97 rows written, but 100 read - 0 filtered - 2 dirty = 98") {
		t.Errorf("lost row not caught: %+v", r)
	}
	r = c.Verify(context.Background(), ferry.CheckInput{RowsRead: 100, RowsWritten: 100, StagedRows: 99})
	if r.Passed || !strings.Contains(r.Detail, "split markers record 99 rows") {
		t.Errorf("staged mismatch not caught: %+v", r)
	}
	if quality.RowCount(quality.Blocking, quality.RowCountSpec{MinRatio: 1}).Begin(ordersSchema()) == nil {
		t.Error("a ratio without Previous was accepted")
	}
}

func TestSQLWithoutQuerier(t *testing.T) {
	expect(t, run(t, goodRows(), nil, quality.SQL(quality.Blocking, "no_negative", "SELECT id FROM {table} WHERE amount < 0")), false, true,
		"needs a destination that runs SQL inside its commit transaction")
}

func TestBeginErrors(t *testing.T) {
	s := ordersSchema()
	for _, c := range []ferry.Check{
		quality.NotNull(quality.Blocking, "nope"),
		quality.NotNull(quality.Blocking),
		quality.Unique(quality.Blocking, "id", "nope"),
		quality.Range(quality.Blocking, "amount", "x", ""),
		quality.Range(quality.Blocking, "amount", "", ""),
		quality.Range(quality.Blocking, "amount", "5", "1"),
		quality.Range(quality.Blocking, "updated_at", "yesterday", ""),
		quality.Allowed(quality.Blocking, "amount", "1"),
		quality.Allowed(quality.Blocking, "status"),
		quality.Freshness(quality.Blocking, "status", time.Hour),
		quality.Freshness(quality.Blocking, "updated_at", 0),
		quality.SQL(quality.Blocking, "x", " "),
		quality.SQL(quality.Blocking, "", "SELECT 1"),
		quality.RowCount(quality.Blocking, quality.RowCountSpec{MinArrived: 1.5}),
		quality.RowCount(quality.Blocking, quality.RowCountSpec{MinArrived: -0.1}),
	} {
		err := c.Begin(s)
		if err == nil || !strings.HasPrefix(err.Error(), "quality: ") {
			t.Errorf("%s: Begin error %v", c.Name(), err)
		}
	}
	// A bad column fails the run before anything is written.
	res := run(t, goodRows(), nil, quality.NotNull(quality.Blocking, "missing"))
	if res.err == nil || !strings.Contains(res.err.Error(), `no column "missing"`) || res.table != 1 {
		t.Errorf("run with a bad rule: %v, table %d", res.err, res.table)
	}
}

func TestNamed(t *testing.T) {
	c := quality.Named(quality.NotNull(quality.Warning, "id"), "ids_present")
	if c.Name() != "ids_present" {
		t.Errorf("name %q", c.Name())
	}
}

func TestUniqueHashIsFNV1a(t *testing.T) {
	// The split states of different processes merge only if every process
	// hashes alike: the state of a known key is pinned here.
	c := quality.Unique(quality.Blocking, "id")
	if err := c.Begin(ordersSchema()); err != nil {
		t.Fatal(err)
	}
	sc := c.NewSplit()
	b := batch(memory.DefaultAllocator, []row{{id: 1, at: base}})
	defer b.Release()
	sc.Observe(b, nil)
	// FNV-1a 64 of the little-endian bytes of int64(1), as hash/fnv computes it.
	if got := string(sc.State()); got != `{"keys":"pO8qHSkxzYk=","rows":1}` {
		t.Errorf("state %s", got)
	}
}
