package ferry

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/ferrydata/ferry/internal/urlparam"
)

// ReaderOpener opens a Reader from a URL. Connector packages register one per
// URL scheme in their init function.
type ReaderOpener interface {
	OpenReaderURL(ctx context.Context, u *url.URL) (Reader, error)
}

// WriterOpener opens a Writer from a URL.
type WriterOpener interface {
	OpenWriterURL(ctx context.Context, u *url.URL) (Writer, error)
}

// ReaderOpenerFunc adapts a function to a ReaderOpener.
type ReaderOpenerFunc func(ctx context.Context, u *url.URL) (Reader, error)

// OpenReaderURL calls f.
func (f ReaderOpenerFunc) OpenReaderURL(ctx context.Context, u *url.URL) (Reader, error) {
	return f(ctx, u)
}

// WriterOpenerFunc adapts a function to a WriterOpener.
type WriterOpenerFunc func(ctx context.Context, u *url.URL) (Writer, error)

// OpenWriterURL calls f.
func (f WriterOpenerFunc) OpenWriterURL(ctx context.Context, u *url.URL) (Writer, error) {
	return f(ctx, u)
}

// URLMux maps URL schemes to openers. The zero URLMux is empty and ready.
type URLMux struct {
	mu      sync.RWMutex
	readers map[string]ReaderOpener
	writers map[string]WriterOpener
}

var defaultMux URLMux

// DefaultURLMux returns the mux used by OpenReader and OpenWriter, which the
// built-in connector packages fill in when they are imported.
func DefaultURLMux() *URLMux { return &defaultMux }

// RegisterReader registers o for scheme. It panics if o is nil or the scheme
// already has a reader.
func (m *URLMux) RegisterReader(scheme string, o ReaderOpener) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if o == nil {
		panic("ferry: RegisterReader of nil opener for " + scheme)
	}
	if _, dup := m.readers[scheme]; dup {
		panic("ferry: RegisterReader called twice for scheme " + scheme)
	}
	if m.readers == nil {
		m.readers = make(map[string]ReaderOpener)
	}
	m.readers[scheme] = o
}

// RegisterWriter registers o for scheme. It panics if o is nil or the scheme
// already has a writer.
func (m *URLMux) RegisterWriter(scheme string, o WriterOpener) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if o == nil {
		panic("ferry: RegisterWriter of nil opener for " + scheme)
	}
	if _, dup := m.writers[scheme]; dup {
		panic("ferry: RegisterWriter called twice for scheme " + scheme)
	}
	if m.writers == nil {
		m.writers = make(map[string]WriterOpener)
	}
	m.writers[scheme] = o
}

// ReaderSchemes returns the registered reader schemes, sorted.
func (m *URLMux) ReaderSchemes() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return sortedKeys(m.readers)
}

// WriterSchemes returns the registered writer schemes, sorted.
func (m *URLMux) WriterSchemes() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return sortedKeys(m.writers)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// OpenReader opens the reader for urlstr's scheme.
func (m *URLMux) OpenReader(ctx context.Context, urlstr string) (Reader, error) {
	u, err := parseURL(urlstr)
	if err != nil {
		return nil, err
	}
	m.mu.RLock()
	o, ok := m.readers[u.Scheme]
	m.mu.RUnlock()
	if !ok {
		return nil, badURL{fmt.Errorf("ferry: open reader %s: unknown scheme %q%s", Redact(urlstr), u.Scheme, schemeHint(u.Scheme, m.ReaderSchemes()))}
	}
	r, err := o.OpenReaderURL(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("ferry: open reader %s: %w", Redact(urlstr), err)
	}
	return r, nil
}

// OpenWriter opens the writer for urlstr's scheme.
func (m *URLMux) OpenWriter(ctx context.Context, urlstr string) (Writer, error) {
	u, err := parseURL(urlstr)
	if err != nil {
		return nil, err
	}
	m.mu.RLock()
	o, ok := m.writers[u.Scheme]
	m.mu.RUnlock()
	if !ok {
		return nil, badURL{fmt.Errorf("ferry: open writer %s: unknown scheme %q%s", Redact(urlstr), u.Scheme, schemeHint(u.Scheme, m.WriterSchemes()))}
	}
	w, err := o.OpenWriterURL(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("ferry: open writer %s: %w", Redact(urlstr), err)
	}
	return w, nil
}

func parseURL(urlstr string) (*url.URL, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		// url.Error quotes the whole input, password included: do not wrap it.
		return nil, badURL{fmt.Errorf("ferry: malformed URL %s", Redact(urlstr))}
	}
	if u.Scheme == "" {
		return nil, badURL{fmt.Errorf("ferry: URL %s has no scheme (want scheme://...)", Redact(urlstr))}
	}
	return u, nil
}

// OpenReader opens a Reader from a URL through DefaultURLMux, for example
// "sqlite:///tmp/orders.db?table=orders". The connector package of the scheme
// must be imported (for its init function).
func OpenReader(ctx context.Context, urlstr string) (Reader, error) {
	return defaultMux.OpenReader(ctx, urlstr)
}

// OpenWriter opens a Writer from a URL through DefaultURLMux.
func OpenWriter(ctx context.Context, urlstr string) (Writer, error) {
	return defaultMux.OpenWriter(ctx, urlstr)
}

