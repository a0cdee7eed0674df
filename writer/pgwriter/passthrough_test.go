package pgwriter_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/reader/pgreader"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

// builtinTable creates src with a column of every built-in type Ferry
// carries, extremes, NULLs, nasty strings and enough rows to be split.
func builtinTable(t *testing.T, src string) {
	t.Helper()
	exec(t, `CREATE TABLE `+src+` (
		id bigint PRIMARY KEY, i2 smallint, i4 integer, i8 bigint,
		n122 numeric(12,2), n380 numeric(38,10), nfree numeric,
		f4 real, f8 double precision, t text, vc varchar(10), ch char(5),
		by bytea, b boolean, d date, tm time, ts timestamp, tstz timestamptz, iv interval,
		u uuid, j json, jb jsonb,
		ai int[], at text[], an numeric(10,3)[], ats timestamptz[], au uuid[], af8 float8[])`)
	exec(t, `INSERT INTO `+src+` VALUES
		(1, -32768, -2147483648, -9223372036854775808, -9999999999.99, -9999999999999999999999999999.9999999999, 'NaN',
		 '-Infinity', '-1.7976931348623157e308', '', '', '',
		 '\x', false, '0001-01-01', '00:00:00', '0001-01-01 00:00:00', '0001-01-01 00:00:00+00', '-178000000 years',
		 '00000000-0000-0000-0000-000000000000', '{}', '{}',
		 '{}', '{}', '{}', '{}', '{}', '{}'),
		(2, 32767, 2147483647, 9223372036854775807, 9999999999.99, 9999999999999999999999999999.9999999999, '-123456789012345678901234567890.000000000000000000000000000000001',
		 'Infinity', '1.7976931348623157e308', E'tab\there\nnewline "q" ''s'' \\ back \\N 日本 😀', 'abcdefghij', 'ab',
		 '\xdeadbeef00ff', true, '9999-12-31', '23:59:59.999999', '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59.999999+00', '1 year 2 mons 3 days 04:05:06.789012',
		 'ffffffff-ffff-ffff-ffff-ffffffffffff', '{"b": 1,  "a": [1, 2.50, "x"]}', '{"b": 1, "a": [1, 2.50, "x"]}',
		 '{1,NULL,-3}', '{"a,b",NULL,"","\"q\""}', '{1.5,-2.125,NULL}', '{"2020-01-01 00:00:00.000001+00",NULL}',
		 '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '{NaN,Infinity,-0.5}'),
		(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
	exec(t, "INSERT INTO "+src+" (id, i4, t, nfree, ts, vc) SELECT g, g, repeat('x', g % 300), g * 1.5, '2024-01-01'::timestamp + g * interval '1 second', 'v' || g % 1000 FROM generate_series(100, 6000) g")
}

// TestPassthrough copies a table of every built-in type PG→PG in each write
// mode, with one worker and several: the rows go through as binary COPY
// tuples (Summary.Passthrough) and arrive exactly. A target column of
// another type, a transformer or NoPassthrough take the decoded path, with
// the same rows.
func TestPassthrough(t *testing.T) {
	src, dst := tableName(t, "src"), tableName(t, "dst")
	t.Cleanup(func() { connect(t).Exec(context.Background(), "DROP TABLE IF EXISTS "+src+", "+dst) })
	builtinTable(t, src)
	identity := ferry.TransformFunc(func(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
		b.Retain()
		return b, nil
	})
	for _, tc := range []struct {
		name    string
		mode    ferry.WriteMode
		workers int
		dstDDL  string // instead of LIKE src
		opts    func(*ferry.Options)
		pass    bool
	}{
		{name: "insert", mode: ferry.ModeInsert, workers: 1, pass: true},
		{name: "insert, 3 workers", mode: ferry.ModeInsert, workers: 3, pass: true},
		{name: "overwrite", mode: ferry.ModeOverwrite, workers: 1, pass: true},
		{name: "overwrite, 3 workers", mode: ferry.ModeOverwrite, workers: 3, pass: true},
		{name: "upsert, 2 workers", mode: ferry.ModeUpsert, workers: 2, pass: true},
		{name: "small batches", mode: ferry.ModeOverwrite, workers: 2, pass: true,
			opts: func(o *ferry.Options) { o.BatchRows = 7 }},
		{name: "text into varchar and char into text", mode: ferry.ModeInsert, workers: 1, pass: true,
			dstDDL: "ALTER TABLE {dst} ALTER t TYPE varchar(400), ALTER ch TYPE text"},
		{name: "int into bigint decodes", mode: ferry.ModeInsert, workers: 2,
			dstDDL: "ALTER TABLE {dst} ALTER i4 TYPE bigint"},
		{name: "a transformer decodes", mode: ferry.ModeInsert, workers: 2,
			opts: func(o *ferry.Options) { o.Transformers = []ferry.Transformer{identity} }},
		{name: "NoPassthrough decodes", mode: ferry.ModeOverwrite, workers: 2,
			opts: func(o *ferry.Options) { o.NoPassthrough = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(t, "DROP TABLE IF EXISTS "+dst)
			exec(t, "CREATE TABLE "+dst+" (LIKE "+src+" INCLUDING ALL)")
			if tc.dstDDL != "" {
				exec(t, strings.ReplaceAll(tc.dstDDL, "{dst}", dst))
			}
			if tc.mode == ferry.ModeUpsert {
				exec(t, "INSERT INTO "+dst+" (id, t) VALUES (1, 'old'), (5000, 'old')")
			}
			opts := ferry.Options{Concurrency: tc.workers}
			if tc.opts != nil {
				tc.opts(&opts)
			}
			sum, err := directRun(t, src, dst, tc.mode, opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Passthrough != tc.pass {
				t.Errorf("Passthrough %v, want %v", sum.Passthrough, tc.pass)
			}
			n := count(t, "SELECT count(*) FROM "+src)
			if sum.RowsRead != n || sum.RowsWritten != n || sum.RowsDirty != 0 {
				t.Errorf("read %d, wrote %d, dirty %d; want %d, %d, 0", sum.RowsRead, sum.RowsWritten, sum.RowsDirty, n, n)
			}
			if tc.workers > 1 && len(sum.Splits) < 2 {
				t.Errorf("%d split(s): the test wants a split read", len(sum.Splits))
			}
			if sum.BytesRead == 0 || sum.BytesWritten != sum.BytesRead {
				t.Errorf("bytes read %d, written %d", sum.BytesRead, sum.BytesWritten)
			}
			if tc.dstDDL == "" {
				sameRows(t, src, dst)
				return
			}
			// other column types: the same rows as the decoded path writes
			// (a char(5) value keeps its padding in a text column)
			dec := dst + "_dec"
			exec(t, "DROP TABLE IF EXISTS "+dec)
			exec(t, "CREATE TABLE "+dec+" (LIKE "+dst+" INCLUDING ALL)")
			defer exec(t, "DROP TABLE "+dec)
			if _, err := directRun(t, src, dec, tc.mode, ferry.Options{NoPassthrough: true}, nil); err != nil {
				t.Fatal(err)
			}
			sameRows(t, dec, dst)
			if n := count(t, "SELECT count(*) FROM "+dst); n != count(t, "SELECT count(*) FROM "+src) {
				t.Errorf("%d rows in the target", n)
			}
		})
	}
}

// TestPassthroughInfinity: values the decoded path cannot carry (infinite
// timestamps and dates) pass through as they are; with NoPassthrough the
// same run fails and names the value, and the target keeps its rows.
func TestPassthroughInfinity(t *testing.T) {
	src, dst := tableName(t, "src"), tableName(t, "dst")
	t.Cleanup(func() { connect(t).Exec(context.Background(), "DROP TABLE IF EXISTS "+src+", "+dst) })
	exec(t, "CREATE TABLE "+src+" (id int PRIMARY KEY, ts timestamp, tstz timestamptz, d date, n numeric)")
	exec(t, "INSERT INTO "+src+" VALUES (1, 'infinity', '-infinity', 'infinity', 'NaN'), (2, '-infinity', 'infinity', '-infinity', '1.5'), (3, NULL, now(), current_date, NULL)")
	exec(t, "CREATE TABLE "+dst+" (LIKE "+src+")")
	exec(t, "INSERT INTO "+dst+" (id) VALUES (100)")
	_, err := directRun(t, src, dst, ferry.ModeOverwrite, ferry.Options{NoPassthrough: true}, nil)
	if err == nil || !strings.Contains(err.Error(), "infinite") {
		t.Fatalf("decoded run: %v, want the infinite value named", err)
	}
	if n := count(t, "SELECT count(*) FROM "+dst+" WHERE id = 100"); n != 1 {
		t.Fatal("the failed run changed the target")
	}
	sum, err := directRun(t, src, dst, ferry.ModeOverwrite, ferry.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Passthrough || sum.RowsWritten != 3 {
		t.Fatalf("Passthrough %v, %d rows written", sum.Passthrough, sum.RowsWritten)
	}
	sameRows(t, src, dst)
}

// TestPassthroughDirty: rows the target rejects are isolated within the
// tuples (bisecting raw batches), recorded with their values (decoded for
// the record) and the server's reason; the others are written.
func TestPassthroughDirty(t *testing.T) {
	src, dst := tableName(t, "src"), tableName(t, "dst")
	t.Cleanup(func() { connect(t).Exec(context.Background(), "DROP TABLE IF EXISTS "+src+", "+dst) })
	exec(t, "CREATE TABLE "+src+" (id bigint PRIMARY KEY, code text, amount numeric(8,2))")
	exec(t, "INSERT INTO "+src+" SELECT g, CASE WHEN g % 997 = 0 THEN 'toolong' ELSE 'ok' END, g / 100.0 FROM generate_series(1, 5000) g")
	for _, mode := range []ferry.WriteMode{ferry.ModeInsert, ferry.ModeOverwrite} {
		t.Run(string(mode), func(t *testing.T) {
			exec(t, "DROP TABLE IF EXISTS "+dst)
			exec(t, "CREATE TABLE "+dst+" (id bigint PRIMARY KEY, code varchar(3), amount numeric(8,2) CHECK (amount <> 25))")
			var mu sync.Mutex
			var recs []dirty.Record
			sink := dirty.SinkFunc(func(ctx context.Context, r dirty.Record) error {
				mu.Lock()
				defer mu.Unlock()
				recs = append(recs, r)
				return nil
			})
			sum, err := directRun(t, src, dst, mode, ferry.Options{Concurrency: 2, BatchRows: 1000,
				Dirty: dirty.Policy{Mode: dirty.Tolerate, MaxRows: 10}, DirtySinks: []dirty.Sink{sink}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			// ids 997, 1994, 2991, 3988, 4985 too long; id 2500 fails the check
			if !sum.Passthrough || sum.RowsDirty != 6 || sum.RowsWritten != 4994 {
				t.Fatalf("Passthrough %v, dirty %d, written %d; want true, 6, 4994", sum.Passthrough, sum.RowsDirty, sum.RowsWritten)
			}
			if n := count(t, "SELECT count(*) FROM "+dst+" WHERE id % 997 = 0 OR id = 2500"); n != 0 {
				t.Errorf("%d rejected rows in the target", n)
			}
			if len(recs) != 6 {
				t.Fatalf("%d dirty records, want 6", len(recs))
			}
			ids := map[string]bool{}
			for _, r := range recs {
				id := fmt.Sprint(r.Values["id"])
				ids[id] = true
				if r.Reason == "" {
					t.Errorf("record %+v has no reason", r)
				}
				if id == "2500" && !strings.Contains(r.Reason, "check") {
					t.Errorf("id 2500: reason %q, want the check constraint", r.Reason)
				}
				if id == "997" && (fmt.Sprint(r.Values["code"]) != "toolong" || !strings.Contains(r.Reason, "too long")) {
					t.Errorf("id 997: record %+v, want code toolong and the length error", r)
				}
			}
			for _, id := range []string{"997", "1994", "2991", "3988", "4985", "2500"} {
				if !ids[id] {
					t.Errorf("no dirty record for id %s (have %v)", id, ids)
				}
			}
		})
	}
}

// TestPassthroughDistributed: Plan, CopySplit in another Pipeline (another
// reader and writer, as a worker process has) and Finish pass the tuples
// through too, and the target gets every row once.
func TestPassthroughDistributed(t *testing.T) {
	ctx := context.Background()
	src, dst := tableName(t, "src"), tableName(t, "dst")
	t.Cleanup(func() { connect(t).Exec(ctx, "DROP TABLE IF EXISTS "+src+", "+dst) })
	builtinTable(t, src)
	exec(t, "CREATE TABLE "+dst+" (LIKE "+src+" INCLUDING ALL)")
	open := func() *ferry.Pipeline {
		r, err := pgreader.Open(ctx, pgreader.Config{ConnString: connString(), Table: src})
		if err != nil {
			t.Fatal(err)
		}
		w, err := pgwriter.New(pgwriter.Config{ConnString: connString(), Table: dst, Mode: ferry.ModeOverwrite})
		if err != nil {
			t.Fatal(err)
		}
		return ferry.New(r, w, &ferry.Options{Concurrency: 2})
	}
	planner := open()
	defer planner.Close()
	pl, err := planner.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Splits) < 2 {
		t.Fatalf("%d splits", len(pl.Splits))
	}
	worker := open()
	var results []ferry.SplitSummary
	for _, s := range pl.Splits {
		res, err := worker.CopySplit(ctx, pl, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
	}
	if err := worker.Close(); err != nil {
		t.Fatal(err)
	}
	sum, err := planner.Finish(ctx, pl, results)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, "SELECT count(*) FROM "+src); sum.RowsWritten != n {
		t.Errorf("wrote %d rows, want %d", sum.RowsWritten, n)
	}
	sameRows(t, src, dst)
}
