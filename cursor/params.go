package cursor

import (
	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/urlparam"
	"github.com/ferrydata/ferry/internal/urlparam/urlreg"
)

// params declares the parameters FromURL takes out of a SQL reader URL.
var params = urlparam.Table{
	{Name: ParamCursor, Doc: "incremental sync: read only rows past the saved cursor of these columns, comma-separated", Sample: "updated_at"},
	{Name: ParamNulls, Default: string(NullsInclude), Doc: "rows whose cursor column is NULL: include (read every run) or exclude"},
	{Name: ParamLookback, Default: "0", Doc: "re-read this far behind the saved cursor (a duration: 10m, 2h)", Sample: "10m"},
}

// URLParams returns the cursor parameters a reader URL of scheme takes,
// for help texts; nil when the scheme's reader takes no cursor.
func URLParams(scheme string) []ferry.URLParam {
	if _, ok := dialects[scheme]; !ok {
		return nil
	}
	return urlreg.Public(params)
}
