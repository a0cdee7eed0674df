package transform_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/reader/pgreader"
	"github.com/ferrydata/ferry/transform"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

// The benchmarks run on the standard benchmark table (cmd/ferrybench's
// orders_src: 13 columns, bigint to jsonb), 1M rows copied into
// tf_bench_src of the database FERRY_BENCH_PG (default: the local "bench"
// database, where `go run ./cmd/ferrybench` makes orders_src):
//
//	go test ./transform -run XXX -bench . -benchtime 3x
//
// BenchmarkTransforms measures each transform and the chain of five of the
// example job on the rows in memory; BenchmarkPGCopy measures the PG→PG copy
// of the same rows with and without the chain, in the same run.

const benchRows = 1_000_000

func benchURL() string {
	if u := os.Getenv("FERRY_BENCH_PG"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/bench?sslmode=disable"
}

var bench struct {
	once    sync.Once
	err     error
	batches []arrow.RecordBatch
}

// benchSetup makes tf_bench_src (the first 1M rows of orders_src) and reads
// it into memory once.
func benchSetup(b *testing.B) []arrow.RecordBatch {
	bench.once.Do(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, benchURL())
		if err != nil {
			bench.err = err
			return
		}
		defer conn.Close(ctx)
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM tf_bench_src").Scan(&n); err != nil || n != benchRows {
			for _, q := range []string{
				"DROP TABLE IF EXISTS tf_bench_src",
				"CREATE TABLE tf_bench_src AS SELECT * FROM orders_src WHERE id <= 1000000",
				"ALTER TABLE tf_bench_src ADD PRIMARY KEY (id)",
				"VACUUM ANALYZE tf_bench_src",
			} {
				if _, err := conn.Exec(ctx, q); err != nil {
					bench.err = errors.Join(err, errors.New("transform bench: needs orders_src with 1M rows or more: run go run ./cmd/ferrybench -rows 1000000 once"))
					return
				}
			}
		}
		cfg, err := pgreader.ParseConfig(benchURL() + sep(benchURL()) + "table=tf_bench_src")
		if err != nil {
			bench.err = err
			return
		}
		r, err := pgreader.Open(ctx, cfg)
		if err != nil {
			bench.err = err
			return
		}
		defer r.Close()
		splits, err := r.Splits(ctx, 1)
		if err != nil {
			bench.err = err
			return
		}
		for _, s := range splits {
			rr, err := r.Read(ctx, s)
			if err != nil {
				bench.err = err
				return
			}
			for rr.Next() {
				rec := rr.RecordBatch()
				rec.Retain()
				bench.batches = append(bench.batches, rec)
			}
			err = rr.Err()
			rr.Release()
			if err != nil {
				bench.err = err
				return
			}
		}
	})
	if bench.err != nil {
		b.Skipf("transform bench: %v", bench.err)
	}
	return bench.batches
}

// chainSpecs is the example job's chain of five: drop cancelled orders
// (DataX's dx_filter), cut the note to 64 characters (dx_substr), reformat
// the business date with a regex, read created_at as a Shanghai wall clock
// (an instant), and compute a gross amount.
var chainSpecs = []transform.Spec{
	{Name: "dx_filter", Parameter: []byte(`{"columnIndex":4,"paras":["=","cancelled"]}`)},
	{Name: "dx_substr", Parameter: []byte(`{"columnIndex":5,"paras":["0","64"]}`)},
	{Name: "replace", Parameter: []byte(`{"columns":["biz_date"],"find":"^(\\d{4})(\\d{2})(\\d{2})$","regex":true,"with":"$1-$2-$3"}`)},
	{Name: "timezone", Parameter: []byte(`{"columns":["created_at"],"from":"Asia/Shanghai","dst":"earliest"}`)},
	{Name: "compute", Parameter: []byte(`{"column":"gross","expr":"(amount ?? 0) * 1.13","type":"float64"}`)},
}

