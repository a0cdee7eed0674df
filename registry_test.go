package ferry_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/urlparam"
	"github.com/ferrydata/ferry/reader/memreader"
)

func testMux() *ferry.URLMux {
	var m ferry.URLMux
	m.RegisterReader("fake", ferry.ReaderOpenerFunc(func(ctx context.Context, u *url.URL) (ferry.Reader, error) {
		q := urlparam.New("fake", u)
		q.String("table", "")
		q.Int("batchRows", 0)
		if err := q.Done(); err != nil {
			return nil, err
		}
		return memreader.NewWithSchema(smallSchema), nil
	}))
	return &m
}

func TestOpenReaderURL(t *testing.T) {
	m := testMux()
	tests := []struct {
		url     string
		wantErr string
	}{
		{"fake://host/db?table=t&batchRows=10", ""},
		{"nope://x", `unknown scheme "nope" (registered: fake)`},
		{"fake://h?tabel=t", "unknown URL parameter tabel (did you mean table?)"},
		{"fake://h?batchRows=ten", `parameter batchRows="ten" is not an integer`},
		{"no-scheme", "has no scheme"},
		{"fake://user:s3cret@h?tabel=t", "fake://user:xxxxx@h?tabel=t"},
		{"fake://user:s3cret@h:bad port/", "malformed URL"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			r, err := m.OpenReader(context.Background(), tt.url)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.NoError(t, r.Close())
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			require.NotContains(t, err.Error(), "s3cret", "passwords never appear in errors")
			require.True(t, errors.Is(err, ferry.ErrBadURL) || errors.Is(err, ferry.ErrURLParameter),
				"a URL error is ErrBadURL or ErrURLParameter: %v", err)
		})
	}
	_, err := m.OpenReader(context.Background(), "fak://h?table=t")
	require.ErrorContains(t, err, `unknown scheme "fak" (did you mean fake?)`)
	require.ErrorIs(t, err, ferry.ErrBadURL)
}

func TestRegisterTwicePanics(t *testing.T) {
	m := testMux()
	require.Panics(t, func() {
		m.RegisterReader("fake", ferry.ReaderOpenerFunc(nil))
	})
	require.Panics(t, func() { m.RegisterWriter("x", nil) })
	require.Equal(t, []string{"fake"}, m.ReaderSchemes())
}

func TestRedact(t *testing.T) {
	tests := map[string]string{
		"postgres://u:pw@h:5432/db?sslmode=disable":  "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"mysql://root@h/db":                          "mysql://root@h/db",
		"s3://bucket/key?secret_access_key=abc&x=1":  "s3://bucket/key?secret_access_key=xxxxx&x=1",
		"http://h/?password=hunter2":                 "http://h/?password=xxxxx",
		"postgres://h/db?table=t&key=id&api_token=z": "postgres://h/db?api_token=xxxxx&key=id&table=t",
		"postgres://u:p@w@h:bad port/x":              "postgres://u:xxxxx@h:bad port/x",
		"postgres://u:pw@h/db?sslmode=bogus%zz":      "postgres://u:xxxxx@h/db?sslmode=bogus%zz",
		"mysql://u:s3cr%t@h/db?password=x%&a=1":      "mysql://u:xxxxx@h/db?password=xxxxx&a=1",
	}
	for in, want := range tests {
		require.Equal(t, want, ferry.Redact(in), in)
	}
}

func TestParseWriteMode(t *testing.T) {
	for in, want := range map[string]ferry.WriteMode{
		"": ferry.ModeInsert, "insert": ferry.ModeInsert, "truncate": ferry.ModeOverwrite,
		"overwrite": ferry.ModeOverwrite, "upsert": ferry.ModeUpsert, "replace": ferry.ModeReplace,
		"partition_overwrite": ferry.ModePartitionOverwrite,
	} {
		got, err := ferry.ParseWriteMode(in)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err := ferry.ParseWriteMode("merge")
	require.ErrorContains(t, err, `unknown write mode "merge"`)
}

func TestClassify(t *testing.T) {
	require.Equal(t, ferry.ClassNone, ferry.Classify(nil))
	require.Equal(t, ferry.ClassCanceled, ferry.Classify(context.Canceled))
	require.Equal(t, ferry.ClassCanceled, ferry.Classify(ferry.Retryable(context.DeadlineExceeded)), "cancellation wins")
	require.Equal(t, ferry.ClassRetryable, ferry.Classify(ferry.Retryable(url.EscapeError("x"))))
	require.Equal(t, "fatal", ferry.Classify(url.EscapeError("x")).String())
	require.Nil(t, ferry.Retryable(nil))
}

// FuzzRedact: whatever the input, a password that the URL carries never
// survives Redact.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		"postgres://u:hunter22@h:5432/db?sslmode=disable",
		"mysql://root:s3cr%t@h/db?password=hunter22&a=1",
		"postgres://u:p@w@h:bad port/x",
		"sqlserver://sa:hunter22@h?database=d&table=t",
		"x://h/?api_token=hunter22&key=id",
		"://:hunter22@",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := ferry.Redact(s)
		u, err := url.Parse(s)
		if err != nil || u.User == nil {
			return
		}
		// A password that occurs once in the input (only in the userinfo)
		// must not occur in the output.
		if pw, ok := u.User.Password(); ok && len(pw) >= 4 && strings.Count(s, pw) == 1 && strings.Contains(out, pw) {
			t.Fatalf("Redact(%q) = %q keeps the password %q", s, out, pw)
		}
	})
}
