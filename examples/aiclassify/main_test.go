package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/openaitest"
	"github.com/ferrydata/ferry/internal/pgtest"
	"github.com/ferrydata/ferry/reader/parquetreader"
	"github.com/ferrydata/ferry/writer/memwriter"
)

// keywords make the test server answer like a model that reads the descriptions.
var keywords = []struct{ word, category string }{
	{"shoe", "footwear"}, {"sneaker", "footwear"}, {"jacket", "clothing"}, {"shirt", "clothing"},
	{"smartphone", "electronics"}, {"earbuds", "electronics"}, {"charger", "electronics"}, {"lamp", "electronics"},
	{"table", "furniture"}, {"espresso", "kitchen"}, {"pan", "kitchen"}, {"backpack", "outdoor"},
}

func categoryOf(text string) string {
	low := strings.ToLower(text)
	for _, k := range keywords {
		if strings.Contains(low, k.word) {
			return k.category
		}
	}
	return "other"
}

// answer parses the numbered items of a batched request and classifies each.
func answer(req *openaitest.ChatRequest) string {
	var items []any
	for _, part := range strings.Split(req.User(), "### item ")[1:] {
		var id int
		fmt.Sscan(part, &id)
		desc := part[strings.Index(part, "Description:"):]
		items = append(items, map[string]any{"id": id, "category": categoryOf(desc)})
	}
	b, _ := json.Marshal(map[string]any{"items": items})
	return string(b)
}

// TestExample runs the program against the test server: Parquet first
// (4 requests: a dimension probe, two chat batches, one embeddings batch),
// then PostgreSQL from the cache with no request at all.
func TestExample(t *testing.T) {
	srv := openaitest.New(&openaitest.Options{Answer: answer, Dim: 32})
	defer srv.Close()
	dir := t.TempDir()
	table := pgtest.TableName(t, "aiclassify18")
	c := Config{Parquet: filepath.Join(dir, "products.parquet"), PG: pgtest.ConnString(), Table: table,
		BaseURL: srv.BaseURL, ChatModel: "test-chat", EmbedModel: "test-embed", BatchRows: 8,
		Cache: filepath.Join(dir, "cache.sqlite"), MaxDirty: 0}
	sums, err := run(context.Background(), c)
	require.NoError(t, err)
	require.Len(t, sums, 2)
	for _, s := range sums {
		require.True(t, s.Committed)
		require.Equal(t, int64(12), s.RowsWritten)
		require.Len(t, s.Notes, 2)
	}
	require.Equal(t, 2, srv.Requests(openaitest.Chat))
	require.Equal(t, 2, srv.Requests(openaitest.Embeddings)) // the probe and 12 texts in one request
	require.Contains(t, sums[0].Notes[0], "12 rows (0 from the cache, 0 dirty), 2 requests")
	require.Contains(t, sums[1].Notes[0], "12 rows (12 from the cache, 0 dirty), 0 requests")
	require.Contains(t, sums[1].Notes[1], "12 texts (12 from the cache), 0 requests")
	t.Log(sums[0].Report())

	// The Parquet file: the categories and 32-dimensional vectors.
	want := map[int64]string{1: "footwear", 2: "electronics", 3: "furniture", 4: "clothing", 5: "electronics", 6: "kitchen",
		7: "footwear", 8: "electronics", 9: "outdoor", 10: "electronics", 11: "clothing", 12: "kitchen"}
	ctx := context.Background()
	r, err := parquetreader.Open(ctx, parquetreader.Config{Path: c.Parquet})
	require.NoError(t, err)
	tbl := memwriter.NewTable()
	defer tbl.Release()
	_, err = ferry.New(r, memwriter.New(tbl, nil), nil).Run(ctx)
	require.NoError(t, err)
	b, err := tbl.Batch(nil, nil)
	require.NoError(t, err)
	defer b.Release()
	s := b.Schema()
	require.Equal(t, "fixed_size_list<item: float32, nullable>[32]", s.Field(s.FieldIndices("embedding")[0]).Type.String())
	ids := b.Column(s.FieldIndices("id")[0])
	cats := b.Column(s.FieldIndices("category")[0]).(*array.String)
	vecs := b.Column(s.FieldIndices("embedding")[0]).(*array.FixedSizeList)
	names := b.Column(s.FieldIndices("name")[0]).(*array.String)
	descs := b.Column(s.FieldIndices("description")[0]).(*array.String)
	for i := 0; i < int(b.NumRows()); i++ {
		var id int64
		fmt.Sscan(ids.ValueStr(i), &id)
		require.Equal(t, want[id], cats.Value(i), "product %d", id)
		lo, _ := vecs.ValueOffsets(i)
		got := vecs.ListValues().(*array.Float32).Float32Values()[lo : lo+32]
		require.Equal(t, openaitest.Vector(names.Value(i)+"\n"+descs.Value(i), 32), got)
	}

	// The PostgreSQL table: same categories, real[] vectors.
	conn := pgtest.Connect(t)
	rows, err := conn.Query(ctx, "SELECT id, category, array_length(embedding, 1) FROM "+table+" ORDER BY id")
	require.NoError(t, err)
	n := 0
	for rows.Next() {
		var id int64
		var cat string
		var dim int
		require.NoError(t, rows.Scan(&id, &cat, &dim))
		require.Equal(t, want[id], cat)
		require.Equal(t, 32, dim)
		n++
	}
	require.NoError(t, rows.Err())
	require.Equal(t, 12, n)
}

// TestExampleBadAnswers: an off-list category is a dirty row; with
// -maxdirty 0 the run fails and writes no Parquet file.
func TestExampleBadAnswers(t *testing.T) {
	srv := openaitest.New(&openaitest.Options{Answer: func(req *openaitest.ChatRequest) string {
		return strings.Replace(answer(req), `"kitchen"`, `"cookware"`, 1)
	}})
	defer srv.Close()
	dir := t.TempDir()
	c := Config{Parquet: filepath.Join(dir, "p.parquet"), BaseURL: srv.BaseURL, ChatModel: "m", EmbedModel: "e", Dim: 8,
		BatchRows: 12, Cache: "off"}
	sums, err := run(context.Background(), c)
	require.Error(t, err)
	require.Len(t, sums, 1)
	require.False(t, sums[0].Committed)
	require.Equal(t, int64(1), sums[0].RowsDirty)
	require.NoFileExists(t, c.Parquet)
}
