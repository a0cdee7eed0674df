package streamwriter

import "github.com/ferrydata/ferry/internal/urlparam"

// params declares the URL parameters configFromURL reads; ferry help urls
// prints them.
var params = urlparam.Table{
	{Name: "print", Default: "true", Doc: "print the rows (false only counts them)"},
	{Name: "fieldDelimiter", Default: `\t`, Doc: "text between fields", Sample: ","},
}
