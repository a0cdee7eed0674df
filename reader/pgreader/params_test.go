package pgreader

import (
	"testing"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/urlparam/urlparamtest"
)

// TestURLParamTable: the parameters ferry help urls lists for the scheme
// are the table configFromURL reads, and the parser takes every one of them.
func TestURLParamTable(t *testing.T) {
	listed, ok := ferry.DefaultURLMux().ReaderParams("postgres")
	urlparamtest.Check(t, params, listed, ok, "postgres://u@h/db?table=t", func(s string) error {
		_, err := ParseConfig(s)
		return err
	})
}
