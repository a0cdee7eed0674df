package fileset

import (
	"context"
	"fmt"
	"net/url"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/urlparam"
)

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

// URLParams checks u's scheme and returns its path and query parameters.
func URLParams(pkg, scheme string, u *url.URL) (string, *urlparam.Values, error) {
	if u.Scheme != scheme {
		return "", nil, fmt.Errorf("%s: URL scheme %q is not %s", pkg, u.Scheme, scheme)
	}
	return URLPath(u), urlparam.New(pkg, u), nil
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
	ferry.DefaultURLMux().RegisterWriter(scheme, ferry.WriterOpenerFunc(func(ctx context.Context, u *url.URL) (ferry.Writer, error) {
		w, err := open(ctx, u)
		if err != nil {
			return nil, err
		}
		return w, nil
	}))
}

// RegisterReader registers a file reader's URL scheme.
func RegisterReader[R ferry.Reader](scheme string, open func(ctx context.Context, u *url.URL) (R, error)) {
	ferry.DefaultURLMux().RegisterReader(scheme, ferry.ReaderOpenerFunc(func(ctx context.Context, u *url.URL) (ferry.Reader, error) {
		r, err := open(ctx, u)
		if err != nil {
			return nil, err
		}
		return r, nil
	}))
}
