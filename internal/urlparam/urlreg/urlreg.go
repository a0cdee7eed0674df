// Package urlreg registers the built-in connectors' URL openers together
// with their urlparam tables, so that ferry.URLMux.ReaderParams and
// WriterParams (and ferry help urls) list exactly what the parsers read.
package urlreg

import (
	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/urlparam"
)

// Public returns t as the root package's documentation type.
func Public(t urlparam.Table) []ferry.URLParam {
	out := make([]ferry.URLParam, len(t))
	for i, p := range t {
		out[i] = ferry.URLParam{Name: p.Name, Default: p.Default, Doc: p.Doc, Secret: p.Secret}
	}
	return out
}

// Reader returns o listing t's parameters.
func Reader(t urlparam.Table, o ferry.ReaderOpener) ferry.ReaderOpener {
	return ferry.ReaderOpenerWithParams(o, Public(t))
}

// Writer returns o listing t's parameters.
func Writer(t urlparam.Table, o ferry.WriterOpener) ferry.WriterOpener {
	return ferry.WriterOpenerWithParams(o, Public(t))
}
