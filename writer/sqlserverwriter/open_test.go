package sqlserverwriter_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry"
	_ "github.com/ferrydata/ferry/writer/sqlserverwriter"
)

// TestOpenURL opens through the registry; Prepare against an unreachable
// server fails without showing the password.
func TestOpenURL(t *testing.T) {
	if !slices.Contains(ferry.DefaultURLMux().WriterSchemes(), "sqlserver") {
		t.Fatal("sqlserver writer not registered")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := ferry.OpenWriter(ctx, "sqlserver://sa:Secr3tPw@127.0.0.1:1?table=t&mode=upsert&nope=1"); err == nil || strings.Contains(err.Error(), "Secr3tPw") {
		t.Errorf("unknown parameter: %v", err)
	}
	w, err := ferry.OpenWriter(ctx, "sqlserver://sa:Secr3tPw@127.0.0.1:1?table=t&dial+timeout=2&connection+timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	err = w.Prepare(ctx, schema)
	if err == nil || strings.Contains(err.Error(), "Secr3tPw") {
		t.Errorf("Prepare against nothing: %v", err)
	}
	if err := w.Abort(ctx, err); err != nil {
		t.Errorf("Abort of an unprepared run: %v", err)
	}
	if _, err := w.(ferry.StageWriter).Status(ctx); err == nil {
		t.Error("Status of an unprepared run succeeded")
	}
}
