package streamreader

import "github.com/ferrydata/ferry/internal/urlparam"

// params declares the URL parameters configFromURL reads; ferry help urls
// prints them.
var params = urlparam.Table{
	{Name: "column", Doc: `required: JSON list of columns, [{"type":"long","incr":"1"},{"type":"string","value":"x"}]`, Sample: `[{"type":"long","incr":"1"}]`},
	{Name: "sliceRecordCount", Doc: "required: rows per slice (≥ 0)", Sample: "10"},
	{Name: "slices", Default: "0", Doc: "splits; 0 takes the Pipeline's concurrency hint"},
	{Name: "batchRows", Default: "4096", Doc: "rows per batch"},
}
