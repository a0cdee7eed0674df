package csvwriter

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestAppendFieldEveryOffset puts each byte that forces quotes at every
// offset of fields up to 40 bytes (so the 8-byte skip meets it at every
// position of a block and in the tail) and compares appendField with the
// rule written out byte by byte.
func TestAppendFieldEveryOffset(t *testing.T) {
	for _, cfg := range []Config{{Delimiter: ',', Quote: '"'}, {Delimiter: '\t', Quote: '\'', NullString: `\N`}} {
		cfg.NoHeader = true
		w := &Writer{cfg: cfg}
		enc, err := w.newEncoder(io.Discard, arrow.NewSchema(nil, nil))
		if err != nil {
			t.Fatal(err)
		}
		e := enc.(*encoder)
		for n := 0; n <= 40; n++ {
			for at := 0; at < n; at++ {
				for _, c := range []byte{cfg.Delimiter, cfg.Quote, '\n', '\r', ',', '"', '\'', '\t', ' ', 'x', 0, 0xff} {
					s := []byte(strings.Repeat("a", at) + string(c) + strings.Repeat("b", n-at-1))
					want := s
					need := string(s) == cfg.NullString || s[0] == ' ' || s[len(s)-1] == ' ' || s[0] == '\t' ||
						bytes.ContainsAny(s, string([]byte{cfg.Delimiter, cfg.Quote, '\n', '\r'}))
					if need {
						want = append([]byte{cfg.Quote}, bytes.ReplaceAll(s, []byte{cfg.Quote}, []byte{cfg.Quote, cfg.Quote})...)
						want = append(want, cfg.Quote)
					}
					if got := e.appendField(nil, s, true); !bytes.Equal(got, want) {
						t.Fatalf("%+v: %q: got %q, want %q", cfg, s, got, want)
					}
				}
			}
		}
	}
}
