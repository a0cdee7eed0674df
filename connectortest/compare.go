package connectortest

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
)

// checkSchema fails t unless got has want's field names in order, with the
// standard types or those of types.
func checkSchema(t T, want, got *arrow.Schema, types map[string]arrow.DataType) {
	t.Helper()
	if got.NumFields() != want.NumFields() {
		t.Fatalf("schema has %d fields, want %d:\ngot  %s\nwant %s", got.NumFields(), want.NumFields(), got, want)
	}
	for i, wf := range want.Fields() {
		gf := got.Field(i)
		if gf.Name != wf.Name {
			t.Fatalf("field %d is %q, want %q", i, gf.Name, wf.Name)
		}
		wt := wf.Type
		if tt, ok := types[wf.Name]; ok {
			wt = tt
		}
		if !arrow.TypeEqual(gf.Type, wt) {
			t.Errorf("field %s has type %s, want %s", wf.Name, gf.Type, wt)
		}
	}
}

// rowIndex maps ids to (batch, row) in got.
type rowRef struct{ b, row int }

func indexByID(t T, got []arrow.RecordBatch) map[int64]rowRef {
	t.Helper()
	idx := map[int64]rowRef{}
	for bi, b := range got {
		ids, ok := b.Column(0).(*array.Int64)
		if !ok {
			t.Fatalf("column 0 (id) is %s, want int64", b.Column(0).DataType())
		}
		for r := 0; r < ids.Len(); r++ {
			if ids.IsNull(r) {
				t.Fatalf("NULL id in batch %d row %d", bi, r)
			}
			id := ids.Value(r)
			if prev, dup := idx[id]; dup {
				t.Fatalf("id %d returned twice (batch %d row %d and batch %d row %d)", id, prev.b, prev.row, bi, r)
			}
			idx[id] = rowRef{bi, r}
		}
	}
	return idx
}

// assertRows fails t unless got holds exactly the rows of want, in any
// order and any batching, with equal values in every column.
func assertRows(t T, want arrow.RecordBatch, got []arrow.RecordBatch) {
	t.Helper()
	idx := indexByID(t, got)
	wantIDs := want.Column(0).(*array.Int64)
	if len(idx) != wantIDs.Len() {
		t.Errorf("got %d rows, want %d", len(idx), wantIDs.Len())
	}
	errs := 0
	for i := 0; i < wantIDs.Len() && errs < 20; i++ {
		id := wantIDs.Value(i)
		ref, ok := idx[id]
		if !ok {
			t.Errorf("row id=%d missing", id)
			errs++
			continue
		}
		g := got[ref.b]
		for c := 1; c < int(want.NumCols()); c++ {
			name := want.ColumnName(c)
			gi := g.Schema().FieldIndices(name)
			if len(gi) == 0 {
				t.Fatalf("column %s missing from result", name)
			}
			wa, ga := want.Column(c), g.Column(gi[0])
			if !cellEqual(wa, i, ga, ref.row) {
				t.Errorf("id=%d column %s: got %s, want %s", id, name, show(ga, ref.row), show(wa, i))
				errs++
			}
		}
	}
	wantSet := make(map[int64]bool, wantIDs.Len())
	for i := 0; i < wantIDs.Len(); i++ {
		wantSet[wantIDs.Value(i)] = true
	}
	for id := range idx {
		if !wantSet[id] {
			t.Errorf("unexpected row id=%d", id)
			break
		}
	}
}

func show(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "NULL"
	}
	return strconv.Quote(a.ValueStr(i)) + " (" + a.DataType().String() + ")"
}

// cellEqual compares two cells: exactly when the types are equal (floats by
// value with NaN equal to NaN, JSON by meaning, lists element by element),
// and by their text when a harness declared another type.
func cellEqual(a arrow.Array, i int, b arrow.Array, j int) bool {
	if a.IsNull(i) || b.IsNull(j) {
		return a.IsNull(i) && b.IsNull(j)
	}
	if !arrow.TypeEqual(a.DataType(), b.DataType()) {
		return looseEqual(a, i, b, j)
	}
	switch a := a.(type) {
	case *array.Float32:
		x, y := a.Value(i), b.(*array.Float32).Value(j)
		return x == y || (x != x && y != y)
	case *array.Float64:
		x, y := a.Value(i), b.(*array.Float64).Value(j)
		return x == y || (math.IsNaN(x) && math.IsNaN(y))
	case *array.Binary:
		return bytes.Equal(a.Value(i), b.(*array.Binary).Value(j))
	case *extensions.JSONArray:
		return jsonEqual(a.Storage().ValueStr(i), b.(*extensions.JSONArray).Storage().ValueStr(j))
	case array.ListLike:
		bl := b.(array.ListLike)
		as, ae := a.ValueOffsets(i)
		bs, be := bl.ValueOffsets(j)
		if ae-as != be-bs {
			return false
		}
		for k := int64(0); k < ae-as; k++ {
			if !cellEqual(a.ListValues(), int(as+k), bl.ListValues(), int(bs+k)) {
				return false
			}
		}
		return true
	}
	return a.ValueStr(i) == b.ValueStr(j)
}

func looseEqual(a arrow.Array, i int, b arrow.Array, j int) bool {
	x, y := text(a, i), text(b, j)
	if x == y {
		return true
	}
	fx, ex := strconv.ParseFloat(x, 64)
	fy, ey := strconv.ParseFloat(y, 64)
	if ex == nil && ey == nil && (fx == fy || (math.IsNaN(fx) && math.IsNaN(fy))) {
		return true
	}
	if jsonEqual(x, y) {
		return true
	}
	return strings.TrimRight(strings.TrimRight(x, "0"), ".") == strings.TrimRight(strings.TrimRight(y, "0"), ".") && strings.Contains(x, ".") && strings.Contains(y, ".")
}

func text(a arrow.Array, i int) string {
	switch a := a.(type) {
	case *array.Float32:
		return strconv.FormatFloat(float64(a.Value(i)), 'g', -1, 32)
	case *array.Float64:
		return strconv.FormatFloat(a.Value(i), 'g', -1, 64)
	case *array.String:
		return a.Value(i)
	case *array.Binary:
		return string(a.Value(i))
	case array.ExtensionArray:
		return text(a.Storage(), i)
	}
	return a.ValueStr(i)
}

func jsonEqual(x, y string) bool {
	var a, b any
	if json.Unmarshal([]byte(x), &a) != nil || json.Unmarshal([]byte(y), &b) != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}

// readAll reads every split of r (each split's batches retained) and
// returns the batches. The caller releases them.
func readAll(t T, rr array.RecordReader) ([]arrow.RecordBatch, error) {
	t.Helper()
	var out []arrow.RecordBatch
	for rr.Next() {
		b := rr.RecordBatch()
		b.Retain()
		out = append(out, b)
	}
	return out, rr.Err()
}

func release(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}
