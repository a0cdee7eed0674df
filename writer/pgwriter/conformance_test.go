package pgwriter_test

import (
	"context"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/connectortest"
)

func TestConformance(t *testing.T) {
	connect(t)
	var mu sync.Mutex
	tables := map[string]string{} // test/dest → table
	table := func(t *testing.T, dest string, schema *arrow.Schema) string {
		mu.Lock()
		defer mu.Unlock()
		k := t.Name() + "/" + dest
		if n, ok := tables[k]; ok {
			return n
		}
		n := tableName(t, dest)
		extra := ""
		if dest == "dirty" {
			extra = "CHECK (str <> 'reject me')"
		}
		createTable(t, n, schema, extra)
		tables[k] = n
		return n
	}
	connectortest.RunWriterTests(t, connectortest.WriterHarness{
		New: func(t *testing.T, ctx context.Context, dest string, schema *arrow.Schema, mode ferry.WriteMode, mem memory.Allocator) ferry.Writer {
			return newWriter(t, table(t, dest, schema), mode, mem)
		},
		ReadBack: func(t *testing.T, ctx context.Context, dest string, schema *arrow.Schema) arrow.RecordBatch {
			return readBack(t, table(t, dest, schema), schema)
		},
		Types: readTypes,
		Modes: []ferry.WriteMode{ferry.ModeInsert, ferry.ModeOverwrite, ferry.ModeUpsert, ferry.ModeReplace},
		Dirty: dirtyBatch,
	})
}

// dirtyBatch returns 40 rows of which three break the table's constraints:
// a str the harness's CHECK rejects and two repeated ids (PRIMARY KEY).
func dirtyBatch(t *testing.T, mem memory.Allocator, schema *arrow.Schema) (arrow.RecordBatch, []int) {
	base := connectortest.Batch(mem, schema, 40)
	defer base.Release()
	ids := array.NewInt64Builder(mem)
	defer ids.Release()
	bad := []int{5, 9, 20}
	for i := 0; i < 40; i++ {
		switch i {
		case 9:
			ids.Append(1)
		case 20:
			ids.Append(2)
		default:
			ids.Append(int64(i + 1))
		}
	}
	idArr := ids.NewArray()
	defer idArr.Release()
	sb := array.NewStringBuilder(mem)
	defer sb.Release()
	for i := 0; i < 40; i++ {
		if i == 5 {
			sb.Append("reject me")
		} else {
			sb.Append("fine")
		}
	}
	strArr := sb.NewArray()
	defer strArr.Release()
	cols := append([]arrow.Array{idArr, strArr}, base.Columns()[2:]...)
	return array.NewRecordBatch(schema, cols, 40), bad
}