// Redact returns urlstr with any password replaced by "xxxxx", and with the
// values of query parameters named like secrets (password, secret, token,
// apikey, *_key, pwd) replaced too; Ferry's own key= (upsert key columns) is not a
// secret. A string that does not parse as a URL keeps its text,
// with the same parts masked, so an error about it still shows the reason.
func Redact(urlstr string) string {
	u, err := url.Parse(urlstr)
	if err != nil {
		return redactText(urlstr)
	}
	q, _ := urlparam.Parse(u.RawQuery)
	changed := false
	for k := range q {
		if secretParam(k) {
			q.Set(k, "xxxxx")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

func secretParam(k string) bool {
	lk := strings.ToLower(k)
	return strings.Contains(lk, "password") || strings.Contains(lk, "secret") || strings.Contains(lk, "token") ||
		strings.HasSuffix(lk, "_key") || strings.HasSuffix(lk, "apikey") || lk == "pwd" // go-mssqldb's password key
}

var secretPair = regexp.MustCompile(`([?&\s](?i:[a-z_]*(?:password|secret|token|apikey|_key)|pwd)=)[^&\s]*`)

// redactText masks the userinfo password and secret query values of a
// string that is not a well-formed URL, keeping the rest of its text.
func redactText(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
			if colon := strings.IndexByte(rest[:at], ':'); colon >= 0 {
				rest = rest[:colon] + ":xxxxx" + rest[at:]
			}
		}
		s = s[:i+3] + rest
	}
	return secretPair.ReplaceAllString(s, "${1}xxxxx")
}

// ErrURLParameter is matched (errors.Is) by the error of a built-in
// connector's URL parser about its query parameters: an unknown name (with
// the nearest known one suggested), a malformed pair or a bad value. It is
// found before anything connects; the ferry command exits 2 on it.
var ErrURLParameter = urlparam.ErrParameter

// ErrBadURL is matched (errors.Is) by the error of OpenReader and
// OpenWriter when the URL itself is wrong: malformed, without a scheme, or
// of a scheme nobody registered. Like ErrURLParameter it is found before
// anything connects; the ferry command exits 2 on it.
var ErrBadURL = errors.New("bad URL")

type badURL struct{ err error }

func (e badURL) Error() string        { return e.err.Error() }
func (e badURL) Unwrap() error        { return e.err }
func (e badURL) Is(target error) bool { return target == ErrBadURL }

// schemeHint is " (did you mean X?)" for a near miss, else the list of the
// registered schemes.
func schemeHint(scheme string, known []string) string {
	if s := urlparam.Suggest(scheme, known); s != "" {
		return fmt.Sprintf(" (did you mean %s?)", s)
	}
	return fmt.Sprintf(" (registered: %s)", strings.Join(known, ", "))
}

// URLParam documents one query parameter of a connector URL, for help texts
// such as ferry help urls.
type URLParam struct {
	// Name is the parameter as written in the URL.
	Name string
	// Default is the value used when the parameter is absent, as text; ""
	// when there is none or Doc describes it.
	Default string
	// Doc is one line saying what the parameter does.
	Doc string
	// Secret marks a value that must not be shown (a password).
	Secret bool
}

// URLParamLister is an optional interface of a ReaderOpener or
// WriterOpener: the query parameters its URLs take, in the order to show
// them. The list should come from the table the opener's parser reads, so
// that help cannot drift from the parser.
type URLParamLister interface {
	URLParams() []URLParam
}

// ReaderOpenerWithParams returns an opener that opens as o does and lists
// params (see URLParamLister).
func ReaderOpenerWithParams(o ReaderOpener, params []URLParam) ReaderOpener {
	return paramReaderOpener{o, slices.Clone(params)}
}

// WriterOpenerWithParams returns an opener that opens as o does and lists
// params (see URLParamLister).
func WriterOpenerWithParams(o WriterOpener, params []URLParam) WriterOpener {
	return paramWriterOpener{o, slices.Clone(params)}
}

type paramReaderOpener struct {
	ReaderOpener
	params []URLParam
}

func (o paramReaderOpener) URLParams() []URLParam { return slices.Clone(o.params) }

type paramWriterOpener struct {
	WriterOpener
	params []URLParam
}

func (o paramWriterOpener) URLParams() []URLParam { return slices.Clone(o.params) }

// ReaderParams returns the URL parameters of scheme's reader; ok is false
// when the scheme has no reader or its opener does not list its parameters.
func (m *URLMux) ReaderParams(scheme string) (params []URLParam, ok bool) {
	m.mu.RLock()
	o := m.readers[scheme]
	m.mu.RUnlock()
	if l, is := o.(URLParamLister); is {
		return l.URLParams(), true
	}
	return nil, false
}

// WriterParams returns the URL parameters of scheme's writer; ok is false
// when the scheme has no writer or its opener does not list its parameters.
func (m *URLMux) WriterParams(scheme string) (params []URLParam, ok bool) {
	m.mu.RLock()
	o := m.writers[scheme]
	m.mu.RUnlock()
	if l, is := o.(URLParamLister); is {
		return l.URLParams(), true
	}
	return nil, false
}
