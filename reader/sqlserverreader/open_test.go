package sqlserverreader_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferrydata/ferry"
	_ "github.com/ferrydata/ferry/reader/sqlserverreader"
)

// TestOpenURL opens through the registry: bad parameters and an
// unreachable server give errors that never show the password.
func TestOpenURL(t *testing.T) {
	if !slices.Contains(ferry.DefaultURLMux().ReaderSchemes(), "sqlserver") {
		t.Fatal("sqlserver reader not registered")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, u := range []string{
		"sqlserver://sa:Secr3tPw@127.0.0.1:1?table=t&nope=1",
		"sqlserver://sa:Secr3tPw@127.0.0.1:1?table=t&dial+timeout=2&connection+timeout=2",
		"sqlserver://sa@127.0.0.1:1?password=Secr3tPw&table=t&dial+timeout=2",
	} {
		r, err := ferry.OpenReader(ctx, u)
		if err == nil {
			r.Close()
			t.Fatalf("%s: opened", u)
		}
		if strings.Contains(err.Error(), "Secr3tPw") {
			t.Errorf("%s: the error shows the password: %v", u, err)
		}
	}
}
