package job_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrydata/ferry/job"
)

// FuzzParse feeds job files to Parse: it must never panic, every error is
// one line prefixed "job: ", and a parsed job never shows the secret.
// The seed corpus is testdata/fuzz/FuzzParse (the testdata job files and
// broken variants), run by go test in CI.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
	cat := &job.Catalog{Sources: map[string]job.CatalogEntry{
		"orders_db": {Dev: "mysql://u:${env:PW}@127.0.0.1:1/a", Prod: "mysql://u:${env:PW}@127.0.0.1:1/b"},
		"dw":        {Dev: "postgres://u:${env:PW}@127.0.0.1:1/dw", Prod: "postgres://u@127.0.0.1:1/dw"},
	}}
	const secret = "fuzz-secret-pw"
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := job.Parse(data, &job.Options{
			CycTime: cyc, Catalog: cat,
			Vars:      map[string]string{"minid": "1"},
			Params:    map[string]string{"pt": "${yyyy-mm-dd}"},
			LookupEnv: func(k string) (string, bool) { return secret, k == "PW" },
		})
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "job: ") || strings.Contains(msg, "\n") {
				t.Fatalf("error not one job: line: %q", msg)
			}
			if strings.Contains(msg, secret) {
				t.Fatalf("error shows the secret: %q", msg)
			}
			return
		}
		if strings.Contains(p.Shown(), secret) {
			t.Fatalf("Shown shows the secret")
		}
	})
}
