package dirty

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
)

// Record is one dirty row as kept by a Sink.
type Record struct {
	// Split is the ID of the split the row came from.
	Split string `json:"split"`
	// Row is the row's index in its split (or the line number).
	Row int64 `json:"row"`
	// Column names the offending column, when known.
	Column string `json:"column,omitempty"`
	// Value is the offending value, when known.
	Value any `json:"value,omitempty"`
	// Reason is the cause, for example the server's message.
	Reason string `json:"reason"`
	// Values holds the whole row by column name, when the row reached Arrow.
	Values map[string]any `json:"values,omitempty"`
}

// A Sink keeps dirty records. Write may be called from several goroutines.
type Sink interface {
	Write(ctx context.Context, r Record) error
	Close() error
}

// Locator is an optional interface of a Sink that says where the records go,
// for error messages and reports (a file path, "log").
type Locator interface {
	Location() string
}

// SinkFunc adapts a function to a Sink (a callback sink).
type SinkFunc func(ctx context.Context, r Record) error

// Write calls f.
func (f SinkFunc) Write(ctx context.Context, r Record) error { return f(ctx, r) }

// Close does nothing.
func (f SinkFunc) Close() error { return nil }

// DefaultLogFirst is how many dirty rows a LogSink logs one by one when its
// First is zero.
const DefaultLogFirst = 10

// LogSink logs the first dirty records, each with its reason, at level Warn;
// after First of them it says once that the rest are only counted (the run's
// Summary counts them by reason), so that a run with many dirty rows does
// not flood the log. To keep every row, use a FileSink. Use a *LogSink: it
// counts the rows it saw.
type LogSink struct {
	// Logger is the logger; nil means slog.Default().
	Logger *slog.Logger
	// First is how many records are logged one by one: 0 means
	// DefaultLogFirst, a negative number every record.
	First int

	n atomic.Int64
}

// Write logs r, if it is one of the first records.
func (s *LogSink) Write(ctx context.Context, r Record) error {
	l := s.Logger
	if l == nil {
		l = slog.Default()
	}
	first := int64(s.First)
	if first == 0 {
		first = DefaultLogFirst
	}
	n := s.n.Add(1)
	switch {
	case first < 0 || n <= first:
		l.WarnContext(ctx, "dirty row", "split", r.Split, "row", r.Row, "column", r.Column, "value", r.Value, "reason", r.Reason)
	case n == first+1:
		l.WarnContext(ctx, fmt.Sprintf("more dirty rows: only the first %d are logged; the report counts them by reason, and a dirty-row file (ferry --dirty-file FILE) keeps every one", first))
	}
	return nil
}

// Count returns how many records Write saw, logged or not.
func (s *LogSink) Count() int64 { return s.n.Load() }

// Close does nothing.
func (*LogSink) Close() error { return nil }

// Location returns "log", or "log (first N)" when it logs only the first N.
func (s *LogSink) Location() string {
	switch {
	case s.First < 0:
		return "log"
	case s.First == 0:
		return fmt.Sprintf("log (first %d)", DefaultLogFirst)
	}
	return fmt.Sprintf("log (first %d)", s.First)
}

// FileSink writes dirty records to a JSON Lines file, one object per row.
type FileSink struct {
	path string
	mu   sync.Mutex
	f    *os.File
	w    *bufio.Writer
	n    int64
}

// CreateFileSink creates (or truncates) the JSON Lines file at path.
func CreateFileSink(path string) (*FileSink, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("dirty: create dirty file: %w", err)
	}
	return &FileSink{path: path, f: f, w: bufio.NewWriter(f)}, nil
}

// Write appends r as one JSON line. Values JSON cannot hold (NaN, say) are
// written as strings.
func (s *FileSink) Write(_ context.Context, r Record) error {
	line, err := json.Marshal(r)
	if err != nil {
		r.Value = fmt.Sprint(r.Value)
		r.Values = stringify(r.Values)
		if line, err = json.Marshal(r); err != nil {
			return fmt.Errorf("dirty: encode record of split %s row %d: %w", r.Split, r.Row, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	s.w.Write(line)
	if err := s.w.WriteByte('\n'); err != nil {
		return fmt.Errorf("dirty: write %s: %w", s.path, err)
	}
	return nil
}

func stringify(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if _, err := json.Marshal(v); err != nil {
			v = fmt.Sprint(v)
		}
		out[k] = v
	}
	return out
}

// Count returns how many records were written.
func (s *FileSink) Count() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// Location returns the file's path.
func (s *FileSink) Location() string { return s.path }

// Close flushes and closes the file.
func (s *FileSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.w.Flush()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	if err != nil {
		return fmt.Errorf("dirty: close %s: %w", s.path, err)
	}
	return nil
}
