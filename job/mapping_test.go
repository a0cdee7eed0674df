package job_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/job"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/writer/memwriter"
)

func strp(s string) *string { return &s }
func intp(i int) *int       { return &i }

// The mapping picks, renames, adds constants and converts text to the
// destination's types (Java date patterns); rows whose text does not
// convert are dirty, the others written; nothing leaks.
func TestProjection(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	in := arrow.NewSchema([]arrow.Field{
		{Name: "c1", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "c2", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "c3", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, in)
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"1", "x", "3", ""}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"2025/07/01", "2025/07/02", "07/03/2025", "2025/07/04"}, nil)
	b.Field(2).(*array.Int64Builder).AppendValues([]int64{10, 20, 30, 40}, nil)
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()

	dest := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int32},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32},
		{Name: "n_text", Type: arrow.BinaryTypes.String},
		{Name: "amount", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}},
		{Name: "flag", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "nothing", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	m := job.Mapping{Columns: []job.MapColumn{
		{To: "id", Index: intp(0)},
		{To: "day", From: "c2", Format: "yyyy/MM/dd"},
		{To: "n_text", From: "c3"},
		{To: "amount", Value: strp("12.50")},
		{To: "flag", Value: strp("true")},
		{To: "nothing", Null: true},
	}}
	proj := job.NewProjection(m, dest, mem)
	tbl := memwriter.NewTable()
	defer tbl.Release()
	var dirtyRows []dirty.Record
	sink := dirty.SinkFunc(func(ctx context.Context, r dirty.Record) error { dirtyRows = append(dirtyRows, r); return nil })
	sum, err := ferry.New(memreader.New([]arrow.RecordBatch{rec}, nil), memwriter.New(tbl, nil), &ferry.Options{
		Transformers: []ferry.Transformer{proj}, Dirty: dirty.TolerateRows(5), DirtySinks: []dirty.Sink{sink}, Allocator: mem,
	}).Run(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 2, sum.RowsWritten)
	require.EqualValues(t, 2, sum.RowsDirty)
	require.Len(t, dirtyRows, 2)
	out, err := tbl.Batch(mem, nil)
	require.NoError(t, err)
	defer out.Release()
	var sb strings.Builder
	for i := 0; i < int(out.NumRows()); i++ {
		for k := 0; k < int(out.NumCols()); k++ {
			sb.WriteString(out.Column(k).ValueStr(i) + " ")
		}
		sb.WriteString("\n")
	}
	require.Equal(t, "1 2025-07-01 10 12.5 true (null) \n(null) 2025-07-04 40 12.5 true (null) \n", sb.String())
	require.Equal(t, "parse text (yyyy/MM/dd)", proj.Resolved[1].Conversion)

	// Mapping by position with the wrong count, or to a column the
	// destination lacks, fails before any row flows.
	_, err = job.NewProjection(job.Mapping{Exact: true, Columns: []job.MapColumn{{To: "a", Index: intp(0)}}}, nil, mem).OutputSchema(in)
	require.ErrorContains(t, err, "mapping by position: the source has 3 columns (c1, c2, c3) and the destination list 1")
	_, err = job.NewProjection(job.Mapping{Columns: []job.MapColumn{{To: "nope", From: "c1"}}}, dest, mem).OutputSchema(in)
	require.ErrorContains(t, err, `the destination has no column "nope"`)
	_, err = job.NewProjection(job.Mapping{Columns: []job.MapColumn{{To: "amount", Value: strp("abc")}}}, dest, mem).OutputSchema(in)
	require.ErrorContains(t, err, `constant "abc" is not a decimal(10,2)`)
	_, err = job.NewProjection(job.Mapping{Columns: []job.MapColumn{{To: "day", From: "c3"}}}, dest, mem).OutputSchema(in)
	require.ErrorContains(t, err, `source column "c3" is int64, which cannot be written into destination column "day" (date32)`)
}

// DataX transformers run through transform.Build; an unknown one is an
// error naming it.
func TestDataXTransformer(t *testing.T) {
	text := `{"job": {"setting": {"speed": {"channel": 1}}, "content": [{
	  "reader": {"name": "streamreader", "parameter": {"column": [{"value": "dataxTest", "type": "string"}, {"incr": "1", "type": "long"}], "sliceRecordCount": 3}},
	  "writer": {"name": "streamwriter", "parameter": {"fieldDelimiter": ","}},
	  "transformer": [{"name": "dx_substr", "parameter": {"columnIndex": 0, "paras": ["2", "5"]}},
	                  {"name": "dx_filter", "parameter": {"columnIndex": 1, "paras": ["=", "2"]}}]}]}}`
	p, err := job.Parse([]byte(text), &job.Options{CycTime: cyc})
	require.NoError(t, err)
	var out bytes.Buffer
	sum, err := p.Run(context.Background(), &job.RunOptions{Stdout: &out})
	require.NoError(t, err)
	require.Equal(t, "taxTe,1\ntaxTe,3\n", out.String())
	require.EqualValues(t, 1, sum.RowsFiltered)

	p, err = job.Parse([]byte(strings.Replace(text, "dx_filter", "dx_nosuch", 1)), &job.Options{CycTime: cyc})
	require.NoError(t, err)
	_, err = p.Run(context.Background(), nil)
	require.ErrorContains(t, err, `unknown transform "dx_nosuch"`)
}

// A DataX reader with column ["*"] maps by position onto the writer's
// list: the counts must match when the source's columns are known.
func TestDataXStarCountMismatch(t *testing.T) {
	text := `{"job": {"content": [{
	  "reader": {"name": "streamreader", "parameter": {"column": [{"value": "a", "type": "string"}, {"value": 1, "type": "long"}], "sliceRecordCount": 1}},
	  "writer": {"name": "sqlitewriter", "parameter": {"column": ["x", "y", "z"], "connection": [{"jdbcUrl": "jdbc:sqlite:/nonexistent/jobtest.db", "table": ["t"]}]}}}]}}`
	p, err := job.Parse([]byte(text), &job.Options{CycTime: cyc})
	require.NoError(t, err)
	_, err = p.Plan(context.Background(), nil)
	require.ErrorContains(t, err, "mapping by position: the source has 2 columns (c1, c2) and the destination list 3")
}

// Text and constants into types Ferry does not parse (uuid, json) go to the
// writer as text: PostgreSQL converts them.
func TestTextIntoUUIDAndJSON(t *testing.T) {
	src := sqliteSource(t)
	pg := pgDB(t)
	exec(t, pg, "DROP TABLE IF EXISTS jobtest_uuid", "CREATE TABLE jobtest_uuid (id bigint, u uuid, j jsonb)")
	d := sqliteDB(t, src)
	exec(t, d, "CREATE TABLE jobtest_u (id INTEGER, u TEXT)", "INSERT INTO jobtest_u VALUES (1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')")
	text := `{"source": "sqlite://` + src + `?table=jobtest_u", "destination": {"url": "` + vars(t)["PG_URL"] + `", "params": {"table": ["jobtest_uuid"]}},
	  "mapping": {"columns": [{"to": "id", "from": "id"}, {"to": "u", "from": "u"}, {"to": "j", "value": "{\"ds\": \"${bizdate}\"}"}]}}`
	p, err := job.Parse([]byte(text), &job.Options{CycTime: cyc})
	require.NoError(t, err)
	_, err = p.Run(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, []string{`1|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|{"ds": "20250726"}`}, queryStrings(t, pg, "SELECT id, u, j FROM jobtest_uuid"))
}
