package history

import (
	"testing"

	"github.com/ferrydata/ferry/internal/urlparam"
	"github.com/ferrydata/ferry/internal/urlparam/urlparamtest"
	"github.com/ferrydata/ferry/internal/urlparam/urlreg"
)

// TestURLParamTable: a database store's URL takes every parameter its table
// declares (opening does not connect).
func TestURLParamTable(t *testing.T) {
	for _, tt := range []struct {
		scheme, base string
		table        urlparam.Table
	}{
		{"postgres", "postgres://u@127.0.0.1:1/db?sslmode=disable", pgParams},
		{"mysql", "mysql://root@127.0.0.1:1/db?charset=utf8mb4", myParams},
	} {
		urlparamtest.Check(t, tt.table, urlreg.Public(tt.table), true, tt.base, func(s string) error {
			st, err := openDB(tt.scheme, s)
			if err == nil {
				st.Close()
			}
			return err
		})
	}
}
