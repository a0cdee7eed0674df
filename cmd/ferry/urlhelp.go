package main

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/cursor"
	"github.com/ferrydata/ferry/internal/urlparam"
	"github.com/ferrydata/ferry/reader/sqlshard"
)

// urlHelpNote tells a flag's help where the URL parameters are listed.
const urlHelpNote = "URL parameters of every scheme, with their defaults: ferry help urls [SCHEME] (or ferry schemes -v)"

// runSchemesCmd is ferry schemes [-v]: the registered schemes, and with -v
// each one's URL parameters.
func runSchemesCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ferry schemes", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "list each scheme's reader and writer URL parameters with their defaults")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "ferry schemes: no arguments are taken (ferry help urls SCHEME shows one scheme)")
		return 2
	}
	code := runSchemes(stdout)
	if *verbose && code == 0 {
		fmt.Fprintln(stdout)
		writeURLHelp(stdout, ferry.DefaultURLMux(), nil)
	}
	return code
}

// runHelpURLs is ferry help urls [SCHEME...]: the URL parameters of the
// schemes named, or of every registered scheme.
func runHelpURLs(args []string, stdout, stderr io.Writer) int {
	mux := ferry.DefaultURLMux()
	all := allSchemes(mux)
	for _, a := range args {
		if a == "-h" || a == "--help" {
			fmt.Fprintln(stdout, "usage: ferry help urls [SCHEME...]\n\n"+urlHelpNote)
			return 0
		}
		if !slices.Contains(all, a) {
			msg := fmt.Sprintf("ferry help urls: unknown scheme %q", a)
			if s := urlparam.Suggest(a, all); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			fmt.Fprintf(stderr, "%s (registered: %s)\n", msg, strings.Join(all, ", "))
			return 2
		}
	}
	writeURLHelp(stdout, mux, args)
	return 0
}

// allSchemes returns every scheme with a reader or a writer, sorted.
func allSchemes(mux *ferry.URLMux) []string {
	all := append(mux.ReaderSchemes(), mux.WriterSchemes()...)
	slices.Sort(all)
	return slices.Compact(all)
}

// schemeDoc is what help prints for one scheme.
type schemeDoc struct {
	reader, writer             []ferry.URLParam
	hasReader, hasWriter       bool
	readerListed, writerListed bool
	shard                      []ferry.URLParam // reader/sqlshard's, for SQL readers
	cursor                     []ferry.URLParam // package cursor's, for SQL readers
}

func docOf(mux *ferry.URLMux, scheme string) schemeDoc {
	var d schemeDoc
	d.hasReader = slices.Contains(mux.ReaderSchemes(), scheme)
	d.hasWriter = slices.Contains(mux.WriterSchemes(), scheme)
	d.reader, d.readerListed = mux.ReaderParams(scheme)
	d.writer, d.writerListed = mux.WriterParams(scheme)
	if d.hasReader {
		d.shard = sqlshard.URLParams(scheme)
		d.cursor = cursor.URLParams(scheme)
	}
	return d
}

func (d schemeDoc) equal(e schemeDoc) bool {
	return d.hasReader == e.hasReader && d.hasWriter == e.hasWriter && d.readerListed == e.readerListed &&
		d.writerListed == e.writerListed && slices.Equal(d.reader, e.reader) && slices.Equal(d.writer, e.writer) &&
		slices.Equal(d.shard, e.shard) && slices.Equal(d.cursor, e.cursor)
}

// writeURLHelp prints the parameters of schemes (none: every registered
// scheme), generated from the tables the connectors' parsers read. Schemes
// with the same parameters (postgres and postgresql) are printed once.
func writeURLHelp(w io.Writer, mux *ferry.URLMux, schemes []string) {
	if len(schemes) == 0 {
		schemes = allSchemes(mux)
	}
	type group struct {
		names []string
		doc   schemeDoc
	}
	var groups []group
	for _, s := range schemes {
		d := docOf(mux, s)
		if n := len(groups); n > 0 && groups[n-1].doc.equal(d) {
			groups[n-1].names = append(groups[n-1].names, s)
			continue
		}
		groups = append(groups, group{[]string{s}, d})
	}
	fmt.Fprintln(w, "URL parameters, NAME=DEFAULT (no default: unset unless given). Unknown parameters are an error.")
	for _, g := range groups {
		fmt.Fprintf(w, "\n%s://\n", strings.Join(g.names, "://, "))
		// The driver's connection parameters both sides take are shown once.
		reader, writer := g.doc.reader, g.doc.writer
		var conn []ferry.URLParam
		if g.doc.readerListed && g.doc.writerListed {
			n := 0
			for n < len(reader) && n < len(writer) && reader[len(reader)-1-n] == writer[len(writer)-1-n] {
				n++
			}
			conn = reader[len(reader)-n:]
			reader, writer = reader[:len(reader)-n], writer[:len(writer)-n]
		}
		if g.doc.hasReader {
			writeParams(w, "reader", reader, g.doc.readerListed)
		}
		if len(g.doc.shard) > 0 {
			writeParams(w, "reader, several tables as one source (reader/sqlshard)", g.doc.shard, true)
		}
		if len(g.doc.cursor) > 0 {
			writeParams(w, "reader, incremental by cursor (ferry sync; state in --state)", g.doc.cursor, true)
		}
		if g.doc.hasWriter {
			writeParams(w, "writer", writer, g.doc.writerListed)
		}
		if len(conn) > 0 {
			writeParams(w, "connection (reader and writer)", conn, true)
		}
	}
}

func writeParams(w io.Writer, title string, params []ferry.URLParam, listed bool) {
	if !listed {
		fmt.Fprintf(w, "  %s: parameters not listed by the connector\n", title)
		return
	}
	if len(params) == 0 {
		fmt.Fprintf(w, "  %s: no parameters\n", title)
		return
	}
	fmt.Fprintf(w, "  %s:\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, p := range params {
		name := url.QueryEscape(p.Name) // as written in a URL: "app+name"
		if p.Default != "" {
			name += "=" + p.Default
		}
		doc := p.Doc
		if p.Secret {
			doc += " (secret)"
		}
		fmt.Fprintf(tw, "    %s\t%s\n", name, doc)
	}
	tw.Flush()
}
