package transform_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/transform"
)

// exampleBatch builds a one-column batch of names.
func exampleBatch(vals ...string) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues(vals, nil)
	return b.NewRecordBatch()
}

func apply(t ferry.Transformer, b arrow.RecordBatch) {
	if _, err := t.OutputSchema(b.Schema()); err != nil {
		log.Fatal(err)
	}
	out, err := t.Transform(context.Background(), b)
	for _, r := range dirty.Rows(err) {
		fmt.Println("dirty:", r.Error())
	}
	if err != nil && !dirty.Is(err) {
		log.Fatal(err)
	}
	defer out.Release()
	fmt.Println(out.Column(0))
}

// A DataX job's transformer, built from its JSON.
func ExampleBuild() {
	var spec transform.Spec
	if err := json.Unmarshal([]byte(`{"name":"dx_substr","parameter":{"columnIndex":0,"paras":["2","5"]}}`), &spec); err != nil {
		log.Fatal(err)
	}
	t, err := transform.Build(spec)
	if err != nil {
		log.Fatal(err)
	}
	b := exampleBatch("dataxTest", "😀😀😀ab", "x")
	defer b.Release()
	apply(t, b)
	// Output:
	// dirty: row 2, column name: transform: dx_substr: startIndex 2 out of range: the value has 1 characters
	// ["taxTe" "😀ab"]
}

// A row filter from an expression, type-checked against the schema when
// the pipeline starts.
func ExampleFilter() {
	t, err := transform.Filter(`len(name) > 3 && !(name startsWith "b")`, nil)
	if err != nil {
		log.Fatal(err)
	}
	b := exampleBatch("alice", "bob", "bernard", "carol")
	defer b.Release()
	apply(t, b)
	// Output: ["alice" "carol"]
}

// DataWorks' string replacement: a regular expression with groups, then
// upper case.
func ExampleText() {
	t, err := transform.Text(transform.TextConfig{Columns: []string{"name"}, Find: `^(\w+)@(\w+)\.com$`, Regex: true, With: "$2:$1", Case: "upper"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	b := exampleBatch("ann@example.com", "not an address")
	defer b.Release()
	apply(t, b)
	// Output: ["EXAMPLE:ANN" "NOT AN ADDRESS"]
}