func BenchmarkTransforms(b *testing.B) {
	batches := benchSetup(b)
	single := map[string]string{
		"dx_substr":        `{"name":"dx_substr","parameter":{"columnIndex":5,"paras":["0","64"]}}`,
		"dx_pad":           `{"name":"dx_pad","parameter":{"columnIndex":4,"paras":["l","12","*"]}}`,
		"dx_replace":       `{"name":"dx_replace","parameter":{"columnIndex":4,"paras":["1","3","***"]}}`,
		"dx_filter_string": `{"name":"dx_filter","parameter":{"columnIndex":4,"paras":["=","cancelled"]}}`,
		"dx_filter_number": `{"name":"dx_filter","parameter":{"columnIndex":2,"paras":[">","25000"]}}`,
		"dx_filter_like":   `{"name":"dx_filter","parameter":{"columnIndex":5,"paras":["like",".*ipsum.*"]}}`,
		"dx_digest":        `{"name":"dx_digest","parameter":{"columnIndex":4,"paras":["md5","toLowerCase"]}}`,
		"replace_literal":  `{"name":"replace","parameter":{"columns":["note"],"find":"a","with":"A"}}`,
		"replace_regex":    `{"name":"replace","parameter":{"columns":["biz_date"],"find":"^(\\d{4})(\\d{2})(\\d{2})$","regex":true,"with":"$1-$2-$3"}}`,
		"trim_upper":       `{"name":"replace","parameter":{"columns":["status"],"trim":"both","case":"upper","emptyToNull":true}}`,
		"filter_expr":      `{"name":"filter","parameter":{"where":"status != 'cancelled' && (amount ?? 0) > 100"}}`,
		"compute_expr":     `{"name":"compute","parameter":{"column":"gross","expr":"(amount ?? 0) * 1.13","type":"float64"}}`,
		"cast_text_int":    `{"name":"cast","parameter":{"columns":["biz_date"],"type":"int64"}}`,
		"timezone":         `{"name":"timezone","parameter":{"columns":["created_at"],"from":"America/New_York","dst":"earliest"}}`,
		"map_pairs":        `{"name":"map","parameter":{"pairs":[{"from":"id"},{"from":"status","to":"state"},{"fromIndex":2,"to":"total"}]}}`,
	}
	for name, spec := range single {
		b.Run(name, func(b *testing.B) {
			benchChain(b, batches, []ferry.Transformer{mustBuild(b, nil, spec)})
		})
	}
	b.Run("chain5", func(b *testing.B) {
		chain, err := transform.BuildAll(chainSpecs, nil)
		if err != nil {
			b.Fatal(err)
		}
		benchChain(b, batches, chain)
	})
}

func benchChain(b *testing.B, batches []arrow.RecordBatch, chain []ferry.Transformer) {
	ctx := context.Background()
	schema := batches[0].Schema()
	for _, t := range chain {
		var err error
		if schema, err = t.OutputSchema(schema); err != nil {
			b.Fatal(err)
		}
	}
	var rows int64
	b.ResetTimer()
	t0, c0 := time.Now(), cpuTime()
	for range b.N {
		for _, in := range batches {
			cur := in
			cur.Retain()
			for _, t := range chain {
				out, err := t.Transform(ctx, cur)
				cur.Release()
				if err != nil && !dirty.Is(err) {
					b.Fatal(err)
				}
				cur = out
			}
			cur.Release()
			rows += in.NumRows()
		}
	}
	b.ReportMetric(float64(rows)/time.Since(t0).Seconds(), "rows/s")
	b.ReportMetric(float64(cpuTime()-c0)/float64(rows), "cpu-ns/row")
}

// cpuTime is the user+system CPU time of this process, which shared cores
// disturb less than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPGCopy copies the rows PG→PG with one worker, without and with
// the chain of five.
func BenchmarkPGCopy(b *testing.B) {
	benchSetup(b)
	ctx := context.Background()
	for _, withChain := range []bool{false, true} {
		name, dst := "copy", "tf_bench_dst_plain"
		if withChain {
			name, dst = "copy+chain5", "tf_bench_dst_chain"
		}
		b.Run(name, func(b *testing.B) {
			var rows int64
			var elapsed, cpu time.Duration
			for range b.N {
				b.StopTimer()
				conn, err := pgx.Connect(ctx, benchURL())
				if err != nil {
					b.Fatal(err)
				}
				ddl := []string{"DROP TABLE IF EXISTS " + dst, "CREATE TABLE " + dst + " (LIKE tf_bench_src)"}
				if withChain {
					ddl = append(ddl, "ALTER TABLE "+dst+" ALTER COLUMN created_at TYPE timestamptz", "ALTER TABLE "+dst+" ADD COLUMN gross double precision")
				}
				for _, q := range ddl {
					if _, err := conn.Exec(ctx, q); err != nil {
						b.Fatal(err)
					}
				}
				conn.Close(ctx)
				rcfg, err := pgreader.ParseConfig(benchURL() + sep(benchURL()) + "table=tf_bench_src")
				if err != nil {
					b.Fatal(err)
				}
				wcfg, err := pgwriter.ParseConfig(benchURL() + sep(benchURL()) + "table=" + dst)
				if err != nil {
					b.Fatal(err)
				}
				var chain []ferry.Transformer
				if withChain {
					if chain, err = transform.BuildAll(chainSpecs, nil); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				t0, c0 := time.Now(), cpuTime()
				r, err := pgreader.Open(ctx, rcfg)
				if err != nil {
					b.Fatal(err)
				}
				w, err := pgwriter.New(wcfg)
				if err != nil {
					b.Fatal(err)
				}
				sum, err := ferry.New(r, w, &ferry.Options{Concurrency: 1, Transformers: chain}).Run(ctx)
				if err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(t0)
				cpu += cpuTime() - c0
				rows += sum.RowsRead
			}
			b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
			b.ReportMetric(float64(cpu)/float64(rows), "cpu-ns/row")
		})
	}
}
