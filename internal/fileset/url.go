package fileset

import (
	"context"
	"fmt"
	"net/url"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/urlparam"
	"github.com/ferrydata/ferry/internal/urlparam/urlreg"
)

// The URL parameters of the file connectors, by package (URLParams reads
// with them) and by scheme (RegisterReader and RegisterWriter list them for
// ferry help urls). They live here, next to the parameters every file
// connector shares.
var (
	readerTables = map[string]urlparam.Table{
		"csv": {
			{Name: "header", Default: "true", Doc: "the files start with a header line (false: columns c1, c2, ... by position)"},
			{Name: "delimiter", Default: ",", Doc: `field separator, one byte (\t or tab for a tab)`},
			{Name: "quote", Default: `"`, Doc: "quote character, one byte"},
			{Name: "nullString", Doc: `unquoted text read as NULL; default an empty unquoted field ("" quoted is an empty string)`},
			{Name: "encoding", Default: "utf-8", Doc: "character encoding: utf-8, gbk, gb18030 or latin1 (others are not split)"},
			{Name: "columns", Doc: "columns and types, name:type,...; default inferred from the first sampleRows records", Sample: "a:int64,b:utf8"},
			{Name: "sampleRows", Default: "1000", Doc: "records read to infer the types"},
			{Name: "batchRows", Default: "65536", Doc: "rows per batch"},
			{Name: "batchBytes", Default: "8388608", Doc: "end a batch after about this many bytes of input (negative: no limit)"},
			{Name: "splitBytes", Default: "67108864", Doc: "split files larger than this at record boundaries (negative: one split per file)"},
			{Name: "maxRecordBytes", Default: "16777216", Doc: "longest record; a longer one is a dirty row"},
			{Name: "compress", Default: "auto", Doc: "auto (by extension: .gz, .bz2), none, gzip or bzip2 (compressed files are not split)"},
		},
		"jsonl": {
			{Name: "columns", Doc: "columns and types, name:type,...; default inferred from the first sampleRows lines", Sample: "a:int64,b:utf8"},
			{Name: "sampleRows", Default: "1000", Doc: "lines read to infer the types"},
			{Name: "batchRows", Default: "65536", Doc: "rows per batch"},
			{Name: "batchBytes", Default: "8388608", Doc: "end a batch after about this many bytes of input (negative: no limit)"},
			{Name: "splitBytes", Default: "67108864", Doc: "split files larger than this at line starts (negative: one split per file)"},
		},
		"parquet": {
			{Name: "columns", Doc: "top-level columns to read, in this order, comma-separated; default all", Sample: "a,b"},
			{Name: "batchRows", Default: "65536", Doc: "rows per batch"},
			{Name: "int96", Default: "ns", Doc: "unit of INT96 timestamps: ns (exact, years 1677..2262) or us"},
		},
	}
	outputParams = urlparam.Table{
		{Name: "mode", Default: "insert", Doc: "insert (never replaces a file) or overwrite (replaces the old output at Commit)"},
		{Name: "maxFileRows", Default: "0", Doc: "start a new part file after this many rows (0: no limit)"},
		{Name: "maxFileBytes", Default: "0", Doc: "start a new part file after about this many bytes (0: no limit)"},
	}
	writerTables = map[string]urlparam.Table{
		"csv": urlparam.Join(outputParams, urlparam.Table{
			{Name: "header", Default: "true", Doc: "write a header line"},
			{Name: "delimiter", Default: ",", Doc: `field separator, one byte (\t or tab for a tab)`},
			{Name: "quote", Default: `"`, Doc: "quote character, one byte"},
			{Name: "nullString", Doc: `text written, unquoted, for NULL; default an empty field (empty strings are written "")`},
			{Name: "crlf", Default: "false", Doc: "end lines with \\r\\n"},
			{Name: "compress", Default: "none", Doc: "none or gzip (part files end in .csv.gz)"},
		}),
		"jsonl": urlparam.Join(outputParams, urlparam.Table{
			{Name: "omitNulls", Default: "false", Doc: "leave NULL values out of the objects instead of writing null"},
		}),
		"parquet": urlparam.Join(outputParams, urlparam.Table{
			{Name: "compression", Default: "snappy", Doc: "snappy, zstd, gzip or none"},
			{Name: "rowGroupRows", Default: "131072", Doc: "most rows per row group"},
		}),
	}
	pkgTables = map[string]urlparam.Table{
		"csvreader": readerTables["csv"], "jsonlreader": readerTables["jsonl"], "parquetreader": readerTables["parquet"],
		"csvwriter": writerTables["csv"], "jsonlwriter": writerTables["jsonl"], "parquetwriter": writerTables["parquet"],
	}
)

