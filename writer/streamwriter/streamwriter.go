// Package streamwriter is DataX's streamwriter in Ferry: it prints every
// row as one line of fields separated by a delimiter (a tab by default),
// for trying a job out.
//
// # URL
//
//	stream://stdout?print=true&fieldDelimiter=%09
//	stream://stderr
//	stream:///abs/path/rows.txt     (appended to the file)
//
// Parameters:
//
//	print           false counts the rows without printing them; default true.
//	fieldDelimiter  the text between fields; default a tab.
//
// NULL prints as "null" (as DataX prints it), timestamps as
// 2006-01-02 15:04:05 (with the fraction when there is one), binary as its
// bytes. Lines are printed as batches arrive, a whole batch at a time, so
// Abort cannot take back what was printed; Commit does nothing.
package streamwriter

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/arrowval"
	"github.com/ferrydata/ferry/internal/urlparam/urlreg"
)

func init() {
	ferry.DefaultURLMux().RegisterWriter("stream", urlreg.Writer(params, ferry.WriterOpenerFunc(func(ctx context.Context, u *url.URL) (ferry.Writer, error) {
		cfg, err := configFromURL(u)
		if err != nil {
			return nil, err
		}
		return New(cfg), nil
	})))
}

// Config configures a Writer. The zero value prints to standard output
// with tabs between fields.
type Config struct {
	// Out receives the lines; nil means os.Stdout (or Path).
	Out io.Writer
	// Path, when set and Out is nil, is a file the lines are appended to.
	Path string
	// NoPrint counts rows without printing them (DataX's print=false).
	NoPrint bool
	// FieldDelimiter separates fields; "" means a tab.
	FieldDelimiter string
}

// ParseConfig parses a stream:// writer URL.
func ParseConfig(urlstr string) (Config, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return Config{}, fmt.Errorf("streamwriter: malformed URL %q", urlstr)
	}
	return configFromURL(u)
}

func configFromURL(u *url.URL) (Config, error) {
	p := params.Values("streamwriter", u)
	cfg := Config{
		NoPrint:        !p.Bool("print", true),
		FieldDelimiter: p.String("fieldDelimiter", "\t"),
	}
	if err := p.Done(); err != nil {
		return Config{}, err
	}
	switch {
	case u.Host == "stdout" || (u.Host == "" && (u.Path == "" || u.Path == "/")):
	case u.Host == "stderr":
		cfg.Out = os.Stderr
	case u.Host == "" && u.Path != "":
		cfg.Path = u.Path
	default:
		return Config{}, fmt.Errorf("streamwriter: URL %q: want stream://stdout, stream://stderr or stream:///path", u.Redacted())
	}
	return cfg, nil
}

// Writer prints rows.
type Writer struct {
	cfg  Config
	mu   sync.Mutex
	out  io.Writer
	file *os.File
}

var _ ferry.Writer = (*Writer)(nil)

// New returns a Writer.
func New(cfg Config) *Writer {
	if cfg.FieldDelimiter == "" {
		cfg.FieldDelimiter = "\t"
	}
	return &Writer{cfg: cfg}
}

// Prepare opens the output.
func (w *Writer) Prepare(ctx context.Context, schema *arrow.Schema) error {
	switch {
	case w.cfg.Out != nil:
		w.out = w.cfg.Out
	case w.cfg.Path != "":
		f, err := os.OpenFile(w.cfg.Path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("streamwriter: %w", err)
		}
		w.file, w.out = f, f
	default:
		w.out = os.Stdout
	}
	return nil
}

// Open returns a BatchWriter.
func (w *Writer) Open(ctx context.Context) (ferry.BatchWriter, error) {
	return &batchWriter{w: w}, nil
}

// Commit does nothing: the rows were printed as they came.
func (w *Writer) Commit(ctx context.Context) error { return w.sync() }

// Abort does nothing: printed rows cannot be taken back.
func (w *Writer) Abort(ctx context.Context, cause error) error { return w.sync() }

func (w *Writer) sync() error {
	if w.file != nil {
		return w.file.Sync()
	}
	return nil
}

// Close closes the output file.
func (w *Writer) Close() error {
	if w.file != nil {
		err := w.file.Close()
		w.file = nil
		return err
	}
	return nil
}

type batchWriter struct {
	w   *Writer
	buf []byte
}

func (bw *batchWriter) Write(ctx context.Context, b arrow.RecordBatch) error {
	if bw.w.cfg.NoPrint {
		return nil
	}
	buf := bw.buf[:0]
	cols := b.Columns()
	for i := 0; i < int(b.NumRows()); i++ {
		for k, c := range cols {
			if k > 0 {
				buf = append(buf, bw.w.cfg.FieldDelimiter...)
			}
			buf = appendValue(buf, c, i)
		}
		buf = append(buf, '\n')
	}
	bw.buf = buf
	bw.w.mu.Lock()
	defer bw.w.mu.Unlock()
	bufw := bufio.NewWriterSize(bw.w.out, 64<<10)
	if _, err := bufw.Write(buf); err != nil {
		return fmt.Errorf("streamwriter: %w", err)
	}
	if err := bufw.Flush(); err != nil {
		return fmt.Errorf("streamwriter: %w", err)
	}
	return nil
}

func appendValue(buf []byte, a arrow.Array, i int) []byte {
	switch v := arrowval.Value(a, i).(type) {
	case nil:
		return append(buf, "null"...)
	case string:
		return append(buf, v...)
	case []byte:
		if a.DataType().ID() == arrow.BINARY || a.DataType().ID() == arrow.LARGE_BINARY {
			return append(buf, v...)
		}
		return base64.StdEncoding.AppendEncode(buf, v)
	case int64:
		return strconv.AppendInt(buf, v, 10)
	case uint64:
		return strconv.AppendUint(buf, v, 10)
	case float64:
		return strconv.AppendFloat(buf, v, 'g', -1, 64)
	case bool:
		return strconv.AppendBool(buf, v)
	case time.Time:
		switch a.DataType().ID() {
		case arrow.DATE32, arrow.DATE64:
			return v.AppendFormat(buf, "2006-01-02")
		}
		if ts, ok := a.DataType().(*arrow.TimestampType); ok && ts.TimeZone != "" {
			return v.AppendFormat(buf, "2006-01-02 15:04:05.999999Z07:00")
		}
		return v.AppendFormat(buf, "2006-01-02 15:04:05.999999")
	default:
		return fmt.Append(buf, v)
	}
}

func (bw *batchWriter) Close(ctx context.Context) error { return nil }
