package main

import (
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/cursor"
	"github.com/ferrydata/ferry/reader/sqlshard"
)

// TestURLHelpGolden fixes ferry help urls and ferry schemes -v (go test
// -run TestURLHelpGolden -update rewrites the files after a table changed).
func TestURLHelpGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"help-urls.golden", []string{"help", "urls"}},
		{"schemes-v.golden", []string{"schemes", "-v"}},
		{"help-urls-postgres.golden", []string{"help", "urls", "postgres"}},
	} {
		code, out, errOut := runCLI(t, tc.args...)
		require.Equal(t, 0, code, errOut)
		require.Empty(t, errOut)
		golden(t, tc.golden, out)
	}
	// Without -v, schemes prints the two lists only.
	code, out, _ := runCLI(t, "schemes")
	require.Equal(t, 0, code)
	require.Equal(t, 2, strings.Count(out, "\n"), out)
}

// TestURLHelpListsTheParsersTables: for every registered scheme, the
// parameter names ferry help urls SCHEME prints are those the scheme's
// opener lists, which each connector's own test checks against the table
// its parser reads (reading a name outside the table is an error there).
func TestURLHelpListsTheParsersTables(t *testing.T) {
	mux := ferry.DefaultURLMux()
	for _, scheme := range allSchemes(mux) {
		code, out, errOut := runCLI(t, "help", "urls", scheme)
		require.Equal(t, 0, code, errOut)
		var want []string
		r, rok := mux.ReaderParams(scheme)
		w, wok := mux.WriterParams(scheme)
		for _, ps := range [][]ferry.URLParam{r, sqlshard.URLParams(scheme), cursor.URLParams(scheme), w} {
			for _, p := range ps {
				want = append(want, url.QueryEscape(p.Name))
			}
		}
		slices.Sort(want)
		want = slices.Compact(want)
		var got []string
		for line := range strings.SplitSeq(out, "\n") {
			if !strings.HasPrefix(line, "    ") {
				continue
			}
			name, _, _ := strings.Cut(strings.Fields(line)[0], "=")
			got = append(got, name)
		}
		slices.Sort(got)
		got = slices.Compact(got)
		require.Equal(t, want, got, scheme)
		if !rok && !wok {
			require.Contains(t, out, "parameters not listed by the connector", scheme)
		} else {
			require.NotEmpty(t, got, scheme)
		}
	}
}

// TestSyncHelpPointsToURLHelp: ferry sync --help says where the URL
// parameters are listed.
func TestSyncHelpPointsToURLHelp(t *testing.T) {
	for _, args := range [][]string{{"sync", "--help"}, {"help", "sync"}} {
		code, out, _ := runCLI(t, args...)
		require.Equal(t, 0, code)
		require.Contains(t, out, "ferry help urls [SCHEME]", args)
	}
}

func TestHelpURLsUnknownScheme(t *testing.T) {
	code, out, errOut := runCLI(t, "help", "urls", "postgress")
	require.Equal(t, 2, code)
	require.Empty(t, out)
	require.Contains(t, errOut, `ferry help urls: unknown scheme "postgress" (did you mean postgres?)`)
	require.Equal(t, 1, strings.Count(errOut, "\n"), errOut)

	code, _, errOut = runCLI(t, "schemes", "extra")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "ferry schemes: no arguments")
}

// TestSyncSuggestsParameter: a misspelt URL parameter fails ferry sync
// before anything connects, exit 2, with one line naming the known one.
func TestSyncSuggestsParameter(t *testing.T) {
	db := filepath.Join(t.TempDir(), "none.db")
	for _, tc := range []struct {
		from, to, want string
	}{
		{"sqlite://" + db + "?table=t&splitpk=id", "stream://stdout",
			"sqlitereader: unknown URL parameter splitpk (did you mean splitPk?)"},
		{"postgres://u@127.0.0.1:1/db?table=t&splitpk=id", "stream://stdout",
			"pgreader: unknown URL parameter splitpk (did you mean splitPk?)"},
		{`stream://?column=[{"type":"long","value":1}]&sliceRecordCount=1`, "csv://" + t.TempDir() + "/out.csv?Delimiter=|",
			"csvwriter: unknown URL parameter Delimiter (did you mean delimiter?)"},
	} {
		code, out, errOut := runCLI(t, "sync", "--from", tc.from, "--to", tc.to, "--history", "off", "--progress", "never")
		require.Equal(t, 2, code, errOut)
		require.Contains(t, errOut, tc.want)
		require.Equal(t, 1, strings.Count(errOut, "\n"), "one line on stderr: %q", errOut)
		require.Empty(t, out)
	}
}
