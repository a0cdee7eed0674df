package job

import (
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/fileset"
	"github.com/ferrydata/ferry/reader/sqlshard"
)

// openPart opens one source part: the first of its URLs (the failover
// list) whose reader opens and answers Schema. A URL naming several tables
// (order_[00-15], a list) opens them all through sqlshard.
func openPart(ctx context.Context, e Endpoint, mask func(string) string, so *sqlshard.Options) (ferry.Reader, error) {
	urls := append([]string{e.URL}, e.Failover...)
	var errs []string
	for _, u := range urls {
		if e.Plugin == "txtfilereader" {
			var err error
			if u, err = sniffColumns(u); err != nil {
				return nil, fmt.Errorf("job: %s: %s", e.Plugin, mask(err.Error()))
			}
		}
		r, err := sqlshard.OpenReader(ctx, u, so)
		if err == nil {
			if _, err = r.Schema(ctx); err == nil {
				return r, nil
			}
			r.Close()
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		errs = append(errs, mask(err.Error()))
	}
	if len(urls) == 1 {
		return nil, fmt.Errorf("job: source %s", errs[0])
	}
	return nil, fmt.Errorf("job: source: none of the %d jdbcUrl entries answered: %s", len(urls), strings.Join(errs, "; "))
}

// sniffColumns gives a txtfilereader part its columns, all read as text
// (DataX reads text files as strings and converts them per column): the
// field count, and the names when the first line is a header.
func sniffColumns(u string) (string, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("malformed URL %s", ferry.Redact(u))
	}
	q := pu.Query()
	if q.Get("columns") != "" {
		return u, nil
	}
	files, err := fileset.Expand(fileset.URLPath(pu), ".csv", ".tsv", ".txt")
	if err != nil {
		return "", err
	}
	delim := q.Get("delimiter")
	if delim == "tab" {
		delim = "\t"
	}
	f, err := os.Open(files[0])
	if err != nil {
		return "", err
	}
	defer f.Close()
	var rd io.Reader = bufio.NewReader(f)
	switch c := q.Get("compress"); {
	case c == "gzip" || (c == "" || c == "auto") && strings.HasSuffix(files[0], ".gz"):
		zr, err := gzip.NewReader(rd)
		if err != nil {
			return "", fmt.Errorf("%s: %w", files[0], err)
		}
		defer zr.Close()
		rd = zr
	case c == "bzip2" || (c == "" || c == "auto") && strings.HasSuffix(files[0], ".bz2"):
		rd = bzip2.NewReader(rd)
	}
	if enc := textEncoding(q.Get("encoding")); enc != nil {
		rd = enc.NewDecoder().Reader(rd)
	}
	cr := csv.NewReader(rd)
	cr.Comma = rune(delim[0])
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return "", fmt.Errorf("%s is empty: its columns are unknown", files[0])
	}
	if err != nil {
		return "", fmt.Errorf("%s: first line: %w", files[0], err)
	}
	header := q.Get("header") == "true"
	specs := make([]string, len(rec))
	for i, name := range rec {
		if !header {
			name = fmt.Sprintf("c%d", i+1)
		}
		name = strings.TrimPrefix(name, "\ufeff")
		if strings.ContainsAny(name, ",:") || name == "" {
			return "", fmt.Errorf("%s: header column %d (%q): names with ',' or ':' are not supported; set skipHeader false", files[0], i+1, name)
		}
		specs[i] = name + ":utf8"
	}
	q.Set("columns", strings.Join(specs, ","))
	pu.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return pu.String(), nil
}

func textEncoding(name string) encoding.Encoding {
	switch strings.ToLower(strings.ReplaceAll(name, "-", "")) {
	case "gbk":
		return simplifiedchinese.GBK
	case "gb18030":
		return simplifiedchinese.GB18030
	case "latin1", "iso88591":
		return charmap.ISO8859_1
	}
	return nil
}