// ReaderParams returns the declared URL parameters of the file reader of
// scheme (csv, jsonl or parquet).
func ReaderParams(scheme string) urlparam.Table { return readerTables[scheme] }

// WriterParams returns the declared URL parameters of the file writer of
// scheme.
func WriterParams(scheme string) urlparam.Table { return writerTables[scheme] }

// URLPath returns the file path of a file URL: scheme:///abs/path,
// scheme://rel/path (host and path joined) or scheme:rel/path.
func URLPath(u *url.URL) string {
	if u.Opaque != "" {
		return u.Opaque
	}
	return u.Host + u.Path
}

// ParseURL parses urlstr (a malformed one is an error that keeps its secrets
// out) and returns from(u): the shared body of every file connector's
// ParseConfig.
func ParseURL[C any](pkg, urlstr string, from func(*url.URL) (C, error)) (C, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		var zero C
		return zero, fmt.Errorf("%s: malformed URL %s", pkg, ferry.Redact(urlstr))
	}
	return from(u)
}

// URLParams checks u's scheme and returns its path and query parameters,
// read against pkg's declared table (csvreader, jsonlwriter, ...).
func URLParams(pkg, scheme string, u *url.URL) (string, *urlparam.Values, error) {
	if u.Scheme != scheme {
		return "", nil, fmt.Errorf("%s: URL scheme %q is not %s", pkg, u.Scheme, scheme)
	}
	t, ok := pkgTables[pkg]
	if !ok {
		return "", nil, fmt.Errorf("%s: no URL parameter table (a bug in internal/fileset)", pkg)
	}
	return URLPath(u), t.Values(pkg, u), nil
}

// OutputParams reads the parameters every file writer takes: mode,
// maxFileRows and maxFileBytes.
func OutputParams(q *urlparam.Values) (mode ferry.WriteMode, maxFileRows, maxFileBytes int64) {
	mode, err := ferry.ParseWriteMode(q.String("mode", ""))
	if err != nil {
		q.Fail("mode", err)
	}
	return mode, q.Int64("maxFileRows", 0), q.Int64("maxFileBytes", 0)
}

// RegisterWriter registers a file writer's URL scheme: open parses the URL
// and opens the writer.
func RegisterWriter[W ferry.Writer](scheme string, open func(ctx context.Context, u *url.URL) (W, error)) {
	ferry.DefaultURLMux().RegisterWriter(scheme, urlreg.Writer(writerTables[scheme], ferry.WriterOpenerFunc(func(ctx context.Context, u *url.URL) (ferry.Writer, error) {
		w, err := open(ctx, u)
		if err != nil {
			return nil, err
		}
		return w, nil
	})))
}

// RegisterReader registers a file reader's URL scheme.
func RegisterReader[R ferry.Reader](scheme string, open func(ctx context.Context, u *url.URL) (R, error)) {
	ferry.DefaultURLMux().RegisterReader(scheme, urlreg.Reader(readerTables[scheme], ferry.ReaderOpenerFunc(func(ctx context.Context, u *url.URL) (ferry.Reader, error) {
		r, err := open(ctx, u)
		if err != nil {
			return nil, err
		}
		return r, nil
	})))
}
