package ferry_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/urlparam"
	"github.com/ferrydata/ferry/reader/memreader"
	"github.com/ferrydata/ferry/writer/memwriter"
)

func TestURLMuxParams(t *testing.T) {
	var m ferry.URLMux
	params := []ferry.URLParam{{Name: "table", Doc: "the table"}, {Name: "batchRows", Default: "10", Doc: "rows per batch"}}
	m.RegisterReader("doc", ferry.ReaderOpenerWithParams(ferry.ReaderOpenerFunc(func(ctx context.Context, u *url.URL) (ferry.Reader, error) {
		return memreader.NewWithSchema(smallSchema), nil
	}), params))
	m.RegisterReader("nodoc", ferry.ReaderOpenerFunc(func(ctx context.Context, u *url.URL) (ferry.Reader, error) {
		return memreader.NewWithSchema(smallSchema), nil
	}))
	m.RegisterWriter("doc", ferry.WriterOpenerWithParams(ferry.WriterOpenerFunc(func(ctx context.Context, u *url.URL) (ferry.Writer, error) {
		return memwriter.New(memwriter.NewTable(), nil), nil
	}), params[:1]))

	got, ok := m.ReaderParams("doc")
	require.True(t, ok)
	require.Equal(t, params, got)
	got[0].Name = "changed" // the caller's copy
	got, _ = m.ReaderParams("doc")
	require.Equal(t, "table", got[0].Name)

	got, ok = m.WriterParams("doc")
	require.True(t, ok)
	require.Equal(t, params[:1], got)

	for _, scheme := range []string{"nodoc", "absent"} {
		_, ok = m.ReaderParams(scheme)
		require.False(t, ok, scheme)
	}
	_, ok = m.WriterParams("nodoc")
	require.False(t, ok)

	// The documented opener still opens.
	r, err := m.OpenReader(context.Background(), "doc://h?table=t")
	require.NoError(t, err)
	require.NoError(t, r.Close())
}

func TestErrURLParameter(t *testing.T) {
	u, _ := url.Parse("x://h?splitpk=id")
	err := urlparam.Table{{Name: "splitPk", Doc: "d"}}.Values("xreader", u).Done()
	require.ErrorIs(t, err, ferry.ErrURLParameter)
	require.EqualError(t, err, "xreader: unknown URL parameter splitpk (did you mean splitPk?)")
	wrapped := fmt.Errorf("ferry: open reader x://h: %w", err)
	require.ErrorIs(t, wrapped, ferry.ErrURLParameter)
}

// TestRedactDeclaredSecrets: every parameter a built-in table marks secret
// is masked by Redact, go-mssqldb's pwd included.
func TestRedactDeclaredSecrets(t *testing.T) {
	for _, name := range []string{"password", "sslpassword", "pwd", "PWD", "change password"} {
		u := "sqlserver://h?" + url.QueryEscape(name) + "=hunter2&table=t"
		require.NotContains(t, ferry.Redact(u), "hunter2", name)
		require.NotContains(t, ferry.Redact(u+"&bad=%zz"), "hunter2", name+" (malformed URL)")
	}
}
