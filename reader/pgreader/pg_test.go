package pgreader_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/pgreader"
)

func exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := connect(t).Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// readSplits reads every split of r concurrently and returns the ids seen.
func readSplits(t *testing.T, ctx context.Context, r ferry.Reader, splits []ferry.Split) []int64 {
	t.Helper()
	var mu sync.Mutex
	var ids []int64
	var wg sync.WaitGroup
	for _, sp := range splits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rr, err := r.Read(ctx, sp)
			if err != nil {
				t.Error(err)
				return
			}
			defer rr.Release()
			for rr.Next() {
				col := rr.RecordBatch().Column(0)
				mu.Lock()
				for i := 0; i < col.Len(); i++ {
					switch c := col.(type) {
					case *array.Int64:
						ids = append(ids, c.Value(i))
					case *array.Int32:
						ids = append(ids, int64(c.Value(i)))
					}
				}
				mu.Unlock()
			}
			if err := rr.Err(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	return ids
}

func distinct(ids []int64) int {
	m := map[int64]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return len(m)
}

// TestSnapshotConsistency inserts rows from another connection while a
// parallel read is under way: every split sees the Reader's snapshot.
func TestSnapshotConsistency(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	tbl := tableName(t, "t")
	exec(t, "CREATE TABLE "+tbl+" (id bigint PRIMARY KEY, v text)")
	exec(t, "INSERT INTO "+tbl+" SELECT g, md5(g::text) FROM generate_series(1, 50000) g")
	r, err := pgreader.Open(ctx, pgreader.Config{ConnString: connString(), Table: tbl, BatchRows: 4096, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// concurrent writers: new rows inside and beyond the key range, deletes
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c := connect(t)
		for i := int64(0); ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := c.Exec(ctx, "INSERT INTO "+tbl+" VALUES ($1, 'new'), ($2, 'new')", 100000+i, -i-1); err != nil {
				t.Error(err)
				return
			}
			if _, err := c.Exec(ctx, "DELETE FROM "+tbl+" WHERE id = $1", 50000-i); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	exec(t, "INSERT INTO "+tbl+" SELECT g, 'committed before Splits' FROM generate_series(200000, 200999) g")
	splits, err := r.Splits(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(splits) < 4 {
		t.Errorf("%d splits, want at least 4", len(splits))
	}
	ids := readSplits(t, ctx, r, splits)
	close(stop)
	wg.Wait()
	if len(ids) != 50000 || distinct(ids) != 50000 {
		t.Errorf("read %d rows (%d distinct), want the snapshot's 50000", len(ids), distinct(ids))
	}
	for _, id := range ids {
		if id < 1 || id > 50000 {
			t.Fatalf("read id %d from after the snapshot", id)
		}
	}
}

// TestSplitKinds covers text keys (sampled quantiles) with NULL keys, ctid
// ranges for a table without a key, and a query with splitPk.
func TestSplitKinds(t *testing.T) {
	ctx := context.Background()
	tbl := tableName(t, "t")
	exec(t, "CREATE TABLE "+tbl+" (n int, k text)")
	exec(t, "INSERT INTO "+tbl+" SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE md5(g::text) END FROM generate_series(1, 30000) g")
	for _, tc := range []struct {
		name string
		cfg  pgreader.Config
		want int
		kind string
	}{
		{"text key", pgreader.Config{Table: tbl, SplitPK: "k"}, 30000, `"hi"`},
		{"ctid", pgreader.Config{Table: tbl}, 30000, `"ctid"`},
		{"where", pgreader.Config{Table: tbl, Where: "n <= 1000", SplitPK: "n", Columns: []string{"n"}}, 1000, `"hi"`},
		{"query", pgreader.Config{QuerySQL: "SELECT n, k FROM " + tbl + " WHERE n % 2 = 0", SplitPK: "n"}, 15000, `"hi"`},
		{"splits=1", pgreader.Config{Table: tbl, SplitPK: "k", Splits: 1}, 30000, `"all"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.ConnString = connString()
			r, err := pgreader.Open(ctx, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			splits, err := r.Splits(ctx, 4)
			if err != nil {
				t.Fatal(err)
			}
			var specs []string
			for _, s := range splits {
				var m map[string]any
				if err := json.Unmarshal(s.Spec, &m); err != nil {
					t.Fatal(err)
				}
				specs = append(specs, s.ID+" "+string(s.Spec))
			}
			if !strings.Contains(strings.Join(specs, "\n"), tc.kind) {
				t.Errorf("splits %v, want %s", specs, tc.kind)
			}
			ids := readSplits(t, ctx, r, splits)
			if len(ids) != tc.want || distinct(ids) != tc.want {
				t.Errorf("read %d rows (%d distinct) from %d splits, want %d:\n%s", len(ids), distinct(ids), len(splits), tc.want, strings.Join(specs, "\n"))
			}
		})
	}
}

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		url, err string
	}{
		{"postgres://u:secret@h/db?table=s.t&splitPk=id&where=a%3D1&columns=a,b&batchRows=10&sslmode=disable&application_name=x", ""},
		{"postgresql://u@h/db?querySql=select%201", ""},
		{"postgres://u:secret@h/db?table=t&bogus=1", "bogus"},
		{"postgres://u@h/db", "table or querySql"},
		{"postgres://u@h/db?table=t&querySql=x", "not both"},
		{"postgres://u@h/db?table=t&batchRows=x", "batchRows"},
	} {
		cfg, err := pgreader.ParseConfig(tc.url)
		if tc.err == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.url, err)
			}
			if strings.Contains(cfg.ConnString, "table=") || strings.Contains(cfg.ConnString, "splitPk") {
				t.Errorf("%s: Ferry parameters leaked into the connection string %s", tc.url, cfg.ConnString)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %v, want an error about %s", tc.url, err, tc.err)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("password in error: %v", err)
		}
	}
}

func TestOpenURL(t *testing.T) {
	ctx := context.Background()
	tbl := tableName(t, "t")
	exec(t, "CREATE TABLE "+tbl+" (id int PRIMARY KEY)")
	r, err := ferry.DefaultURLMux().OpenReader(ctx, dsn("table="+tbl))
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
}
