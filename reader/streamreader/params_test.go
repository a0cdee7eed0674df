package streamreader

import (
	"testing"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/urlparam/urlparamtest"
)

// TestURLParamTable: the parameters ferry help urls lists for the scheme
// are the table configFromURL reads, and the parser takes every one of them.
func TestURLParamTable(t *testing.T) {
	listed, ok := ferry.DefaultURLMux().ReaderParams("stream")
	urlparamtest.Check(t, params, listed, ok, "stream://?column=%5B%7B%22type%22%3A%22long%22%2C%22incr%22%3A%221%22%7D%5D&sliceRecordCount=1", func(s string) error {
		_, err := ParseConfig(s)
		return err
	})
}
