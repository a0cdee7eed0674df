package pgreader_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/pgreader"
)

// TestStateToSecondReader: splits and state shipped as JSON are read by a
// second Reader opened from the same configuration on the planner's
// snapshot (rows committed after planning are not seen); once the planner
// is closed its snapshot is gone, and a third Reader falls back to its own
// snapshot and says so.
func TestStateToSecondReader(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	tbl := tableName(t, "t")
	exec(t, "CREATE TABLE "+tbl+" (id bigint PRIMARY KEY, v text)")
	exec(t, "INSERT INTO "+tbl+" SELECT g, 'x' FROM generate_series(1, 10000) g")
	cfg := pgreader.Config{ConnString: connString(), Table: tbl, Allocator: mem, BatchRows: 1000}
	planner, err := pgreader.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	splits, err := planner.Splits(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	state, err := planner.ExportState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := json.Marshal(splits)
	if err != nil {
		t.Fatal(err)
	}
	exec(t, "INSERT INTO "+tbl+" SELECT g, 'late' FROM generate_series(10001, 12000) g")
	exec(t, "DELETE FROM "+tbl+" WHERE id <= 100")

	var got []ferry.Split
	if err := json.Unmarshal(shipped, &got); err != nil {
		t.Fatal(err)
	}
	second, err := pgreader.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	note, err := second.ImportState(ctx, state)
	if err != nil || note != "" {
		t.Fatalf("ImportState: %q, %v; want the snapshot, no note", note, err)
	}
	ids := readSplits(t, ctx, second, got)
	if len(ids) != 10000 || distinct(ids) != 10000 {
		t.Errorf("second reader read %d rows (%d distinct), want the planner's 10000", len(ids), distinct(ids))
	}
	planner.Close()

	third, err := pgreader.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	note, err = third.ImportState(ctx, state)
	if err != nil || !strings.Contains(note, "gone") || !strings.Contains(note, "own snapshot") {
		t.Fatalf("ImportState of a dead snapshot: %q, %v; want a note about the fallback", note, err)
	}
	ids = readSplits(t, ctx, third, got)
	if len(ids) != 11900 || distinct(ids) != 11900 {
		t.Errorf("third reader read %d rows (%d distinct), want today's 11900", len(ids), distinct(ids))
	}
	for _, bad := range []string{`{}`, `{"pgreader_state":1,"snapshot":"x'; DROP TABLE t; --"}`, `not json`} {
		if _, err := third.ImportState(ctx, json.RawMessage(bad)); err == nil {
			t.Errorf("ImportState(%s) accepted", bad)
		}
	}
}

// TestFieldMetadata: every table column carries the source type, engine,
// NOT NULL, primary key position and declared character length.
func TestFieldMetadata(t *testing.T) {
	ctx := context.Background()
	tbl := tableName(t, "t")
	exec(t, "CREATE TABLE "+tbl+" (a int NOT NULL, b varchar(16), c char(3) NOT NULL, d jsonb, e numeric(12,2), PRIMARY KEY (c, a))")
	r, err := pgreader.Open(ctx, pgreader.Config{ConnString: connString(), Table: tbl})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sc, _ := r.Schema(ctx)
	want := map[string]map[string]string{
		"a": {ferry.MetaSourceType: "integer", ferry.MetaNotNull: "true", ferry.MetaPrimaryKey: "2"},
		"b": {ferry.MetaSourceType: "character varying(16)", ferry.MetaCharLength: "16", ferry.MetaNotNull: "", ferry.MetaPrimaryKey: ""},
		"c": {ferry.MetaSourceType: "character(3)", ferry.MetaCharLength: "3", ferry.MetaNotNull: "true", ferry.MetaPrimaryKey: "1"},
		"d": {ferry.MetaSourceType: "jsonb"},
		"e": {ferry.MetaSourceType: "numeric(12,2)", ferry.MetaCharLength: ""},
	}
	for _, f := range sc.Fields() {
		if got := ferry.FieldMeta(f, ferry.MetaSourceEngine); got != ferry.EnginePostgreSQL {
			t.Errorf("%s: engine %q", f.Name, got)
		}
		for k, v := range want[f.Name] {
			if got := ferry.FieldMeta(f, k); got != v {
				t.Errorf("%s: %s = %q, want %q", f.Name, k, got, v)
			}
		}
	}
	if pk := ferry.PrimaryKey(sc); strings.Join(pk, ",") != "c,a" {
		t.Errorf("primary key %v, want [c a]", pk)
	}
}
